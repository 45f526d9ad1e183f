"""Issue 15: a repository that keeps failing is recorded as failed, the rest of the org syncs, the reports
say "not synced since …", and the sync's exit status says partial success (3, not 0 and not 2).

Real clients against the sandbox, a real migrated DuckDB through ``flows.stages`` (and once the ``ladder``
CLI with Prefect, in a subprocess); the sandbox's fault rules make one repository fail.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bench.crash_safety import content_fingerprint
from rubric.coverage import coverage_warnings
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.faults import FaultProfile
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.cli import run_cli
from tests.support.harness import failed_partitions, staged, sync
from warehouse import open_warehouse

pytestmark = pytest.mark.slow  # full syncs of a generated world through the stages and the CLI

BROKEN = "acme/model-registry"


def _always(status: int) -> FaultProfile:
    rule = {"kind": "error", "statuses": [status], "rate": 1.0, "paths": [f"/api/v3/repos/{BROKEN}/pulls/comments"]}
    return FaultProfile.model_validate({"rules": [rule]})


def test_a_repo_that_always_fails_is_skipped_with_a_coverage_note_and_the_rest_of_the_org_syncs(tmp_path):
    world = generate_world(engineers=12, months=2, seed=1)
    with SandboxServer(world, faults=FaultProfile()) as server:
        with staged(world, server, tmp_path / "clean") as (config, _):
            sync(config)
            clean = content_fingerprint(config.warehouse_path)
        server.state.now = world.now
        server.faults.use(_always(500))
        with staged(world, server, tmp_path / "nightly") as (config, policy):
            first = sync(config)
            assert failed_partitions(first) == {f"github:{BROKEN}": failed_partitions(first)[f"github:{BROKEN}"]}
            assert "500" in failed_partitions(first)[f"github:{BROKEN}"]
            with open_warehouse(config.warehouse_path, read_only=True) as wh:
                cursors = wh.read_cursors("github")
                runs = dict(wh.con.execute("SELECT source, status FROM sync_runs").fetchall())
                people = wh.query_people()
                facts = wh.query_coverage_facts(
                    people[0]["person_id"], since=dt.date(2026, 8, 1), until=dt.date(2026, 9, 30)
                )
            # every other repo is complete and has its cursor; the broken one kept none (it never completed)
            others = {f"github:{r.full_name}" for r in world.repos if not r.archived} - {f"github:{BROKEN}"}
            assert others <= set(cursors) and f"github:{BROKEN}" not in cursors
            assert runs == {"roster": "ok", "github": "partial", "jira": "ok"}
            notes = [w for w in coverage_warnings(facts, since=dt.date(2026, 8, 1), until=dt.date(2026, 9, 30))]
            failing = [w for w in notes if w["details"].get("reason") == "partition_failing"]
            assert [w["details"]["partition"] for w in failing] == [f"github:{BROKEN}"]
            assert "repository acme/model-registry has not synced yet" in failing[0]["message"]
            # The next night it answers again: complete, equal to the clean sync, and the note is gone.
            server.faults.enabled = False
            assert failed_partitions(sync(config)) == {}
            assert content_fingerprint(config.warehouse_path) == clean
            with open_warehouse(config.warehouse_path, read_only=True) as wh:
                assert wh.read_failing_partitions() == []
                facts = wh.query_coverage_facts(
                    people[0]["person_id"], since=dt.date(2026, 8, 1), until=dt.date(2026, 9, 30)
                )
            assert facts["sources"]["github"]["failing"] == []


def test_the_failed_repo_of_a_later_night_is_named_with_its_last_success(tmp_path):
    world = generate_world(engineers=12, months=2, seed=1)
    with SandboxServer(world, faults=FaultProfile(), now=world.now - dt.timedelta(days=10)) as server:
        with staged(world, server, tmp_path) as (config, _):
            sync(config)  # a complete night, ten days before the last
            server.state.now = world.now  # the repository has changed since
            server.faults.use(_always(403))  # a plain 403: no retries, that repository fails at once
            failed = failed_partitions(sync(config))
            with open_warehouse(config.warehouse_path, read_only=True) as wh:
                [failing] = wh.read_failing_partitions()
    assert set(failed) == {f"github:{BROKEN}"} and "403" in failed[f"github:{BROKEN}"]
    assert failing["partition"] == f"github:{BROKEN}" and failing["failures"] == 1
    assert failing["last_success_at"] is not None and failing["last_failure_at"] > failing["last_success_at"]


def test_ladder_sync_exits_3_on_a_partial_sync_and_names_what_was_not_synced(tmp_path):
    world = generate_world(engineers=12, months=2, seed=1)
    with SandboxServer(world, faults=_always(403)) as server:
        write_sandbox_config(world, server, tmp_path / "ladder.yaml")
        env = {**sandbox_env(world), "PREFECT_HOME": str(tmp_path / "pf")}
        proc = run_cli("sync", "--no-reports", cwd=tmp_path, env=env, timeout=600)  # Prefect starts slowly under load
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert f"github:{BROKEN}: NOT SYNCED: GitHub returned 403" in proc.stderr
    assert "partial sync: 1 partitions could not be read" in proc.stderr.strip().splitlines()[-1]
    assert "github:acme/trainer: +" in proc.stdout  # the others were synced and reported
