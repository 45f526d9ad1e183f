"""A GitHub server that cannot be reached ends in a clear MinerError after the policy's retries, never a raw trace."""

from __future__ import annotations

import socket

import pytest
from github import Auth, Github

from miners.base import MinerError
from miners.github.miner import mine_github
from miners.github.ratelimit import RateLimitPolicy


def test_unreachable_server_is_a_clear_error_after_bounded_retries():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    clock = [1_000_000.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    policy = RateLimitPolicy(clock=lambda: clock[0], sleep=sleep, max_retries=3)
    gh = Github(
        base_url=f"http://127.0.0.1:{port}/api/v3",
        auth=Auth.Token("t"),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        timeout=5,
    )
    with pytest.raises(MinerError) as err:
        list(mine_github(gh, ["acme"], {}, policy=policy))
    message = str(err.value)
    assert "cannot reach GitHub" in message and f"127.0.0.1:{port}" in message and "base_url" in message
    assert len(waits) == 3  # bounded, on the injected clock
