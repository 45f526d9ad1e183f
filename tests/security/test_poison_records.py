"""Issue 16.6: one record that fails to parse is quarantined (stored raw with its error, counted in the run)
and the partition goes on; it never stops the nightly.

The sandbox's ``poison`` fault breaks one item of a real answer: ``bad_date`` (2026-02-30),
``lone_surrogate`` (an unpaired ``\\ud800``, valid JSON, not storable text) or ``null_node``.  The
miners run with the real clients against the sandbox and write a real migrated DuckDB through
``flows.stages``; only the clock and the sleep are virtual.
"""

from __future__ import annotations

import json

import pytest

from bench.crash_safety import content_fingerprint
from flows.cli.main import _echo_sync_summary
from sandbox.faults import FaultProfile
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.harness import failed_partitions, staged, sync
from warehouse import open_warehouse

TARGETS = {
    "github": {"apis": ["github"], "paths": ["/api/graphql"], "at": [2]},  # the first RepoPulls page
    "jira": {"apis": ["jira"], "paths": ["/jira/rest/api/*/issue/bulkfetch"], "at": [1]},
}
EVIDENCE = {"bad_date": "2026-02-30", "lone_surrogate": "\\ud800", "null_node": "null"}


@pytest.fixture(scope="module")
def world():
    return generate_world(engineers=12, months=2, seed=1)


@pytest.fixture(scope="module")
def server(world):
    with SandboxServer(world, faults=FaultProfile()) as srv:
        yield srv


@pytest.fixture(scope="module")
def clean(world, server, tmp_path_factory):
    server.faults.enabled = False
    with staged(world, server, tmp_path_factory.mktemp("clean")) as (config, _):
        assert failed_partitions(sync(config)) == {}
        return content_fingerprint(config.warehouse_path)


@pytest.fixture
def poison(server, world, clean):
    def install(rule: dict) -> None:
        server.faults.use(FaultProfile.model_validate({"rules": [rule]}))
        server.faults.enabled = True

    server.state.now = world.now
    server.state.reset_stats()
    yield install
    server.faults.use(FaultProfile())


def _quarantine(path) -> list[dict]:
    with open_warehouse(path, read_only=True) as wh:
        cur = wh.con.execute('SELECT source, "partition", item, kind, error, raw, times FROM quarantined_records')
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def _rows(fingerprint: dict[str, str]) -> dict[str, int]:
    return {table: int(value.split(":")[0]) for table, value in fingerprint.items()}


@pytest.mark.slow  # syncs of a generated world through the stages
@pytest.mark.parametrize("mode", ["bad_date", "lone_surrogate", "null_node"])
@pytest.mark.parametrize("where", ["github", "jira"])
def test_a_poison_record_is_quarantined_the_rest_syncs_and_the_next_night_stores_it(
    world, server, clean, poison, tmp_path, capsys, where, mode
):
    poison({"kind": "poison", "mode": mode, **TARGETS[where]})
    with staged(world, server, tmp_path) as (config, _):
        first = sync(config)
        assert server.state.stats()["faults"]["injected"] == {"poison": 1}
        assert failed_partitions(first) == {}  # nothing failed: the partition went on
        after = content_fingerprint(config.warehouse_path)
        held = _quarantine(config.warehouse_path)
        if where == "jira" and mode == "null_node":
            # A null in a bulk answer hides which issue it was: the answer is malformed, retried, and complete.
            assert held == [] and after == clean
            return
        assert len(held) == 1, held
        row = held[0]
        kind = "anonymous" if mode == "null_node" else "record"  # a null node has no name to resolve it by
        assert (row["source"], row["kind"], row["times"]) == (where, kind, 1)
        assert EVIDENCE[mode] in row["raw"] or (mode == "null_node" and row["raw"] == "null")
        assert row["error"]  # the parser's complaint, one line
        # exactly one record is missing from its table, everything else is stored
        missing = {t: n - _rows(after)[t] for t, n in _rows(clean).items() if _rows(after)[t] != n}
        table = "raw_github_pull_requests" if where == "github" else "raw_jira_issues"
        assert missing.get(table) == 1, missing
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            [(status, quarantined)] = wh.con.execute(
                "SELECT status, records_quarantined FROM sync_runs WHERE source = ?", [where]
            ).fetchall()
        assert (status, quarantined) == ("ok", 1)
        summaries = [s for part in first.values() for s in part]
        assert sum(s["quarantined"] for s in summaries) == 1
        _echo_sync_summary({**first, "labels_changed": 0, "evidence_changed": 0})
        assert "quarantined: 1 items" in capsys.readouterr().err
        # Next night, the service sends the item intact: GitHub's reconciliation (fewer PRs stored than
        # listed) and Jira's re-read of quarantined keys store it, and the quarantine is empty again.
        server.faults.enabled = False
        assert failed_partitions(sync(config)) == {}
        assert _quarantine(config.warehouse_path) == []
        assert content_fingerprint(config.warehouse_path) == clean


@pytest.mark.slow  # syncs of a generated world through the stages
def test_a_poison_review_comment_is_quarantined_and_the_repository_goes_on(world, server, clean, poison, tmp_path):
    comments = "/api/v3/repos/*/pulls/comments"
    poison({"kind": "poison", "mode": "bad_date", "apis": ["github"], "paths": [comments], "at": [1]})
    with staged(world, server, tmp_path) as (config, _):
        result = sync(config, jira=False)
        assert failed_partitions(result) == {}
        held = _quarantine(config.warehouse_path)
    assert [(h["source"], h["kind"]) for h in held] == [("github", "record")]
    assert "review comment" in held[0]["item"] and "2026-02-30" in held[0]["raw"]
    after = _rows(content_fingerprint(config.warehouse_path))
    assert after["raw_github_review_comments"] == _rows(clean)["raw_github_review_comments"] - 1
    assert after["raw_github_pull_requests"] == _rows(clean)["raw_github_pull_requests"]


def test_quarantined_raw_is_always_storable_text():
    from miners.poison import quarantine

    entry = quarantine("acme/x#1", ValueError("bad \ud800 value"), {"title": "\ud800 oops", "n": 1})
    json.loads(entry.raw)  # valid JSON, with the surrogate escaped
    for text in (entry.item, entry.error, entry.raw):
        text.encode("utf-8")  # never raises
