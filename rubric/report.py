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
from rubric.highlights import highlights
from rubric.history import empty_history, role_history
from rubric.model import Dimension, Rubric

log = logging.getLogger(__name__)

SCHEMA_VERSION = "3"
BEHAVIOUR_CAP = 5  # evidence items listed per behaviour (best first); the rest are counted

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
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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
    shown = sum(len(b["evidence"]) for b in observable)
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
        "evidence_omitted": max(0, len(rows) - shown),
        "behaviours": behaviours,
        "cannot_show": [
            {"id": b.id, "text": b.text, "why": b.cannot_see or ""} for b in dim.behaviours if not b.observable
        ],
    }


def previous_period(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same calendar length that ends the day before ``since``.

    Whole calendar months (a month, a quarter, a year: ``since`` on the 1st, ``until`` on a month's last
    day) go back by the same number of months, so a calendar quarter's previous period is the previous
    calendar quarter; any other period goes back by its number of days.  One-day periods are allowed."""
    day = dt.timedelta(days=1)
    if since.day == 1 and (until + day).day == 1:
        months = (until.year - since.year) * 12 + until.month - since.month + 1
        index = since.year * 12 + since.month - 1 - months
        return dt.date(index // 12, index % 12 + 1, 1), since - day
    return since - (until - since) - day, since - day


def _trend(
    dim: dict, previous_rows: list[dict], weeks_now: float, weeks_before: float, previous_strength: str | None
) -> dict:
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
    return {
        "previous_weight_total": round(before, 3),
        "previous_evidence_total": len(previous_rows),
        "previous_strength": previous_strength,
        "change": change,
    }


def _previous_strengths(
    person: dict,
    rows: list[dict],
    rubric: Rubric,
    calibration: Calibration | None,
    level: str | None,
    since: dt.date,
    until: dt.date,
) -> dict[str, str | None]:
    """Each dimension's calibrated strength in the previous period (None without that period's norms)."""
    if calibration is None:
        return {dim.id: None for _, dim in rubric.dimensions()}
    cohort = calibration.cohort_for(rubric.level or level)
    totals = totals_from_rows(
        person["person_id"],
        level,
        person.get("start_date"),
        rows,
        since=since,
        until=until,
        parents=calibration.parents,
    )
    out: dict[str, str | None] = {}
    for _, dim in rubric.dimensions():
        observable = [b for b in dim.behaviours if b.observable]
        out[dim.id] = strongest([judge(totals, b.id, cohort).strength for b in observable]) if observable else "none"
    return out


def _months(since: dt.date, until: dt.date) -> list[str]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _activity(monthly: dict[str, dict[str, int]] | None, since: dt.date, until: dt.date) -> dict | None:
    """Every month of the period (zeros included) with the person's PRs, reviews, tickets and incidents."""
    if monthly is None:
        return None
    series = ("pull_requests", "reviews", "tickets", "incidents")
    return {
        "series": list(series),
        "months": [
            {"month": m, **{s: int((monthly.get(m) or {}).get(s, 0)) for s in series}} for m in _months(since, until)
        ],
    }


def _rule(cohort: Cohort | None, rubric: Rubric) -> str:
    if cohort is None:
        return (
            "No organisation-wide calibration was available for this report, so every behaviour with "
            "evidence is shown as emerging."
        )
    return RULE_SENTENCE.format(
        cohort=cohort.label if cohort.key != "all" else "everyone", min_items=rubric.scoring.min_items
    )


