"""A manager's team page and a 1:1 prep sheet per report, built from the people's own reports.

The team page lists everyone in a manager's subtree **grouped by team, alphabetically, never ranked or
sorted by any number**: per person their calibrated strengths, monthly activity (sparklines) and the
load they carry for others — reviews given against received, incidents commanded, SEV roles,
requests from other teams — with flags for possible *overload*, never for low output.  The prep
sheet is one person's page for a 1:1: role changes, highlights, what to ask about, room for notes.

Flags compare a person only with fixed thresholds and with themselves (their own reviews received,
their own other months), never with teammates.  Thresholds are per 90 days and scale with the period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rubric.charts import SERIES_COLOURS, SERIES_LABELS, sparkline
from warehouse.reporting import LOAD_FACTS  # what a person carries for others

TEAM_SCHEMA_VERSION = "1"

# Overload thresholds, per 90 days of the period (scaled to its length).
REVIEW_LOAD_MIN = 20  # reviews given ...
REVIEW_LOAD_RATIO = 2.0  # ... at least this many times the reviews received
INCIDENTS_COMMANDED_MIN = 2
SEV_ROLES_MIN = 4  # incidents with any role
SEV_HIGH_MIN = 2  # SEV1/SEV2 incidents with any role
CROSS_TEAM_REVIEWS_MIN = 10
CROSS_TEAM_TICKETS_MIN = 5
DROP_SHARE = 0.5  # a full month under half the person's own average of their other full months ...
DROP_MIN_AVERAGE = 4  # ... when that average is at least this


def load_rules() -> list[str]:
    """The flag rules in words, printed on every team page and prep sheet."""
    return [
        f"review load: gives at least {REVIEW_LOAD_MIN} reviews and {REVIEW_LOAD_RATIO:g}× the reviews they receive",
        f"incident command: commanded at least {INCIDENTS_COMMANDED_MIN} incidents",
        f"SEV load: a role on at least {SEV_ROLES_MIN} incidents, or on {SEV_HIGH_MIN} SEV1/SEV2",
        f"cross-team requests: at least {CROSS_TEAM_REVIEWS_MIN} review requests from other teams, or "
        f"{CROSS_TEAM_TICKETS_MIN} tickets in other teams' projects",
    ]


def load_flags(facts: dict[str, int], days: int) -> list[str]:
    """Possible overload in ``facts`` (``Warehouse.query_load_facts`` of one person) over a period of ``days``."""
    scale = max(days, 1) / 90.0

    def at_least(n: float) -> float:
        return max(1.0, n * scale)

    f = {k: int(facts.get(k, 0)) for k in facts}
    flags = []
    given, received = f.get("reviews_given", 0), f.get("reviews_received", 0)
    if given >= at_least(REVIEW_LOAD_MIN) and given >= REVIEW_LOAD_RATIO * max(received, 1):
        flags.append(f"review load: gives {given} reviews, receives {received}")
    if f.get("incidents_commanded", 0) >= at_least(INCIDENTS_COMMANDED_MIN):
        flags.append(f"incident command: commanded {f['incidents_commanded']} incidents")
    if f.get("incident_roles", 0) >= at_least(SEV_ROLES_MIN) or f.get("sev_high", 0) >= at_least(SEV_HIGH_MIN):
        flags.append(f"SEV load: a role on {f.get('incident_roles', 0)} incidents ({f.get('sev_high', 0)} SEV1/SEV2)")
    cross_reviews, cross_tickets = f.get("cross_team_review_requests", 0), f.get("cross_team_tickets", 0)
    if cross_reviews >= at_least(CROSS_TEAM_REVIEWS_MIN) or cross_tickets >= at_least(CROSS_TEAM_TICKETS_MIN):
        flags.append(
            f"cross-team requests: {cross_reviews} review requests from other teams, "
            f"{cross_tickets} tickets in other teams' projects"
        )
    return flags


def _full_months(activity: dict[str, Any] | None, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    if not activity:
        return []
    out = []
    for m in activity["months"]:
        year, month = (int(x) for x in m["month"].split("-"))
        first = dt.date(year, month, 1)
        last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        if since <= first and last <= until:
            out.append(m)
    return out


def activity_drops(report: dict[str, Any]) -> list[str]:
    """Full months where a series fell under half of the person's own average of their other full months."""
    since = dt.date.fromisoformat(report["period"]["since"])
    until = dt.date.fromisoformat(report["period"]["until"])
    months = _full_months(report.get("activity"), since, until)
    drops: list[str] = []
    if len(months) < 3:
        return drops
    for series in report["activity"]["series"]:
        for m in months:
            others = [o[series] for o in months if o is not m]
            average = sum(others) / len(others)
            if average >= DROP_MIN_AVERAGE and m[series] < DROP_SHARE * average:
                drops.append(
                    f"{SERIES_LABELS[series]} fell to {m[series]} in {m['month']} "
                    f"(about {average:.0f} a month otherwise)"
                )
    return drops


