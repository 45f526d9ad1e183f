"""Sync health: runs, each partition's latest outcome, and quarantined items (migration 0008).

Every function runs inside a transaction its caller owns (``Warehouse.load_batch`` writes a
batch's outcome and quarantine with its rows; ``begin_run``/``finish_run`` are their own).

- ``sync_runs``: one row per run of a source's sync stage: status ``running`` until finished,
  then ``ok``, ``partial`` (some partitions failed) or ``failed``; counts of partitions that
  completed and failed and of items quarantined in that run.
- ``sync_partitions``: per (source, partition) the last attempt, success and failure, the number
  of failures in a row and the last error.  ``read_failing_partitions`` lists those whose latest
  outcome is a failure: the coverage warnings and the sync summary name them.
- ``sync_run_credentials``: per run and GitHub credential (its name, never the secret) the requests sent and
  budget charged, and why GitHub rejected it if it did: added up from the batches that carry
  ``stats["credentials"]`` (``miners.github.pool.with_costs``), in each batch's transaction.
- ``http_cache``: answers kept for conditional requests (``If-None-Match``; a 304 replays the body).
- ``quarantined_records``: items that failed to parse, raw, with the error; a ``record`` row (named
  by the ``source_id`` it would have) goes away when that record is stored; an ``answer`` (the
  unusable answer behind a failed partition) or ``anonymous`` row (an item without a name, e.g. a
  null node) goes away when its partition completes in a later run without it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from miners.base import Batch


def begin_run(con: duckdb.DuckDBPyConnection, source: str, now: dt.datetime) -> str:
    """Start a run of ``source``'s sync; returns its id."""
    run_id = f"{source}-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    con.execute(
        "INSERT INTO sync_runs (run_id, source, started_at, status) VALUES (?, ?, ?, 'running')", [run_id, source, now]
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: dt.datetime,
    error: str | None = None,
    costs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Close a run: its status from what its batches recorded (``failed`` when ``error`` is given), and what
    it cost (``costs``: ``items``, ``requests``, ``budget_points``, ``task_runner``; see ``run_costs``)."""
    [(ok, failed)] = con.execute(
        "SELECT count(*) FILTER (WHERE consecutive_failures = 0), count(*) FILTER (WHERE consecutive_failures > 0) "
        "FROM sync_partitions WHERE last_run_id = ?",
        [run_id],
    ).fetchall()
    [(quarantined,)] = con.execute("SELECT count(*) FROM quarantined_records WHERE run_id = ?", [run_id]).fetchall()
    status = "failed" if error else "partial" if failed else "ok"
    con.execute(
        "UPDATE sync_runs SET finished_at = ?, status = ?, partitions_ok = ?, partitions_failed = ?, "
        "records_quarantined = ?, error = ? WHERE run_id = ?",
        [now, status, int(ok), int(failed), int(quarantined), error, run_id],
    )
    if costs:
        con.execute(
            "UPDATE sync_runs SET items = ?, requests = ?, budget_points = ?, task_runner = ? WHERE run_id = ?",
            [
                int(costs.get("items") or 0),
                int(costs.get("requests") or 0),
                int(costs.get("budget_points") or 0),
                costs.get("task_runner"),
                run_id,
            ],
        )
    return {
        "run_id": run_id,
        "status": status,
        "partitions_ok": int(ok),
        "partitions_failed": int(failed),
        "records_quarantined": int(quarantined),
    }


def record_batch(con: duckdb.DuckDBPyConnection, batch: Batch, run_id: str | None, now: dt.datetime) -> None:
    """Store a batch's outcome (``done`` / ``error``) and its quarantined items; resolve what it stored."""
    for entry in batch.cache:
        con.execute(
            'INSERT INTO http_cache ("key", etag, body, stored_at) VALUES (?, ?, ?, ?) '
            'ON CONFLICT ("key") DO UPDATE SET etag = EXCLUDED.etag, body = EXCLUDED.body, '
            "stored_at = EXCLUDED.stored_at WHERE http_cache.etag IS DISTINCT FROM EXCLUDED.etag",
            [entry.key, entry.etag, entry.body, now],
        )
    credentials = batch.stats.get("credentials")
    if run_id is not None and isinstance(credentials, Mapping):
        record_credential_costs(con, run_id, batch.source, credentials)
    stored = sorted({r.source_id for r in batch.records})
    if stored:
        con.execute(
            "DELETE FROM quarantined_records WHERE source = ? AND list_contains(?::VARCHAR[], item)",
            [batch.source, stored],
        )
    for q in batch.quarantined:
        con.execute(
            'INSERT INTO quarantined_records (source, "partition", item, kind, error, raw, first_seen_at, '
            "last_seen_at, times, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
            'ON CONFLICT (source, item) DO UPDATE SET "partition" = EXCLUDED."partition", kind = EXCLUDED.kind, '
            "error = EXCLUDED.error, raw = EXCLUDED.raw, last_seen_at = EXCLUDED.last_seen_at, "
            "times = quarantined_records.times + 1, run_id = EXCLUDED.run_id",
            [batch.source, batch.partition, q.item, q.kind, q.error, q.raw, now, now, run_id],
        )
    if batch.error is not None:
        con.execute(
            'INSERT INTO sync_partitions (source, "partition", last_attempt_at, last_failure_at, '
            "consecutive_failures, last_error, last_run_id) VALUES (?, ?, ?, ?, 1, ?, ?) "
            'ON CONFLICT (source, "partition") DO UPDATE SET last_attempt_at = EXCLUDED.last_attempt_at, '
            "last_failure_at = EXCLUDED.last_failure_at, "
            "consecutive_failures = sync_partitions.consecutive_failures + 1, "
            "last_error = EXCLUDED.last_error, last_run_id = EXCLUDED.last_run_id",
            [batch.source, batch.partition, now, now, batch.error, run_id],
        )
    elif batch.done:
        con.execute(
            'INSERT INTO sync_partitions (source, "partition", last_attempt_at, last_success_at, '
            "consecutive_failures, last_run_id) VALUES (?, ?, ?, ?, 0, ?) "
            'ON CONFLICT (source, "partition") DO UPDATE SET last_attempt_at = EXCLUDED.last_attempt_at, '
            "last_success_at = EXCLUDED.last_success_at, consecutive_failures = 0, last_error = NULL, "
            "last_run_id = EXCLUDED.last_run_id",
            [batch.source, batch.partition, now, now, run_id],
        )
        # Unusable answers and unnamed items (a null node) of earlier runs: this complete read did without them.
        con.execute(
            'DELETE FROM quarantined_records WHERE source = ? AND "partition" = ? '
            "AND kind IN ('answer', 'anonymous') AND run_id IS DISTINCT FROM ?",
            [batch.source, batch.partition, run_id],
        )


