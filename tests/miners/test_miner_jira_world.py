"""The Jira miner on a generated company: exactness, API budget, replayed nights, 429/5xx policy.

Cloud and Data Center, real ``jira`` client, sandbox over loopback, a real
migrated DuckDB for the replay.  Only the retry policy's sleep is replaced.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from jira import JIRA

from miners.base import MinerError
from miners.jira.client import JiraRateLimited
from miners.jira.miner import RetryPolicy, mine_jira
from miners.records import ALL_RECORD_TYPES
from sandbox.generate import generate_world
from sandbox.jira.bulk import throttle
from sandbox.server import SandboxServer
from tests.support.jira import comparable, expected_records
from warehouse import open_warehouse

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
JIRA_TABLES = {cls.TABLE: cls for cls in ALL_RECORD_TYPES if cls.TABLE.startswith("raw_jira")}


def _world(flavour: str):
    world = generate_world(engineers=24, months=2, seed=3)
    world.jira_flavour = flavour
    return world


def _client(server) -> JIRA:
    return JIRA(
        server=server.jira_url,
        basic_auth=(server.state.world.tokens.service_jira_email, server.state.world.tokens.service),
        max_retries=0,
    )


def _projects(world) -> list[str]:
    return [p.key for p in world.jira_projects]


def _requests(server) -> int:
    return server.state.stats()["jira"]["requests"]


@pytest.fixture(params=["cloud", "datacenter"], scope="module")
def server(request):
    with SandboxServer(_world(request.param)) as server:
        yield server


@pytest.mark.slow
def test_full_sync_is_exact_and_cheap_then_a_quiet_night_costs_under_one_request_per_project(server):
    world = server.state.world
    server.state.counts.clear()
    batches = list(mine_jira(_client(server), _projects(world), {}, now=lambda: FETCHED))
    full_requests = _requests(server)
    got = {(r.TABLE, r.source_id): comparable(r) for b in batches for r in b.records}
    expected = expected_records(world, server.state.now)
    assert got == expected
    tickets = len(world.jira_issues)
    assert (
        sum(1 for k in got if k[0] == "raw_jira_incidents")
        == sum(i.issue_type == "Incident" for i in world.jira_issues)
        > 0
    )
    assert full_requests / tickets <= 0.05, (full_requests, tickets)

    cursors = {b.partition: b.cursor for b in batches}
    server.state.counts.clear()
    stored = {r.key: r.updated_at for b in batches for r in b.records if r.TABLE == "raw_jira_issues"}
    quiet = list(
        mine_jira(
            _client(server),
            _projects(world),
            cursors,
            now=lambda: FETCHED,
            known=lambda keys: {k: stored[k] for k in keys if k in stored},
        )
    )
    assert {b.partition: b.cursor for b in quiet} == cursors
    assert [b.records for b in quiet] == [()] * len(_projects(world))
    # serverInfo (the client), field, myself and one walk for every project together
    assert _requests(server) <= len(_projects(world)), server.state.stats()["jira"]["by_endpoint"]

    server.state.counts.clear()  # without what the warehouse knows, the overlap's re-reads are fetched again
    list(mine_jira(_client(server), _projects(world), cursors, now=lambda: FETCHED))
    assert _requests(server) == 4 + (2 if world.jira_flavour == "cloud" else 1)


def _known(wh):
    """What flows would pass: the stored ``updated_at`` of the walked issues."""

    def lookup(keys):
        rows = wh.con.execute(
            "SELECT key, updated_at FROM raw_jira_issues WHERE list_contains(?::VARCHAR[], key)", [list(keys)]
        ).fetchall()
        return {k: u.astimezone(dt.timezone.utc) for k, u in rows}

    return lookup


@pytest.mark.slow
def test_thirty_replayed_nights_end_equal_to_the_world(server, tmp_path):
    world = server.state.world
    end = world.now
    server.state.now = end - dt.timedelta(days=30)
    clock = [FETCHED]
    try:
        with open_warehouse(tmp_path / "w.duckdb", clock=lambda: clock[0]) as wh:
            for night in range(31):
                server.state.now = end - dt.timedelta(days=30 - night)
                clock[0] = FETCHED + dt.timedelta(days=night)
                for batch in mine_jira(
                    _client(server),
                    _projects(world),
                    wh.read_cursors("jira"),
                    now=lambda: clock[0],
                    full=night == 0,
                    known=_known(wh),
                ):
                    wh.load_batch(batch)
            stored = {
                (cls.TABLE, r.source_id): comparable(r) for cls in JIRA_TABLES.values() for r in wh.read_records(cls)
            }
    finally:
        server.state.now = end
    assert stored == expected_records(world, end)


def test_429_is_retried_after_retry_after_with_the_injected_sleep():
    slept: list[float] = []
    with SandboxServer(_world("cloud")) as server:
        world = server.state.world
        client = _client(server)
        throttle(server.state, retry_after_seconds=7, times=2)
        policy = RetryPolicy(sleep=slept.append)
        batches = list(mine_jira(client, _projects(world), {}, now=lambda: FETCHED, retry=policy))
        by_endpoint = server.state.stats()["jira"]["by_endpoint"]
        assert slept == [7.0, 7.0]
        assert sum(v for k, v in by_endpoint.items() if k.endswith(".429")) == 2
        got = {(r.TABLE, r.source_id): comparable(r) for b in batches for r in b.records}
        assert got == expected_records(world, server.state.now)

        throttle(server.state, retry_after_seconds=3, times=50)
        limited = list(mine_jira(client, _projects(world), {}, retry=RetryPolicy(max_attempts=4, sleep=slept.append)))
    # every project is recorded as not synced, with the reason (the flow reports a partial sync)
    assert {b.partition for b in limited} == {f"jira:{p}" for p in _projects(world)}
    assert all(b.error and not b.records and b.cursor is None for b in limited)
    assert re.search(
        r"kept answering 429 \(rate limited\) while reading the field list.*4 times.*run the sync again",
        limited[0].error or "",
    )
    assert issubclass(JiraRateLimited, MinerError)
    assert slept[2:] == [3.0, 3.0, 3.0]


def test_backoff_without_retry_after_doubles_up_to_the_cap():
    policy = RetryPolicy(base_delay_seconds=2, max_delay_seconds=10, clock=lambda: 1_800_000_000.0)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    # Retry-After is honoured as asked (never sent early), in seconds or as an HTTP date; unreadable: backoff
    assert policy.delay(1, "30") == 30 and policy.delay(1, "0") == 0 and policy.delay(2, "Wed, 21 Oct") == 4
    assert policy.delay(1, "Fri, 15 Jan 2027 08:01:40 GMT") == 100  # 1_800_000_000 is 08:00:00 that day
    with pytest.raises(JiraRateLimited, match="asks to wait 3600 s"):  # longer than allowed: stop, run later
        policy.delay(1, "3600")
