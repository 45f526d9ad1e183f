"""No peer HR data in reports (issue 16, item 5): a report never shows another person's level or start date.

The probe found 240 reasons across 20 reports like "<login>'s level rank 1 is below the reviewer's 2;
<login> started 2026-08-16".  A generated company is synced end to end and every report it gets (Markdown,
HTML and JSON) is searched for any other roster person's level or start date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flows.sources import read_roster
from flows.stages import report_stem
from sandbox.generate import generate_world
from tests.support.synced import synced_world

# Dates a report may show: the period, its own activities and the facts about them, its own start date.
_OWN_DATE_KEYS = {
    "occurred_at",
    "since",
    "until",
    "generated_at",
    "first_day",
    "last_day",
    "active_from",
    "active_until",
    "start_date",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ACTIVITY_FACT = re.compile(r"(?:resolved|due|postmortems/)\W*(\d{4}-\d{2}-\d{2})")


def own_dates(report: dict) -> set[str]:
    """Every date the report holds about its own person: structured dates and the facts of their activities."""
    found: set[str] = set()

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if key in _OWN_DATE_KEYS:
                found.update(_DATE.findall(value))
            found.update(_ACTIVITY_FACT.findall(value))

    walk(report)
    return found


def peer_hr_leaks(text: str, me: str, people: list[dict], allowed_dates: set[str]) -> list[str]:
    """Places where ``text`` (a report of ``me``) shows another roster person's level, rank or start date."""
    leaks = [m.group(0) for m in re.finditer(r"(?i)\blevel[ _]rank\b|\brank \d", text)]
    for person in people:
        if person["id"] == me:
            continue
        name, day, level = re.escape(person["id"]), str(person["start_date"]), person.get("level")
        patterns = [
            rf"(?i)\bstart(?:ed|s)?\b(?: on)?\W{{0,3}}{day}",
            rf"(?i)\b{name}\b(?:'s)?\W+(?:level|rank|started|start date|joined|tenure)\b",
        ]
        if level:
            patterns.append(rf"\b{name}\b[^\n]{{0,40}}\b{re.escape(level)}\b")
        for pattern in patterns:
            leaks += [f"{person['id']}: {m.group(0)}" for m in re.finditer(pattern, text)]
        if day in text and day not in allowed_dates:
            leaks.append(f"{person['id']}: start date {day}")
    return leaks


def test_the_detector_finds_what_the_old_reasons_said():
    people = [
        {"id": "bo", "level": "IC2", "start_date": "2026-08-16"},
        {"id": "ana", "level": "IC4", "start_date": "2021-05-03"},
    ]
    old = (
        "substantive review on bo's PR: bo's level rank 2 is below the reviewer's 4; "
        "bo started 2026-08-16, 20 days before"
    )
    assert len(peer_hr_leaks(old, "ana", people, set())) >= 3
    assert peer_hr_leaks("bo is IC2 now", "ana", people, set())
    assert peer_hr_leaks("2026-08-16 · some title", "ana", people, set())  # a date nothing explains
    new = "substantive review of a newer, less senior teammate's change"
    assert peer_hr_leaks(new, "ana", people, set()) == []
    assert peer_hr_leaks("- 2026-08-16 · title", "ana", people, {"2026-08-16"}) == []  # ana's own activity date
    assert peer_hr_leaks("You started on 2021-05-03", "ana", people, {"2021-05-03"}) == []  # ana's own


@pytest.fixture(scope="module")
def demo(tmp_path_factory, trained_models):
    world = generate_world(engineers=12, months=2, seed=7)
    with synced_world(world, tmp_path_factory.mktemp("privacy"), reports=True, models=trained_models) as s:
        roster = read_roster(s.config)
        people = [
            {"id": p.id, "level": p.level, "start_date": p.start_date.isoformat() if p.start_date else "none"}
            for p in roster.people
        ]
        yield s.config.reports_dir, people


@pytest.mark.slow  # a generated company synced end to end, every report searched
def test_no_report_shows_another_persons_level_or_start_date(demo):
    reports_dir, people = demo
    checked, leaks, mentorship = 0, {}, 0
    for person in people:
        stem = report_stem(person["id"])
        report_json = reports_dir / f"{stem}.json"
        if not report_json.exists():
            continue
        allowed = own_dates(json.loads(report_json.read_text(encoding="utf-8")))
        for fmt in ("md", "html", "json"):
            text = Path(reports_dir / f"{stem}.{fmt}").read_text(encoding="utf-8")
            checked += 1
            mentorship += text.count("teammate's change")
            found = peer_hr_leaks(text, person["id"], people, allowed)
            if found:
                leaks[f"{stem}.{fmt}"] = found[:5]
    # Every report of the company, in every format: one per IC (reports.rubrics' default; managers get a
    # team page, which is theirs to read).
    ics = [p for p in people if (p["level"] or "").startswith("IC")]
    assert checked == 3 * len(ics) and len(ics) >= 9
    assert leaks == {}
    assert mentorship > 0  # mentorship evidence is there, described by the work
