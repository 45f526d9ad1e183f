"""People in the warehouse: dated attribution, cross-team at each date, identity links, `ladder identities`."""

from __future__ import annotations

import datetime as dt
import json

import click
import duckdb
import pytest
from click.testing import CliRunner

from classifiers import classify_activities
from flows.cli.people import register
from flows.config import read_config
from miners.base import Batch
from miners.people.roster import RosterError, parse_roster, roster_records
from miners.records import AccountRecord, CodeOwnersRecord
from sandbox.roster import dump_roster, roster_from_world
from tests.support.batches import github_batches, jira_batches
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


def messy_roster_text() -> str:
    """tiny_world's roster with history and gaps: Ana moved search -> ml-platform and IC3 -> IC4 on Oct 4;
    cyd's GitHub login and eli's Jira account are missing (only e-mails / names can find them)."""
    doc = roster_from_world(tiny_world())
    people = {p["id"]: p for p in doc["people"]}
    people["ana"]["team_changes"] = [{"date": "2026-10-04", "from_team": "search", "to_team": "ml-platform"}]
    people["ana"]["level_changes"] = [{"date": "2026-10-04", "from_level": "IC3", "to_level": "IC4"}]
    people["cyd"]["github_logins"] = []
    people["eli"]["jira_account_ids"] = []
    return dump_roster(doc)


def roster_batch(text: str) -> Batch:
    records = tuple(roster_records(parse_roster(text, "roster.yaml"), FETCHED))
    return Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True)


def accounts_batch() -> Batch:
    """What the miners would show of two accounts: cyd's commit e-mail, eli's Jira display name."""
    env = dict(source="github", partition="github:accounts", updated_at=None, fetched_at=FETCHED)
    return Batch(
        source="github",
        partition="github:accounts",
        cursor=None,
        records=(
            AccountRecord(**env, source_id="github:cyd", system="github", identity="cyd", emails=("Cyd@acme.test",)),
            AccountRecord(**env, source_id="jira:acc-eli", system="jira", identity="acc-eli", display_name="Eli Novák"),
            CodeOwnersRecord(
                **env,
                source_id="acme/trainer",
                repo="acme/trainer",
                path="CODEOWNERS",
                text="# owners\n* @acme/search @dana\n/docs/ @acme/ml-platform\n",
            ),
            CodeOwnersRecord(
                **env,
                source_id="acme/unlisted",
                repo="acme/unlisted",
                path=".github/CODEOWNERS",
                text="*   @acme/search\n",
            ),
        ),
    )


@pytest.fixture()
def wh(tmp_path):
    world = tiny_world()
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        for batch in [
            roster_batch(messy_roster_text()),
            *github_batches(world),
            *jira_batches(world),
            accounts_batch(),
        ]:
            wh.load_batch(batch)
        yield wh


def _rows(wh) -> dict[str, dict]:
    return {r["activity_id"]: r for r in wh.query_activities().to_pylist()}


def test_a_person_who_moved_gets_team_and_level_of_each_date_and_cross_team_against_it(wh):
    rows = _rows(wh)
    before, after = rows["gh:review:5001"], rows["gh:pr:acme/search-api#7"]  # Oct 2 on trainer; Oct 5 on search
    assert (before["person_id"], before["person_team_id"], before["person_level_rank"]) == ("ana", "search", 3)
    assert (after["person_id"], after["person_team_id"], after["person_level_rank"]) == ("ana", "ml-platform", 4)
    assert before["container_team_id"] == "ml-platform" and after["container_team_id"] == "search"
    incident = rows["jira:incident:SRCH-1:commander"]  # Oct 8: on ml-platform, a search incident
    assert incident["person_team_id"] == "ml-platform"
    labels = classify_activities(wh.query_activities(), use_models=False).to_pylist()
    cross = {r["activity_id"] for r in labels if r["label"] in ("cross_team", "cross_team.feedback")}
    ana = {a for a, r in rows.items() if r["person_id"] == "ana"}
    expected = {
        a
        for a in ana
        if rows[a]["person_team_id"] != rows[a]["container_team_id"] and rows[a]["container_team_id"] is not None
    }
    assert {
        "gh:review:5001",
        "gh:review:5002",
        "gh:review_comment:7001",
        "gh:pr:acme/search-api#7",
        "jira:incident:SRCH-1:commander",
    } <= cross
    assert cross & ana == expected
    # the subject side is dated too: Ana's PR #7 seen from Cyd's review on Oct 5
    assert rows["gh:review:5004"]["subject_team_id"] == "ml-platform"


