"""Issue 16.1: a malformed page never moves a cursor past what was stored, and a partition that keeps
getting one fails cleanly; the next nightly run ends with the warehouse a clean sync writes.

The sandbox's ``malformed`` fault rewrites real answers into what proxies and bad deploys send:
``no_page_info`` (GraphQL ``pageInfo`` and Jira ``nextPageToken`` dropped, REST ``Link`` dropped),
``null_nodes``, ``truncated_json``, ``html`` and ``empty`` 200s, ``wrong_schema``.  The miners run
with the real clients against the sandbox and write a real migrated DuckDB through ``flows.stages``;
only the clock and the sleep are virtual.  "Equal" is ``bench.crash_safety.content_fingerprint``
(every data table and the cursors, ``fetched_at`` aside).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bench.crash_safety import content_fingerprint
from sandbox.faults import FaultProfile
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.harness import failed_partitions, staged, sync
from warehouse import open_warehouse

pytestmark = pytest.mark.slow  # full syncs of generated worlds under faults, then the healing night

MODES = ["no_page_info", "null_nodes", "truncated_json", "html", "empty", "wrong_schema"]
GRAPHQL = {"apis": ["github"], "paths": ["/api/graphql"]}
JIRA_SEARCH = {"apis": ["jira"], "paths": ["/jira/rest/api/*/search/jql"]}


@pytest.fixture(scope="module")
def world():
    # 262 PRs in 7 repos (three need a second page of 49), 147 tickets in 2 projects (two search pages of 100)
    return generate_world(engineers=12, months=2, seed=1)


@pytest.fixture(scope="module")
def server(world):
    """One server for the module (records carry its URL, so every warehouse compared must come from it)."""
    with SandboxServer(world, faults=FaultProfile()) as srv:
        yield srv


@pytest.fixture
def faults(server, world):
    """Install a fault profile on the shared server for one test; the clock starts at the world's now."""

    def install(*rules: dict) -> None:
        server.faults.use(FaultProfile.model_validate({"rules": list(rules)}))
        server.faults.enabled = True

    server.state.now = world.now
    server.state.reset_stats()
    yield install
    server.faults.use(FaultProfile())


