"""The Warehouse: one DuckDB file holding raw records, cursors, marts, labels and evidence."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from classifiers.contract import LABEL_SCHEMA
from miners.base import Batch
from miners.records import JiraIssueRecord, Record
from miners.source import SnapshotKeys, StoredSnapshot
from rubric.contract import EVIDENCE_SCHEMA
from warehouse import downstream, health, queries
from warehouse.connection import MEMORY, connect, utc_now
from warehouse.errors import WarehouseError
from warehouse.loading import (
    LoadResult,
    conform,
    delete_missing,
    sync_rows,
    upsert_cursor,
    upsert_cursors,
    upsert_records,
)
from warehouse.migrate import Migration, apply_migrations, pending_migrations, read_migrations
from warehouse.models import apply_models, read_models, views_current
from warehouse.records import parse_records

log = logging.getLogger(__name__)

LABEL_KEY = downstream.LABEL_KEY
EVIDENCE_KEY = downstream.EVIDENCE_KEY


def _quiet(batch: Batch) -> bool:
    """A finished partition's last batch that brings nothing but its cursor (``Warehouse._load_quiet``)."""
    return (
        batch.done
        and batch.error is None
        and not batch.records
        and not batch.is_complete
        and not batch.quarantined
        and not batch.cache
        and not batch.stats.get("credentials")
    )


def open_warehouse(
    path: str | Path,
    *,
    read_only: bool = False,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    migrations: Sequence[Migration] | None = None,
) -> Warehouse:
    """Open (and, when writable, create and migrate) the warehouse at ``path``.

    The parent directory must exist.  A read-only open needs a file that a
    writable open has already migrated.  ``migrations`` replaces the shipped
    migration files (tests); ``clock`` and ``sleep`` are injectable.
    """
    where = str(path)
    known = tuple(migrations) if migrations is not None else read_migrations()
    con = connect(path, read_only=read_only, sleep=sleep)
    try:
        models = read_models(ordered=not read_only)
        _check_ours(con, where)
        if read_only:
            _check_read_only(con, known, models, where)
        else:
            apply_migrations(con, known, where=where, clock=clock)
            apply_models(con, models, where=where, clock=clock)
    except BaseException:
        con.close()
        raise
    return Warehouse(con, where=where, read_only=read_only, clock=clock)


