"""A person who left: ``end_date`` closes their team and level intervals and is checked against their history."""

from __future__ import annotations

import datetime as dt

import pytest

from miners.people.people_csv import parse_people_csv, people_to_csv
from miners.people.roster import RosterError, parse_roster, roster_records
from miners.records import EnrollmentRecord

FETCHED = dt.datetime(2026, 10, 2, tzinfo=dt.timezone.utc)
ROSTER = """\
teams:
  - {id: search, name: Search}
  - {id: ml, name: ML}
people:
  - id: ana
    name: Ana Lima
    team: ml
    level: IC4
    start_date: 2024-01-01
    end_date: 2026-09-11
    team_changes:
      - {date: 2026-08-03, from_team: search, to_team: ml}
"""


def test_end_date_closes_the_last_intervals_the_day_after():
    records = roster_records(parse_roster(ROSTER, "r.yaml"), FETCHED)
    spans = [(r.kind, r.value, r.valid_from, r.valid_to) for r in records if isinstance(r, EnrollmentRecord)]
    d = dt.date
    assert spans == [
        ("team", "search", None, d(2026, 8, 3)),
        ("team", "ml", d(2026, 8, 3), d(2026, 9, 12)),
        ("level", "IC4", None, d(2026, 9, 12)),
    ]


@pytest.mark.parametrize(
    "old,new,words",
    [
        ("end_date: 2026-09-11", "end_date: 2023-12-31", "is before start_date 2024-01-01"),
        ("end_date: 2026-09-11", "end_date: 2026-08-01", "2026-08-03 is after end_date 2026-08-01"),
    ],
)
def test_end_date_must_follow_start_and_changes(old, new, words):
    with pytest.raises(RosterError, match=words):
        parse_roster(ROSTER.replace(old, new), "r.yaml")


def test_csv_round_trips_end_date():
    entry = {"id": "ana", "name": "Ana", "team": "ml", "start_date": "2024-01-01", "end_date": "2026-09-11"}
    parsed, problems = parse_people_csv(people_to_csv([entry]))
    assert not problems and parsed.people[0]["end_date"] == "2026-09-11"
