"""Dated team and level changes in the roster: enrollment intervals and their validation."""

from __future__ import annotations

import datetime as dt

import pytest

from miners.people.roster import RosterError, parse_roster, roster_records
from miners.records import EnrollmentRecord

FETCHED = dt.datetime(2026, 10, 2, tzinfo=dt.timezone.utc)
ROSTER = """\
teams:
  - {id: search, name: Search}
  - {id: ml, name: ML, jira_components: ["ML/Feature Store"], github_team: acme/ml}
people:
  - id: ana
    name: Ana Lima
    github_id: 42
    team: ml
    level: IC4
    start_date: 2024-01-01
    team_changes:
      - {date: 2025-03-01, from_team: ml, to_team: search}
      - {date: 2026-10-04, from_team: search, to_team: ml}
    level_changes:
      - {date: 2026-10-04, from_level: IC3, to_level: IC4}
"""


def test_changes_become_contiguous_half_open_intervals():
    records = roster_records(parse_roster(ROSTER, "r.yaml"), FETCHED)
    spans = [
        (r.kind, r.value, r.level_rank, r.valid_from, r.valid_to) for r in records if isinstance(r, EnrollmentRecord)
    ]
    d = dt.date
    assert spans == [
        ("team", "ml", None, None, d(2025, 3, 1)),
        ("team", "search", None, d(2025, 3, 1), d(2026, 10, 4)),
        ("team", "ml", None, d(2026, 10, 4), None),
        ("level", "IC3", 3, None, d(2026, 10, 4)),
        ("level", "IC4", 4, d(2026, 10, 4), None),
    ]
    assert len({r.source_id for r in records}) == len(records)


@pytest.mark.parametrize(
    "old,new,where,words",
    [
        (
            "to_team: search}",
            "to_team: serch}",
            "r.yaml:12: people[0].team_changes[0].to_team",
            ["unknown team 'serch'"],
        ),
        (
            "date: 2026-10-04, from_team",
            "date: 2025-02-01, from_team",
            "r.yaml:13: people[0].team_changes[1].date",
            ["not after the previous change"],
        ),
        (
            "from_team: search, to_team: ml",
            "from_team: ml, to_team: ml",
            "people[0].team_changes[1].from_team",
            ["does not follow the previous change"],
        ),
        (
            "to_level: IC4}",
            "to_level: IC5}",
            "r.yaml:15: people[0].level_changes[0].to_level",
            ["the last change moves to 'IC5' but the current level is 'IC4'"],
        ),
        ("date: 2025-03-01", "date: 2023-03-01", "people[0].team_changes[0].date", ["before start_date 2024-01-01"]),
        (
            '["ML/Feature Store"]',
            '["Feature Store"]',
            "r.yaml:3: teams[1].jira_components[0]",
            ["does not name its project"],
        ),
    ],
)
def test_bad_history_is_reported_with_line_and_fix(old, new, where, words):
    assert old in ROSTER
    with pytest.raises(RosterError) as info:
        parse_roster(ROSTER.replace(old, new, 1), "r.yaml")
    assert where in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_a_github_id_claimed_twice_is_an_error():
    text = ROSTER + "  - {id: bo, name: Bo, github_id: 42}\n"
    with pytest.raises(RosterError, match=r"people\[1\].github_id: 42 also belongs to people\[0\] \(ana\)"):
        parse_roster(text, "r.yaml")
