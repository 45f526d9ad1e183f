"""The feedback file: append-only notes and audit lines, its own checked migrations, readable while written."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from warehouse import WarehouseError
from warehouse.feedback import FeedbackStore, open_feedback, read_notes

T = dt.datetime(2026, 10, 2, 9, 30, tzinfo=dt.timezone.utc)


def test_notes_and_audit_lines_round_trip(tmp_path):
    path = tmp_path / "f.sqlite"
    assert read_notes(path) == []
    with open_feedback(path, clock=lambda: T) as store:
        note = store.add_note(
            subject_id="ana",
            author_id="ana",
            author_role="subject",
            kind="dispute",
            activity_id="a1",
            behaviour_id="b1",
            reason="wrong_label",
            label="work.bugfix",
            body="it's a fix",
        )
        store.add_audit("view_report", viewer_id="dana", subject="ana", status=200)
    assert read_notes(path, "ana") == [note] and read_notes(path, "bo") == []
    assert note.created_at == T and len(note.note_id) >= 20
    with open_feedback(path, read_only=True) as store:
        assert store.query_audit()[0]["action"] == "view_report"
        assert store.query_note(note.note_id) == note


def test_closed_vocabularies_and_no_way_to_change_or_delete(tmp_path):
    with open_feedback(tmp_path / "f.sqlite") as store:
        with pytest.raises(WarehouseError, match="kind"):
            store.add_note(subject_id="a", author_id="a", author_role="subject", kind="edit", behaviour_id="b")
        with pytest.raises(WarehouseError, match="reason"):
            store.add_note(
                subject_id="a", author_id="a", author_role="subject", kind="dispute", behaviour_id="b", reason="meh"
            )
    public = {name for name in dir(FeedbackStore) if not name.startswith("_")}
    assert public == {"add_note", "query_notes", "query_note", "add_audit", "query_audit"}


def test_a_reader_in_another_connection_reads_while_a_writer_is_open(tmp_path):
    path = tmp_path / "f.sqlite"
    with open_feedback(path) as writer:
        writer.add_audit("sign_in", viewer_id="ana", subject=None, status=303)
        assert read_notes(path) == []  # a second connection reads meanwhile (WAL)
        writer.add_note(
            subject_id="ana",
            author_id="ana",
            author_role="subject",
            kind="context",
            activity_id="a",
            behaviour_id="b",
            body="x",
        )
        assert len(read_notes(path)) == 1


def test_an_edited_migration_is_refused(tmp_path):
    path = tmp_path / "f.sqlite"
    with open_feedback(path):
        pass
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_migrations SET checksum = 'x'")
    con.commit()
    con.close()
    with pytest.raises(WarehouseError, match="edited"):
        with open_feedback(path):
            pass
