"""The feedback file: notes people write about their evidence, and the audit log of ``ladder serve``.

A file of its own beside the warehouse (``web.feedback`` in the config; by default
``<warehouse>.feedback.sqlite``), with its own forward-only, checksummed migrations
(``warehouse/feedback_migrations``).  It is separate from the warehouse so that the web app can write
a note while the nightly holds the warehouse's write lock for minutes, and it is SQLite (the standard
library's ``sqlite3``, in WAL mode), not DuckDB, because its work is the opposite of the warehouse's:
many tiny writes (an audit line per page view) from one process while others read.  A DuckDB open
costs ~100 ms and locks the whole file; an SQLite write in WAL mode is about a millisecond and never
blocks a reader in another process (the nightly's evidence stage, ``ladder train``).

Append-only by construction: this module inserts and selects, nothing else; a change of mind (a
dispute confirmed or rejected) is a new row that refers to an older one.  Notes are keyed by activity
id and behaviour id, never by an evidence row, a rubric version or a model version, so every nightly
re-run and version bump finds them again.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.connection import utc_now
from warehouse.errors import WarehouseError
from warehouse.migrate import Migration, read_migrations

BUSY_TIMEOUT_SECONDS = 10.0  # another process writing: wait this long for it

# confirm / reject: a manager's (or admin's) decision on a dispute, referring to it (``refers_to``).
NOTE_KINDS = ("context", "dispute", "pin", "extra", "confirm", "reject")
DISPUTE_REASONS = ("wrong_label", "not_my_work", "not_this_behaviour")
AUTHOR_ROLES = ("subject", "manager", "admin")
NOTE_COLUMNS = (
    "note_id",
    "subject_id",
    "author_id",
    "author_role",
    "kind",
    "activity_id",
    "behaviour_id",
    "reason",
    "label",
    "disputed_label",
    "refers_to",
    "body",
    "link",
    "created_at",
)
AUDIT_COLUMNS = ("logged_at", "viewer_id", "action", "subject", "status", "detail")


@dataclass(frozen=True)
class Note:
    """One row of ``feedback_notes`` (see the migration for each column)."""

    note_id: str
    subject_id: str
    author_id: str
    author_role: str
    kind: str
    activity_id: str | None
    behaviour_id: str
    reason: str | None
    label: str | None
    disputed_label: str | None
    refers_to: str | None
    body: str
    link: str | None
    created_at: dt.datetime


class FeedbackStore:
    """One open connection to the feedback file; use ``open_feedback`` (a context manager)."""

    def __init__(self, con: sqlite3.Connection, clock: Callable[[], dt.datetime]) -> None:
        self._con = con
        self._clock = clock

    def _now(self) -> str:
        return self._clock().astimezone(dt.timezone.utc).isoformat()

    def add_note(self, **fields: Any) -> Note:
        """Append a note; ``note_id`` and ``created_at`` are set here.  Checks the closed vocabularies."""
        if fields.get("kind") not in NOTE_KINDS:
            raise WarehouseError(f"feedback note kind {fields.get('kind')!r} is not one of {', '.join(NOTE_KINDS)}")
        if fields.get("author_role") not in AUTHOR_ROLES:
            raise WarehouseError(f"feedback author_role {fields.get('author_role')!r} is not one of {AUTHOR_ROLES}")
        if fields.get("reason") is not None and fields["reason"] not in DISPUTE_REASONS:
            raise WarehouseError(f"dispute reason {fields['reason']!r} is not one of {', '.join(DISPUTE_REASONS)}")
        row: dict[str, Any] = {name: fields.get(name) for name in NOTE_COLUMNS}
        row["note_id"] = secrets.token_urlsafe(18)
        row["created_at"] = self._now()
        row["body"] = row["body"] or ""
        placeholders = ", ".join("?" for _ in NOTE_COLUMNS)
        with self._con:
            self._con.execute(
                f"INSERT INTO feedback_notes ({', '.join(NOTE_COLUMNS)}) VALUES ({placeholders})",
                [row[name] for name in NOTE_COLUMNS],
            )
        return _note(tuple(row[name] for name in NOTE_COLUMNS))

    def query_notes(self, subject_id: str | None = None) -> list[Note]:
        """Notes about ``subject_id`` (everyone's when None), oldest first."""
        sql = f"SELECT {', '.join(NOTE_COLUMNS)} FROM feedback_notes"
        params: list[Any] = []
        if subject_id is not None:
            sql += " WHERE subject_id = ?"
            params.append(subject_id)
        return [_note(row) for row in self._con.execute(sql + " ORDER BY created_at, rowid", params).fetchall()]

    def query_note(self, note_id: str) -> Note | None:
        rows = self._con.execute(
            f"SELECT {', '.join(NOTE_COLUMNS)} FROM feedback_notes WHERE note_id = ?", [note_id]
        ).fetchall()
        return _note(rows[0]) if rows else None

    def add_audit(
        self, action: str, *, viewer_id: str | None, subject: str | None, status: int, detail: str | None = None
    ) -> None:
        """Append one line to the audit log (what the caller passes must carry no secret)."""
        with self._con:
            self._con.execute(
                f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                [self._now(), viewer_id, action, (subject or None) and subject[:200], status, detail],
            )

    def query_audit(self) -> list[dict[str, Any]]:
        rows = self._con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log ORDER BY rowid").fetchall()
        return [dict(zip(AUDIT_COLUMNS, row)) for row in rows]


def _note(row: tuple) -> Note:
    values = dict(zip(NOTE_COLUMNS, row))
    values["created_at"] = dt.datetime.fromisoformat(values["created_at"])
    return Note(**values)


_LEDGER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def _migrate(con: sqlite3.Connection, migrations: tuple[Migration, ...], where: str, now: str) -> None:
    """Apply the feedback file's pending migrations, each in one transaction; refuse edited or unknown ones."""
    con.execute(_LEDGER)
    applied = {v: c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    known = {m.version: m for m in migrations}
    for version, checksum in applied.items():
        if version not in known or known[version].checksum != checksum:
            raise WarehouseError(
                f"feedback file {where} holds migration {version:04d} that this release "
                + ("does not ship (written by a newer release)" if version not in known else "ships edited")
                + "; use the release that wrote it, or point web.feedback at a new file"
            )
    for migration in migrations:
        if migration.version in applied:
            continue
        try:
            con.executescript(f"BEGIN;\n{migration.sql}\n;")  # the transaction stays open until COMMIT
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [migration.version, migration.name, migration.checksum, now],
            )
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise WarehouseError(f"migration {migration.filename} failed on feedback file {where}: {exc}") from exc


@contextmanager
def open_feedback(
    path: Path, *, read_only: bool = False, clock: Callable[[], dt.datetime] = utc_now
) -> Iterator[FeedbackStore]:
    """The feedback file opened (created and migrated when writable) for one short piece of work."""
    if read_only:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    else:
        # check_same_thread off: ``ladder serve`` keeps one connection and serialises its use with a lock.
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    try:
        if not read_only:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            migrations = read_migrations(importlib.resources.files("warehouse.feedback_migrations"))
            _migrate(con, migrations, str(path), clock().isoformat())
        yield FeedbackStore(con, clock)
    except sqlite3.DatabaseError as exc:
        raise WarehouseError(f"feedback file {path}: {exc}; is it a file ladder serve wrote?") from exc
    finally:
        con.close()


def read_notes(path: Path, subject_id: str | None = None) -> list[Note]:
    """Every note (about ``subject_id``) in the feedback file at ``path``; [] when there is no file yet."""
    if not path.exists():
        return []
    with open_feedback(path, read_only=True) as store:
        return store.query_notes(subject_id)
