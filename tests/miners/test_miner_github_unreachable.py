"""A GitHub server that cannot be reached ends in a clear error after the policy's retries, never a raw trace.

The org cannot be listed: its partition is recorded as failed (``Batch.error``) with the message, and the
miner ends (the flow reports a partial sync and the other sources still run).
"""

from __future__ import annotations

import socket

from github import Auth, Github

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
    batches = list(mine_github(gh, ["acme", "other"], {}, policy=policy))
    assert [(b.partition, b.records, b.cursor) for b in batches] == [
        ("github:acme", (), None),
        ("github:other", (), None),
    ]
    message = batches[0].error or ""
    assert batches[1].error == f"not synced: {message}"  # nothing more is requested once the source stopped
    assert "cannot reach GitHub" in message and f"127.0.0.1:{port}" in message and "base_url" in message
    assert len(waits) == 3  # bounded, on the injected clock
