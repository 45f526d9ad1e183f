"""The shipped fault profiles bite on any world (issue 16, item 9).

``outage`` fired at the 50th API request and ``throttled`` at the 100th GitHub request: a 20-engineer
world's whole sync makes about 40, so they fired 0 and 1 faults.  They now fire at a share of the world's
request floor (``sandbox.faults.requests_floor``: the fewest requests any full sync of it makes), so a
full sync of the smallest world meets them, and the miners still read everything.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

import miners.github.miner
import miners.jira.miner
from flows import stages
from miners.github.ratelimit import RateLimitPolicy
from miners.jira.client import RetryPolicy
from sandbox.faults import load_profile, requests_floor
from sandbox.generate import generate_world
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

WORLDS = {"tiny": tiny_world, "generated-5": lambda: generate_world(engineers=5, months=1, seed=3)}
EXPECTED = {"outage": ("error", 5), "throttled": ("budget_exhaustion", 3)}


@pytest.mark.slow  # full syncs under faults
@pytest.mark.parametrize("world_name", sorted(WORLDS))
@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_shipped_profiles_fire_on_a_small_world_and_the_sync_recovers(tmp_path, monkeypatch, profile, world_name):
    world = WORLDS[world_name]()
    with synced_world(world, tmp_path, stage_names=(), faults=load_profile(profile)) as s:
        state = s.server.state

        def sleep(seconds: float) -> None:  # waits move the sandbox's virtual clock; nothing really sleeps
            state.now = state.now + dt.timedelta(seconds=max(0.0, seconds))

        github_policy = RateLimitPolicy(clock=lambda: state.now.timestamp(), sleep=sleep)
        monkeypatch.setattr(
            miners.github.miner, "mine_github", functools.partial(miners.github.miner.mine_github, policy=github_policy)
        )
        monkeypatch.setattr(
            miners.jira.miner,
            "mine_jira",
            functools.partial(miners.jira.miner.mine_jira, retry=RetryPolicy(sleep=sleep)),
        )
        for stage in (stages.sync_roster, stages.sync_github, stages.sync_jira):
            stage(s.config)
        stats = state.stats()
    kind, count = EXPECTED[profile]
    assert stats["faults"]["injected"].get(kind) == count, stats["faults"]
    sent = stats["github"].get("rest_requests", 0) + stats["github"].get("graphql_requests", 0)
    assert requests_floor(world, ["github"]) <= sent
    assert requests_floor(world, ["jira"]) <= stats["jira"].get("requests", 0)
    assert sent + stats["jira"].get("requests", 0) < 50  # the old `at: [50]` would never have fired here


def test_the_request_floor_of_the_tiny_world():
    world = tiny_world()
    assert (
        requests_floor(world, ["github"]) == 3
    )  # the org listing, acme/trainer, acme/search-api (old-scripts: archived)
    assert requests_floor(world, ["jira"]) == 2
    assert requests_floor(world, ["github", "jira"]) == 5