def person_summary(report: dict[str, Any] | None, person: dict[str, Any], facts: dict[str, int], days: int) -> dict:
    """One person's line on a team page: strengths, monthly activity, load and flags (no rank, no score)."""
    summary: dict[str, Any] = {
        "login": person["person_id"],
        "name": person.get("name") or person["person_id"],
        "level": person.get("level"),
        "has_report": report is not None,
        "load": {k: int(facts.get(k, 0)) for k in LOAD_FACTS},
        "flags": load_flags(facts, days),
    }
    if report is None:
        summary.update(
            strengths=[], emerging=0, quiet=0, role_changes=[], started=None, left=None, activity=None, drops=[]
        )
        return summary
    observable = [d for d in report["dimensions"] if d["observable"]]
    summary.update(
        strengths=[
            {"dimension_id": d["id"], "title": d["title"], "strength": d["strength"]}
            for d in observable
            if d["strength"] in ("solid", "strong")
        ],
        emerging=sum(d["strength"] == "emerging" for d in observable),
        quiet=sum(d["strength"] == "none" for d in observable),
        role_changes=[c for c in report["role_history"]["changes"] if c["in_period"]],
        started=report["role_history"]["start_date"] if report["role_history"]["started_in_period"] else None,
        left=report["role_history"]["end_date"] if report["role_history"]["left_in_period"] else None,
        activity=report.get("activity"),
        drops=activity_drops(report),
    )
    return summary


def _alphabetical(people: list[dict]) -> list[dict]:
    return sorted(people, key=lambda p: (p["name"].casefold(), p["login"]))


def build_team_page(
    manager: dict[str, Any],
    teams: dict[str, tuple[str, list[dict[str, Any]]]],
    *,
    moved_away: list[dict[str, Any]],
    since: dt.date,
    until: dt.date,
    generated_at: str,
) -> dict[str, Any]:
    """The team page of ``manager``: ``teams`` maps team id to (name, person summaries); teams by name and people
    by name, alphabetically.  ``moved_away``: people who were on the manager's teams in the period and are
    no longer below them (``login``, ``name``, ``team_name``, ``until``: their last day on it)."""
    return {
        "schema_version": TEAM_SCHEMA_VERSION,
        "kind": "team_page",
        "generated_at": generated_at,
        "manager": {"login": manager["person_id"], "name": manager.get("name") or manager["person_id"]},
        "period": {"since": since.isoformat(), "until": until.isoformat(), "days": (until - since).days + 1},
        "order": "teams by name, people by name: alphabetical, never by any number",
        "load_rules": load_rules(),
        "teams": [
            {"id": tid, "name": name, "people": _alphabetical(people)}
            for tid, (name, people) in sorted(teams.items(), key=lambda kv: (kv[1][0].casefold(), kv[0]))
        ],
        "moved_away": _alphabetical(moved_away),
    }


def sparklines(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per series a sparkline of the person's months (the team page's HTML)."""
    activity = summary.get("activity")
    if not activity:
        return []
    return [
        {
            "label": SERIES_LABELS[s],
            "spark": sparkline([m[s] for m in activity["months"]], SERIES_COLOURS[s]),
            "total": sum(m[s] for m in activity["months"]),
        }
        for s in activity["series"]
    ]


def prep_sheet(report: dict[str, Any], facts: dict[str, int]) -> dict[str, Any]:
    """One person's 1:1 prep sheet from their own report: role changes, highlights, what to ask about."""
    days = report["period"]["days"]
    ask = []
    for d in report["dimensions"]:
        trend = d.get("trend")
        if trend and trend["change"] == "down":
            ask.append(
                f"{d['title']}: less evidence than in the previous period "
                f"({trend['previous_evidence_total']} then, {d['evidence_total']} now)"
            )
    ask += activity_drops(report)
    ask += load_flags(facts, days)
    ask += [w["message"] for w in report.get("coverage_warnings") or []]
    quiet: dict[str, list[str]] = {}
    for b in report["highlights"]["no_evidence"]:
        quiet.setdefault(b["dimension_title"], []).append(b["text"])
    return {
        "report": report,
        "strengths": report["highlights"]["strengths"],
        "items": [item for group in report["highlights"]["items"] for item in group["items"]][:6],
        "ask": ask,
        "quiet": list(quiet.items()),
        "load": {k: int(facts.get(k, 0)) for k in LOAD_FACTS},
    }