def _check_ours(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Refuse a DuckDB file of another application: tables, but no ``schema_migrations`` of ours.

    Migrating it would add our tables next to theirs (and a report would read nothing); say so instead.
    """
    tables = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary "
            "UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY 1"
        ).fetchall()
    ]
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise WarehouseError(
            f"{where} is a DuckDB database of another application (it holds {shown} and no ladder-signals "
            "schema_migrations table); refusing to add the warehouse's tables to it. Point `warehouse:` in the "
            "config at a new file (e.g. ladder.duckdb) or at a warehouse ladder-signals created"
        )


def _check_read_only(con: duckdb.DuckDBPyConnection, known: tuple[Migration, ...], models: Any, where: str) -> None:
    pending = pending_migrations(con, known, where=where)
    if pending:
        raise WarehouseError(
            f"warehouse {where} is not migrated to this version of ladder-signals (missing "
            f"{', '.join(m.filename for m in pending)}); open it writable once (e.g. run a sync) to migrate"
        )
    if not views_current(con, models):
        # Still usable: the tables match; only the view text differs from this release.
        log.warning("views of warehouse %s were built by another release; a writable open rebuilds them", where)


class Warehouse:
    """A connection to the warehouse; use as a context manager or call ``close()``.

    Not thread-safe: one thread at a time (DuckDB allows one writing process).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        where: str = MEMORY,
        read_only: bool = False,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self.where = where
        self.read_only = read_only
        self._clock = clock

    # --- lifecycle ----------------------------------------------------------

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (for warehouse code and tests; other stages use the methods)."""
        if self._con is None:
            raise WarehouseError(f"warehouse {self.where} is closed; open it again with open_warehouse()")
        return self._con

    def _writable(self, action: str) -> duckdb.DuckDBPyConnection:
        if self.read_only:
            raise WarehouseError(f"cannot {action}: warehouse {self.where} was opened read-only")
        return self.con

    def _transaction(self, action: str, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        con = self._writable(action)
        con.begin()
        try:
            result = work(con)
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise WarehouseError(f"{action} failed on warehouse {self.where} and was rolled back: {exc}") from exc
        except BaseException:
            con.rollback()
            raise
        return result

    # --- loads --------------------------------------------------------------

    def load_batch(self, batch: Batch, run_id: str | None = None) -> LoadResult:
        """Upsert the batch's records and store its cursor, all in one transaction.

        The batch's outcome (``done``, ``error``) and quarantined items are written in the same
        transaction (``warehouse.health``), under ``run_id`` when given.
        """
        return self.load_batches([batch], run_id)[0]

    def load_batches(self, batches: Sequence[Batch], run_id: str | None = None) -> list[LoadResult]:
        """``load_batch`` of each batch, all in one transaction (each batch's rows still go with its cursor):
        a plan's settled partitions, a hundred batches with no rows, cost one commit instead of a hundred."""
        grouped = [self._by_type(batch) for batch in batches]

        def work(con: duckdb.DuckDBPyConnection) -> list[tuple[LoadResult, bool]]:
            out: list[tuple[LoadResult, bool]] = []
            quiet: list[Batch] = []  # consecutive batches that only restate a finished partition's cursor
            for batch, by_type in zip(batches, grouped, strict=True):
                if _quiet(batch):
                    quiet.append(batch)
                    continue
                out.extend(self._load_quiet(con, quiet, run_id))
                quiet = []
                out.append(self._load(con, batch, by_type, run_id))
            out.extend(self._load_quiet(con, quiet, run_id))
            return out

        if not batches:
            return []
        what = batches[0].partition if len(batches) == 1 else f"{len(batches)} batches from {batches[0].partition}"
        loaded = self._transaction(f"loading {batches[0].source}/{what}", work)
        for batch, (result, moved) in zip(batches, loaded, strict=True):
            log.info(
                "loaded %s/%s: %d inserted, %d updated, %d unchanged, %d deleted; cursor %s",
                batch.source,
                batch.partition,
                result.inserted,
                result.updated,
                result.unchanged,
                result.deleted,
                f"-> {batch.cursor}" if moved else "unchanged",
            )
        return [result for result, _ in loaded]

    def _load_quiet(
        self, con: duckdb.DuckDBPyConnection, batches: Sequence[Batch], run_id: str | None
    ) -> list[tuple[LoadResult, bool]]:
        """``_load`` of batches with no rows, quarantine, kept answers or costs, done and not failed (what a
        night where nothing changed brings for every partition), set-wise: a few statements for all of them
        instead of three each (80 partitions took 1 s of DuckDB upserts)."""
        if not batches:
            return []
        moved = upsert_cursors(con, [(b.source, b.partition, b.cursor) for b in batches], self._clock())
        health.record_quiet_batches(con, batches, run_id, self._clock())
        return [(LoadResult(), (b.source, b.partition) in moved) for b in batches]

    @staticmethod
    def _by_type(batch: Batch) -> dict[type[Record], list[Record]]:
        by_type: dict[type[Record], list[Record]] = defaultdict(list)
        for record in batch.records:
            if record.source != batch.source or record.partition != batch.partition:
                raise WarehouseError(
                    f"{type(record).__name__} {record.source_id} is in {record.source}/{record.partition} but the "
                    f"batch is {batch.source}/{batch.partition}; a batch holds one partition's records"
                )
            by_type[type(record)].append(record)
        return by_type

    def _load(
        self,
        con: duckdb.DuckDBPyConnection,
        batch: Batch,
        by_type: Mapping[type[Record], list[Record]],
        run_id: str | None,
    ) -> tuple[LoadResult, bool]:
        # The cursor is written first: any failure below rolls it back with the rows.
        moved = batch.cursor is not None and upsert_cursor(
            con, batch.source, batch.partition, batch.cursor, self._clock()
        )
        total = LoadResult()
        for record_type in sorted(by_type, key=lambda cls: cls.TABLE):
            total += upsert_records(con, record_type, by_type[record_type])
        if batch.is_complete:
            keep = {cls.TABLE: {r.source_id for r in rows} for cls, rows in by_type.items()}
            total += delete_missing(con, batch.source, batch.partition, keep)
        health.record_batch(con, batch, run_id, self._clock())
        return total, moved

    # --- sync health (warehouse.health) ---------------------------------------

    def begin_run(self, source: str) -> str:
        """Record the start of a sync run of ``source``; returns its id (for ``load_batch`` and ``finish_run``)."""
        return self._transaction(f"starting a {source} run", lambda con: health.begin_run(con, source, self._clock()))

    def finish_run(
        self, run_id: str, error: str | None = None, costs: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Close a run: status ``ok``, ``partial`` or ``failed`` (``error``), with its counts and ``costs``
        (``health.run_costs``: items, requests, budget points; and the ``task_runner``)."""
        return self._transaction(
            "finishing a run", lambda con: health.finish_run(con, run_id, self._clock(), error, costs)
        )

    def read_runs(self, limit: int = 20, source: str | None = None) -> list[dict[str, Any]]:
        """The latest sync runs, newest first: outcome, counts, cost and duration (``ladder runs``)."""
        return health.read_runs(self.con, limit, source)

    def read_last_success(self) -> dict[str, Any]:
        """``{source: finished_at}`` of each source's last run that ended ``ok`` (``ladder doctor``)."""
        return health.read_last_success(self.con)

    def snapshot(self, source: str, keys: SnapshotKeys) -> StoredSnapshot:
        """What one partition's mining task may ask (``miners.source.Stored``), read now: the task may run on
        another thread, process or machine, with no connection to this file."""
        counts = {f"{t.TABLE} {p}": self.count_stored(t, p) for t, p in keys.counts}
        for record_type, prefix in keys.counts_under:
            counts.update({f"{record_type.TABLE} {p}": n for p, n in self.count_stored_under(record_type, prefix)})
        updated: dict[str, dt.datetime] = {}
        for record_type, partition in keys.updated:
            if record_type.TABLE not in queries.RECORD_TYPES_BY_TABLE:
                raise WarehouseError(f"{record_type.__name__} has no raw table")
            rows = self.con.execute(
                f'SELECT source_id, max(updated_at) FROM {record_type.TABLE} WHERE "partition" = ? GROUP BY source_id',
                [partition],
            ).fetchall()
            updated.update({i: u.astimezone(dt.timezone.utc) for i, u in rows if u is not None})
        quarantined: list[str] = []
        if keys.quarantined_prefixes:
            prefixes = keys.quarantined_prefixes
            quarantined = [i for i in self.read_quarantined_items(source) if i.startswith(prefixes)]
        cache: dict[str, tuple[str, str]] = {}
        if keys.http_cache_containing is not None:
            cache = {k: v for k, v in self.read_http_cache().items() if keys.http_cache_containing in k}
        return StoredSnapshot(counts=counts, updated=updated, quarantined=quarantined, http_cache=cache)

    def read_failing_partitions(self, sources: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Partitions whose latest sync failed, with the last success and the error."""
        return health.read_failing_partitions(self.con, sources)

    def read_quarantine_counts(self) -> dict[str, int]:
        """``{source: items in quarantine}``."""
        return health.read_quarantine_counts(self.con)

    def read_http_cache(self) -> dict[str, tuple[str, str]]:
        """``{request key: (etag, body)}`` kept for conditional requests (the GitHub miner's ``http_cache``)."""
        return health.read_http_cache(self.con)

    def read_quarantined_items(self, source: str) -> list[str]:
        """Items of ``source`` in quarantine (records that could not be parsed), oldest first."""
        return health.read_quarantined_items(self.con, source)

    def count_stored(self, record_type: type[Record], partition: str) -> int:
        """Stored ``record_type`` rows of ``partition`` (``miners.source.Stored``): the GitHub miner reconciles a
        repository's PRs against the org listing's totalCount."""
        table = record_type.TABLE
        if table not in queries.RECORD_TYPES_BY_TABLE:
            raise WarehouseError(f"{record_type.__name__} has no raw table")
        return health.count_stored(self.con, table, partition)

    def count_stored_under(self, record_type: type[Record], prefix: str) -> list[tuple[str, int]]:
        """``(partition, stored rows)`` of ``record_type`` for every partition starting with ``prefix``, one query
        (``count_stored`` of each)."""
        table = record_type.TABLE
        if table not in queries.RECORD_TYPES_BY_TABLE:
            raise WarehouseError(f"{record_type.__name__} has no raw table")
        return health.count_stored_under(self.con, table, prefix)

    def read_cursors(self, source: str) -> dict[str, str]:
        """``{partition: cursor}`` stored for ``source``."""
        rows = self.con.execute(
            'SELECT "partition", cursor FROM sync_cursors WHERE source = ? ORDER BY "partition"', [source]
        ).fetchall()
        return dict(rows)

    def _activity(self) -> str:
        """``report_activity`` when the nightly's materialisation is current, else ``fct_activity``
        (``warehouse.report_facts``); a read-only warehouse, whose data cannot change, checks once."""
        from warehouse import report_facts

        cache: dict[str, Any] = self.__dict__.setdefault("_activity_cache", {}) if self.read_only else {}
        if "relation" not in cache:
            fingerprint = report_facts.activity_fingerprint(self.con)
            cache["fingerprint"] = fingerprint
            current = report_facts.activity_current(self.con, fingerprint)
            cache["relation"] = "report_activity" if current else "fct_activity"
        relation: str = cache["relation"]
        return relation

    def refresh_report_facts(self, overrides: Sequence[Any] = ()) -> dict[str, bool]:
        """Materialise what reports read besides evidence (their activity columns; the identity suggestions
        under ``overrides``) unless current; returns which were rebuilt (``warehouse.report_facts``)."""
        from warehouse import coverage, identities, report_facts

        con = self._writable("materialising report facts")
        self.__dict__.pop("_activity_cache", None)
        return report_facts.refresh(
            con,
            self._transaction,
            overrides,
            lambda c: coverage.open_suggestions(c, identities.resolve(c, overrides)),
            self._clock(),
        )

    def reports_fingerprint(self) -> str:
        """A digest of everything here that a report is made from (``warehouse.report_facts``)."""
        from warehouse import report_facts

        return report_facts.reports_fingerprint(self.con)

    def query_activity_span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The earliest and latest ``occurred_at`` in ``fct_activity`` (None, None when empty)."""
        first, last = self.con.execute(f"SELECT min(occurred_at), max(occurred_at) FROM {self._activity()}").fetchall()[
            0
        ]
        return (
            first.astimezone(dt.timezone.utc) if first else None,
            last.astimezone(dt.timezone.utc) if last else None,
        )

    def read_updated(self, record_type: type[Record], source_ids: Sequence[str]) -> dict[str, dt.datetime]:
        """``{source_id: stored updated_at (UTC)}`` for those of ``source_ids`` already in ``record_type``'s table.

        What a source may ask while it mines (``miners.source.Stored``): the Jira miner asks it after
        its search phase so that issues re-read in the overlap window, unchanged, are not fetched again.
        """
        table = record_type.TABLE
        if table not in queries.RECORD_TYPES_BY_TABLE:
            raise WarehouseError(f"{record_type.__name__} has no raw table")
        rows = self.con.execute(
            f"SELECT source_id, updated_at FROM {table} WHERE list_contains(?::VARCHAR[], source_id)",
            [list(source_ids)],
        ).fetchall()
        return {key: updated.astimezone(dt.timezone.utc) for key, updated in rows if updated is not None}

    def read_jira_updated(self, keys: Sequence[str]) -> dict[str, dt.datetime]:
        """``{issue key: stored updated_at (UTC)}`` for those of ``keys`` already in the warehouse."""
        return self.read_updated(JiraIssueRecord, keys)

    def read_records(self, record_type: type[Record]) -> list[Record]:
        """All stored records of ``record_type``, rebuilt as dataclasses, ordered by source_id."""
        table = record_type.TABLE
        if table not in queries.RECORD_TYPES_BY_TABLE:
            raise WarehouseError(f"{record_type.__name__} has no raw table")
        arrow = self.con.sql(f"SELECT * EXCLUDE (raw), CAST(raw AS VARCHAR) AS raw FROM {table} ORDER BY source_id")
        return parse_records(record_type, arrow.to_arrow_table())

    # --- settings recorded by the nightly ---------------------------------------

    def write_settings(self, values: dict[str, Any]) -> int:
        """Record ``{key: JSON-able value}`` in ``ladder_settings`` (upsert); return the keys whose value changed."""
        now = self._clock()

        def work(con: duckdb.DuckDBPyConnection) -> int:
            old = dict(con.execute("SELECT key, CAST(value AS VARCHAR) FROM ladder_settings").fetchall())
            changed = 0
            for key, value in sorted(values.items()):
                text = json.dumps(value, sort_keys=True)
                if key in old and json.loads(old[key]) == value:
                    continue
                changed += 1
                con.execute(
                    "INSERT INTO ladder_settings (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    [key, text, now],
                )
            return changed

        return self._transaction("recording settings", work)

    def read_settings(self) -> dict[str, Any]:
        """``{key: value}`` recorded by ``write_settings`` ({} when nothing was recorded)."""
        rows = self.con.execute("SELECT key, CAST(value AS VARCHAR) FROM ladder_settings ORDER BY key").fetchall()
        return {key: json.loads(text) for key, text in rows}

    # --- judgments and interpretation ----------------------------------------

    def write_labels(self, labels: pa.Table) -> int:
        """Make activity_labels equal ``labels`` (LABEL_SCHEMA), touching only differing rows; return rows changed."""
        incoming = conform(labels, LABEL_SCHEMA, what="labels")
        return self._transaction(
            "writing labels",
            lambda con: sync_rows(con, "activity_labels", LABEL_SCHEMA, LABEL_KEY, incoming),
        )

    def write_evidence(self, evidence: pa.Table) -> int:
        """Make rubric_evidence equal ``evidence`` for its (rubric_id, rubric_version) pairs; return rows changed.

        Evidence written this way has no build state (``evidence_state``), so the stored norms of those
        rubric versions are dropped with it."""
        incoming = conform(evidence, EVIDENCE_SCHEMA, what="evidence rows")

        def work(con: duckdb.DuckDBPyConnection) -> int:
            changed = sync_rows(
                con, "rubric_evidence", EVIDENCE_SCHEMA, EVIDENCE_KEY, incoming, scope=("rubric_id", "rubric_version")
            )
            keys = incoming.select(["rubric_id", "rubric_version"]).to_pylist()
            for scope in sorted({(k["rubric_id"], k["rubric_version"]) for k in keys}):
                con.execute("DELETE FROM period_norms WHERE rubric_id = ? AND rubric_version = ?", list(scope))
            return changed

        return self._transaction("writing evidence", work)

    def evidence_state(self, rubric_id: str, rubric_version: str) -> str | None:
        """A digest of how and from what the rubric version's evidence was built, None when unknown
        (``warehouse.queries.evidence_state``)."""
        return queries.evidence_state(self.con, rubric_id, rubric_version)

    def read_period_norms(
        self, rubric_id: str, rubric_version: str, since: dt.date, until: dt.date
    ) -> tuple[str, str] | None:
        """(fingerprint, norms JSON) stored for the rubric version and period, or None."""
        return queries.read_period_norms(self.con, rubric_id, rubric_version, since, until)

    def write_period_norms(
        self, rubric_id: str, rubric_version: str, since: dt.date, until: dt.date, fingerprint: str, norms: str
    ) -> None:
        """Store a period's norms (``rubric.norms_store``) with the fingerprint of what they were computed from."""
        self._transaction(
            "storing period norms",
            lambda con: con.execute(
                "INSERT OR REPLACE INTO period_norms VALUES (?, ?, ?, ?, ?, ?, ?)",
                [rubric_id, rubric_version, since, until, fingerprint, norms, self._clock()],
            ),
        )

    def read_stage_version(self, stage: str) -> str | None:
        """What a stage stored as its version or input digest under ``stage`` (``stage_versions``), if anything."""
        return downstream.read_stage_version(self.con, stage)

    def write_stage_version(self, stage: str, version: str) -> None:
        """Store ``version`` under ``stage`` (``stage_versions``; unchanged rows are not rewritten)."""
        self._transaction(
            f"storing the {stage} version",
            lambda con: downstream.write_stage_version(con, stage, version, self._clock()),
        )

    def classify_changed(self, version: str, classify: Callable[[pa.Table], pa.Table]) -> downstream.ClassifyResult:
        """Label only activities that are new, changed, or were labelled under another classifiers' ``version``;
        drop labels of activities gone (``warehouse.downstream``)."""
        con = self._writable("classifying activities")
        return downstream.classify_changed(con, self._transaction, version, classify, self._clock())

    def build_evidence_changed(
        self,
        rubric_key: tuple[str, str],
        version: str,
        epics: Callable[[duckdb.DuckDBPyConnection], pa.Table],
        build: Callable[[duckdb.DuckDBPyConnection, pa.Table, Sequence[str] | None], pa.Table],
        extra: pa.Table | None = None,
    ) -> downstream.EvidenceResult:
        """Rebuild rubric ``rubric_key``'s evidence only for people whose inputs (``extra`` included) changed
        (everyone's when the rubric or the evidence query's ``version`` did) (``warehouse.downstream``)."""
        con = self._writable("building evidence")
        return downstream.evidence_changed(
            con, self._transaction, rubric_key, version, epics, build, self._clock(), extra
        )

    def resolve_identities(self, overrides: Sequence[Any] = ()) -> Any:
        """Match every account seen to roster people (miners.people.identity), store the links; return the Resolution.

        ``overrides``: ``miners.people.identity.Override`` decisions, read by the caller from
        the config's ``identities:`` file on every run.
        """
        return self.resolve_identities_counted(overrides)[0]

    def resolve_identities_counted(self, overrides: Sequence[Any] = ()) -> tuple[Any, int]:
        """``resolve_identities``, and how many link rows it changed."""
        from warehouse import identities

        def work(con: duckdb.DuckDBPyConnection) -> tuple[Any, int]:
            resolution = identities.resolve(con, overrides)
            changed = identities.write_links(con, resolution)
            log.info(
                "identities of %s: %d matched, %d unmatched, %d bots; %d links changed",
                self.where,
                len(resolution.matches),
                len(resolution.unmatched),
                len(resolution.bots),
                changed,
            )
            return resolution, changed

        return self._transaction("resolving identities", work)

    def identity_inputs_digest(self, overrides: Sequence[Any] = ()) -> str:
        """A digest of what ``resolve_identities`` reads (``warehouse.identities.inputs_digest``)."""
        from warehouse import identities

        return identities.inputs_digest(self.con, overrides)

    # --- reads ---------------------------------------------------------------

    def query_activities(self, since: dt.datetime | None = None, until: dt.datetime | None = None) -> pa.Table:
        """Activities with ``since <= occurred_at < until`` (ACTIVITY_SCHEMA), ordered by activity_id."""
        return queries.query_activities(self.con, since, until)

    def query_labels(self) -> pa.Table:
        """All labels (LABEL_SCHEMA)."""
        return queries.query_labels(self.con)

    def query_evidence(
        self,
        person_id: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        rubric_id: str | None = None,
    ) -> pa.Table:
        """One person's evidence (EVIDENCE_SCHEMA) with ``since <= occurred_at < until``."""
        return queries.query_evidence(self.con, person_id, since=since, until=until, rubric_id=rubric_id)

    def query_everyones_evidence(
        self, rubric_id: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> dict[str, pa.Table]:
        """Per person, what ``query_evidence`` gives for them and ``rubric_id``, from one read."""
        return queries.query_everyones_evidence(self.con, rubric_id, since=since, until=until)

    def query_evidence_signals(self, person_id: str, activity_id: str, behaviour_id: str) -> list[str] | None:
        """The signals of one evidence item of ``person_id`` (any rubric version), or None when there is none."""
        rows = self.con.execute(
            "SELECT signals FROM rubric_evidence WHERE person_id = ? AND activity_id = ? AND behaviour_id = ? "
            "ORDER BY rubric_version DESC LIMIT 1",
            [person_id, activity_id, behaviour_id],
        ).fetchall()
        return list(rows[0][0] or []) if rows else None

    def query_calibration_rows(
        self, rubric_id: str, rubric_version: str, since: dt.datetime, until: dt.datetime
    ) -> list[dict[str, Any]]:
        """Everyone's evidence rows (calibration columns only) of one rubric version in [since, until)."""
        return queries.query_calibration_rows(self.con, rubric_id, rubric_version, since, until)

    def query_ticket_parents(self, threads: Iterable[str] | None = None) -> dict[str, str]:
        """Each ticket's activity id -> its mined parent ticket's (calibration folds along these); ``threads``:
        only those tickets' and their ancestors'."""
        return queries.query_ticket_parents(self.con, threads)

    def query_person(self, key: str) -> dict[str, Any] | None:
        """The roster person with person_id or GitHub login ``key``, or None."""
        return queries.query_person(self.con, key)

    def query_person_by_id(self, person_id: str) -> dict[str, Any] | None:
        """The roster person with this person_id (never matched against a login), or None."""
        return queries.query_person_by_id(self.con, person_id)

    def query_viewer_candidates(self, github_id: int, login: str) -> dict[str, Any]:
        """Roster people by GitHub numeric id and by current login, and the ids synced for the login."""
        return queries.query_viewer_candidates(self.con, github_id, login)

    def query_people(self) -> list[dict[str, Any]]:
        """All roster people except service accounts."""
        return queries.query_people(self.con)

    def query_coverage_facts(
        self,
        person_id: str,
        *,
        since: dt.date,
        until: dt.date,
        sources: Sequence[str] = ("github", "jira"),
        overrides: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Plain facts on how complete ``person_id``'s data is for [since, until] (dates, inclusive).

        For ``rubric.coverage.coverage_warnings``; see ``warehouse.coverage``.  ``sources``: the
        sources the deployment mines (``github`` / ``jira``); ``overrides``: the identity overrides
        (``miners.people.identity.Override``), so rejected suggestions stay rejected.  Identity
        resolution, the sources' sync state and the period's activity are the same for every
        person: a read-only warehouse (whose data cannot change while open) reads them once.
        """
        from warehouse import coverage, identities, report_facts

        # Per-person reads are cheap; these three are not (each evaluates fct_activity, unless the nightly's
        # materialisation is current) and are the same for every person.  Only a read-only warehouse keeps
        # them: its data cannot change.
        cache: dict[Any, Any] = self.__dict__.setdefault("_coverage_cache", {}) if self.read_only else {}
        activity = self._activity()
        shared_key = ("shared", tuple(overrides), tuple(sources))
        if shared_key not in cache:
            stored = None
            if activity == "report_activity":
                fingerprint = report_facts.activity_fingerprint(self.con)
                key = report_facts.suggestions_fingerprint(fingerprint, overrides)
                stored = report_facts.stored_suggestions(self.con, key)
            if stored is None:
                stored = coverage.open_suggestions(self.con, identities.resolve(self.con, overrides))
            cache[shared_key] = (
                stored,
                coverage.read_source_status(self.con, sources, activity),
            )
        # Everyone's period activity once a second person is asked about; one person's rows before that.
        period_key, asked_key = ("period", since, until), ("asked", since, until)
        period = cache.get(period_key)
        if period is None:
            asked = cache.setdefault(asked_key, set())
            asked.add(person_id)
            if activity == "report_activity" and len(asked) == 1:
                period = coverage.read_period_activity(self.con, since, until, activity, person_id)
            else:
                period = cache[period_key] = coverage.read_period_activity(self.con, since, until, activity)
        suggestions, status = cache[shared_key]
        return coverage.read_coverage_facts(
            self.con,
            person_id,
            since=since,
            until=until,
            suggestions=suggestions,
            source_status=status,
            period_activity=period,
        )

    def query_enrollments(self, person_id: str) -> list[dict[str, Any]]:
        """The person's dated team and level intervals, oldest first (``warehouse.reporting``)."""
        from warehouse import reporting

        return reporting.query_enrollments(self.con, [person_id]).get(person_id, [])

    def query_everyones_enrollments(self) -> dict[str, list[dict[str, Any]]]:
        """``query_enrollments`` of every person at once (one query), keyed by person id."""
        from warehouse import reporting

        return reporting.query_enrollments(self.con)

    def query_monthly_activity(
        self, since: dt.date, until: dt.date, person_ids: Sequence[str] | None = None
    ) -> dict[str, dict[str, dict[str, int]]]:
        """Per person and month of [since, until]: PRs, reviews, tickets and incidents (``warehouse.reporting``)."""
        from warehouse import reporting

        return reporting.query_monthly_activity(self.con, since, until, person_ids, self._activity())

    def query_load_facts(
        self, since: dt.date, until: dt.date, person_ids: Sequence[str] | None = None
    ) -> dict[str, dict[str, int]]:
        """Per person over [since, until]: reviews given and received, incident and SEV roles, cross-team
        requests (``warehouse.reporting.LOAD_FACTS``)."""
        from warehouse import reporting

        return reporting.query_load_facts(self.con, since, until, person_ids)

    def query_team_managers(self) -> dict[str, list[str]]:
        """``{team_id: [manager ids of its current members]}`` (``warehouse.reporting``)."""
        from warehouse import reporting

        return reporting.query_team_managers(self.con)

    def query_team_members(self, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
        """Every team enrollment overlapping [since, until], clipped to it (``warehouse.reporting``)."""
        from warehouse import reporting

        return reporting.query_team_members(self.con, since, until)

    def fingerprint(self) -> dict[str, str]:
        """Per data table, a hash of its full content."""
        return queries.fingerprint(self.con)

    def run_audits(self) -> dict[str, int]:
        """``{audit name: number of violating rows}`` for every audit query."""
        return queries.run_audits(self.con)

    def query_audit_rows(self, name: str, limit: int = 20) -> list[dict[str, Any]]:
        """Up to ``limit`` violating rows of audit ``name``."""
        return queries.query_audit_rows(self.con, name, limit)
