"""Dated ownership: the roster's ownership_changes, their validation, and cross-team as of each date."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from classifiers import classify_activities
from miners.base import Batch
from miners.people.people_csv import people_to_csv
from miners.people.roster import RosterError, parse_roster, read_roster, roster_records
from miners.records import OwnershipRecord
from sandbox.roster import dump_roster, roster_from_world
from tests.support.batches import github_batches, jira_batches
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
ROSTER = """\
teams:
  - {id: search, name: Search, repos: ["acme/search-*"], jira_projects: [SRCH]}
  - {id: ml, name: ML, repos: ["acme/trainer"], jira_projects: [ML]}
  - {id: infra, name: Infra}
people:
  - {id: ana, name: Ana, team: ml}
ownership_changes:
  - {date: 2026-03-01, repo: acme/trainer, from_team: search, to_team: infra}
  - {date: 2026-10-10, repo: acme/trainer, from_team: infra, to_team: ml}
  - {date: 2026-05-01, jira_project: SRCH, from_team: ml, to_team: search}
"""


def test_changes_become_owner_intervals_that_end_at_the_current_owner():
    records = [r for r in roster_records(parse_roster(ROSTER, "r.yaml"), FETCHED) if isinstance(r, OwnershipRecord)]
    d = dt.date
    assert [(r.kind, r.pattern, r.team_id, r.valid_from, r.valid_to) for r in records] == [
        ("repo", "acme/trainer", "search", None, d(2026, 3, 1)),
        ("repo", "acme/trainer", "infra", d(2026, 3, 1), d(2026, 10, 10)),
        ("repo", "acme/trainer", "ml", d(2026, 10, 10), None),
        ("jira_project", "SRCH", "ml", None, d(2026, 5, 1)),
        ("jira_project", "SRCH", "search", d(2026, 5, 1), None),
    ]
    assert len({r.source_id for r in records}) == len(records)
    assert not [
        r
        for r in roster_records(parse_roster(ROSTER.split("ownership_changes")[0], "r.yaml"), FETCHED)
        if isinstance(r, OwnershipRecord)
    ]


@pytest.mark.parametrize(
    "old,new,where,words",
    [
        (
            "from_team: search, to_team: infra",
            "from_team: serch, to_team: infra",
            "r.yaml:8: ownership_changes[0].from_team",
            ["unknown team 'serch'", "use one of: infra, ml, search"],
        ),
        (
            "date: 2026-10-10",
            "date: 2026-02-01",
            "r.yaml:9: ownership_changes[1].date",
            ["not after the previous change of 'acme/trainer' (2026-03-01)"],
        ),
        (
            "from_team: infra, to_team: ml",
            "from_team: search, to_team: ml",
            "r.yaml:9: ownership_changes[1].from_team",
            ["'search' does not follow the previous change of 'acme/trainer', which moved it to 'infra'"],
        ),
        (
            "from_team: ml, to_team: search",
            "from_team: ml, to_team: infra",
            "r.yaml:10: ownership_changes[2].to_team",
            ["moves it to 'infra', but that team's jira_projects do not include it"],
        ),
        (
            "repo: acme/trainer, from_team: search",
            "jira_project: ML, repo: acme/trainer, from_team: search",
            "r.yaml:8: ownership_changes[0]",
            ["give exactly one of repo: or jira_project:"],
        ),
        (
            "repo: acme/trainer, from_team: infra",
            "repo: trainer, from_team: infra",
            "ownership_changes[1].repo",
            ["does not name its org"],
        ),
        ("- {date: 2026-05-01,", "- {on_date: 2026-05-01,", "r.yaml:10: ownership_changes[2].on_date", ["unknown key"]),
        (
            "from_team: infra, to_team: ml",
            "from_team: infra, to_team: infra",
            "ownership_changes[1].to_team",
            ["both 'infra'"],
        ),
    ],
)
def test_a_bad_ownership_change_is_reported_with_file_line_key_and_fix(old, new, where, words):
    assert old in ROSTER
    with pytest.raises(RosterError) as info:
        parse_roster(ROSTER.replace(old, new, 1), "r.yaml")
    message = str(info.value)
    assert where in message, message
    for word in words:
        assert word in message, message


def test_every_ownership_problem_is_listed_at_once():
    bad = ROSTER.replace("to_team: infra}", "to_team: infa}").replace(
        "from_team: ml, to_team: search", "from_team: mll, to_team: ml"
    )
    with pytest.raises(RosterError) as info:
        parse_roster(bad, "r.yaml")
    message = str(info.value)
    assert "(4 problems)" in message, message
    for expected in (
        "r.yaml:8: ownership_changes[0].to_team: unknown team 'infa'",
        "r.yaml:9: ownership_changes[1].from_team: 'infra' does not follow",
        "r.yaml:10: ownership_changes[2].from_team: unknown team 'mll'",
        "r.yaml:10: ownership_changes[2].to_team: the last change of 'SRCH' moves it to 'ml'",
    ):
        assert expected in message, message


def test_the_teams_yaml_of_a_csv_roster_takes_ownership_changes(tmp_path):
    doc = yaml.safe_load(ROSTER)
    (tmp_path / "people.csv").write_text(people_to_csv(doc.pop("people")), encoding="utf-8")
    (tmp_path / "teams.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    roster = read_roster(tmp_path / "people.csv", teams=tmp_path / "teams.yaml")
    assert [c.pattern for c in roster.ownership_changes] == ["acme/trainer", "acme/trainer", "SRCH"]
    doc["ownership_changes"][0]["to_team"] = "nobody"
    (tmp_path / "teams.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RosterError, match=r"teams\.yaml:\d+: ownership_changes\[0\]\.to_team: unknown team"):
        read_roster(tmp_path / "people.csv", teams=tmp_path / "teams.yaml")


def _world_roster(changes: list[dict] | None) -> str:
    """tiny_world's roster; search-api (owned by search now) and SRCH belonged to ml-platform before."""
    doc = roster_from_world(tiny_world())
    if changes is not None:
        doc["ownership_changes"] = changes
    return dump_roster(doc)