def record_quiet_batches(
    con: duckdb.DuckDBPyConnection, batches: Sequence[Batch], run_id: str | None, now: dt.datetime
) -> None:
    """``record_batch`` of done batches with no rows, error, quarantine, kept answers or costs, in two
    statements for all of them: each partition recorded synced, its earlier unusable answers resolved."""
    by_source: dict[str, list[str]] = {}
    for batch in batches:
        by_source.setdefault(batch.source, []).append(batch.partition)
    for source, partitions in by_source.items():
        unique = sorted(set(partitions))
        con.execute(
            'INSERT INTO sync_partitions (source, "partition", last_attempt_at, last_success_at, '
            "consecutive_failures, last_run_id) SELECT ?, unnest(?::VARCHAR[]), ?, ?, 0, ? "
            'ON CONFLICT (source, "partition") DO UPDATE SET last_attempt_at = EXCLUDED.last_attempt_at, '
            "last_success_at = EXCLUDED.last_success_at, consecutive_failures = 0, last_error = NULL, "
            "last_run_id = EXCLUDED.last_run_id",
            [source, unique, now, now, run_id],
        )
        con.execute(
            'DELETE FROM quarantined_records WHERE source = ? AND list_contains(?::VARCHAR[], "partition") '
            "AND kind IN ('answer', 'anonymous') AND run_id IS DISTINCT FROM ?",
            [source, unique, run_id],
        )


def record_credential_costs(
    con: duckdb.DuckDBPyConnection, run_id: str, source: str, costs: Mapping[str, Mapping[str, Any]]
) -> None:
    """Add what each credential (by name) cost to the run's row, and keep the first reason it was rejected."""
    for name, cost in sorted(costs.items()):
        con.execute(
            "INSERT INTO sync_run_credentials (run_id, source, credential, requests, budget_points, rejected) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, credential) DO UPDATE SET "
            "requests = sync_run_credentials.requests + EXCLUDED.requests, "
            "budget_points = sync_run_credentials.budget_points + EXCLUDED.budget_points, "
            "rejected = coalesce(sync_run_credentials.rejected, EXCLUDED.rejected)",
            [
                run_id,
                source,
                str(name),
                int(cost.get("requests") or 0),
                int(cost.get("budget_points") or 0),
                cost.get("rejected"),
            ],
        )


