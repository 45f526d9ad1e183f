"""Build one engineer's report for a period from their evidence rows (schema: docs/report-schema.md).

A report describes one person against the rubric.  It never ranks or compares
people: nothing here reads anyone else's evidence, and rows for another person
are refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

import pyarrow as pa

from rubric.calibration import (
    RULE_SENTENCE,
    Calibration,
    Cohort,
    PersonTotals,
    active_weeks,
    describe_typical,
    judge,
    strongest,
    totals_from_rows,
)
from rubric.model import Dimension, Rubric

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2"
BEHAVIOUR_CAP = 8  # evidence items listed per behaviour (best first); the rest are counted

# Said in every report: the data's blind spots apply to everyone, whatever the dimension.
GENERAL_LIMITS = (
    "Only GitHub and Jira activity is mined: meetings, chat, email, design reviews held elsewhere, "
    "1:1s, interviews and documents outside these tools are invisible.",
    "Signals record that something happened and why a rule or model labelled it, not how good it was: "
    "quality, judgment and customer impact need a person's assessment.",
    "Work done together (pairing, pushing to someone else's branch, advice that shaped a design) "
    "is credited only to the person the tools record.",
    "A quiet period in the data is not evidence of absence: leave, onboarding, planning-heavy or "
    "unmined work all look the same here.",
    "This report describes one person against the rubric; it does not compare or rank people.",
)


STRENGTH_SCORES = {"none": 0.0, "emerging": 0.34, "solid": 0.67, "strong": 1.0}  # bar position, not a rating


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _engineer(person: dict) -> dict:
    person_id = person.get("person_id")
    if not person_id:
        raise ValueError(
            f"build_report: person has no person_id ({sorted(person)}); "
            "pass a row from the roster with person_id, name, team_id, ..."
        )
    manager = None
    if person.get("manager_id") or person.get("manager_name"):
        manager = {"login": person.get("manager_id"), "name": person.get("manager_name")}
    return {
        "login": person_id,
        "name": person.get("name") or person_id,
        "team": {"id": person.get("team_id"), "name": person.get("team_name") or person.get("team_id")},
        "level": person.get("level"),
        "manager": manager,
    }


def _select_rows(person_id: str, evidence: pa.Table, rubric: Rubric, since: dt.date, until: dt.date) -> list[dict]:
    """This person's rows for this rubric within [since, until] (dates inclusive, UTC)."""
    rows = evidence.to_pylist()
    others = {r["person_id"] for r in rows} - {person_id}
    if others:
        raise ValueError(
            f"build_report: evidence for {person_id!r} also holds rows of {len(others)} other "
            "person(s); pass only this person's evidence (a report never mixes people)"
        )
    known = {dim.id for _, dim in rubric.dimensions()}
    kept, stale = [], 0
    for row in rows:
        if row["rubric_id"] != rubric.id or row["rubric_version"] != rubric.version or row["dimension_id"] not in known:
            stale += 1
            continue
        occurred = row["occurred_at"]
        if occurred is not None:
            day = occurred.astimezone(dt.timezone.utc).date() if occurred.tzinfo else occurred.date()
            if not since <= day <= until:
                continue
        kept.append(row)
    if stale:
        log.warning(
            "build_report: skipped %d evidence rows of %s built for another rubric or an older "
            "version of %s; re-run the evidence stage",
            stale,
            person_id,
            rubric.id,
        )
    return kept


def _evidence_item(row: dict) -> dict:
    return {
        "activity_id": row["activity_id"],
        "behaviour_id": row["behaviour_id"],
        "kind": row["kind"],
        "url": row["url"],
        "title": row["title"] or "",
        "occurred_at": _iso(row["occurred_at"]),
        "signals": list(row["signals"] or []),
        "weight": round(float(row["weight"]), 3),
        "reason": row["reason"] or "",
        "excerpt": row.get("excerpt"),
        "thread_id": row.get("thread_id") or row["activity_id"],
        "activity_count": int(row.get("activity_count") or 1),
    }


