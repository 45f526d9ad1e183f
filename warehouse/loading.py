"""Idempotent writes: record upserts, sync cursors, and table syncs for labels and evidence.

Every function here runs inside a transaction its caller owns; none commits.
Table and column names are interpolated only from closed sets (the record
dataclasses and the output schemas); every value is a parameter or an
Arrow table registered under a fixed name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from miners.records import Record
from warehouse.errors import WarehouseError
from warehouse.records import RECORD_TYPES_BY_TABLE, build_arrow, columns_for


@dataclass(frozen=True)
class LoadResult:
    """What a load did: rows inserted, changed, already up to date, and deleted (complete batches only)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __add__(self, other: LoadResult) -> LoadResult:
        """Sum two results (a batch spans several tables)."""
        return LoadResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.deleted + other.deleted,
        )


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    # After a failed statement the transaction is aborted and even unregister
    # fails; the next register() of the same name replaces the relation anyway,
    # and the original error is the one worth reporting.
    with contextlib.suppress(duckdb.Error):
        con.unregister(name)


def _q(name: str) -> str:
    """Quote an identifier from a closed set ("partition" is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def upsert_records(con: duckdb.DuckDBPyConnection, record_type: type[Record], records: Sequence[Record]) -> LoadResult:
    """Upsert ``records`` into ``record_type.TABLE``; rows whose content_hash is unchanged are not touched.

    Within one call, a later record with the same source_id replaces an earlier one.
    """
    table = record_type.TABLE
    if RECORD_TYPES_BY_TABLE.get(table) is not record_type:
        raise WarehouseError(f"{record_type.__name__} has no raw table; add it to miners.records.ALL_RECORD_TYPES")
    latest = {r.source_id: r for r in records}
    incoming = build_arrow(record_type, latest.values())
    cols = columns_for(record_type)
    names = ", ".join(_q(c.name) for c in cols)
    values = ", ".join(f"CAST(i.{_q(c.name)} AS JSON)" if c.kind == "json" else f"i.{_q(c.name)}" for c in cols)
    updates = ", ".join(f"{_q(c.name)} = EXCLUDED.{_q(c.name)}" for c in cols if c.name != "source_id")
    con.register("_incoming_records", incoming)
    try:
        existing = dict(
            con.execute(
                f"SELECT t.source_id, t.content_hash FROM {table} t "
                "JOIN _incoming_records i ON i.source_id = t.source_id"
            ).fetchall()
        )
        con.execute(
            f"INSERT INTO {table} ({names}) SELECT {values} FROM _incoming_records i "
            f"ON CONFLICT (source_id) DO UPDATE SET {updates} "
            f"WHERE {table}.content_hash IS DISTINCT FROM EXCLUDED.content_hash"
        ).fetchall()
    finally:
        _unregister(con, "_incoming_records")
    hashes = zip(incoming.column("source_id").to_pylist(), incoming.column("content_hash").to_pylist())
    inserted = updated = 0
    for source_id, content_hash in hashes:
        if source_id not in existing:
            inserted += 1
        elif existing[source_id] != content_hash:
            updated += 1
    return LoadResult(inserted, updated, len(latest) - inserted - updated)


def delete_missing(
    con: duckdb.DuckDBPyConnection, source: str, partition: str, keep: dict[str, set[str]]
) -> LoadResult:
    """Delete the rows of (source, partition) whose source_id is not in ``keep[table]``, in every raw table."""
    deleted = 0
    for table in sorted(RECORD_TYPES_BY_TABLE):
        ids = sorted(keep.get(table, set()))
        [(n,)] = con.execute(
            f'DELETE FROM {table} WHERE source = ? AND "partition" = ? AND NOT list_contains(?::VARCHAR[], source_id)',
            [source, partition, ids],
        ).fetchall()
        deleted += int(n)
    return LoadResult(deleted=deleted)


def upsert_cursor(con: duckdb.DuckDBPyConnection, source: str, partition: str, cursor: str, now: dt.datetime) -> bool:
    """Store ``cursor`` for (source, partition); the row changes only if the value does. Returns whether it moved."""
    [(changed,)] = con.execute(
        'INSERT INTO sync_cursors (source, "partition", cursor, updated_at) VALUES (?, ?, ?, ?) '
        'ON CONFLICT (source, "partition") DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at '
        "WHERE sync_cursors.cursor IS DISTINCT FROM EXCLUDED.cursor",
        [source, partition, cursor, now],
    ).fetchall()
    return bool(changed)


def upsert_cursors(
    con: duckdb.DuckDBPyConnection, cursors: Sequence[tuple[str, str, str | None]], now: dt.datetime
) -> set[tuple[str, str]]:
    """``upsert_cursor`` of each ``(source, partition, cursor)`` (a None cursor is left alone; the last of a
    partition's wins), reading the stored ones in one query and writing only those that moved."""
    wanted: dict[tuple[str, str], str] = {
        (source, partition): cursor for source, partition, cursor in cursors if cursor is not None
    }
    if not wanted:
        return set()
    stored = dict(
        ((source, partition), cursor)
        for source, partition, cursor in con.execute(
            'SELECT source, "partition", cursor FROM sync_cursors WHERE list_contains(?::VARCHAR[], "partition")',
            [sorted({partition for _, partition in wanted})],
        ).fetchall()
    )
    moved = {key for key, cursor in wanted.items() if stored.get(key) != cursor}
    for source, partition in sorted(moved):
        upsert_cursor(con, source, partition, wanted[(source, partition)], now)
    return moved


def conform(table: pa.Table, schema: pa.Schema, *, what: str) -> pa.Table:
    """Select ``schema``'s columns from ``table`` by name and cast to it; extra columns are dropped."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise WarehouseError(f"{what} lack columns {missing}; build them with the contract schema ({schema.names})")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise WarehouseError(f"{what} do not match the contract schema: {exc}") from exc


def sync_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: pa.Schema,
    key: Sequence[str],
    incoming: pa.Table,
    *,
    scope: Sequence[str] = (),
    within: str | None = None,
) -> int:
    """Make ``table`` equal ``incoming`` (within the ``scope`` values present in it); return rows changed.

    Rows equal to the incoming ones are not touched.  With ``scope`` columns,
    only stored rows whose scope values occur in ``incoming`` may be deleted; with ``within`` (an SQL
    predicate over the stored row ``t``, written in code), only stored rows it holds for.
    """
    key_set = set(key)
    names = ", ".join(_q(n) for n in schema.names)
    on_key = " AND ".join(f"t.{_q(k)} = i.{_q(k)}" for k in key)
    others = [n for n in schema.names if n not in key_set]
    updates = ", ".join(f"{_q(n)} = EXCLUDED.{_q(n)}" for n in others)
    differs = " OR ".join(f"{table}.{_q(n)} IS DISTINCT FROM EXCLUDED.{_q(n)}" for n in others)
    if scope:
        same_scope = " AND ".join(f"s.{_q(c)} = t.{_q(c)}" for c in scope)
        in_scope = f"EXISTS (SELECT 1 FROM _incoming_rows s WHERE {same_scope})"
    else:
        in_scope = "true"
    if within is not None:
        in_scope = f"({in_scope}) AND ({within})"
    con.register("_incoming_rows", incoming)
    try:
        keys = ", ".join(_q(k) for k in key)
        repeated = con.execute(f"SELECT {keys} FROM _incoming_rows GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchall()
        if repeated:
            values = dict(zip(key, repeated[0]))
            raise WarehouseError(f"{table} rows repeat the key {values}; each key may appear once")
        [(deleted,)] = con.execute(
            f"DELETE FROM {table} t WHERE {in_scope} AND NOT EXISTS (SELECT 1 FROM _incoming_rows i WHERE {on_key})"
        ).fetchall()
        [(written,)] = con.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM _incoming_rows "
            f"ON CONFLICT ({', '.join(_q(k) for k in key)}) DO UPDATE SET {updates} WHERE {differs}"
        ).fetchall()
    except duckdb.ConstraintException as exc:
        raise WarehouseError(f"writing {table} failed: {exc}; fix the rows (key columns must not be null)") from exc
    finally:
        _unregister(con, "_incoming_rows")
    return int(deleted) + int(written)
