"""Disputed labels as training examples: what an engineer said a label of their own work should be.

A dispute "wrong label" on an evidence item may name the right label.  Such a dispute becomes one
training example of the model that labels that kind of activity (work type: pull requests and
tickets; review substance: review comments), with provenance ("disputed by the subject", the note id),
counted ``DISPUTE_WEIGHT`` times: a person's correction of their own work outweighs a weak label.  The
activity's weak label, if any, is dropped.  Examples are added to the training split only, never to
the held-out evaluation data (``classifiers.train.train_model``), so the recorded metrics stay
comparable.  Pure: notes and activities in, examples out.

A manager (or admin) decides a dispute once (``dispute_decisions``): **confirmed**, the item leaves the
evidence (``rubric.feedback``) and the correction still trains; **rejected**, the item stays and the
dispute trains nothing — a label the manager upheld is no example of "disputed by the subject".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from classifiers.text import CONVENTIONAL_TYPES
from classifiers.training_data import REVIEW_CATEGORY_LABELS, Examples, review_input, work_type_input

DISPUTE_WEIGHT = 3
PROVENANCE = "disputed by the subject"
WORK_KINDS = ("pull_request", "ticket")
REVIEW_KINDS = ("review", "review_comment")
WORK_TYPE_LABELS = tuple(sorted(set(CONVENTIONAL_TYPES.values())))
REVIEW_LABELS = tuple(sorted({v for v in REVIEW_CATEGORY_LABELS.values() if v}))


def labels_for_kind(kind: str) -> tuple[str, ...]:
    """The labels a dispute of an item of this activity kind may name as the right one."""
    if kind in WORK_KINDS:
        return WORK_TYPE_LABELS
    if kind in REVIEW_KINDS:
        return REVIEW_LABELS
    return ()


@dataclass(frozen=True)
class DisputeExamples:
    """Training examples from disputes, per model, and how many disputes each model used."""

    work_type: Examples
    review_substance: Examples
    used: int  # disputes that became examples
    provenance: list[dict]  # one {note_id, activity_id, label, model} per used dispute


DECISION_KINDS = ("confirm", "reject")


def dispute_decisions(notes: list[Any]) -> dict[str, Any]:
    """``{dispute note_id: the note deciding it}``: the first ``confirm`` or ``reject`` that refers to the
    dispute, about the same subject, written by someone else (a dispute is decided once; its subject never
    decides it).  Notes come oldest first."""
    disputes = {n.note_id: n for n in notes if n.kind == "dispute" and n.activity_id}
    decided: dict[str, Any] = {}
    for note in notes:
        dispute = disputes.get(note.refers_to or "") if note.kind in DECISION_KINDS else None
        if (
            dispute is not None
            and dispute.note_id not in decided
            and note.subject_id == dispute.subject_id
            and note.author_id != dispute.subject_id
        ):
            decided[dispute.note_id] = note
    return decided


def dispute_examples(notes: list[Any], activities: pa.Table) -> DisputeExamples:
    """Examples from the latest "wrong label" dispute per activity that names a label its model knows,
    unless a manager rejected that dispute (then the activity trains as it would without it)."""
    latest: dict[str, Any] = {}
    for note in notes:
        if note.kind == "dispute" and note.reason == "wrong_label" and note.label and note.activity_id:
            latest[note.activity_id] = note  # notes come oldest first: the last word counts
    decisions = dispute_decisions(notes)
    latest = {a: n for a, n in latest.items() if getattr(decisions.get(n.note_id), "kind", None) != "reject"}
    rows = {r["activity_id"]: r for r in activities.to_pylist()} if latest else {}
    work = Examples([], [], [], [])
    review = Examples([], [], [], [])
    provenance = []
    for activity_id, note in sorted(latest.items()):
        row = rows.get(activity_id)
        if row is None or note.label not in labels_for_kind(row.get("kind") or ""):
            continue
        example: tuple
        if row["kind"] in WORK_KINDS:
            target, model = work, "work-type"
            example = work_type_input(
                row.get("title"), row.get("body"), row.get("paths"), row.get("additions"), row.get("deletions")
            )
        else:
            target, model = review, "review-substance"
            example = review_input(row.get("body"), (row.get("paths") or [None])[0])
        for _ in range(DISPUTE_WEIGHT):
            target.inputs.append(example)
            target.labels.append(note.label)
            target.ids.append(activity_id)
            target.groups.append(f"dispute:{activity_id}")
        provenance.append({"note_id": note.note_id, "activity_id": activity_id, "label": note.label, "model": model})
    return DisputeExamples(work, review, len(provenance), provenance)
