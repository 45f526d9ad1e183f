"""Forward-only, checksummed schema migrations read from ``warehouse/migrations``.

Each ``NNNN_name.sql`` file is applied once, in its own transaction, and
recorded in ``schema_migrations`` with the sha256 of its text.  An applied
migration whose file has since changed is refused, and so is a database that
holds versions this code does not know (it was written by a newer release).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    """One migration file: ``version`` and ``name`` come from ``NNNN_name.sql``."""

    version: int
    name: str
    filename: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_migrations(source: Traversable | Path | None = None) -> tuple[Migration, ...]:
    """Read the migration files of ``source`` (default: the shipped ``warehouse.migrations``)."""
    root = source if source is not None else importlib.resources.files("warehouse.migrations")
    found: dict[int, Migration] = {}
    for entry in root.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILENAME.match(entry.name)
        if not match:
            raise WarehouseError(
                f"migration file {entry.name} is not named NNNN_lowercase_name.sql; rename it (e.g. 0003_add_x.sql)"
            )
        version = int(match.group(1))
        if version in found:
            raise WarehouseError(
                f"migrations {found[version].filename} and {entry.name} share version {version}; renumber one"
            )
        found[version] = Migration(version, match.group(2), entry.name, entry.read_text(encoding="utf-8"))
    return tuple(found[v] for v in sorted(found))


def read_applied(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    """Return ``{version: (name, checksum)}`` of applied migrations ({} if none or no ledger)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = con.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version").fetchall()
    return {version: (name, checksum) for version, name, checksum in rows}


def pending_migrations(
    con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...], *, where: str
) -> list[Migration]:
    """Check applied migrations against ``migrations`` and return those not yet applied.

    Raises WarehouseError when an applied file was edited or the database is newer.
    ``where`` names the database in messages.
    """
    applied = read_applied(con)
    known = {m.version: m for m in migrations}
    for version, (name, checksum) in sorted(applied.items()):
        migration = known.get(version)
        if migration is None:
            raise WarehouseError(
                f"warehouse {where} has migration {version:04d}_{name} that this version of ladder-signals "
                "does not ship: it was written by a newer release. Upgrade ladder-signals, or point it at a "
                "new warehouse file; downgrades are not supported"
            )
        if migration.checksum != checksum:
            raise WarehouseError(
                f"migration {migration.filename} was edited after it was applied to warehouse {where} "
                f"(recorded sha256 {checksum[:12]}, file now {migration.checksum[:12]}). Migrations are "
                "forward-only: restore the file to its applied text and put the change in a new, "
                "higher-numbered migration"
            )
    return [m for m in migrations if m.version not in applied]


def apply_migrations(
    con: duckdb.DuckDBPyConnection,
    migrations: tuple[Migration, ...],
    *,
    where: str,
    clock: Callable[[], dt.datetime],
) -> list[Migration]:
    """Apply pending ``migrations``, each in its own transaction; return the ones applied."""
    con.execute(_CREATE_LEDGER)
    pending = pending_migrations(con, migrations, where=where)
    for migration in pending:
        con.begin()
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [migration.version, migration.name, migration.checksum, clock()],
            )
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise WarehouseError(
                f"migration {migration.filename} failed on warehouse {where}: {exc}. Nothing of it was "
                "applied; fix the migration (it was never recorded, so editing it is allowed) and retry"
            ) from exc
        log.info("applied migration %s to %s", migration.filename, where)
    return pending
