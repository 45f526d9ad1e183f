"""The Jira miner against the sandbox (Cloud and Data Center) with the real ``jira`` client."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from jira import JIRA
from jira.exceptions import JIRAError

from miners.base import MinerError
from miners.jira.miner import explain_jira_error, mine_jira
from miners.records import (
    JiraChangeRecord,
    JiraCommentRecord,
    JiraIncidentRoleRecord,
    JiraIssueRecord,
    JiraLinkRecord,
)
from sandbox.server import SandboxServer
from sandbox.world import JiraChange, JiraIssue, JiraLink
from tests.support.jira import FETCHED, comparable, expected_records
from tests.support.jira import flavoured_world as _world
from tests.support.jira import mine_projects as _mine
from tests.support.jira import service_client as _client
from tests.support.worlds import t

UTC = dt.timezone.utc


def _records(batches) -> dict[tuple[str, str], object]:
    out = {}
    for batch in batches:
        for record in batch.records:
            assert record.partition == batch.partition and record.fetched_at == FETCHED
            out[(record.TABLE, record.source_id)] = record
    return out


@pytest.fixture(params=["cloud", "datacenter"])
def server(request):
    with SandboxServer(_world(request.param)) as server:
        yield server


def test_records_equal_the_world_exactly(server):
    world = server.state.world
    world.jira_issues[1].description = "Stop when the loss plateaus.\nUse patience.\n\nSee ML-1."
    batches = _mine(_client(server))
    got = _records(batches)
    assert {k: comparable(r) for k, r in got.items()} == expected_records(world, server.state.now)
    # a few facts spelled out, so the test does not only mirror the world
    kinds = [type(r) for r in got.values()]
    assert (
        kinds.count(JiraIssueRecord),
        kinds.count(JiraLinkRecord),
        kinds.count(JiraCommentRecord),
        kinds.count(JiraChangeRecord),
        kinds.count(JiraIncidentRoleRecord),
    ) == (7, 3, 1, 3, 3)
    incident = got[("raw_jira_issues", "SRCH-1")]
    assert (incident.is_incident, incident.severity, incident.commander_id) == (True, "SEV2", "acc-ana")
    assert got[("raw_jira_links", "SRCH-3:inward:Causes:SRCH-1")].description == "is caused by"
    assert got[("raw_jira_issues", "ML-2")].url == f"{server.jira_url}/browse/ML-2"
    assert got[("raw_jira_issues", "SRCH-4")].assignee_id == "acc-gone"
    assert [(b.partition, b.cursor) for b in batches if b.records] == [
        ("jira:ML", "2026-10-07 10:00"),
        ("jira:SRCH", "2026-10-12 10:00"),
    ]
    # each project ends with a batch saying it is complete (recorded as synced), at the same cursor
    assert [(b.partition, b.cursor, b.records) for b in batches if b.done] == [
        ("jira:ML", "2026-10-07 10:00", ()),
        ("jira:SRCH", "2026-10-12 10:00", ()),
    ]


def test_incident_roles_times_and_followups(server):
    world = server.state.world
    incident = next(i for i in world.jira_issues if i.key == "SRCH-1")
    incident.links.append(JiraLink(id="50002", type="Causes", direction="outward", other="SRCH-3"))
    incident.changelog += [
        JiraChange(
            id="30010",
            author="ana",
            created=t(8, 4),
            field="status",
            from_string="Investigating",
            to_string="Mitigated",
        ),
        JiraChange(
            id="30011", author="ana", created=t(8, 5), field="assignee", from_string="Ana Lima", to_string="Bo Chen"
        ),
        JiraChange(
            id="30012", author="bo", created=t(8, 5, 30), field="assignee", from_string="Bo Chen", to_string="Ana Lima"
        ),
    ]
    got = _records(_mine(_client(server)))
    assert {k: comparable(r) for k, r in got.items()} == expected_records(world, server.state.now)
    inc = got[("raw_jira_incidents", "SRCH-1")]
    assert (inc.declared_by_id, inc.commander_id, inc.severity) == ("acc-cyd", "acc-ana", "SEV2")
    assert (inc.opened_at, inc.mitigated_at, inc.resolved_at) == (t(8, 3), t(8, 4), t(8, 6))
    assert inc.followup_keys == ("SRCH-3",) and inc.postmortem_url == "https://wiki.acme.test/pm/srch-1"
    roles = sorted(
        (r.role, r.seq, r.person_id, r.started_at, r.ended_at)
        for r in got.values()
        if isinstance(r, JiraIncidentRoleRecord)
    )
    assert roles == [
        ("assignee", 0, "acc-ana", t(8, 3, 10), t(8, 5)),  # unassigned until 03:10: no row
        ("assignee", 1, "acc-bo", t(8, 5), t(8, 5, 30)),
        ("assignee", 2, "acc-ana", t(8, 5, 30), None),
        ("commander", 0, "acc-ana", t(8, 3), None),
        ("declared", 0, "acc-cyd", t(8, 3), None),
    ]


def test_rich_text_survives_api_v3_adf():
    world = _world("cloud")
    world.jira_issues[1].description = "Stop when the loss plateaus.\nUse patience.\n\nSee ML-1."
    with SandboxServer(world) as server:
        client = JIRA(
            server=server.jira_url,
            basic_auth=("x@acme.test", "tok-service"),
            options={"rest_api_version": "3"},
            max_retries=0,
        )
        got = _records(_mine(client))
        by_endpoint = server.state.stats()["jira"]["by_endpoint"]
    assert by_endpoint["/rest/api/3/search/jql.200"] == 1
    assert by_endpoint["/rest/api/3/issue/bulkfetch.200"] == 1
    assert got[("raw_jira_issues", "ML-2")].description == world.jira_issues[1].description
    assert got[("raw_jira_comments", "ML-2:40001")].body == "Pairing on this tomorrow."


def _by_endpoint(server) -> dict[str, int]:
    return server.state.stats()["jira"]["by_endpoint"]


def test_full_sync_is_one_walk_and_one_bulk_fetch(server):
    _mine(_client(server))
    if server.state.world.jira_flavour == "cloud":
        assert _by_endpoint(server) == {
            "/rest/api/2/serverInfo.200": 1,
            "/rest/api/2/field.200": 1,
            "/rest/api/2/search/jql.200": 1,
            "/rest/api/2/issue/bulkfetch.200": 1,
            "/rest/api/2/changelog/bulkfetch.200": 1,
        }
    else:  # the walk and the details are both searches on Data Center
        assert _by_endpoint(server) == {
            "/rest/api/2/serverInfo.200": 1,
            "/rest/api/2/field.200": 1,
            "/rest/api/2/search.200": 2,
        }


def test_second_run_is_cheap_and_identical(server):
    client = _client(server)
    first = _mine(client)
    cursors = {b.partition: b.cursor for b in first}
    hashes = {k: r.content_hash() for k, r in _records(first).items()}
    server.state.counts.clear()
    second = _mine(client, cursors)
    assert {b.partition: b.cursor for b in second} == cursors
    again = _records(second)
    assert again, "the overlap re-reads the newest issue of each project"
    assert all(hashes[k] == r.content_hash() for k, r in again.items())
    by_endpoint = _by_endpoint(server)
    search = "/rest/api/2/search/jql.200" if server.state.world.jira_flavour == "cloud" else "/rest/api/2/search.200"
    assert by_endpoint[search] == (1 if search.endswith("jql.200") else 2)  # one walk for both projects
    assert by_endpoint["/rest/api/2/myself.200"] == 1 and by_endpoint["/rest/api/2/field.200"] == 1
    assert sum(by_endpoint.values()) <= 5


def test_moving_the_clock_reveals_new_issues(server):
    client = _client(server)
    cursors = {b.partition: b.cursor for b in _mine(client)}
    server.state.now = t(31)
    batches = _mine(client, cursors)
    got = _records(batches)
    assert ("raw_jira_issues", "ML-4") in got
    assert {b.partition: b.cursor for b in batches} == {"jira:ML": "2026-10-30 10:00", "jira:SRCH": "2026-10-12 10:00"}


def test_backfill_since_replaces_the_window_and_never_moves_the_cursor_back(server):
    client = _client(server)
    cursors = {b.partition: b.cursor for b in _mine(client)}
    batches = _mine(client, cursors, since=t(8))
    issues = sorted(k[1] for k in _records(batches) if k[0] == "raw_jira_issues")
    assert issues == ["SRCH-1", "SRCH-3", "SRCH-4"]  # updated on or after 2026-10-08
    assert {b.partition: b.cursor for b in batches} == cursors
    assert len(_records(_mine(client, cursors, since=t(8), full=True))) == 18  # full wins


def test_cursor_is_read_in_the_users_time_zone():
    """JQL reads dates in the user's zone: a UTC cursor sent as-is would skip 7 hours here."""
    world = _world("cloud")
    world.person("ana").timezone = "America/Los_Angeles"
    world.now = t(7, 10, 30)
    world.jira_issues.append(
        JiraIssue(
            id="20009",
            key="ML-5",
            project="ML",
            issue_type="Task",
            summary="Late",
            status="To Do",
            status_category="new",
            reporter="ana",
            created=t(7, 12),
            updated=t(7, 12),
        )
    )
    with SandboxServer(world) as server:
        client = _client(server, "tok-ana")
        cursors = {b.partition: b.cursor for b in _mine(client)}
        assert cursors["jira:ML"] == "2026-10-07 10:00"
        server.state.now = t(8)
        got = _records(_mine(client, cursors))
    assert ("raw_jira_issues", "ML-5") in got
    assert got[("raw_jira_issues", "ML-5")].created_at == t(7, 12)


