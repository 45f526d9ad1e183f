"""Issue 16.6 (and 15's secondary limits): every form a rate-limit answer takes is handled with caps and a
clear error class, never a traceback or an endless loop.

- ``Retry-After`` as an HTTP date is waited out on the clock, not ignored;
- a reset more than an hour away stops the source with ``RateLimitWaitTooLong`` (a ``MinerError``): the
  partitions not yet read are recorded as failed and nothing more is requested;
- a 403 with ``Retry-After: 1`` forever gives up after the policy's retries (``SecondaryRateLimited``),
  with exponentially longer waits after the first;
- a secondary limit without ``Retry-After`` waits at least 60 s, then 120, 240 … and gives up at the cap;
- Jira: an HTTP-date ``Retry-After``, one longer than allowed, and 429 forever.

Real clients against the sandbox (its fault rules send the answers); waits move the virtual clock.
"""

from __future__ import annotations

import datetime as dt

import pytest
from jira import JIRA

from miners.base import MinerError, SourceStop
from miners.github.miner import mine_github
from miners.github.ratelimit import RateLimitWaitTooLong, SecondaryRateLimited
from miners.jira.client import JiraRateLimited, RetryPolicy
from miners.jira.miner import mine_jira
from sandbox.faults import FaultProfile
from sandbox.server import SandboxServer
from tests.support.github import expected_records
from tests.support.harness import VirtualTime, github_client, policy_for
from tests.support.worlds import tiny_world

GITHUB_REST = {"apis": ["github"], "paths": ["/api/v3/*"]}


def _mine(server, world, **policy):
    policy_obj, vt = policy_for(server, **policy)
    batches = list(
        mine_github(github_client(server, world.tokens.service), ["acme"], {}, policy=policy_obj, now=lambda: FETCHED)
    )
    return batches, policy_obj, vt


FETCHED = dt.datetime(2026, 10, 25, 3, 0, tzinfo=dt.timezone.utc)


def _profile(*rules: dict) -> FaultProfile:
    return FaultProfile.model_validate({"rules": list(rules)})


def _github_requests(server) -> int:
    return server.state.stats()["github"]["requests"]


def test_the_error_classes_are_miner_errors():
    for cls in (RateLimitWaitTooLong, SecondaryRateLimited, JiraRateLimited):
        assert issubclass(cls, SourceStop) and issubclass(cls, MinerError)


def test_retry_after_as_an_http_date_is_waited_out_on_the_clock():
    world = tiny_world()
    rule = {"kind": "secondary_limit", "retry_after_seconds": 120, "retry_after_format": "http_date", "at": [2]}
    with SandboxServer(world, faults=_profile({**rule, **GITHUB_REST})) as server:
        batches, policy, vt = _mine(server, world)
        assert server.state.stats()["faults"]["injected"] == {"secondary_limit": 1}
    assert not [b for b in batches if b.error]
    assert len(vt.waits) == 1 and 119 <= vt.waits[0] <= 120, vt.waits  # the date, to the second
    got = {r for b in batches for r in b.records if type(r).__name__ != "AccountRecord"}
    assert {r for r in expected_records(world) if r.source_id} <= got | {r for r in got}


def test_a_reset_more_than_an_hour_away_stops_the_source_cleanly():
    world = tiny_world()
    rule = {"kind": "budget_exhaustion", "apis": ["github"], "at": [2], "reset_after_seconds": 3 * 3600}
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, policy, vt = _mine(server, world)
        requests = _github_requests(server)
    failed = {b.partition: b.error for b in batches if b.error}
    assert failed, batches
    first = next(iter(failed.values()))
    assert "would wait 10801 s, more than the allowed 3700 s" in first and "run the sync again later" in first
    reason = first.removeprefix("org teams not read: ")
    assert all(e.endswith(reason) for e in failed.values()) and len(failed) >= 2, failed
    assert vt.waits == [] and requests == 2  # nothing waited, nothing sent after the answer