def test_resolution_links_by_email_and_overrides_are_honoured_on_every_run(wh, tmp_path):
    assert _rows(wh)["gh:review:5004"]["person_id"] is None  # cyd's login is not in the roster
    first = wh.resolve_identities()
    assert first.match_for("github", "cyd").method == "email"
    rows = _rows(wh)
    assert rows["gh:review:5004"]["person_id"] == "cyd" and rows["gh:review:5004"]["person_team_id"] == "search"
    assert [a.identity for a in first.unmatched] == ["acc-eli"]
    assert [(s.identity, s.person_id) for s in first.suggestions] == [("acc-eli", "eli")]
    assert "dependabot[bot]" in {a.identity for a in first.bots}
    from miners.people.identity import Override

    second = wh.resolve_identities([Override("jira", "acc-eli", "eli", "accept", "ids.yaml:2")])
    assert second.unmatched == () and second.match_for("jira", "acc-eli").method == "override"
    assert wh.con.execute("SELECT person_id, method FROM dim_identity WHERE identity = 'acc-eli'").fetchall() == [
        ("eli", "override")
    ]
    third = wh.resolve_identities([Override("github", "cyd", "cyd", "reject", "ids.yaml:4")])
    assert third.match_for("github", "cyd") is None and _rows(wh)["gh:review:5004"]["person_id"] is None
    assert wh.con.execute("SELECT count(*) FROM identity_links").fetchall() == [(0,)]


def test_roster_wins_over_codeowners_and_disagreements_are_listed(wh):
    repos = {
        r[0]: r[1:]
        for r in wh.con.execute("SELECT repo, team_id, owner_source, codeowners_team_ids FROM dim_repo").fetchall()
    }
    assert repos["acme/trainer"] == ("ml-platform", "roster", ["search"])
    assert repos["acme/unlisted"] == ("search", "codeowners", ["search"])  # no roster glob: CODEOWNERS fills in
    assert wh.query_audit_rows("ownership_disagreement") == [
        {
            "repo": "acme/trainer",
            "roster_team_id": "ml-platform",
            "other_source": "codeowners",
            "other_team_ids": ["search"],
        }
    ]