def _rank_key(row: dict) -> tuple:
    occurred = row["occurred_at"]
    stamp = occurred.timestamp() if occurred is not None else float("-inf")
    return (-float(row["weight"]), -stamp, row["activity_id"])


def _behaviour_entry(
    beh, rows: list[dict], totals: PersonTotals, cohort: Cohort | None, since: dt.date, until: dt.date
) -> dict:
    rows = sorted(rows, key=_rank_key)
    entry = {
        "id": beh.id,
        "text": beh.text,
        "observable": beh.observable,
        "evidence_count": len(rows),
        "cannot_see": beh.cannot_see,
    }
    if beh.observable:
        j = judge(totals, beh.id, cohort)
        entry.update(
            {
                "strength": j.strength,
                "typical": describe_typical(j.typical_items, cohort, since, until),
                "weight_total": round(sum(float(r["weight"]) for r in rows), 3),
                "evidence": [_evidence_item(r) for r in rows[:BEHAVIOUR_CAP]],
                "evidence_omitted": max(0, len(rows) - BEHAVIOUR_CAP),
            }
        )
    return entry


def _dimension(
    area_id: str,
    dim: Dimension,
    rows: list[dict],
    totals: PersonTotals,
    cohort: Cohort | None,
    since: dt.date,
    until: dt.date,
) -> dict:
    by_behaviour: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_behaviour[row["behaviour_id"]].append(row)
    behaviours = [_behaviour_entry(b, by_behaviour.get(b.id, []), totals, cohort, since, until) for b in dim.behaviours]
    observable = [b for b in behaviours if b["observable"]]
    strength = strongest([b["strength"] for b in observable]) if dim.observable else "none"
    basis = next((b for b in observable if b["strength"] == strength and b["evidence_count"]), None)
    # Grouped by behaviour: every behaviour's best items are listed, so a rare, decisive item is never
    # crowded out by routine ones of another behaviour.
    shown = [item for b in observable for item in b["evidence"]]
    return {
        "id": dim.id,
        "area": area_id,
        "title": dim.title,
        "description": dim.description,
        "observable": dim.observable,
        "strength": strength,
        "score": STRENGTH_SCORES[strength],
        "strength_basis": ({"behaviour_id": basis["id"], "typical": basis["typical"]} if basis else None),
        "weight_total": round(sum(float(r["weight"]) for r in rows), 3),
        "evidence_total": len(rows),
        "evidence_omitted": max(0, len(rows) - len(shown)),
        "evidence": shown,
        "behaviours": behaviours,
        "cannot_show": [
            {"id": b.id, "text": b.text, "why": b.cannot_see or ""} for b in dim.behaviours if not b.observable
        ],
    }