def report_title(rubric: Rubric) -> str:
    """What a report is: evidence for a rubric (its short title), never the person's level."""
    return f"Evidence for the {rubric.short_title or rubric.title} rubric"


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
    previous_calibration: Calibration | None = None,
    warnings: list[dict] | None = None,
    enrollments: list[dict] | None = None,
    activity: dict[str, dict[str, int]] | None = None,
    access_note: str | None = None,
) -> dict:
    """One engineer's report for [since, until] (both inclusive; one day is a period) as a plain dict
    following docs/report-schema.md.

    ``calibration`` (``rubric.calibration.calibrate`` over everyone's totals for the same period) gives
    the typical values of the person's cohort that strength is judged against; only those norms are
    read, never anyone's evidence.  Without it, every behaviour with evidence is ``emerging``.
    ``previous_evidence`` (the same person's rows covering ``previous_period``; pass it only when the
    warehouse covers that period) adds a per-dimension trend against the person's own previous period,
    with the strength then when ``previous_calibration`` (that period's norms) is given.
    ``warnings``: coverage warnings (``rubric.coverage``) shown at the top of the report.
    ``enrollments``: the person's dated team and level intervals (``Warehouse.query_enrollments``) for the
    role history; ``activity``: their ``{"YYYY-MM": {series: count}}`` (``Warehouse.query_monthly_activity``)
    for the timeline; ``access_note``: why the period is narrower than asked (a former manager's part).
    """
    if since > until:
        raise ValueError(f"build_report: since ({since}) is after until ({until}); swap them")
    engineer = _engineer(person)
    rows = _select_rows(engineer["login"], evidence, rubric, since, until)
    by_dim: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_dim[row["dimension_id"]].append(row)
    totals = totals_from_rows(
        engineer["login"],
        engineer["level"],
        person.get("start_date"),
        rows,
        since=since,
        until=until,
        parents=calibration.parents if calibration is not None else None,
    )
    cohort = calibration.cohort_for(rubric.level or engineer["level"]) if calibration is not None else None

    dimensions = [
        _dimension(area.id, dim, by_dim.get(dim.id, []), totals, cohort, since, until)
        for area, dim in rubric.dimensions()
    ]
    prev_since, prev_until = previous_period(since, until)
    prev_by_dim: dict[str, list[dict]] = defaultdict(list)
    if previous_evidence is not None:
        prev_rows = _select_rows(engineer["login"], previous_evidence, rubric, prev_since, prev_until)
        for row in prev_rows:
            prev_by_dim[row["dimension_id"]].append(row)
        weeks_before = active_weeks(person.get("start_date"), prev_since, prev_until)
        before = _previous_strengths(
            person, prev_rows, rubric, previous_calibration, engineer["level"], prev_since, prev_until
        )
        for dim in dimensions:
            dim["trend"] = _trend(dim, prev_by_dim.get(dim["id"], []), totals.weeks, weeks_before, before[dim["id"]])
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
    history = (
        role_history(enrollments, start_date=person.get("start_date"), since=since, until=until)
        if enrollments is not None
        else empty_history(person.get("start_date"))
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "title": report_title(rubric),
        "generated_at": _iso(generated_at),
        "engineer": engineer,
        "role_history": history,
        "period": {"since": since.isoformat(), "until": until.isoformat(), "days": (until - since).days + 1},
        "previous_period": {
            "since": prev_since.isoformat(),
            "until": prev_until.isoformat(),
            "covered": previous_evidence is not None,
        },
        "access_note": access_note,
        "rubric": {
            "id": rubric.id,
            "version": rubric.version,
            "title": rubric.title,
            "short_title": rubric.short_title or rubric.title,
            "summary": rubric.summary,
            "source": rubric.source,
        },
        "scoring": {
            "method": "calibrated" if cohort is not None else "uncalibrated",
            "rule": _rule(cohort, rubric),
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
                "evidence_total": sum(len(by_dim.get(d.id, [])) for d in a.dimensions),
                "previous_evidence_total": (
                    sum(len(prev_by_dim.get(d.id, [])) for d in a.dimensions) if previous_evidence is not None else None
                ),
            }
            for a in rubric.areas
        ],
        "highlights": highlights(dimensions),
        "activity": _activity(activity, since, until),
        "dimensions": dimensions,
        "cannot_see": {
            "general": list(GENERAL_LIMITS),
            "dimensions": [
                {"id": d["id"], "area": d["area"], "title": d["title"]} for d in dimensions if not d["observable"]
            ],
            "behaviours_not_observable": coverage["behaviours_total"] - coverage["behaviours_observable"],
        },
    }