def _busy_world(flavour: str):
    """tiny_world plus 230 ML tasks, one per minute from 2026-10-11 10:05."""
    world = _world(flavour)
    for n in range(5, 235):
        created = t(11) + dt.timedelta(minutes=n)
        world.jira_issues.append(
            JiraIssue(
                id=str(21000 + n),
                key=f"ML-{n}",
                project="ML",
                issue_type="Task",
                summary=f"task {n}",
                status="To Do",
                status_category="new",
                reporter="bo",
                created=created,
                updated=created,
            )
        )
    return world


def _issue_keys(batches) -> list[str]:
    return [r.key for b in batches for r in b.records if isinstance(r, JiraIssueRecord)]


def test_many_pages_commit_cursor_page_by_page(monkeypatch):
    monkeypatch.setattr("miners.jira.miner.WALK_PAGE", 100)  # Cloud pages of 100 are what search/jql serves anyway
    with SandboxServer(_busy_world("datacenter")) as server:
        batches = [b for b in _mine(_client(server)) if b.partition == "jira:ML" and not b.done]
        walks = [k for k in _by_endpoint(server) if "/search" in k]
    assert len(batches) == 3 and walks
    assert [b.stats["items"] for b in batches] == [
        sum(isinstance(r, JiraIssueRecord) for r in b.records) for b in batches
    ]
    cursors = [b.cursor for b in batches]
    assert cursors == sorted(cursors) and cursors[-1] == "2026-10-11 13:54"
    keys = _issue_keys(batches)
    assert len(keys) == len(set(keys)) == 233  # re-reads of a page's last minute are dropped


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_an_edit_during_the_run_does_not_make_another_issue_slip(flavour, monkeypatch):
    """Offset paging would skip one issue when ML-10 jumps from page 1 to the end of the order."""
    monkeypatch.setattr("miners.jira.miner.WALK_PAGE", 100)
    world = _busy_world(flavour)
    with SandboxServer(world) as server:
        batches = []
        for batch in mine_jira(_client(server), ["ML"], {}, now=lambda: FETCHED):
            if not batches:
                edited = next(i for i in world.jira_issues if i.key == "ML-10")
                edited.summary, edited.updated = "edited mid-run", t(24)
            batches.append(batch)
    keys = _issue_keys(batches)
    assert set(keys) == {f"ML-{n}" for n in [1, 2, 3, *range(5, 235)]}
    assert keys.count("ML-10") == 2 and keys[-1] == "ML-10"
    assert batches[-1].cursor == "2026-10-24 10:00"


