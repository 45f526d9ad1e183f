"""fct_activity and the person marts on tiny_world, loaded as records the way miners would make them."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from classifiers.contract import ACTIVITY_KINDS, ACTIVITY_SCHEMA
from miners.base import Batch
from miners.records import (
    TeamRecord,
)
from tests.support.batches import envelope, world_batches
from tests.support.worlds import t, tiny_world
from warehouse import open_warehouse


def _load_tiny(path):
    wh = open_warehouse(path)
    for batch in world_batches(tiny_world()):
        wh.load_batch(batch)
    return wh


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """tiny_world loaded once, for tests that only read."""
    with _load_tiny(tmp_path_factory.mktemp("wh") / "w.duckdb") as wh:
        yield wh


@pytest.fixture()
def loaded(tmp_path):
    """tiny_world loaded into a warehouse of this test's own, for tests that write."""
    with _load_tiny(tmp_path / "w.duckdb") as wh:
        yield wh


@pytest.fixture(scope="module")
def rows(shared) -> dict[str, dict]:
    return {row["activity_id"]: row for row in shared.query_activities().to_pylist()}


def test_activities_match_the_contract_schema_and_cover_every_kind(shared):
    table = shared.query_activities()
    assert table.schema == ACTIVITY_SCHEMA
    kinds = table.column("kind").to_pylist()
    assert set(kinds) == set(ACTIVITY_KINDS)
    # 4 visible PRs, 5 reviews, 2 inline + 2 conversation comments, 6 tickets, 3 incident roles, 1 Jira comment
    assert {k: kinds.count(k) for k in ACTIVITY_KINDS} == {
        "pull_request": 4,
        "review": 5,
        "review_comment": 2,
        "issue_comment": 2,
        "ticket": 6,
        "ticket_comment": 1,
        "incident": 3,
    }
    assert table.column("activity_id").to_pylist() == sorted(table.column("activity_id").to_pylist())


def test_pull_request_rows(rows):
    pr = rows["gh:pr:acme/trainer#1"]
    assert pr | {"body": None} == pr | {
        "kind": "pull_request",
        "source": "github",
        "person_id": "bo",
        "actor": "bo",
        "is_bot": False,
        "occurred_at": t(3, 15),
        "state": "merged",
        "container": "acme/trainer",
        "container_team_id": "ml-platform",
        "person_team_id": "ml-platform",
        "person_level_rank": 2,
        "person_start_date": dt.date(2026, 8, 1),
        "labels": ["ml-experiment"],
        "paths": ["tests/test_loop.py", "trainer/loop.py"],
        "additions": 65,
        "deletions": 3,
        "comment_count": 2,
        "url": "https://github.test/acme/trainer/pull/1",
        "subject_activity_id": None,
        "role": None,
        "body": None,
    }
    bot = rows["gh:pr:acme/trainer#2"]
    assert (bot["is_bot"], bot["person_id"], bot["actor"], bot["person_team_id"]) == (
        True,
        None,
        "dependabot[bot]",
        None,
    )
    runbook = rows["gh:pr:acme/search-api#7"]
    assert (runbook["state"], runbook["occurred_at"], runbook["container_team_id"], runbook["comment_count"]) == (
        "open",
        t(5),
        "search",
        0,
    )


def test_review_rows_point_at_the_pr_and_its_author(rows):
    review = rows["gh:review:5001"]
    assert {
        k: review[k]
        for k in (
            "person_id",
            "state",
            "comment_count",
            "response_hours",
            "subject_activity_id",
            "subject_person_id",
            "subject_team_id",
            "subject_level_rank",
            "subject_start_date",
            "person_level_rank",
            "title",
            "occurred_at",
        )
    } == {
        "person_id": "ana",
        "state": "CHANGES_REQUESTED",
        "comment_count": 1,
        "response_hours": 4.0,
        "subject_activity_id": "gh:pr:acme/trainer#1",
        "subject_person_id": "bo",
        "subject_team_id": "ml-platform",
        "subject_level_rank": 2,
        "subject_start_date": dt.date(2026, 8, 1),
        "person_level_rank": 4,
        "title": "Add early stopping to the trainer",
        "occurred_at": t(2, 14),
    }
    assert rows["gh:review:5002"]["response_hours"] == 26.0
    on_bot_pr = rows["gh:review:5003"]
    assert (on_bot_pr["subject_person_id"], on_bot_pr["person_id"]) == (None, "cyd")
    assert on_bot_pr["response_hours"] == pytest.approx(2 / 60)
    ghost = rows["gh:review:5005"]
    assert (ghost["actor"], ghost["person_id"], ghost["is_bot"], ghost["subject_person_id"]) == (
        None,
        None,
        False,
        "ana",
    )


def test_comment_rows(rows):
    inline = rows["gh:review_comment:7002"]
    assert (inline["person_id"], inline["subject_person_id"], inline["paths"], inline["occurred_at"]) == (
        "bo",
        "bo",
        ["trainer/loop.py"],
        t(2, 16),
    )
    convo = rows["gh:issue_comment:9002"]
    assert (convo["person_id"], convo["subject_activity_id"], convo["subject_person_id"], convo["body"]) == (
        "eli",
        "gh:pr:acme/search-api#7",
        "ana",
        "Could you link the dashboard?",
    )
    jira = rows["jira:comment:ML-2:40001"]
    assert (jira["person_id"], jira["subject_activity_id"], jira["subject_person_id"], jira["container"]) == (
        "ana",
        "jira:ticket:ML-2",
        "bo",
        "ML",
    )


