"""Roster input: validation with useful errors, records, and the sandbox's generated roster."""

from __future__ import annotations

import datetime as dt
import fnmatch
import textwrap
from pathlib import Path

import pytest
import yaml

from miners.people.roster import DEFAULT_LEVELS, RosterError, read_roster, roster_records
from miners.records import PersonRecord, TeamRecord
from sandbox.generate import generate_world
from sandbox.roster import dump_roster, roster_from_world
from tests.support.worlds import tiny_world

FETCHED = dt.datetime(2026, 10, 2, 3, 0, tzinfo=dt.timezone.utc)

GOOD = """\
levels:
  Staff: 5
teams:
  - id: engineering
    name: Engineering
  - id: ml-platform
    name: ML Platform
    parent: engineering
    repos: ["acme/trainer*", "acme/ml-pipelines"]
    jira_projects: [ML]
people:
  - id: dana
    name: Dana Okafor
    emails: [Dana@Acme.test, dana.okafor@acme.test]
    github_logins: [dana]
    jira_account_ids: [acc-dana]
    team: ml-platform
    level: M1
    start_date: 2019-03-01
  - id: zoe
    name: Zoë Müller
    github_logins: [zoe-m]
    team: ml-platform
    manager: dana
    level: Staff
    start_date: "2026-08-03"
  - id: ci-bot
    name: CI robot
    github_logins: [acme-ci]
    service_account: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_roster_gives_team_and_person_records(tmp_path):
    roster = read_roster(_write(tmp_path, GOOD))
    records = roster_records(roster, FETCHED)
    teams = [r for r in records if isinstance(r, TeamRecord)]
    people = {r.person_id: r for r in records if isinstance(r, PersonRecord)}
    assert [t.team_id for t in teams] == ["engineering", "ml-platform"]
    assert teams[1].parent_id == "engineering" and teams[1].repo_globs == ("acme/trainer*", "acme/ml-pipelines")
    assert teams[1].jira_projects == ("ML",)
    assert set(people) == {"dana", "zoe", "ci-bot"}
    for r in records:
        assert (r.source, r.partition, r.fetched_at, r.updated_at) == ("roster", "roster", FETCHED, None)
        if isinstance(r, (TeamRecord, PersonRecord)):
            assert r.source_id == (r.team_id if isinstance(r, TeamRecord) else r.person_id)
    dana, zoe, bot = people["dana"], people["zoe"], people["ci-bot"]
    assert dana.emails == ("dana@acme.test", "dana.okafor@acme.test")
    assert dana.level_rank == DEFAULT_LEVELS["M1"] and dana.start_date == dt.date(2019, 3, 1)
    assert zoe.name == "Zoë Müller" and zoe.manager_id == "dana" and zoe.level_rank == 5
    assert zoe.start_date == dt.date(2026, 8, 3)
    assert bot.is_service_account and bot.team_id is None and bot.level_rank is None
    assert roster_records(roster, FETCHED)[1].content_hash() == teams[1].content_hash()


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(RosterError) as info:
        read_roster(_write(tmp_path, text))
    return str(info.value)


@pytest.mark.parametrize(
    "edit,where,words",
    [
        (
            ("team: ml-platform\n    manager: dana", "team: ml-platfrom\n    manager: dana"),
            "roster.yaml:23: people[1].team",
            ["unknown team 'ml-platfrom'", "engineering, ml-platform"],
        ),
        (("manager: dana", "manager: dan"), "roster.yaml:24: people[1].manager", ["unknown manager 'dan'"]),
        (("- id: zoe", "- id: dana"), "roster.yaml:20: people[1].id", ["duplicate person id 'dana'", "people[0]"]),
        (("  - id: ml-platform", "  - id: engineering"), "roster.yaml:6: teams[1].id", ["duplicate team id"]),
        (("parent: engineering", "parent: eng"), "roster.yaml:8: teams[1].parent", ["unknown parent team 'eng'"]),
        (("level: Staff", "level: IC9"), "roster.yaml:25: people[1].level", ["unknown level 'IC9'", "levels:"]),
        (
            ("github_logins: [zoe-m]", "github_logins: [Dana]"),
            "roster.yaml:22: people[1].github_logins[0]",
            ["'Dana' also belongs to people[0]"],
        ),
        (
            ("    service_account: true", "    service_acount: true"),
            "roster.yaml:30: people[2].service_acount",
            ["unknown key"],
        ),
        (("  - id: ci-bot\n    name: CI robot\n", "  - id: ci-bot\n"), "people[2].name", ["required key is missing"]),
        (
            ("start_date: 2019-03-01", "start_date: last spring"),
            "roster.yaml:19: people[0].start_date",
            ["fix the value"],
        ),
        (('"acme/trainer*"', '"trainer*"'), "roster.yaml:9: teams[1].repos[0]", ["not an org/name glob"]),
        (("manager: dana", "manager: zoe"), "people[1].manager", ["manages themself"]),
    ],
)
def test_each_bad_roster_names_file_line_key_path_and_fix(tmp_path, edit, where, words):
    old, new = edit
    assert old in GOOD
    message = _error(tmp_path, GOOD.replace(old, new, 1))
    assert str(tmp_path / "roster.yaml") in message
    assert where in message
    for word in words:
        assert word in message


def test_unreadable_inputs(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RosterError, match=r"roster file .*nope.yaml not found: create it"):
        read_roster(missing)
    message = _error(tmp_path, "teams:\n  - id: a\n    name: [unclosed\npeople: []\n")
    assert "not valid YAML at line 4" in message and "roster.yaml" in message
    assert "must be a mapping" in _error(tmp_path, "- just\n- a list\n")
    assert "people: no people listed" in _error(tmp_path, "teams: []\npeople: []\n")


def test_several_problems_are_reported_together(tmp_path):
    text = GOOD.replace("team: ml-platform\n    manager: dana", "team: nope\n    manager: nobody")
    message = _error(tmp_path, text)
    assert "(2 problems)" in message and "people[1].team" in message and "people[1].manager" in message


@pytest.mark.parametrize(
    "world", [tiny_world(), generate_world(engineers=30, months=2, seed=4)], ids=["tiny", "generated"]
)
def test_roster_from_world_passes_read_roster(tmp_path, world):
    document = roster_from_world(world)
    path = tmp_path / "roster.yaml"
    path.write_text(dump_roster(document), encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == document
    roster = read_roster(path)
    humans = [p for p in world.people if not p.is_bot]
    assert [p.id for p in roster.people] == [p.login for p in humans]
    assert any(p.deleted for p in humans) and all(p.id != "dependabot[bot]" for p in roster.people)
    records = roster_records(roster, FETCHED)
    people = {r.person_id: r for r in records if isinstance(r, PersonRecord)}
    for person in humans:
        record = people[person.login]
        assert record.github_logins == (person.login,)
        assert record.jira_account_ids == (person.jira_account_id,)
        assert record.team_id == person.team and record.manager_id == person.manager
        assert record.level_rank == DEFAULT_LEVELS[person.level] and record.start_date == person.start_date
    globs = {r.team_id: r.repo_globs for r in records if isinstance(r, TeamRecord)}
    for repo in world.repos:
        owners = [
            team for team, patterns in globs.items() if any(fnmatch.fnmatchcase(repo.full_name, g) for g in patterns)
        ]
        assert owners == [repo.owner_team]
    assert {r.team_id: r.jira_projects for r in records if isinstance(r, TeamRecord)} == {
        t.id: tuple(p.key for p in world.jira_projects if p.owner_team == t.id) for t in world.teams
    }