def test_bad_token_is_a_miner_error(server):
    client = _client(server, "wrong-token")
    with pytest.raises(MinerError, match="401.*token is invalid or expired"):
        _mine(client)
    ids = {
        "severity": "customfield_10040",
        "commander": "customfield_10041",
        "postmortem": "customfield_10042",
        "epic_link": "customfield_10014",
    }
    with pytest.raises(MinerError, match="401 for the issue search"):
        _mine(client, field_ids=ids)  # no field list needed: the search itself is refused


def test_unknown_project_fails_that_project_only_with_a_clear_error(server):
    batches = list(mine_jira(_client(server), ["NOPE", "ML"], {}, now=lambda: FETCHED))
    failed = [b for b in batches if b.error]
    assert [(b.partition, b.records, b.cursor) for b in failed] == [("jira:NOPE", (), None)]
    assert "400" in (failed[0].error or "") and "NOPE" in (failed[0].error or "")
    assert "project keys" in (failed[0].error or "")  # says what to check
    ml = [b for b in batches if b.partition == "jira:ML"]
    assert ml[-1].done and ml[-1].cursor == "2026-10-07 10:00"
    assert {r.source_id for b in ml for r in b.records if isinstance(r, JiraIssueRecord)} == {"ML-1", "ML-2", "ML-3"}


