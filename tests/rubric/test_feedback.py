"""Notes applied to evidence and reports (pure): confirmed disputes leave the evidence, notes sit on their items."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from rubric.feedback import attach_notes, confirmed_disputes, drop_confirmed
from warehouse.feedback import Note

T = dt.datetime(2026, 10, 2, tzinfo=dt.timezone.utc)


def note(note_id, kind, subject="ana", author="ana", activity="a1", behaviour="b1", refers_to=None, **extra):
    fields = dict(
        note_id=note_id,
        subject_id=subject,
        author_id=author,
        author_role="subject",
        kind=kind,
        activity_id=activity,
        behaviour_id=behaviour,
        reason=None,
        label=None,
        disputed_label=None,
        refers_to=refers_to,
        body="words",
        link=None,
        created_at=T,
    )
    fields.update(extra)
    return Note(**fields)


def test_only_a_confirmed_dispute_of_the_same_subject_counts():
    notes = [
        note("d1", "dispute", reason="not_my_work"),
        note("d2", "dispute", activity="a2", reason="wrong_label"),
        note("c1", "confirm", author="dana", refers_to="d1"),
        note("c2", "confirm", subject="cyd", author="eli", refers_to="d2"),  # another subject's id: ignored
        note("x1", "context"),
    ]
    assert confirmed_disputes(notes) == {("ana", "a1", "b1")}


def test_drop_confirmed_removes_exactly_those_rows():
    table = pa.table(
        {
            "person_id": ["ana", "ana", "bo", "ana"],
            "activity_id": ["a1", "a1", "a1", "a2"],
            "behaviour_id": ["b1", "b2", "b1", "b1"],
        }
    )
    kept = drop_confirmed(table, {("ana", "a1", "b1")})
    assert kept.to_pylist() == [
        {"person_id": "ana", "activity_id": "a1", "behaviour_id": "b2"},
        {"person_id": "bo", "activity_id": "a1", "behaviour_id": "b1"},
        {"person_id": "ana", "activity_id": "a2", "behaviour_id": "b1"},
    ]
    assert drop_confirmed(table, set()) is table


def test_notes_attach_to_their_item_marked_with_who_wrote_them():
    item = {"activity_id": "a1", "behaviour_id": "b1"}
    other = {"activity_id": "a2", "behaviour_id": "b1"}
    report = {"engineer": {"login": "ana"}, "dimensions": [{"behaviours": [{"evidence": [item, other]}]}]}
    notes = [
        note("n1", "context"),
        note("n2", "pin"),
        note("d1", "dispute", reason="wrong_label", label="work.refactor"),
        note("c1", "confirm", author="dana", author_role="manager", refers_to="d1"),
        note("e1", "extra", activity=None, behaviour="b9", link="https://talks.example/x"),
    ]
    out = attach_notes(report, notes, {"ana": "Ana Lima", "dana": "Dana"})
    views = out["dimensions"][0]["behaviours"][0]["evidence"][0]["notes"]
    assert [v["kind"] for v in views] == ["context", "pin", "dispute"]
    assert all(v["by_subject"] and v["author"] == "Ana Lima" for v in views)
    assert views[2]["confirmed"] and item["pinned"] and item["open_disputes"] == []
    assert views[2]["decision"] == {
        "kind": "confirm",
        "by": "Dana",
        "role": "manager",
        "at": T.isoformat(timespec="minutes"),
        "body": "words",
    }
    assert other["notes"] == [] and not other["pinned"]
    assert out["extra_evidence"][0]["behaviour_id"] == "b9"


def test_a_rejected_dispute_keeps_its_item_and_shows_who_rejected_it():
    item = {"activity_id": "a1", "behaviour_id": "b1"}
    report = {"engineer": {"login": "ana"}, "dimensions": [{"behaviours": [{"evidence": [item]}]}]}
    notes = [
        note("d1", "dispute", reason="not_my_work"),
        note("r1", "reject", author="dana", author_role="manager", refers_to="d1", body="You wrote most of it."),
        note("c1", "confirm", author="dana", author_role="manager", refers_to="d1"),  # decided already: ignored
        note("d2", "dispute", reason="wrong_label"),
    ]
    assert confirmed_disputes(notes) == set()
    out = attach_notes(report, notes, {"ana": "Ana Lima", "dana": "Dana"})
    views = out["dimensions"][0]["behaviours"][0]["evidence"][0]["notes"]
    assert [v["kind"] for v in views] == ["dispute", "dispute"]  # decisions sit on their dispute, not as notes
    rejected = views[0]
    assert rejected["rejected"] and not rejected["confirmed"]
    assert rejected["decision"]["by"] == "Dana" and rejected["decision"]["body"] == "You wrote most of it."
    assert [n["note_id"] for n in item["open_disputes"]] == ["d2"]
