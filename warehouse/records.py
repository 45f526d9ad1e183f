"""Generic mapping between record dataclasses, Arrow tables and ``raw_*`` tables.

The mapping is derived from the dataclass fields of ``miners.records`` so a new
field needs no code here; the table DDL itself is declared in the migration SQL
(and a test checks the two agree).  Every raw table has the record's fields
plus ``content_hash``; tuples become ``VARCHAR[]``, ``raw`` becomes ``JSON``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from miners.records import ALL_RECORD_TYPES, Record
from warehouse.errors import WarehouseError

TS = pa.timestamp("us", tz="UTC")

RECORD_TYPES_BY_TABLE: dict[str, type[Record]] = {cls.TABLE: cls for cls in ALL_RECORD_TYPES}
"""The closed set of raw tables: the only table names load code ever interpolates."""


@dataclass(frozen=True)
class Column:
    """One column of a raw table as derived from a record field."""

    name: str
    arrow_type: pa.DataType
    sql_type: str  # DuckDB type as declared in the migration
    nullable: bool
    kind: str  # str | int | bool | datetime | date | strings | json


_SCALARS: dict[Any, tuple[pa.DataType, str, str]] = {
    str: (pa.string(), "VARCHAR", "str"),
    int: (pa.int64(), "BIGINT", "int"),
    bool: (pa.bool_(), "BOOLEAN", "bool"),
    dt.datetime: (TS, "TIMESTAMP WITH TIME ZONE", "datetime"),
    dt.date: (pa.date32(), "DATE", "date"),
}


def _column_for(name: str, hint: Any) -> Column:
    nullable = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        if len(args) != 1:
            raise WarehouseError(f"record field {name!r} has a union type {hint}; use a single type or X | None")
        hint = args[0]
        origin = typing.get_origin(hint)
    if hint in _SCALARS:
        arrow_type, sql_type, kind = _SCALARS[hint]
        return Column(name, arrow_type, sql_type, nullable, kind)
    if origin is tuple and typing.get_args(hint)[:1] == (str,):
        return Column(name, pa.list_(pa.string()), "VARCHAR[]", nullable, "strings")
    if origin in (collections.abc.Mapping, dict) or hint in (collections.abc.Mapping, dict):
        return Column(name, pa.string(), "JSON", nullable, "json")
    raise WarehouseError(
        f"record field {name!r} has type {hint}, which the warehouse cannot store; "
        "add it to warehouse/records.py _SCALARS or change the field type"
    )


# Memo of columns_for.  A dict rather than functools.cache: mypy does not take a
# ``type[Record]`` as Hashable (the class's __hash__ is seen unbound), though it is.
_COLUMNS: dict[type[Record], tuple[Column, ...]] = {}


def columns_for(record_type: type[Record]) -> tuple[Column, ...]:
    """The raw-table columns of ``record_type``: its dataclass fields, then ``content_hash``."""
    cached = _COLUMNS.get(record_type)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(record_type)
    cols = [_column_for(f.name, hints[f.name]) for f in dataclasses.fields(record_type)]
    cols.append(Column("content_hash", pa.string(), "VARCHAR", False, "str"))
    return _COLUMNS.setdefault(record_type, tuple(cols))


def arrow_schema_for(record_type: type[Record]) -> pa.Schema:
    """The Arrow schema the warehouse loads ``record_type`` rows with."""
    return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in columns_for(record_type)])


def _to_arrow_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "strings":
        return list(value)
    if column.kind == "json":
        return json.dumps(value, sort_keys=True, default=_json_default)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"raw payload holds a {type(value).__name__}, which is not JSON")


def build_arrow(record_type: type[Record], records: Iterable[Record]) -> pa.Table:
    """Build the Arrow table of ``records`` (all of ``record_type``), ``content_hash`` included."""
    cols = columns_for(record_type)
    data: dict[str, list[Any]] = {c.name: [] for c in cols}
    for record in records:
        if type(record) is not record_type:
            raise WarehouseError(
                f"a {type(record).__name__} was mixed into a batch of {record_type.__name__}; group records by type"
            )
        for c in cols[:-1]:
            try:
                data[c.name].append(_to_arrow_value(c, getattr(record, c.name)))
            except TypeError as exc:
                raise WarehouseError(
                    f"{record_type.__name__} {record.source_id}: field {c.name} cannot be stored ({exc}); "
                    "the miner must put only JSON values in raw"
                ) from exc
        data["content_hash"].append(record.content_hash())
    # Nullability is enforced by the table's NOT NULL constraints, inside the
    # load transaction, so the Arrow schema here stays permissive.
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in cols])
    try:
        return pa.Table.from_pydict(data, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise WarehouseError(f"cannot convert {record_type.__name__} records to Arrow: {exc}") from exc


def _from_arrow_value(column: Column, value: Any) -> Any:
    if value is None:
        return {} if column.kind == "json" else None
    if column.kind == "strings":
        return tuple(value)
    if column.kind == "json":
        return json.loads(value)
    if column.kind == "datetime":
        return value.astimezone(dt.timezone.utc)
    return value


def parse_records(record_type: type[Record], table: pa.Table) -> list[Record]:
    """Turn rows of a raw table (as Arrow) back into ``record_type`` records."""
    cols = {c.name: c for c in columns_for(record_type)}
    fields = [f.name for f in dataclasses.fields(record_type)]
    missing = [name for name in fields if name not in table.column_names]
    if missing:
        raise WarehouseError(f"table for {record_type.__name__} lacks columns {missing}; is the warehouse migrated?")
    rows = table.select(fields).to_pylist()
    return [record_type(**{k: _from_arrow_value(cols[k], v) for k, v in row.items()}) for row in rows]
