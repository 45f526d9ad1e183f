"""SQL models (views) and audits shipped as files under ``warehouse/sql``.

Layers: ``macros/*`` are the SQL functions the views share, each a rule with
one home (``identity_key``: how account identities compare); ``staging/stg_*``
type, rename and dedupe raw rows; ``intermediate/int_*`` build one activity
kind each; ``marts/*`` are the stated-grain outputs (dim_person, dim_team,
fct_activity, ...).  Each view file holds one SELECT, each macro file its
parameters and body (``(a, b) AS expression``); the file name is the view's
or the macro's name.  The files are the single source of truth: a
writable open rebuilds every view, in dependency order and in one
transaction, whenever their text differs from what the database recorded.
``audits/*`` are queries returning violating rows, run on demand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

MACRO_LAYER = "macros"
MODEL_LAYERS = (MACRO_LAYER, "staging", "intermediate", "marts")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_USER_MACROS = "SELECT function_name FROM duckdb_functions() WHERE macro_definition IS NOT NULL AND NOT internal"

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_views (
    name       VARCHAR PRIMARY KEY,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


@dataclass(frozen=True)
class SqlFile:
    """One shipped SQL file: its layer folder, name (file stem) and text."""

    layer: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def create(self) -> str:
        """The statement that (re)creates it: a view, or a macro for a file under ``macros/``."""
        if self.layer == MACRO_LAYER:
            return f"CREATE OR REPLACE MACRO {self.name}\n{self.sql}"
        return f"CREATE OR REPLACE VIEW {self.name} AS\n{self.sql}"


def _read_layer(layer: str) -> list[SqlFile]:
    root = importlib.resources.files("warehouse.sql").joinpath(layer)
    files = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        name = entry.name[: -len(".sql")]
        if not _NAME.match(name):
            raise WarehouseError(f"SQL file warehouse/sql/{layer}/{entry.name} must be named lowercase_name.sql")
        files.append(SqlFile(layer, name, entry.read_text(encoding="utf-8").strip().rstrip(";")))
    return files


def read_models(*, ordered: bool = True) -> tuple[SqlFile, ...]:
    """All view models, ordered so that every view comes after the views it reads (``ordered=False``: in file
    order, for checking them against a warehouse opened read-only, which builds none)."""
    models = [m for layer in MODEL_LAYERS for m in _read_layer(layer)]
    by_name = {m.name: m for m in models}
    if len(by_name) != len(models):
        raise WarehouseError("two SQL models share a file name under warehouse/sql; view names must be unique")
    if not ordered:
        return tuple(models)
    deps = {
        m.name: {other for other in by_name if other != m.name and re.search(rf"\b{other}\b", _strip_comments(m.sql))}
        for m in models
    }
    out: list[SqlFile] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise WarehouseError(f"SQL model {name} is part of a dependency cycle; break the cycle")
        visiting.add(name)
        for dep in sorted(deps[name]):
            visit(dep)
        visiting.discard(name)
        done.add(name)
        out.append(by_name[name])

    for model in models:
        visit(model.name)
    return tuple(out)


def read_audits() -> tuple[SqlFile, ...]:
    """The audit queries; each returns the rows that violate one expectation."""
    return tuple(_read_layer("audits"))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def views_current(con: duckdb.DuckDBPyConnection, models: tuple[SqlFile, ...]) -> bool:
    """True when the database's views were built from exactly these model files."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_views'").fetchall()[
        0
    ][0]
    if not exists:
        return False
    stored = set(con.execute("SELECT name, checksum FROM schema_views").fetchall())
    return stored == {(m.name, m.checksum) for m in models}


def apply_models(
    con: duckdb.DuckDBPyConnection,
    models: tuple[SqlFile, ...],
    *,
    where: str,
    clock: Callable[[], dt.datetime],
) -> bool:
    """(Re)build all views when the model files changed; return whether anything was rebuilt."""
    con.execute(_CREATE_LEDGER)
    if views_current(con, models):
        return False
    wanted = {m.name for m in models}
    con.begin()
    try:
        stale = [name for (name,) in con.execute("SELECT name FROM schema_views").fetchall() if name not in wanted]
        macros = {name for (name,) in con.execute(_USER_MACROS).fetchall()}
        for name in stale:
            if _NAME.match(name):  # names come from our own earlier files; still only plain identifiers
                con.execute(f"DROP {'MACRO' if name in macros else 'VIEW'} IF EXISTS {name}")
        for model in models:
            con.execute(model.create)
        con.execute("DELETE FROM schema_views")
        now = clock()
        con.executemany(
            "INSERT INTO schema_views (name, checksum, applied_at) VALUES (?, ?, ?)",
            [[m.name, m.checksum, now] for m in models],
        )
        con.commit()
    except duckdb.Error as exc:
        con.rollback()
        raise WarehouseError(
            f"building the views of warehouse {where} failed: {exc}. The previous views are intact; "
            "fix the SQL file named in the error under warehouse/sql"
        ) from exc
    log.info("rebuilt %d views of %s", len(models), where)
    return True
