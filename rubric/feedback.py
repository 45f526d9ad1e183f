"""What people wrote about their evidence, applied to evidence and reports (pure: notes in, rows out).

Notes (``warehouse.feedback``) are keyed by activity id and behaviour id.  A dispute that the
subject's manager (or an admin) confirmed takes its item out of the evidence: the nightly's evidence
stage drops it, and ``ladder serve`` drops it at once.  ``attach_notes`` puts every note on the report
item it is about, marked with who wrote it, so a manager reads the engineer's words as theirs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

Key = tuple[str, str, str]  # subject (person) id, activity id, behaviour id


def confirmed_disputes(notes: list[Any]) -> set[Key]:
    """(person, activity, behaviour) of every dispute a later ``confirm`` note refers to."""
    disputes = {n.note_id: n for n in notes if n.kind == "dispute" and n.activity_id}
    keys: set[Key] = set()
    for note in notes:
        dispute = disputes.get(note.refers_to or "") if note.kind == "confirm" else None
        if dispute is not None and dispute.subject_id == note.subject_id:
            keys.add((dispute.subject_id, dispute.activity_id, dispute.behaviour_id))
    return keys


def drop_confirmed(evidence: pa.Table, confirmed: set[Key]) -> pa.Table:
    """``evidence`` (EVIDENCE_SCHEMA) without the rows of confirmed disputes."""
    if not confirmed or evidence.num_rows == 0:
        return evidence
    rows = zip(
        evidence.column("person_id").to_pylist(),
        evidence.column("activity_id").to_pylist(),
        evidence.column("behaviour_id").to_pylist(),
    )
    keep = pa.array([(p, a, b) not in confirmed for p, a, b in rows])
    return evidence.filter(pc.equal(keep, True))


def _note_view(note: Any, names: dict[str, str], subject_id: str, confirmed_ids: set[str]) -> dict:
    return {
        "note_id": note.note_id,
        "kind": note.kind,
        "by_subject": note.author_id == subject_id,
        "author": names.get(note.author_id, note.author_id),
        "author_role": note.author_role,
        "reason": note.reason,
        "label": note.label,
        "body": note.body,
        "link": note.link,
        "created_at": note.created_at.isoformat(timespec="minutes") if note.created_at else "",
        "confirmed": note.note_id in confirmed_ids,
    }


def attach_notes(report: dict, notes: list[Any], names: dict[str, str]) -> dict:
    """The report with ``item["notes"]`` on each evidence item and ``report["extra_evidence"]`` (notes of
    evidence the tools cannot see, by behaviour); ``names`` maps person ids to the names shown."""
    subject_id = report["engineer"]["login"]
    confirmed_ids = {n.refers_to for n in notes if n.kind == "confirm" and n.refers_to}
    by_item: dict[tuple[str, str], list[dict]] = defaultdict(list)
    extra: list[dict] = []
    for note in notes:
        view = _note_view(note, names, subject_id, confirmed_ids)
        if note.kind == "extra":
            extra.append(dict(view, behaviour_id=note.behaviour_id))
        elif note.kind != "confirm" and note.activity_id:
            by_item[(note.activity_id, note.behaviour_id)].append(view)
    for dim in report["dimensions"]:
        for behaviour in dim["behaviours"]:
            for item in behaviour.get("evidence", []):
                item["notes"] = by_item.get((item["activity_id"], item["behaviour_id"]), [])
                item["pinned"] = any(n["kind"] == "pin" and n["by_subject"] for n in item["notes"])
                item["open_disputes"] = [n for n in item["notes"] if n["kind"] == "dispute" and not n["confirmed"]]
    report["extra_evidence"] = extra
    return report
