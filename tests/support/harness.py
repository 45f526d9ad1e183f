"""Shared by the miner robustness tests (issues 15 and 16): a sandbox, real clients, the virtual clock.

Nothing here is a fake: the miners run with the real PyGithub / jira clients against a
``SandboxServer`` on loopback, and the stages write a real migrated DuckDB file.  Only the clock
and the sleep are replaced: ``VirtualTime`` makes every wait of the miners' policies move the
sandbox's virtual clock instead of sleeping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

import miners.github.miner
import miners.jira.miner
from flows import stages
from flows.config import LadderConfig, read_config
from miners.github.ratelimit import RateLimitPolicy
from miners.jira.client import RetryPolicy
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.server import SandboxServer
from sandbox.world import World


class VirtualTime:
    """The sandbox's virtual clock as the miners' clock and sleep; records every wait."""

    def __init__(self, state) -> None:
        self.state, self.waits, self.lock = state, [], threading.Lock()

    def clock(self) -> float:
        return self.state.now.timestamp()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.waits.append(seconds)
            self.state.now = self.state.now + dt.timedelta(seconds=max(0.0, seconds))


def github_client(server: SandboxServer, token: str) -> Github:
    return Github(
        base_url=server.github_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        timeout=10,
    )


def policy_for(server: SandboxServer, **kwargs) -> tuple[RateLimitPolicy, VirtualTime]:
    vt = VirtualTime(server.state)
    return RateLimitPolicy(clock=vt.clock, sleep=vt.sleep, **kwargs), vt


@contextlib.contextmanager
def staged(
    world: World, server: SandboxServer, tmp_path: Path, **policy
) -> Iterator[tuple[LadderConfig, RateLimitPolicy]]:
    """A config for ``server`` (tokens in the environment) whose GitHub and Jira stages wait on the virtual clock."""
    mp = pytest.MonkeyPatch()
    try:
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        config = read_config(write_sandbox_config(world, server, tmp_path / "ladder.yaml"))
        gh_policy, vt = policy_for(server, **policy)
        mp.setattr(
            miners.github.miner, "mine_github", functools.partial(miners.github.miner.mine_github, policy=gh_policy)
        )
        retry = RetryPolicy(sleep=vt.sleep, clock=vt.clock)
        mp.setattr(miners.jira.miner, "mine_jira", functools.partial(miners.jira.miner.mine_jira, retry=retry))
        yield config, gh_policy
    finally:
        mp.undo()


def sync(config: LadderConfig, *, jira: bool = True) -> dict[str, list[dict]]:
    """The roster, GitHub and (optionally) Jira stages, as the nightly flow runs them."""
    out = {"roster": stages.sync_roster(config), "github": stages.sync_github(config)}
    if jira:
        out["jira"] = stages.sync_jira(config)
    return out


def failed_partitions(result: dict[str, list[dict]]) -> dict[str, str]:
    return {s["partition"]: s["error"] for summaries in result.values() for s in summaries if s.get("error")}
