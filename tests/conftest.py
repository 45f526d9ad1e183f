"""Fixtures shared by the tests of several packages (helpers that are not fixtures: ``tests/support``).

Two tiers: ``pytest -m "not slow"`` is the fast, offline tier; ``pytest -m slow`` the end-to-end tier
(full syncs through the sandbox, the nightly flow and the demo, the wheel, faults and crash safety,
the classifier evaluation harness).  ``make test`` runs both, fast first.
"""

from __future__ import annotations

import pytest

from tests.support.worlds import tiny_world


@pytest.fixture(scope="session")
def synced_tiny(tmp_path_factory):
    """tiny_world served by a running sandbox, synced, classified and evidenced by the real stages.

    Yields ``(world, server, config_path)``; the server keeps serving (``ladder report
    --viewer-token-env`` asks it who owns a token).  Read-only for the tests that share it.
    """
    from flows import stages
    from flows.config import read_config
    from sandbox.config_writer import sandbox_env, write_sandbox_config
    from sandbox.server import SandboxServer

    world = tiny_world()
    tmp = tmp_path_factory.mktemp("synced-tiny")
    with SandboxServer(world) as server:
        config_path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        with pytest.MonkeyPatch.context() as mp:
            for key, value in sandbox_env(world).items():
                mp.setenv(key, value)
            config = read_config(config_path)
            stages.sync_roster(config)
            stages.sync_github(config)
            stages.sync_jira(config)
            stages.classify(config)
            stages.build_evidence(config)
        yield world, server, config_path
