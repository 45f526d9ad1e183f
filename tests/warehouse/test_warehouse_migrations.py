"""Opening the warehouse: migrations, declared schema, path and lock errors."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import duckdb
import pytest

from miners.records import ALL_RECORD_TYPES
from warehouse import WarehouseError, open_warehouse
from warehouse.connection import LOCK_ATTEMPTS
from warehouse.migrate import apply_migrations, read_migrations
from warehouse.records import columns_for

UTC = dt.timezone.utc
SHIPPED = importlib.resources.files("warehouse.migrations")
VERSIONS = [m.version for m in read_migrations()]
NEXT = f"{max(VERSIONS) + 1:04d}"  # the number a new migration would take


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 10, 1, tzinfo=UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture()
def migrations_dir(tmp_path):
    """A copy of the shipped migrations that a test may edit."""
    target = tmp_path / "migrations"
    target.mkdir()
    for entry in SHIPPED.iterdir():
        if entry.name.endswith(".sql"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _ledger(wh) -> list[tuple]:
    return wh.con.execute("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY 1").fetchall()


def test_fresh_open_applies_every_migration_once(tmp_path):
    shipped = read_migrations()
    assert [m.version for m in shipped] == sorted(set(VERSIONS)) and shipped[0].version == 1
    with open_warehouse(tmp_path / "w.duckdb", clock=Clock()) as wh:
        ledger = _ledger(wh)
    assert [(v, n, c) for v, n, c, _ in ledger] == [(m.version, m.name, m.checksum) for m in shipped]


def test_reopen_is_a_no_op(tmp_path):
    path = tmp_path / "w.duckdb"
    with open_warehouse(path, clock=Clock()) as wh:
        ledger = _ledger(wh)
        views = wh.con.execute("SELECT * FROM schema_views ORDER BY name").fetchall()
        fingerprint = wh.fingerprint()
    with open_warehouse(path, clock=Clock()) as wh:  # a clock that moved: any rewrite would show
        assert _ledger(wh) == ledger
        assert wh.con.execute("SELECT * FROM schema_views ORDER BY name").fetchall() == views
        assert wh.fingerprint() == fingerprint


def test_an_edited_applied_migration_is_refused(tmp_path, migrations_dir):
    path = tmp_path / "w.duckdb"
    open_warehouse(path, migrations=read_migrations(migrations_dir)).close()
    edited = migrations_dir / "0002_labels_and_evidence.sql"
    edited.write_text(edited.read_text() + "\n-- a harmless-looking edit\n")
    with pytest.raises(WarehouseError) as err:
        open_warehouse(path, migrations=read_migrations(migrations_dir))
    assert "0002_labels_and_evidence.sql was edited" in str(err.value)
    assert "new, higher-numbered migration" in str(err.value)


def test_a_new_migration_is_applied_on_the_next_open(tmp_path, migrations_dir):
    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    (migrations_dir / f"{NEXT}_add_notes.sql").write_text("CREATE TABLE notes (note VARCHAR);\n")
    with open_warehouse(path, migrations=read_migrations(migrations_dir)) as wh:
        assert [v for v, *_ in _ledger(wh)] == VERSIONS + [int(NEXT)]
        assert wh.con.execute("SELECT count(*) FROM notes").fetchall() == [(0,)]


def test_a_database_from_a_newer_release_is_refused(tmp_path, migrations_dir):
    path = tmp_path / "w.duckdb"
    (migrations_dir / f"{NEXT}_future.sql").write_text("CREATE TABLE future (x INTEGER);\n")
    open_warehouse(path, migrations=read_migrations(migrations_dir)).close()
    with pytest.raises(WarehouseError, match=f"{NEXT}_future.*newer release"):
        open_warehouse(path)
    with pytest.raises(WarehouseError, match="newer release"):
        open_warehouse(path, read_only=True)


def test_a_failing_migration_is_rolled_back_and_not_recorded(tmp_path, migrations_dir):
    path = tmp_path / "w.duckdb"
    (migrations_dir / f"{NEXT}_broken.sql").write_text("CREATE TABLE half (x INTEGER);\nSELECT * FROM no_such_table;\n")
    with pytest.raises(WarehouseError, match=f"{NEXT}_broken.sql failed"):
        open_warehouse(path, migrations=read_migrations(migrations_dir))
    with open_warehouse(path) as wh:  # the shipped set still opens: the earlier ones were committed
        assert [v for v, *_ in _ledger(wh)] == VERSIONS
        tables = {r[0] for r in wh.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "half" not in tables


def test_badly_named_migration_files_are_refused(migrations_dir):
    (migrations_dir / "3_oops.sql").write_text("SELECT 1;")
    with pytest.raises(WarehouseError, match="3_oops.sql is not named NNNN"):
        read_migrations(migrations_dir)


def test_raw_tables_declare_every_record_field(tmp_path):
    """The DDL in the migrations is written by hand; it must agree with the dataclasses."""
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        for record_type in ALL_RECORD_TYPES:
            described = wh.con.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [record_type.TABLE],
            ).fetchall()
            assert [(n, t) for n, t, _ in described] == [(c.name, c.sql_type) for c in columns_for(record_type)]
            nullable = {n for n, _, null in described if null == "YES"}
            assert nullable == {c.name for c in columns_for(record_type) if c.nullable}, record_type.TABLE
            hints = typing.get_type_hints(record_type)
            assert {c.name for c in columns_for(record_type)} == {*hints} - {"TABLE"} | {"content_hash"}


def test_read_only_open_needs_an_existing_migrated_file(tmp_path):
    with pytest.raises(WarehouseError, match="does not exist; run a sync first"):
        open_warehouse(tmp_path / "missing.duckdb", read_only=True)
    partial = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(partial))  # an old release: only the first migration, no views yet
    apply_migrations(con, read_migrations()[:1], where="partial", clock=Clock())
    con.close()
    with pytest.raises(WarehouseError, match="not migrated.*0002_labels_and_evidence.sql.*open it writable"):
        open_warehouse(partial, read_only=True)
    with open_warehouse(partial) as wh:  # a writable open finishes the job
        assert [v for v, *_ in _ledger(wh)] == VERSIONS
    with open_warehouse(partial, read_only=True) as ro:
        assert ro.query_activities().num_rows == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no-such-dir/w.duckdb", "directory .*no-such-dir does not exist; create it"),
        ("a-file/w.duckdb", "directory .*a-file does not exist"),
        ("a-dir", "is a directory"),
        ("not-duckdb.duckdb", "cannot open warehouse .*not-duckdb.duckdb"),
    ],
)
def test_unusable_paths_give_a_clear_error(tmp_path, name, expected):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "not-duckdb.duckdb").write_text("this is not a database\n" * 100)
    with pytest.raises(WarehouseError, match=expected):
        open_warehouse(tmp_path / name)


def test_a_locked_warehouse_is_retried_then_reported(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys
            from warehouse import open_warehouse
            wh = open_warehouse({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
            wh.close()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        waits: list[float] = []
        with pytest.raises(WarehouseError, match="locked by another process: a sync is probably running"):
            open_warehouse(path, sleep=waits.append)
        assert len(waits) == LOCK_ATTEMPTS - 1 and waits == sorted(waits)
        with pytest.raises(WarehouseError, match="sync is probably running"):
            open_warehouse(path, read_only=True, sleep=waits.append)
    finally:
        holder.communicate("", timeout=30)
    with open_warehouse(path, read_only=True) as ro:  # the lock is gone with the holder
        assert ro.read_cursors("github") == {}


def test_every_sql_folder_is_a_package_so_the_wheel_ships_it():
    root = Path(importlib.resources.files("warehouse"))
    folders = {p.parent for p in root.rglob("*.sql")}
    assert folders >= {root / "migrations", root / "sql" / "staging", root / "sql" / "marts", root / "sql" / "audits"}
    assert sorted(str(f.relative_to(root)) for f in folders if not (f / "__init__.py").is_file()) == []


def test_the_people_migration_keeps_roster_rows_of_an_older_warehouse(tmp_path):
    """0005 rebuilds raw_roster_people/teams with new columns; rows loaded before it survive."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    older = [m for m in read_migrations() if m.version < 5]
    apply_migrations(con, tuple(older), where="old", clock=Clock())
    con.execute(
        "INSERT INTO raw_roster_people VALUES ('roster', 'ana', 'roster', NULL, now(), NULL, '{}', 'ana', "
        "'Ana', ['ana@acme.test'], ['ana'], [], 'ml', NULL, 'IC4', 4, NULL, false, 'h1')"
    )
    con.execute(
        "INSERT INTO raw_roster_teams VALUES ('roster', 'ml', 'roster', NULL, now(), NULL, '{}', 'ml', 'ML', "
        "NULL, ['acme/*'], ['ML'], 'h2')"
    )
    con.close()
    with open_warehouse(path) as wh:
        assert wh.con.execute("SELECT person_id, github_id, content_hash FROM raw_roster_people").fetchall() == [
            ("ana", None, "h1")
        ]
        assert wh.con.execute("SELECT team_id, jira_components, github_team FROM raw_roster_teams").fetchall() == [
            ("ml", [], None)
        ]
        assert wh.con.execute("SELECT person_id, kind, value FROM dim_enrollment ORDER BY kind").fetchall() == [
            ("ana", "level", "IC4"),
            ("ana", "team", "ml"),
        ]