@pytest.fixture(scope="module")
def clean(world, server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    with staged(world, server, tmp) as (config, _):
        result = sync(config)
        assert failed_partitions(result) == {}
        return content_fingerprint(config.warehouse_path)


def _rows(fingerprint: dict[str, str], table: str) -> int:
    return int(fingerprint[table].split(":")[0])


@pytest.mark.parametrize("where", ["github", "jira"])
@pytest.mark.parametrize("mode", MODES)
def test_a_page_that_stays_malformed_fails_its_partitions_and_the_next_night_heals(
    world, server, faults, clean, tmp_path, mode, where
):
    scope = GRAPHQL if where == "github" else JIRA_SEARCH
    # From the second request on (past the org listing / the first search page) every matching answer is
    # malformed, more times than the policies retry: those partitions must fail, not end early.
    faults({"kind": "malformed", "mode": mode, "at": [2], "burst": 500, **scope})
    with staged(world, server, tmp_path) as (config, policy):
        first = sync(config)
        failed = failed_partitions(first)
        after_first = content_fingerprint(config.warehouse_path)
        assert server.state.stats()["faults"]["injected"]["malformed"] >= 1
        # Never "exit 0 with data missing": when anything is missing, some partition says it failed.
        if after_first != clean:
            assert failed, f"{mode} on {where}: data missing and no partition failed"
        if not (where == "jira" and mode == "no_page_info"):  # Jira's walk restarts by date: see the next test
            assert failed and after_first != clean
        assert all(p.startswith(f"{where}:") for p in failed), failed
        assert all(("malformed" in e or "sent" in e or "not synced" in e) for e in failed.values()), failed
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            failing = {f["partition"] for f in wh.read_failing_partitions()}
            assert failing == set(failed)
            runs = wh.con.execute("SELECT source, status FROM sync_runs ORDER BY started_at").fetchall()
            assert (where, "partial" if failed else "ok") in runs
        # The next nightly run, the service healthy again: the warehouse a clean sync writes.
        server.faults.enabled = False
        second = sync(config)
        assert failed_partitions(second) == {}
        assert content_fingerprint(config.warehouse_path) == clean
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            assert wh.read_failing_partitions() == []


@pytest.mark.parametrize("mode", MODES)
def test_a_page_malformed_once_is_retried_and_the_same_run_is_complete(world, server, faults, clean, tmp_path, mode):
    faults(
        {"kind": "malformed", "mode": mode, "at": [3], **GRAPHQL},
        {"kind": "malformed", "mode": mode, "at": [2], **JIRA_SEARCH},
    )
    with staged(world, server, tmp_path) as (config, policy):
        result = sync(config)
        assert server.state.stats()["faults"]["injected"]["malformed"] == 2
    assert failed_partitions(result) == {}
    assert policy.events["malformed"] >= 1
    assert content_fingerprint(config.warehouse_path) == clean


def test_the_original_loss_a_first_page_without_page_info_no_longer_ends_the_repo(
    world, server, faults, clean, tmp_path
):
    """Issue 16's case: pageInfo missing on page 1 of a repo with more pages was taken as the end, the cursor
    moved to the newest PR and the older PRs were never read again (exit 0).  Every RepoPulls answer now
    lacks pageInfo: every repo fails, no cursor moves, and the next night reads everything."""
    faults({"kind": "malformed", "mode": "no_page_info", "at": [2], "burst": 500, **GRAPHQL})
    with staged(world, server, tmp_path) as (config, _):
        first = sync(config, jira=False)
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            assert wh.read_cursors("github") == {}  # nothing stored, so no cursor may move
        repos = {f"github:{r.full_name}" for r in world.repos if not r.archived}
        assert set(failed_partitions(first)) >= repos - {"github:acme"}
        server.faults.enabled = False
        sync(config)
    assert content_fingerprint(config.warehouse_path) == clean


def test_a_warehouse_missing_prs_behind_its_cursor_is_reconciled_by_a_targeted_re_read(
    world, server, faults, clean, tmp_path
):
    """A warehouse an older release damaged (PRs lost, cursor already past them): the org listing's totalCount
    shows fewer stored than exist, so that repository alone is read again in full on the next nightly run."""
    with staged(world, server, tmp_path) as (config, _):
        sync(config)
        repo = max((r.full_name for r in world.repos), key=lambda n: sum(p.repo == n for p in world.pull_requests))
        with open_warehouse(config.warehouse_path) as wh:
            wh.con.execute(
                "DELETE FROM raw_github_pull_requests WHERE repo = ? AND number IN "
                "(SELECT number FROM raw_github_pull_requests WHERE repo = ? ORDER BY updated_at LIMIT 20)",
                [repo, repo],
            )
        assert content_fingerprint(config.warehouse_path) != clean
        server.state.reset_stats()
        sync(config, jira=False)
        pulls = server.state.stats()["github"]["by_endpoint"]
    assert content_fingerprint(config.warehouse_path) == clean
    assert _rows(clean, "raw_github_pull_requests") == len(world.pull_requests)
    # targeted: one repository's pages (its PRs / 49) plus the listing, not the whole org
    assert pulls["/graphql.200"] <= 1 + -(-sum(p.repo == repo for p in world.pull_requests) // 49)


def test_jira_pages_followed_by_token_without_a_next_token_fail_instead_of_ending(tmp_path):
    """Issue 16's Jira case: a Cloud search page that is not the last but carries no nextPageToken was taken
    as the end (103 of 203 issues dropped).  The walk follows tokens only inside one minute of ``updated``
    (otherwise it restarts by date), so here all 105 tickets of RANK were updated in the same minute (a bulk
    edit): reading them takes a second page by token, which the fault strips."""
    world = generate_world(engineers=20, months=2, seed=1)
    bulk = world.now - dt.timedelta(minutes=5)
    rank = [i for i in world.jira_issues if i.project == "RANK"]
    assert len(rank) > 100
    for issue in rank:
        issue.updated = bulk
    with SandboxServer(world, faults=FaultProfile()) as server:
        with staged(world, server, tmp_path / "clean") as (config, _):
            assert failed_partitions(sync(config)) == {}
            clean = content_fingerprint(config.warehouse_path)
        server.state.now = world.now
        server.faults.use(
            FaultProfile.model_validate(
                {"rules": [{"kind": "malformed", "mode": "no_page_info", "at": [2], "burst": 500, **JIRA_SEARCH}]}
            )
        )
        with staged(world, server, tmp_path / "faulty") as (config, _):
            first = sync(config)
            assert content_fingerprint(config.warehouse_path) != clean  # pages were refused ...
            assert set(failed_partitions(first)) == {"jira:RANK"}  # ... and said so; ML and DINF are complete
            with open_warehouse(config.warehouse_path, read_only=True) as wh:
                kept = wh.read_cursors("jira")
            assert kept.get("jira:RANK") != bulk.strftime("%Y-%m-%d %H:%M")  # no cursor past unread tickets
            server.faults.enabled = False
            assert failed_partitions(sync(config)) == {}
            assert content_fingerprint(config.warehouse_path) == clean
