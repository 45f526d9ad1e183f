"""Coverage warnings (issue 10, part 5): a report says when its person's data is incomplete.

A small world (one team, four people, a PR and a Jira ticket per person per
week over a quarter) is served by the sandbox on loopback and synced through
the real stages and clients (PyGithub, jira) into a real warehouse; identity
resolution runs as the nightly flow runs it.  The roster lacks Jo's Jira
account id (her Jira display name only *suggests* her), Nia started in the
middle of the quarter and Quinn was away for ten weeks; Ana has everything
linked and is active every week.  A second warehouse holds no Jira data.
``Warehouse.query_coverage_facts`` reads the facts; ``rubric.coverage``
turns them into warnings without touching the database.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from flows import stages
from flows.config import read_config
from miners.people.identity import Override
from rubric.coverage import GAP_DAYS, _gaps, coverage_warnings
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.roster import dump_roster, roster_from_world
from sandbox.server import SandboxServer
from sandbox.world import JiraIssue, JiraProject, Person, PullFile, PullRequest, Repo, Team, Tokens, World
from warehouse import open_warehouse

UTC = dt.timezone.utc
SINCE, UNTIL = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
NOW = dt.datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
NIA_START = dt.date(2026, 8, 17)
QUINN_AWAY = (dt.date(2026, 7, 9), dt.date(2026, 9, 15))  # first and last day without any activity


def _weekly(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def quarter_world() -> World:
    """Ana, Jo, Nia and Quinn; each of their active days has one merged PR and one resolved ticket."""
    people = [
        Person(
            login="ana",
            name="Ana Lima",
            emails=["ana@acme.test"],
            jira_account_id="acc-ana",
            level="IC4",
            team="ml",
            start_date=dt.date(2021, 5, 3),
            token="tok-ana",
        ),
        Person(
            login="jo",
            name="Jo Okonkwo",
            emails=["jo@acme.test"],
            jira_account_id="acc-jo",
            level="IC3",
            team="ml",
            start_date=dt.date(2022, 2, 1),
            token="tok-jo",
        ),
        Person(
            login="nia",
            name="Nia Bell",
            emails=["nia@acme.test"],
            jira_account_id="acc-nia",
            level="IC2",
            team="ml",
            start_date=NIA_START,
            token="tok-nia",
        ),
        Person(
            login="quinn",
            name="Quinn Rowe",
            emails=["quinn@acme.test"],
            jira_account_id="acc-quinn",
            level="IC3",
            team="ml",
            start_date=dt.date(2020, 1, 6),
            token="tok-quinn",
        ),
    ]
    active = {
        "ana": _weekly(SINCE, UNTIL),
        "jo": _weekly(SINCE, UNTIL),
        "nia": _weekly(NIA_START, UNTIL),
        "quinn": [d for d in _weekly(SINCE, UNTIL) if not QUINN_AWAY[0] <= d <= QUINN_AWAY[1]],
    }
    prs, issues = [], []
    for login, days in active.items():
        for day in days:
            at = dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
            n = len(prs) + 1
            prs.append(
                PullRequest(
                    id=1000 + n,
                    repo="acme/trainer",
                    number=n,
                    author=login,
                    title=f"{login}: change {n}",
                    created_at=at,
                    updated_at=at + dt.timedelta(hours=2),
                    merged_at=at + dt.timedelta(hours=2),
                    closed_at=at + dt.timedelta(hours=2),
                    files=[PullFile(path=f"src/{login}.py", additions=5)],
                )
            )
            issues.append(
                JiraIssue(
                    id=str(20000 + n),
                    key=f"ML-{n}",
                    project="ML",
                    issue_type="Task",
                    summary=f"{login}: task {n}",
                    status="Done",
                    status_category="done",
                    reporter=login,
                    assignee=login,
                    created=at,
                    updated=at + dt.timedelta(hours=1),
                    resolved=at + dt.timedelta(hours=1),
                )
            )
    return World(
        name="quarter",
        org="acme",
        jira_flavour="cloud",  # Cloud hides e-mails: Jo's account can only be suggested
        period_start=dt.datetime(2026, 7, 1, tzinfo=UTC),
        period_end=dt.datetime(2026, 10, 1, tzinfo=UTC),
        now=NOW,
        tokens=Tokens(service="tok-service"),
        teams=[Team(id="ml", name="ML Platform")],
        people=people,
        repos=[Repo(org="acme", name="trainer", owner_team="ml", created_at=dt.datetime(2025, 1, 1, tzinfo=UTC))],
        pull_requests=prs,
        jira_projects=[JiraProject(key="ML", id="10000", name="ML Platform", owner_team="ml", lead="ana")],
        jira_issues=issues,
    )


def _roster_without_jos_jira_id(world: World) -> str:
    doc = roster_from_world(world, history=True)
    for person in doc["people"]:
        if person["id"] == "jo":
            person["jira_account_ids"] = []
    return dump_roster(doc)


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """(full warehouse path, warehouse path without Jira): the same sandbox synced twice through the stages."""
    world = quarter_world()
    full_dir, no_jira_dir = tmp_path_factory.mktemp("coverage-full"), tmp_path_factory.mktemp("coverage-nojira")
    with SandboxServer(world) as server, pytest.MonkeyPatch.context() as mp:
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        full = read_config(write_sandbox_config(world, server, full_dir / "ladder.yaml"))
        (full_dir / "roster.yaml").write_text(_roster_without_jos_jira_id(world), encoding="utf-8")
        stages.sync_roster(full, now=lambda: NOW)
        stages.sync_github(full, now=lambda: NOW)
        stages.sync_jira(full, now=lambda: NOW)
        stages.resolve_identities(full)

        no_jira = read_config(write_sandbox_config(world, server, no_jira_dir / "ladder.yaml"))
        stages.sync_roster(no_jira, now=lambda: NOW)
        stages.sync_github(no_jira, now=lambda: NOW)
        stages.resolve_identities(no_jira)
    return full.warehouse_path, no_jira.warehouse_path


def _warnings(path, person_id, since=SINCE, until=UNTIL, **kwargs) -> list[dict]:
    with open_warehouse(path, read_only=True) as wh:
        facts = wh.query_coverage_facts(person_id, since=since, until=until, **kwargs)
    return coverage_warnings(facts, since=since, until=until)


def _codes(warnings: list[dict]) -> list[tuple[str, str | None]]:
    return [(w["code"], w["source"]) for w in warnings]


def test_everything_linked_and_active_means_no_warnings(synced):
    full, _ = synced
    assert _warnings(full, "ana") == []


def test_a_jira_account_only_suggested_by_name_is_named_with_the_fix(synced):
    full, _ = synced
    warnings = _warnings(full, "jo")
    assert _codes(warnings) == [("unlinked_account_suggested", "jira")]
    [w] = warnings
    weeks = len(_weekly(SINCE, UNTIL))
    assert w["details"]["account"] == "acc-jo" and w["details"]["display_name"] == "Jo Okonkwo"
    assert w["details"]["basis"] == "name" and w["details"]["activities_in_period"] == weeks
    assert w["details"]["override"] == {"accept": [{"jira": "acc-jo", "person": "jo"}]}
    assert '"Jo Okonkwo"' in w["message"] and f"its {weeks} activities" in w["message"]
    assert "`ladder identities`" in w["message"] and "override" in w["message"]
    # her GitHub work is linked: no warning there, and her activity is not read as a gap
    with open_warehouse(full, read_only=True) as wh:
        facts = wh.query_coverage_facts("jo", since=SINCE, until=UNTIL)
    assert {(a["system"], a["method"]) for a in facts["linked_accounts"]} == {("github", "roster")}
    assert set(facts["activity_dates"]) == {"github"}


def test_accepting_the_suggestion_clears_the_warning_and_rejecting_it_leaves_no_account(synced, tmp_path):
    full, _ = synced
    rejected = _warnings(full, "jo", overrides=[Override("jira", "acc-jo", "jo", "reject", "ids.yaml:4")])
    assert _codes(rejected) == [("no_account_linked", "jira")]
    assert "Jira account id to the roster" in rejected[0]["message"]
    copy = tmp_path / "accepted.duckdb"
    shutil.copy(full, copy)
    with open_warehouse(copy) as wh:
        wh.resolve_identities([Override("jira", "acc-jo", "jo", "accept", "ids.yaml:2")])
    assert _warnings(copy, "jo") == []


def test_a_person_who_started_mid_period_is_told_how_many_days_can_show_activity(synced):
    full, _ = synced
    warnings = _warnings(full, "nia")
    assert _codes(warnings) == [("joined_mid_period", "roster")]
    details = warnings[0]["details"]
    assert details["start_date"] == "2026-08-17" and details["active_from"] == "2026-08-17"
    assert (details["active_days"], details["period_days"]) == ((UNTIL - NIA_START).days + 1, 92)
    assert "2026-08-17" in warnings[0]["message"]


def test_weeks_without_any_activity_are_an_activity_gap_with_its_dates(synced):
    full, _ = synced
    warnings = _warnings(full, "quinn")
    assert _codes(warnings) == [("activity_gap", None)]
    details = warnings[0]["details"]
    assert (details["first_day"], details["last_day"]) == tuple(d.isoformat() for d in QUINN_AWAY)
    assert details["days"] == (QUINN_AWAY[1] - QUINN_AWAY[0]).days + 1 >= GAP_DAYS
    assert details["sources"] == ["github", "jira"]
    assert "2026-07-09" in warnings[0]["message"] and "2026-09-15" in warnings[0]["message"]
    # a period that only holds her active weeks has no gap
    assert _warnings(full, "quinn", since=dt.date(2026, 9, 14)) == []


def test_a_warehouse_without_jira_data_says_jira_was_never_synced(synced):
    _, no_jira = synced
    warnings = _warnings(no_jira, "ana")
    assert _codes(warnings) == [("source_not_synced", "jira")]
    assert warnings[0]["details"]["reason"] == "never_synced"
    assert "ladder sync" in warnings[0]["message"]
    # a deployment that does not mine Jira says nothing about it
    assert _warnings(no_jira, "ana", sources=("github",)) == []


def test_a_period_ending_after_the_last_sync_says_where_the_data_stops(synced):
    full, _ = synced
    until = dt.date(2026, 10, 15)
    warnings = _warnings(full, "ana", until=until)
    assert _codes(warnings) == [("source_not_synced", "github"), ("source_not_synced", "jira")]
    assert {w["details"]["synced_through"] for w in warnings} == {"2026-09-30"}
    assert all(w["details"]["reason"] == "stale" for w in warnings)
    assert "2026-09-30" in warnings[0]["message"] and "2026-10-15" in warnings[0]["message"]


def test_a_period_before_the_data_begins_says_so(synced):
    full, _ = synced
    warnings = _warnings(full, "ana", since=dt.date(2026, 6, 1))
    assert _codes(warnings) == [("source_not_synced", "github"), ("source_not_synced", "jira")]
    assert {(w["details"]["reason"], w["details"]["data_from"]) for w in warnings} == {("starts_late", "2026-07-01")}


def test_warnings_are_json_and_never_show_an_email(synced):
    full, _ = synced
    every = [
        w
        for person in ("ana", "jo", "nia", "quinn")
        for w in _warnings(full, person, since=dt.date(2026, 6, 1), until=dt.date(2026, 10, 15))
    ]
    assert {w["code"] for w in every} >= {
        "source_not_synced",
        "unlinked_account_suggested",
        "joined_mid_period",
        "activity_gap",
    }
    text = json.dumps(every, sort_keys=True)
    assert "@" not in text and "tok-" not in text
    for w in every:
        assert set(w) == {"code", "source", "message", "details"} and w["message"].endswith(".")


# --- the pure assembly, on hand-written facts -----------------------------------------------------------------


def _facts(**person) -> dict:
    state = {
        "synced": True,
        "partitions": 1,
        "rows": 10,
        "synced_through": dt.datetime(2026, 9, 30, tzinfo=UTC),
        "data_from": dt.date(2026, 1, 1),
    }
    return {
        "person_id": "zoe",
        "person": {
            "person_id": "zoe",
            "name": "Zoë Müller",
            "start_date": dt.date(2020, 1, 1),
            "end_date": None,
            **person,
        },
        "sources": {"github": dict(state), "jira": dict(state)},
        "linked_accounts": [
            {"system": "github", "identity": "zoe", "method": "roster"},
            {"system": "jira", "identity": "acc-zoe", "method": "roster"},
        ],
        "suggested_accounts": [],
        "activity_dates": {"github": _weekly(SINCE, UNTIL)},
    }


def test_leaving_mid_period_and_being_outside_the_period_are_roster_warnings():
    left = coverage_warnings(_facts(end_date=dt.date(2026, 8, 31)), since=SINCE, until=UNTIL)
    assert _codes(left) == [("left_mid_period", "roster")]
    assert left[0]["details"]["active_until"] == "2026-08-31" and left[0]["details"]["active_days"] == 62
    later = coverage_warnings(_facts(start_date=dt.date(2026, 11, 2)), since=SINCE, until=UNTIL)
    assert _codes(later) == [("not_enrolled_in_period", "roster")]


def test_a_suggested_account_whose_name_is_an_email_is_not_shown():
    facts = _facts()
    facts["linked_accounts"] = facts["linked_accounts"][:1]
    facts["suggested_accounts"] = [
        {
            "system": "jira",
            "identity": "acc-z",
            "display_name": "zoe@acme.test",
            "score": 1.0,
            "basis": "shared_email",
            "activities_in_period": 1,
        }
    ]
    [w] = coverage_warnings(facts, since=SINCE, until=UNTIL)
    assert w["code"] == "unlinked_account_suggested" and "@" not in json.dumps(w)
    assert w["message"].startswith("An unnamed Jira account")
    assert "its 1 activity in this period is missing" in w["message"]


def test_gaps_are_runs_of_empty_days_at_the_edges_too():
    d = dt.date
    assert _gaps([], d(2026, 1, 1), d(2026, 2, 11), 42) == [(d(2026, 1, 1), d(2026, 2, 11))]
    assert _gaps([], d(2026, 1, 1), d(2026, 2, 10), 42) == []
    assert _gaps([d(2026, 1, 1)], d(2026, 1, 1), d(2026, 3, 1), 42) == [(d(2026, 1, 2), d(2026, 3, 1))]
    assert _gaps([d(2026, 1, 10), d(2026, 2, 21)], d(2026, 1, 1), d(2026, 2, 21), 41) == [
        (d(2026, 1, 11), d(2026, 2, 20))
    ]


def test_data_stopping_within_the_grace_days_is_not_flagged_but_beyond_them_is():
    facts = _facts()
    assert coverage_warnings(facts, since=SINCE, until=dt.date(2026, 10, 3)) == []
    stale = coverage_warnings(facts, since=SINCE, until=dt.date(2026, 10, 4))
    assert _codes(stale) == [("source_not_synced", "github"), ("source_not_synced", "jira")]
    assert {w["details"]["synced_through"] for w in stale} == {"2026-09-30"}