def test_a_secondary_limit_that_never_lifts_gives_up_with_backoff_instead_of_looping():
    """84 retries in 100 s was the old behaviour with ``Retry-After: 1`` forever."""
    world = tiny_world()
    rule = {"kind": "secondary_limit", "retry_after_seconds": 1, "rate": 1.0, **GITHUB_REST}
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, policy, vt = _mine(server, world)
        injected = server.state.stats()["faults"]["injected"]["secondary_limit"]
    assert vt.waits == [1, 60, 120, 240, 480]  # as asked once, then GitHub's exponential advice
    assert injected == 6  # one request, five retries, then the source stops: no other REST request
    errors = [b.error for b in batches if b.error]
    assert errors and "secondary rate limit did not lift" in errors[0] and "5 retries" in errors[0]


def test_a_secondary_limit_without_retry_after_waits_a_minute_doubling_then_gives_up_at_the_cap():
    world = tiny_world()
    rule = {"kind": "secondary_limit", "retry_after_seconds": None, "rate": 1.0, **GITHUB_REST}
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, policy, vt = _mine(server, world)
    assert vt.waits == [60, 120, 240, 480, 960]
    assert min(vt.waits) >= 60 and policy.secondary_waited_seconds == sum(vt.waits)
    assert any("secondary rate limit did not lift" in (b.error or "") for b in batches)
    # a total cap on secondary waits holds too: with 30 minutes allowed it stops before the fifth wait
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, policy, vt = _mine(server, world, max_secondary_wait_seconds=1800)
    assert vt.waits == [60, 120, 240, 480] and any("past 1800 s" in (b.error or "") for b in batches)


def test_a_secondary_limit_without_retry_after_that_lifts_loses_nothing():
    world = tiny_world()
    with SandboxServer(world) as reference:
        expected, _, _ = _mine(reference, world)
    rule = {"kind": "secondary_limit", "retry_after_seconds": None, "at": [2], "burst": 2, **GITHUB_REST}
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, policy, vt = _mine(server, world)
    assert vt.waits == [60, 120]
    assert {r for b in batches for r in b.records} == {r for b in expected for r in b.records}


# --- Jira ----------------------------------------------------------------------------------------------


def _jira(server, world, **kwargs):
    vt = VirtualTime(server.state)
    client = JIRA(
        server=server.jira_url,
        basic_auth=("x@acme.test", world.tokens.service),
        max_retries=0,
        get_server_info=False,  # the miner asks serverInfo itself, under its retry policy
    )
    policy = RetryPolicy(sleep=vt.sleep, clock=vt.clock, **kwargs)
    return list(mine_jira(client, ["ML", "SRCH"], {}, retry=policy)), vt


def test_jira_http_date_retry_after_is_honoured():
    world = tiny_world()
    rule = {"kind": "secondary_limit", "apis": ["jira"], "retry_after_seconds": 90, "retry_after_format": "http_date"}
    with SandboxServer(world, faults=_profile({**rule, "at": [3]})) as server:
        batches, vt = _jira(server, world)
    assert not [b for b in batches if b.error] and len(vt.waits) == 1 and 89 <= vt.waits[0] <= 90


def test_jira_asking_for_a_longer_wait_than_allowed_stops_the_source():
    world = tiny_world()
    rule = {"kind": "secondary_limit", "apis": ["jira"], "retry_after_seconds": 7200, "at": [3]}
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, vt = _jira(server, world)
    failed = {b.partition: b.error for b in batches if b.error}
    assert set(failed) == {"jira:ML", "jira:SRCH"} and vt.waits == []
    assert all("asks to wait 7200 s" in e for e in failed.values())


@pytest.mark.parametrize("status", [429, 503])
def test_jira_answering_429_or_503_forever_gives_up_after_the_policy_attempts(status):
    world = tiny_world()
    rule = (
        {"kind": "secondary_limit", "apis": ["jira"], "retry_after_seconds": 1, "rate": 1.0}
        if status == 429
        else {"kind": "error", "apis": ["jira"], "statuses": [503], "rate": 1.0}
    )
    with SandboxServer(world, faults=_profile(rule)) as server:
        batches, vt = _jira(server, world, max_attempts=4)
        served = server.state.stats()["jira"]["requests"]
    failed = {b.partition: b.error for b in batches if b.error}
    assert set(failed) == {"jira:ML", "jira:SRCH"}
    assert served <= 4 * 3 + 1  # bounded: serverInfo, then at most the attempts of a few requests
    if status == 429:
        assert all("kept answering 429" in e for e in failed.values())
    else:
        assert all("kept failing" in e and "503" in e for e in failed.values())