def test_ticket_rows(rows):
    story = rows["jira:ticket:ML-2"]
    assert {
        k: story[k]
        for k in (
            "person_id",
            "actor",
            "occurred_at",
            "state",
            "role",
            "issue_type",
            "priority",
            "parent_key",
            "due_date",
            "resolved_at",
            "container_team_id",
            "cross_team_links",
            "is_incident_followup",
            "comment_count",
        )
    } == {
        "person_id": "bo",
        "actor": "acc-bo",
        "occurred_at": t(3, 16),
        "state": "done",
        "role": "assignee",
        "issue_type": "Story",
        "priority": "Medium",
        "parent_key": "ML-1",
        "due_date": dt.date(2026, 10, 10),
        "resolved_at": t(3, 16),
        "container_team_id": "ml-platform",
        "cross_team_links": 0,
        "is_incident_followup": False,
        "comment_count": 1,
    }
    assert rows["jira:ticket:ML-3"]["cross_team_links"] == 1  # blocked by SRCH-2, owned by search
    assert rows["jira:ticket:SRCH-2"]["cross_team_links"] == 1
    assert rows["jira:ticket:SRCH-3"]["is_incident_followup"] is True  # "is caused by" SRCH-1
    assert rows["jira:ticket:SRCH-3"]["cross_team_links"] == 0  # same team's project
    assert rows["jira:ticket:SRCH-4"]["person_id"] == "gone"
    assert "jira:ticket:SRCH-1" not in rows  # incidents are not tickets
    assert "jira:ticket:ML-4" not in rows  # created after the sandbox clock, never mined


def test_incident_rows_one_per_role(rows):
    roles = {k: v for k, v in rows.items() if v["kind"] == "incident"}
    assert sorted(roles) == [
        "jira:incident:SRCH-1:assignee",
        "jira:incident:SRCH-1:commander",
        "jira:incident:SRCH-1:declared",
    ]
    declared, commander = roles["jira:incident:SRCH-1:declared"], roles["jira:incident:SRCH-1:commander"]
    assert (declared["person_id"], declared["occurred_at"], declared["role"]) == ("cyd", t(8, 3), "declared")
    assert (commander["person_id"], commander["occurred_at"], commander["severity"], commander["postmortem_url"]) == (
        "ana",
        t(8, 6),
        "SEV2",
        "https://wiki.acme.test/pm/srch-1",
    )
    assert commander["container_team_id"] == "search" and commander["person_team_id"] == "ml-platform"


def test_period_filter_is_half_open(shared):
    table = shared.query_activities(since=t(8, 3), until=t(8, 6))
    assert table.column("activity_id").to_pylist() == ["jira:incident:SRCH-1:declared"]
    naive = shared.query_activities(since=dt.datetime(2026, 10, 8, 3), until=dt.datetime(2026, 10, 8, 6))
    assert naive.equals(table)


def test_people_lookup(shared):
    ana = shared.query_person("ana")
    assert ana == {
        "person_id": "ana",
        "name": "Ana Lima",
        "team_id": "ml-platform",
        "team_name": "ML Platform",
        "level": "IC4",
        "job_family": None,  # the roster gives none: the report uses the rubric for her level
        "manager_id": "dana",
        "manager_name": "Dana Okafor",
        "start_date": dt.date(2021, 5, 3),
        "github_logins": ["ana"],
        "emails": ["ana@acme.test"],
    }
    assert shared.query_person("ANA") == ana  # GitHub logins are case-insensitive
    assert shared.query_person("nobody") is None
    people = [p["person_id"] for p in shared.query_people()]
    assert people == ["ana", "bo", "cyd", "dana", "eli", "gone"]  # no dependabot service account


def test_repo_glob_first_team_by_id_wins(loaded):
    both = TeamRecord(
        **envelope("roster", "team:aaa", "roster", None, None),
        team_id="aaa-infra",
        name="Infra",
        repo_globs=("ACME/*",),
    )
    loaded.load_batch(Batch(source="roster", partition="roster", records=(both,), cursor=None))
    teams = {
        r["activity_id"]: r["container_team_id"]
        for r in loaded.query_activities().to_pylist()
        if r["kind"] == "pull_request"
    }
    assert set(teams.values()) == {"aaa-infra"}


def test_clean_world_passes_audits(shared):
    audits = shared.run_audits()
    assert len(audits) >= 10
    assert audits == dict.fromkeys(audits, 0)


def test_audits_find_violations(loaded):
    labels = pa.table(
        {
            "activity_id": ["gh:pr:acme/trainer#1", "gh:pr:nope#1"],
            "label": ["work.feature", "vibes"],
            "confidence": [1.0, 1.0],
            "classifier_kind": ["rule", "rule"],
            "classifier_id": ["r1", "r1"],
            "classifier_version": ["1", "1"],
            "reason": ["x", "y"],
        }
    )
    loaded.write_labels(labels)
    audits = loaded.run_audits()
    assert audits["label_outside_vocabulary"] == 1
    assert audits["label_unknown_activity"] == 1
    assert loaded.query_audit_rows("label_outside_vocabulary") == [
        {"activity_id": "gh:pr:nope#1", "label": "vibes", "classifier_id": "r1"}
    ]
    assert audits["activity_without_url"] == 0


def test_ticket_parents_link_each_mined_ticket_to_its_mined_parent(shared, rows):
    parents = shared.query_ticket_parents()
    tickets = {a: r for a, r in rows.items() if r["kind"] == "ticket"}
    expected = {
        a: f"jira:ticket:{r['parent_key']}"
        for a, r in tickets.items()
        if r["parent_key"] and f"jira:ticket:{r['parent_key']}" in tickets
    }
    assert parents == expected
    assert parents["jira:ticket:ML-2"] == "jira:ticket:ML-1"  # a story of its epic
