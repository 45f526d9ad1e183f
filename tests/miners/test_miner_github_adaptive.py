"""Issue 15: GraphQL reads that adapt to what GitHub can finish, and errors that come back in a 200.

The strict sandbox models how long GitHub takes to answer a query (``sandbox.github.graphql_limits``):
over its resource limit it drops the heaviest PR connections (``RESOURCE_LIMITS_EXCEEDED``, partial data
in a 200); over its timeout it answers 502 and charges penalty points.  Its knobs (``side(state)``) are
lowered here so that a page of 49 ordinary PRs is already too much.  Real PyGithub, loopback, and the
virtual clock; the records must equal those of a sync against a lenient sandbox, or the world itself.
"""

from __future__ import annotations

import pytest

from miners.github.miner import mine_github
from sandbox.generate import generate_world
from sandbox.github.http import side
from sandbox.server import SandboxServer
from tests.support.github import FETCHED, expected_history, expected_records
from tests.support.harness import github_client, policy_for

pytestmark = pytest.mark.slow  # the miner over generated worlds on the strict sandbox

LENIENT = {"graphql_timeout_ms": 1e12, "graphql_resource_ms": 1e12}


@pytest.fixture(scope="module")
def world():
    return generate_world(engineers=12, months=2, seed=1)  # 262 PRs; three repos need a second page of 49


def _mine(server, world, **knobs):
    for key, value in knobs.items():
        setattr(side(server.state), key, value)
    policy, vt = policy_for(server)
    batches = list(
        mine_github(
            github_client(server, world.tokens.service),
            [world.org],
            {},
            include_archived=True,
            policy=policy,
            now=lambda: FETCHED,
        )
    )
    return batches, policy, server.state.stats()["github"]


@pytest.fixture(scope="module")
def reference(world):
    with SandboxServer(world) as server:
        batches, _, _ = _mine(server, world, **LENIENT)
    return {r for b in batches for r in b.records}


def _stat(batches, key: str) -> int:
    return sum(b.stats.get(key, 0) for b in batches)


def test_pages_that_always_time_out_at_49_prs_complete_at_a_smaller_size(world, reference):
    with SandboxServer(world) as server:
        # a 49-PR page of this world takes about 5 s to answer; 3 s is GitHub's budget here
        batches, policy, stats = _mine(server, world, graphql_timeout_ms=3_000, graphql_resource_ms=1e12)
    assert not [b.error for b in batches if b.error]
    assert {r for b in batches for r in b.records} == reference
    assert stats["graphql_timeouts"] >= 3 and stats["by_endpoint"]["/graphql.502"] == stats["graphql_timeouts"]
    assert _stat(batches, "page_size_reductions") >= 3 and policy.events["too_heavy"] >= 3
    assert policy.retries == 0  # a timeout is not retried as is: the next ask is smaller


def test_resource_limited_pages_keep_what_came_and_re_ask_for_the_rest():
    world = generate_world(engineers=12, months=2, seed=1, heavy_tail=0.05)
    with SandboxServer(world) as server:
        expected = {r for b in _mine(server, world, **LENIENT)[0] for r in b.records}
        lenient_followups = server.state.stats()["github"]["graphql_requests"]
    with SandboxServer(world) as server:
        # 5 s: a page with a PR of 100 files fits once that PR's files are dropped (GitHub's partial data)
        batches, policy, stats = _mine(server, world, graphql_timeout_ms=1e12, graphql_resource_ms=5_000)
    assert not [b.error for b in batches if b.error]
    assert {r for b in batches for r in b.records} == expected
    assert stats["graphql_resource_limited"] >= 1 and _stat(batches, "partial_pages") >= 1
    assert stats["graphql_requests"] > lenient_followups  # the dropped files were read again with PullMore


def test_one_pr_too_heavy_to_read_whole_is_read_without_its_timeline_then_apart():
    world = generate_world(engineers=6, months=1, seed=2, heavy_tail=0.3)
    with SandboxServer(world) as server:
        expected = {r for b in _mine(server, world, **LENIENT)[0] for r in b.records}
    with SandboxServer(world) as server:
        # 0.8 s: not even one PR with 100 files and 100 timeline items fits; its connections are read apart,
        # 50 or fewer items a query
        batches, policy, stats = _mine(server, world, graphql_timeout_ms=800, graphql_resource_ms=1e12)
        light = server.state.stats()["github"]
    assert not [b.error for b in batches if b.error]
    assert {r for b in batches for r in b.records} == expected
    assert stats["graphql_timeouts"] >= 2 and _stat(batches, "followup_queries") >= 2
    assert light["graphql_points"] > 0


def test_a_spent_graphql_budget_sent_as_a_200_waits_for_the_reset(world, reference):
    with SandboxServer(world) as server:
        gh = side(server.state)
        start, reset = gh.window()
        gh.graphql_used[(world.tokens.service, start)] = gh.graphql_limit  # spent before the sync starts
        batches, policy, stats = _mine(server, world, **LENIENT)
        now = server.state.now.timestamp()
    assert {r for b in batches for r in b.records} == reference
    assert stats["graphql_rate_limited"] == 1 and policy.events["primary_limit"] == 1
    assert now >= reset  # waited on the virtual clock until the announced reset, then went on


def test_the_heavy_tail_is_read_completely_on_the_strict_sandbox():
    world = generate_world(engineers=10, months=1, seed=3, heavy_tail=0.05)
    assert any(len(p.files) > 100 or len(p.issue_comments) > 100 for p in world.pull_requests)
    with SandboxServer(world) as server:
        batches, policy, stats = _mine(server, world)  # the default strict limits
    html = f"https://github.{world.org}.test"
    got = [r for b in batches for r in b.records if type(r).__name__ not in ("AccountRecord", "RepoRecord")]
    got = [r for r in got if type(r).__name__ not in ("GitHubTeamRecord", "CodeOwnersRecord")]
    assert len(got) == len(set(got))
    assert set(got) == expected_records(world, html=html) | expected_history(world, html=html)
    assert _stat(batches, "followup_queries") >= 1


def test_secondary_limits_per_minute_are_waited_out_and_lose_nothing(world, reference):
    with SandboxServer(world) as server:
        gh = side(server.state)
        batches, policy, stats = _mine(server, world, secondary_rest_per_minute=4, secondary_graphql_per_minute=6)
        waits = policy.secondary_waited_seconds
    assert {r for b in batches for r in b.records} == reference
    assert policy.events["secondary_limit"] >= 2 and 0 < waits
    assert any(k.endswith(".403") for k in stats["by_endpoint"])
    assert gh.in_flight.get(world.tokens.service, 0) == 0
