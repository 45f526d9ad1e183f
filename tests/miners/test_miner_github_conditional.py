"""Issue 15: REST reads that repeat across nights (the org's teams, their repos and members) are conditional.

The answers are kept in the warehouse (``http_cache``) with their ETags; the next night asks with
``If-None-Match`` and GitHub answers 304, which it does not charge.  A list that changed comes back 200.
Real PyGithub against the sandbox (which sends ETags and honours ``If-None-Match`` like GitHub), a real
migrated DuckDB through ``flows.stages``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bench.crash_safety import content_fingerprint
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.harness import staged, sync
from warehouse import open_warehouse

pytestmark = pytest.mark.slow  # full syncs of a generated world through the stages


def _team_calls(stats: dict) -> dict[str, int]:
    return {k: v for k, v in stats["github"]["by_endpoint"].items() if k.startswith("/orgs/{org}/teams")}


def test_teams_are_read_conditionally_and_a_304_costs_nothing(tmp_path):
    world = generate_world(engineers=12, months=2, seed=1)
    teams = len(world.teams)
    with SandboxServer(world, now=world.now - dt.timedelta(days=10)) as server:
        with staged(world, server, tmp_path / "fresh") as (fresh, _):
            server.state.now = world.now
            sync(fresh, jira=False)
            reference = content_fingerprint(fresh.warehouse_path)
        server.state.now = world.now - dt.timedelta(days=10)
        with staged(world, server, tmp_path / "nightly") as (config, _):
            sync(config, jira=False)  # the first night keeps the answers
            with open_warehouse(config.warehouse_path, read_only=True) as wh:
                assert len(wh.read_http_cache()) == 1 + 2 * teams
            server.state.now = world.now  # ten days later: repos changed, so the teams are read again
            server.state.reset_stats()
            summaries = sync(config, jira=False)
            stats = server.state.stats()
            calls = _team_calls(stats)
            # The teams list and every member list are unchanged: 304s.  A team's repos list embeds each repo
            # (pushed_at, open issues), which ten days of activity changed: those come back 200, as on GitHub.
            assert calls["/orgs/{org}/teams.304"] == 1 and calls["/orgs/{org}/teams/{team_slug}/members.304"] == teams
            not_modified = sum(v for k, v in calls.items() if k.endswith(".304"))
            assert not_modified + calls.get("/orgs/{org}/teams/{team_slug}/repos.200", 0) == 1 + 2 * teams, calls
            assert stats["github"]["not_modified"] == not_modified
            org = next(s for s in summaries["github"] if s["partition"] == f"github:{world.org}")
            assert org["not_modified"] == not_modified
            assert content_fingerprint(config.warehouse_path) == reference  # the 304s replayed the same teams
            # A list that changed comes back whole, and the record follows it.
            world.teams[-1].name = "Renamed team"
            server.state.now = server.state.now + dt.timedelta(minutes=1)
            next(p for p in world.pull_requests if p.repo.endswith(world.repos[0].name)).updated_at = server.state.now
            server.state.reset_stats()
            sync(config, jira=False)
            calls = _team_calls(server.state.stats())
    assert calls.get("/orgs/{org}/teams.200") == 1, calls
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        names = {r[0] for r in wh.con.execute("SELECT name FROM raw_github_teams").fetchall()}
    assert "Renamed team" in names
