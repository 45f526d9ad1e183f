"""The feedback file: notes people write about their evidence, and the audit log of ``ladder serve``.

A DuckDB file of its own beside the warehouse (``web.feedback`` in the config; by default
``<warehouse>.feedback.duckdb``), with its own forward-only migrations (``warehouse/feedback_migrations``).
It is separate from the warehouse so that the web app can write a note while the nightly holds the
warehouse's write lock for minutes: each call here opens the file, does one thing and closes it, and
waits out the other's lock (``warehouse.connection.connect`` retries).

Append-only by construction: this module inserts and selects, nothing else; a change of mind (a
dispute withdrawn, confirmed) is a new row that refers to an older one.  Notes are keyed by activity
id and behaviour id, never by an evidence row, a rubric version or a model version, so every nightly
re-run and version bump finds them again.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection import connect, utc_now
from warehouse.errors import WarehouseError
from warehouse.migrate import apply_migrations, read_migrations

NOTE_KINDS = ("context", "dispute", "pin", "extra", "confirm")
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

    def __init__(self, con: duckdb.DuckDBPyConnection, clock: Callable[[], dt.datetime]) -> None:
        self._con = con
        self._clock = clock

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
        row["created_at"] = self._clock()
        row["body"] = row["body"] or ""
        placeholders = ", ".join("?" for _ in NOTE_COLUMNS)
        self._con.execute(
            f"INSERT INTO feedback_notes ({', '.join(NOTE_COLUMNS)}) VALUES ({placeholders})",
            [row[name] for name in NOTE_COLUMNS],
        )
        return Note(**row)

    def query_notes(self, subject_id: str | None = None) -> list[Note]:
        """Notes about ``subject_id`` (everyone's when None), oldest first."""
        sql = f"SELECT {', '.join(NOTE_COLUMNS)} FROM feedback_notes"
        params: list[Any] = []
        if subject_id is not None:
            sql += " WHERE subject_id = ?"
            params.append(subject_id)
        rows = self._con.execute(sql + " ORDER BY created_at, note_id", params).fetchall()
        return [Note(**dict(zip(NOTE_COLUMNS, row))) for row in rows]

    def query_note(self, note_id: str) -> Note | None:
        rows = self._con.execute(
            f"SELECT {', '.join(NOTE_COLUMNS)} FROM feedback_notes WHERE note_id = ?", [note_id]
        ).fetchall()
        return Note(**dict(zip(NOTE_COLUMNS, rows[0]))) if rows else None

    def add_audit(
        self, action: str, *, viewer_id: str | None, subject: str | None, status: int, detail: str | None = None
    ) -> None:
        """Append one line to the audit log (what the caller passes must carry no secret)."""
        self._con.execute(
            f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
            [self._clock(), viewer_id, action, (subject or None) and subject[:200], status, detail],
        )

    def query_audit(self) -> list[dict[str, Any]]:
        rows = self._con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log ORDER BY logged_at").fetchall()
        return [dict(zip(AUDIT_COLUMNS, row)) for row in rows]


@contextmanager
def open_feedback(
    path: Path,
    *,
    read_only: bool = False,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[FeedbackStore]:
    """The feedback file opened (created and migrated when writable) for one short piece of work."""
    migrations = read_migrations(importlib.resources.files("warehouse.feedback_migrations"))
    con = connect(path, read_only=read_only, sleep=sleep)
    try:
        if not read_only:
            apply_migrations(con, migrations, where=str(path), clock=clock)
        yield FeedbackStore(con, clock)
    finally:
        con.close()


def read_notes(path: Path, subject_id: str | None = None) -> list[Note]:
    """Every note (about ``subject_id``) in the feedback file at ``path``; [] when there is no file yet."""
    if not path.exists():
        return []
    with open_feedback(path, read_only=True) as store:
        return store.query_notes(subject_id)
