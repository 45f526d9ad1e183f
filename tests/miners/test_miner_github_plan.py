"""The GitHub plan settles the repositories with nothing new (issue 13, the unchanged night).

A repository whose org listing shows no PR updated after its cursor, with every listed PR stored, would get a
mining task that asks GitHub nothing and only restates its cursor; the plan makes that batch itself, so the
flow starts no task for it.  Real PyGithub over loopback against the sandbox; the stored counts are a
``StoredSnapshot`` as the flow reads it from the warehouse.
"""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from flows.config import read_config
from flows.sources import build_source
from miners.github.info import INFO
from miners.records import PullRequestRecord
from miners.source import StoredSnapshot, SyncRequest
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.github import FETCHED


@pytest.fixture(scope="module")
def world():
    return generate_world(engineers=12, months=2, seed=3)  # 7 repos, 6 with PRs


@pytest.fixture()
def mined(world, tmp_path, monkeypatch):
    """The source, the sandbox, the cursors and the stored PR counts after a first sync by plan and tasks."""
    with SandboxServer(world) as server:
        for key, value in sandbox_env(world).items():
            monkeypatch.setenv(key, value)
        source = build_source(read_config(write_sandbox_config(world, server, tmp_path / "ladder.yaml")), "github")
        request = SyncRequest(cursors={}, now=lambda: FETCHED)
        plan = source.plan(request)  # type: ignore[union-attr]
        batches = list(plan.batches)
        for work in plan.work:
            batches.extend(source.mine_work(request, work))  # type: ignore[union-attr]
        cursors = {b.partition: b.cursor for b in batches if b.cursor}
        counts = collections.Counter(
            f"{PullRequestRecord.TABLE} {r.partition}"
            for b in batches
            for r in b.records
            if isinstance(r, PullRequestRecord)
        )
        yield source, server, cursors, dict(counts)


def _plan(source, cursors, counts, **kwargs):
    stored = StoredSnapshot(counts=counts)
    return source.plan(SyncRequest(cursors=cursors, now=lambda: FETCHED, stored=stored, **kwargs))


def test_an_unchanged_org_is_settled_without_a_task_or_a_request_per_repository(world, mined):
    source, server, cursors, counts = mined
    assert len(cursors) >= 5
    server.state.reset_stats()
    plan = _plan(source, cursors, counts)
    assert plan.work == ()
    settled = {b.partition: b for b in plan.batches if "/" in b.partition}
    assert set(settled) == {f"github:{r.full_name}" for r in world.repos if not r.archived}
    for partition, batch in settled.items():  # the batch its task would have made: done, cursor restated
        assert batch.done and batch.error is None and batch.records == ()
        assert batch.cursor == cursors.get(partition)
        assert batch.stats["graphql_requests"] == 0 and batch.stats["rest_requests"] == 0
    # the org listing only: one GraphQL page, no request per repository
    assert server.state.stats()["github"]["by_endpoint"] == {"/graphql.200": 1}


def test_a_repository_missing_stored_prs_or_with_newer_activity_still_gets_its_task(world, mined):
    source, server, cursors, counts = mined
    damaged = max(counts, key=counts.get)  # fewer PRs stored than the listing's totalCount: read again in full
    behind = sorted(cursors)[0]  # its cursor is older than the newest PR the listing shows
    older = dt.datetime.fromisoformat(cursors[behind]) - dt.timedelta(days=30)
    plan = _plan(source, {**cursors, behind: older.isoformat()}, {**counts, damaged: counts[damaged] - 1})
    assert {w.partition for w in plan.work} == {damaged.split(" ", 1)[1], behind}


def test_a_backfill_or_a_full_sync_settles_nothing_with_prs(world, mined):
    source, server, cursors, counts = mined
    with_prs = {k.split(" ", 1)[1] for k in counts}
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    assert {w.partition for w in _plan(source, cursors, counts, since=since).work} == with_prs
    assert {w.partition for w in _plan(source, cursors, counts, full=True).work} == with_prs


def test_the_flow_reads_every_repositorys_stored_count_for_the_plan_in_one_go(tmp_path):
    """``SourceInfo.plan_keys``: counts under ``github:``, grouped by partition, as ``count_stored`` counts."""
    from tests.support.batches import github_batches
    from warehouse import open_warehouse

    small = generate_world(engineers=6, months=1, seed=2)
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        run = wh.begin_run("github")
        for batch in github_batches(small):
            wh.load_batch(batch, run)
        snapshot = wh.snapshot("github", INFO.plan_keys)
        partitions = {r.partition for b in github_batches(small) for r in b.records if isinstance(r, PullRequestRecord)}
        assert partitions
        for partition in partitions:
            assert snapshot.count_stored(PullRequestRecord, partition) == wh.count_stored(PullRequestRecord, partition)
        assert snapshot.count_stored(PullRequestRecord, "github:acme/no-such-repo") == 0