def read_failing_partitions(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Partitions whose latest outcome is a failure: source, partition, since (last success, or None),
    failing_since (first failure of the streak is not kept: the last failure), failures, error."""
    rows = con.execute(
        'SELECT source, "partition", last_success_at, last_failure_at, consecutive_failures, last_error '
        'FROM sync_partitions WHERE consecutive_failures > 0 ORDER BY source, "partition"'
    ).fetchall()
    out = []
    for source, partition, success, failure, failures, error in rows:
        if sources is not None and source not in sources:
            continue
        out.append(
            {
                "source": source,
                "partition": partition,
                "last_success_at": _utc(success),
                "last_failure_at": _utc(failure),
                "failures": int(failures),
                "error": error,
            }
        )
    return out


def read_quarantine_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """``{source: items in quarantine}``."""
    return dict(
        con.execute("SELECT source, count(*) FROM quarantined_records GROUP BY source ORDER BY source").fetchall()
    )


def read_http_cache(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """``{key: (etag, body)}`` of every kept answer."""
    return {k: (e, b) for k, e, b in con.execute('SELECT "key", etag, body FROM http_cache').fetchall()}


def read_quarantined_items(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The quarantined record items of ``source`` (e.g. Jira issue keys to read again), oldest first."""
    rows = con.execute(
        "SELECT item FROM quarantined_records WHERE source = ? AND kind = 'record' ORDER BY first_seen_at, item",
        [source],
    ).fetchall()
    return [r[0] for r in rows]


def count_stored(con: duckdb.DuckDBPyConnection, table: str, partition: str) -> int:
    """The rows of raw ``table`` in ``partition`` (quarantined items are not held: a GitHub repository with a
    quarantined PR counts fewer than it lists and is read again in full until it parses, which also heals a
    poison record that was only passing)."""
    [(stored,)] = con.execute(f'SELECT count(*) FROM {table} WHERE "partition" = ?', [partition]).fetchall()
    return int(stored)


def count_stored_under(con: duckdb.DuckDBPyConnection, table: str, prefix: str) -> list[tuple[str, int]]:
    """``count_stored`` of every partition of raw ``table`` that starts with ``prefix``, in one query."""
    rows = con.execute(
        f'SELECT "partition", count(*) FROM {table} WHERE starts_with("partition", ?) GROUP BY ALL', [prefix]
    ).fetchall()
    return [(str(p), int(n)) for p, n in rows]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def run_costs(summaries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """A run's cost from its partition summaries (the batches' ``stats`` summed per partition): items read,
    requests sent (GitHub REST + GraphQL, Jira) and budget points (GitHub: GraphQL points + REST requests,
    the two rate-limit budgets a token spends; Jira: its requests)."""
    items = requests = points = 0
    for s in summaries:
        items += int(s.get("items") or 0)
        rest, gql, jira = (int(s.get(k) or 0) for k in ("rest_requests", "graphql_requests", "requests"))
        requests += rest + gql + jira
        points += rest + int(s.get("graphql_points") or 0) + jira
    return {"items": items, "requests": requests, "budget_points": points}


def read_runs(con: duckdb.DuckDBPyConnection, limit: int = 20, source: str | None = None) -> list[dict[str, Any]]:
    """The latest ``limit`` runs (newest first), each with its duration in seconds (None while running) and what
    each GitHub credential cost (``credentials``: ``read_run_credentials``)."""
    rows = con.execute(
        "SELECT run_id, source, started_at, finished_at, status, partitions_ok, partitions_failed, "
        "records_quarantined, error, items, requests, budget_points, task_runner, "
        "epoch(finished_at) - epoch(started_at) FROM sync_runs WHERE ? IS NULL OR source = ? "
        "ORDER BY started_at DESC, run_id DESC LIMIT ?",
        [source, source, limit],
    ).fetchall()
    keys = (
        "run_id source started_at finished_at status partitions_ok partitions_failed records_quarantined error "
        "items requests budget_points task_runner duration_seconds"
    ).split()
    credentials = read_run_credentials(con, [row[0] for row in rows])
    out = []
    for row in rows:
        run = dict(zip(keys, row))
        run["started_at"], run["finished_at"] = _utc(run["started_at"]), _utc(run["finished_at"])
        run["credentials"] = credentials.get(run["run_id"], [])
        out.append(run)
    return out


def read_run_credentials(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """``{run_id: [{credential, requests, budget_points, rejected}, ...]}`` (by name) of the given runs."""
    rows = con.execute(
        "SELECT run_id, credential, requests, budget_points, rejected FROM sync_run_credentials "
        "WHERE list_contains(?::VARCHAR[], run_id) ORDER BY run_id, credential",
        [list(run_ids)],
    ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for run_id, name, requests, points, rejected in rows:
        out.setdefault(run_id, []).append(
            {"credential": name, "requests": int(requests), "budget_points": int(points), "rejected": rejected}
        )
    return out


def read_last_success(con: duckdb.DuckDBPyConnection) -> dict[str, dt.datetime | None]:
    """``{source: finished_at}`` of each source's last run that ended ``ok``."""
    rows = con.execute(
        "SELECT source, max(finished_at) FROM sync_runs WHERE status = 'ok' GROUP BY source ORDER BY source"
    ).fetchall()
    return {source: _utc(at) for source, at in rows}
