"""What people wrote about their evidence, applied to evidence and reports (pure: notes in, rows out).

Notes (``warehouse.feedback``) are keyed by activity id and behaviour id.  A dispute that the
subject's manager (or an admin) confirmed takes its item out of the evidence: the nightly's evidence
stage drops it, and ``ladder serve`` drops it at once; a rejected one leaves its item where it was.
``attach_notes`` puts every note on the report item it is about, marked with who wrote it, so a manager
reads the engineer's words as theirs, and shows each decision on its dispute.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from classifiers.disputes import DECISION_KINDS, dispute_decisions

Key = tuple[str, str, str]  # subject (person) id, activity id, behaviour id


def confirmed_disputes(notes: list[Any]) -> set[Key]:
    """(person, activity, behaviour) of every dispute its subject's manager (or an admin) confirmed
    (``classifiers.disputes.dispute_decisions``: the first decision counts; a rejected dispute's item stays)."""
    disputes = {n.note_id: n for n in notes}
    return {
        (disputes[d].subject_id, disputes[d].activity_id, disputes[d].behaviour_id)
        for d, decision in dispute_decisions(notes).items()
        if decision.kind == "confirm"
    }


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


def _note_view(note: Any, names: dict[str, str], subject_id: str, decisions: dict[str, Any]) -> dict:
    decision = decisions.get(note.note_id)
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
        "created_at": _minutes(note.created_at),
        "confirmed": decision is not None and decision.kind == "confirm",
        "rejected": decision is not None and decision.kind == "reject",
        # who decided a dispute, when, and (for a rejection) in their words: shown to the engineer and the manager
        "decision": None
        if decision is None
        else {
            "kind": decision.kind,
            "by": names.get(decision.author_id, decision.author_id),
            "role": decision.author_role,
            "at": _minutes(decision.created_at),
            "body": decision.body,
        },
    }


def _minutes(at: Any) -> str:
    return at.isoformat(timespec="minutes") if at else ""


def attach_notes(report: dict, notes: list[Any], names: dict[str, str]) -> dict:
    """The report with ``item["notes"]`` on each evidence item and ``report["extra_evidence"]`` (notes of
    evidence the tools cannot see, by behaviour); ``names`` maps person ids to the names shown.  A decision
    on a dispute is shown on the dispute, not as a note of its own."""
    subject_id = report["engineer"]["login"]
    decisions = dispute_decisions(notes)
    by_item: dict[tuple[str, str], list[dict]] = defaultdict(list)
    extra: list[dict] = []
    for note in notes:
        view = _note_view(note, names, subject_id, decisions)
        if note.kind == "extra":
            extra.append(dict(view, behaviour_id=note.behaviour_id))
        elif note.kind not in DECISION_KINDS and note.activity_id:
            by_item[(note.activity_id, note.behaviour_id)].append(view)
    for dim in report["dimensions"]:
        for behaviour in dim["behaviours"]:
            for item in behaviour.get("evidence", []):
                item["notes"] = by_item.get((item["activity_id"], item["behaviour_id"]), [])
                item["pinned"] = any(n["kind"] == "pin" and n["by_subject"] for n in item["notes"])
                item["open_disputes"] = [n for n in item["notes"] if n["kind"] == "dispute" and n["decision"] is None]
    report["extra_evidence"] = extra
    return report