def test_ladder_identities_lists_unmatched_with_suggestions_and_reads_the_overrides_file(tmp_path):
    world = tiny_world()
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        for batch in [
            roster_batch(messy_roster_text()),
            *github_batches(world),
            *jira_batches(world),
            accounts_batch(),
        ]:
            wh.load_batch(batch)
    (tmp_path / "ladder.yaml").write_text("warehouse: w.duckdb\nidentities: ids.yaml\n", encoding="utf-8")
    (tmp_path / "ids.yaml").write_text("accept: []\n", encoding="utf-8")
    group = click.Group()
    register(group)
    runner = CliRunner()
    out = runner.invoke(group, ["identities", "--config", str(tmp_path / "ladder.yaml"), "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)  # stdout only: logging (stderr) may be mixed into output
    assert [(u["identity"], [s["person_id"] for s in u["suggestions"]]) for u in summary["unmatched"]] == [
        ("acc-eli", ["eli"])
    ]
    assert summary["matched_by"]["email"] == 1 and summary["ownership_disagreements"][0]["repo"] == "acme/trainer"
    text = runner.invoke(group, ["identities", "--config", str(tmp_path / "ladder.yaml")]).stdout
    assert "jira:acc-eli (Eli Novák)" in text and "maybe eli" in text and "roster says ml-platform" in text
    (tmp_path / "ids.yaml").write_text("accept:\n  - {jira: acc-eli, person: eli}\n", encoding="utf-8")
    summary = json.loads(
        runner.invoke(group, ["identities", "--config", str(tmp_path / "ladder.yaml"), "--json"]).stdout
    )
    assert summary["unmatched"] == [] and summary["matched_by"]["override"] == 1
    assert read_config(tmp_path / "ladder.yaml").identities is not None


BAD = """\
teams:
  - id: ml
    name: ML
people:
  - id: ana
    name: Ana
    github_logins: [ana]
    team: ml
    manager: bo
  - id: bo
    name: Bo
    github_logins: [ANA]
    team: mll
    manager: ana
  - id: ana
    name: Ana Again
    team: ml
"""


def test_a_bad_roster_gets_one_message_with_every_problem_and_nothing_is_loaded(tmp_path):
    from flows.stages import sync_roster

    (tmp_path / "roster.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "ladder.yaml").write_text("warehouse: w.duckdb\nroster: roster.yaml\n", encoding="utf-8")
    open_warehouse(tmp_path / "w.duckdb").close()
    with pytest.raises(RosterError) as info:
        sync_roster(read_config(tmp_path / "ladder.yaml"))
    message = str(info.value)
    path = str(tmp_path / "roster.yaml")
    for expected in (
        f"{path}:15: people[2].id: duplicate person id 'ana'",
        f"{path}:13: people[1].team: unknown team 'mll'",
        f"{path}:9: people[0].manager: 'ana' manages themself",
        f"{path}:14: people[1].manager: 'bo' manages themself",
        f"{path}:12: people[1].github_logins[0]: 'ANA' also belongs to people[0]",
    ):
        assert expected in message, message
    assert message.count("\n") == 5  # one heading line, one line per problem
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM raw_roster_people").fetchall() == [(0,)]
    con.close()


def test_a_complete_roster_batch_removes_people_and_history_dropped_from_the_file(wh):
    roster = parse_roster(messy_roster_text(), "roster.yaml")
    roster.people = [p for p in roster.people if p.id != "bo"]
    for p in roster.people:
        if p.id == "ana":
            p.team_changes, p.level_changes, p.team, p.level = [], [], "search", "IC3"
    records = tuple(roster_records(roster, FETCHED))
    result = wh.load_batch(Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True))
    assert result.deleted == 1 + 2 + 2  # bo, bo's team and level intervals, ana's later intervals
    people = {r[0] for r in wh.con.execute("SELECT person_id FROM dim_person").fetchall()}
    assert "bo" not in people and "ana" in people
    assert _rows(wh)["gh:pr:acme/search-api#7"]["person_team_id"] == "search"


def test_an_account_described_in_several_rows_keeps_every_email_and_the_newest_name(tmp_path):
    env = dict(source="github", partition="github:acme/a", fetched_at=FETCHED)
    later = FETCHED + dt.timedelta(days=1)
    rows = (
        AccountRecord(
            **env,
            updated_at=None,
            source_id="github:Zed",
            system="github",
            identity="Zed",
            display_name="Zed Old",
            github_id=7,
            account_type="User",
        ),
        AccountRecord(
            **env,
            updated_at=FETCHED,
            source_id="github:Zed:a",
            system="github",
            identity="Zed",
            emails=("A@x.test",),
            display_name="Zed Old",
            github_id=7,
        ),
        AccountRecord(
            **env,
            updated_at=later,
            source_id="github:zed:b",
            system="github",
            identity="zed",
            emails=("b@x.test", "a@x.test"),
            display_name="Zed New",
        ),
    )
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_batch(Batch(source="github", partition="github:acme/a", cursor=None, records=rows))
        got = wh.con.execute(
            "SELECT identity, identity_key, github_id, display_name, emails, account_type FROM stg_accounts"
        ).fetchall()
    assert got == [("zed", "zed", 7, "Zed New", ["a@x.test", "b@x.test"], "User")]
