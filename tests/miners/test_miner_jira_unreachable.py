"""A Jira server that cannot be reached, or refuses the token at connect time, is a clear MinerError."""

from __future__ import annotations

import socket

import pytest

from miners.base import MinerError
from miners.jira.client import connect_jira
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world


def test_unreachable_jira_names_the_url_and_the_fix():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(MinerError) as err:
        connect_jira(f"http://127.0.0.1:{port}/jira", token_auth="t", max_retries=0, timeout=5)
    assert f"cannot reach Jira at http://127.0.0.1:{port}/jira" in str(err.value)
    assert "jira.url" in str(err.value)


def test_connecting_to_the_sandbox_works():
    world = tiny_world()
    with SandboxServer(world) as server:
        client = connect_jira(server.jira_url, token_auth=world.tokens.service, max_retries=0, timeout=5)
        assert client.server_info()["deploymentType"] == "Cloud"