def previous_period(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``since``."""
    return since - (until - since) - dt.timedelta(days=1), since - dt.timedelta(days=1)


def _trend(dim: dict, previous_rows: list[dict], weeks_now: float, weeks_before: float) -> dict:
    """The person's own evidence weight per active week now against their previous period (never anyone else's)."""
    before = sum(float(r["weight"]) for r in previous_rows)
    now_rate, before_rate = dim["weight_total"] / weeks_now, before / weeks_before
    if before_rate == 0 and now_rate == 0:
        change = "same"
    elif before_rate == 0:
        change = "up"
    else:
        ratio = now_rate / before_rate
        change = "up" if ratio >= 1.25 else "down" if ratio <= 0.8 else "same"
    return {"previous_weight_total": round(before, 3), "previous_evidence_total": len(previous_rows), "change": change}


def build_report(
    person: dict,
    evidence: pa.Table,
    rubric: Rubric,
    *,
    since: dt.date,
    until: dt.date,
    generated_at: dt.datetime,
    previous_evidence: pa.Table | None = None,
    calibration: Calibration | None = None,
    warnings: list[dict] | None = None,
) -> dict:
    """One engineer's report for [since, until] as a plain dict following docs/report-schema.md.

    ``calibration`` (``rubric.calibration.calibrate`` over everyone's totals for the same period) gives
    the typical values of the person's cohort that strength is judged against; only those norms are
    read, never anyone's evidence.  Without it, every behaviour with evidence is ``emerging``.
    ``previous_evidence`` (optional, the same person's rows covering ``previous_period``) adds a
    per-dimension trend against that person's own previous period.  ``warnings``: coverage warnings
    (``rubric.coverage``) shown at the top of the report.
    """
    if since > until:
        raise ValueError(f"build_report: since ({since}) is after until ({until}); swap them")
    engineer = _engineer(person)
    rows = _select_rows(engineer["login"], evidence, rubric, since, until)
    by_dim: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_dim[row["dimension_id"]].append(row)
    totals = totals_from_rows(
        engineer["login"], engineer["level"], person.get("start_date"), rows, since=since, until=until
    )
    cohort = calibration.cohort_for(rubric.level or engineer["level"]) if calibration is not None else None

    dimensions = [
        _dimension(area.id, dim, by_dim.get(dim.id, []), totals, cohort, since, until)
        for area, dim in rubric.dimensions()
    ]
    prev_since, prev_until = previous_period(since, until)
    if previous_evidence is not None:
        prev_by_dim: dict[str, list[dict]] = defaultdict(list)
        for row in _select_rows(engineer["login"], previous_evidence, rubric, prev_since, prev_until):
            prev_by_dim[row["dimension_id"]].append(row)
        weeks_before = active_weeks(person.get("start_date"), prev_since, prev_until)
        for dim in dimensions:
            dim["trend"] = _trend(dim, prev_by_dim.get(dim["id"], []), totals.weeks, weeks_before)
    behaviours = [b for d in dimensions for b in d["behaviours"]]
    coverage = {
        "dimensions_total": len(dimensions),
        "dimensions_observable": sum(d["observable"] for d in dimensions),
        "dimensions_with_evidence": sum(d["evidence_total"] > 0 for d in dimensions),
        "behaviours_total": len(behaviours),
        "behaviours_observable": sum(b["observable"] for b in behaviours),
        "behaviours_with_evidence": sum(b["evidence_count"] > 0 for b in behaviours),
        "evidence_items": len(rows),
        "activities": len({r["activity_id"] for r in rows}),
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(generated_at),
        "engineer": engineer,
        "period": {"since": since.isoformat(), "until": until.isoformat()},
        "previous_period": (
            {"since": prev_since.isoformat(), "until": prev_until.isoformat()}
            if previous_evidence is not None
            else None
        ),
        "rubric": {"id": rubric.id, "version": rubric.version, "title": rubric.title, "summary": rubric.summary},
        "scoring": {
            "method": "calibrated" if cohort is not None else "uncalibrated",
            "rule": (
                RULE_SENTENCE.format(
                    cohort=cohort.label if cohort.key != "all" else "everyone", min_items=rubric.scoring.min_items
                )
                if cohort is not None
                else "No organisation-wide calibration was available for this report, so every behaviour with "
                "evidence is shown as emerging."
            ),
            "cohort": cohort.label if cohort is not None else None,
            "solid_lift": rubric.scoring.solid_lift,
            "strong_lift": rubric.scoring.strong_lift,
            "min_items": rubric.scoring.min_items,
            "behaviour_cap": BEHAVIOUR_CAP,
            "active_weeks": round(totals.weeks, 1),
        },
        "coverage_warnings": list(warnings or []),
        "coverage": coverage,
        "areas": [
            {
                "id": a.id,
                "title": a.title,
                "header": a.header or a.title,
                "intro": list(a.intro),
                "footnotes": [f.model_dump() for f in a.footnotes],
            }
            for a in rubric.areas
        ],
        "dimensions": dimensions,
        "cannot_see": {
            "general": list(GENERAL_LIMITS),
            "dimensions": [
                {"id": d["id"], "area": d["area"], "title": d["title"]} for d in dimensions if not d["observable"]
            ],
            "behaviours_not_observable": coverage["behaviours_total"] - coverage["behaviours_observable"],
        },
    }