def test_410_from_the_removed_search_names_the_endpoint_and_the_fix():
    with SandboxServer(_world("cloud")) as server:
        client = JIRA(
            server=server.jira_url, basic_auth=("x@acme.test", "tok-service"), get_server_info=False, max_retries=0
        )  # a client that does not know it is on Cloud
        with pytest.raises(JIRAError) as err:
            client.search_issues("project = ML")
        error = explain_jira_error(err.value, server.jira_url, "the issue search of jira:ML")
        # the miner itself asks serverInfo when the client skipped it, and never calls /search
        list(mine_jira(client, ["ML"], {}))
        by_endpoint = _by_endpoint(server)
    assert isinstance(error, MinerError)
    assert "410" in str(error) and "/rest/api/2/search" in str(error) and "search/jql" in str(error)
    assert by_endpoint["/rest/api/2/search.410"] == 1
    assert by_endpoint["/rest/api/2/search/jql.200"] == 1


def test_incident_projects_and_field_overrides():
    with SandboxServer(_world("cloud")) as server:
        got = _records(
            _mine(
                _client(server),
                incident_projects=("SRCH",),
                incident_types=(),
                field_ids={"severity": "customfield_10042"},
            )
        )
    assert all(r.is_incident == (r.project == "SRCH") for r in got.values() if isinstance(r, JiraIssueRecord))
    assert got[("raw_jira_issues", "SRCH-1")].severity == "https://wiki.acme.test/pm/srch-1"
    assert {k[1] for k in got if k[0] == "raw_jira_incidents"} == {"SRCH-1", "SRCH-2", "SRCH-3", "SRCH-4"}


def test_one_info_line_per_project_and_one_per_run(server, caplog):
    with caplog.at_level(logging.INFO, logger="miners.jira.miner"):
        _mine(_client(server))
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    requests = 4 if server.state.world.jira_flavour == "cloud" else 3
    assert lines == [
        "jira:ML: 3 issues, cursor None -> 2026-10-07 10:00",
        "jira:SRCH: 4 issues, cursor None -> 2026-10-12 10:00",
        f"jira: 2 projects (0 failed), 7 issues, {requests} requests (0 retries), 0 issues with comments paged, "
        "0 quarantined",
    ]
    assert not any("tok-" in r.getMessage() for r in caplog.records)