MOVES = [
    {"date": "2026-10-10", "repo": "acme/search-api", "from_team": "ml-platform", "to_team": "search"},
    {"date": "2026-10-09", "jira_project": "SRCH", "from_team": "ml-platform", "to_team": "search"},
]


def _batches(roster_text: str) -> list[Batch]:
    records = tuple(roster_records(parse_roster(roster_text, "roster.yaml"), FETCHED))
    world = tiny_world()
    return [
        Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True),
        *github_batches(world),
        *jira_batches(world),
    ]


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    path = tmp_path_factory.mktemp("owned") / "w.duckdb"
    with open_warehouse(path) as wh:
        for batch in _batches(_world_roster(MOVES)):
            wh.load_batch(batch)
        rows = {r["activity_id"]: r for r in wh.query_activities().to_pylist()}
        labels = classify_activities(wh.query_activities(), use_models=False).to_pylist()
        again = [wh.load_batch(batch) for batch in _batches(_world_roster(MOVES))]
        rows_again = {r["activity_id"]: r for r in wh.query_activities().to_pylist()}
        intervals = wh.con.execute(
            "SELECT kind, pattern, team_id, valid_from, valid_to, is_dated FROM dim_ownership "
            "ORDER BY is_dated DESC, kind, pattern, valid_from NULLS FIRST"
        ).fetchall()
        repo_owner = dict(wh.con.execute("SELECT repo, team_id FROM dim_repo").fetchall())
    return (
        rows,
        {r["activity_id"] for r in labels if r["label"] in ("cross_team", "cross_team.feedback")},
        again,
        rows_again,
        intervals,
        repo_owner,
    )


def test_a_moved_repo_is_cross_team_before_the_move_and_not_after(moved):
    rows, cross, *_ = moved
    before, after = rows["gh:review:5004"], rows["gh:pr:acme/search-api#8"]  # cyd (search): Oct 5, Oct 20
    assert (before["person_team_id"], before["container_team_id"]) == ("search", "ml-platform")
    assert (after["person_team_id"], after["container_team_id"]) == ("search", "search")
    assert "gh:review:5004" in cross and "gh:pr:acme/search-api#8" not in cross
    # Ana (ml-platform) on search-api before the move was on her own team's repo
    assert rows["gh:pr:acme/search-api#7"]["container_team_id"] == "ml-platform"
    assert "gh:pr:acme/search-api#7" not in cross
    # repos that never moved keep their undated owner
    assert {r["container_team_id"] for r in rows.values() if r["container"] == "acme/trainer"} == {"ml-platform"}


def test_a_moved_jira_project_is_owned_by_the_team_of_each_date(moved):
    rows, cross, *_ = moved
    srch = {a: r for a, r in rows.items() if r["container"] == "SRCH"}
    assert srch and all(
        r["container_team_id"] == ("ml-platform" if r["occurred_at"].date() < dt.date(2026, 10, 9) else "search")
        for r in srch.values()
    )
    assert rows["jira:ticket:SRCH-2"]["person_team_id"] == "search"  # cyd, Oct 6: before the move
    assert "jira:ticket:SRCH-2" in cross
    expected = {
        a
        for a, r in rows.items()
        if r["person_team_id"] and r["container_team_id"] and r["person_team_id"] != r["container_team_id"]
    }
    assert {a for a in cross if a in rows} == expected


def test_the_interval_table_and_a_second_sync_that_changes_nothing(moved):
    rows, _cross, again, rows_again, intervals, repo_owner = moved
    d = dt.date
    assert intervals[:4] == [
        ("jira_project", "SRCH", "ml-platform", None, d(2026, 10, 9), True),
        ("jira_project", "SRCH", "search", d(2026, 10, 9), None, True),
        ("repo", "acme/search-api", "ml-platform", None, d(2026, 10, 10), True),
        ("repo", "acme/search-api", "search", d(2026, 10, 10), None, True),
    ]
    assert ("repo", "acme/trainer", "ml-platform", None, None, False) in intervals
    assert repo_owner["acme/search-api"] == "search"  # dim_repo keeps the current owner
    assert all(r.inserted == r.updated == r.deleted == 0 for r in again)
    assert rows_again == rows


def test_without_ownership_changes_the_owner_is_the_current_one_and_dropping_changes_unloads_them(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        for batch in _batches(_world_roster(MOVES)):
            wh.load_batch(batch)
        result = wh.load_batch(_batches(_world_roster(None))[0])
        assert result.deleted == 4
        assert wh.con.execute("SELECT count(*) FROM dim_ownership WHERE is_dated").fetchall() == [(0,)]
        current = dict(wh.con.execute("SELECT repo, team_id FROM dim_repo").fetchall())
        current.update(wh.con.execute("SELECT project, team_id FROM dim_jira_project").fetchall())
        rows = wh.query_activities().to_pylist()
    assert rows and all(r["container_team_id"] == current.get(r["container"]) for r in rows)
