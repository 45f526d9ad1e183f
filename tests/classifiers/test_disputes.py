"""Disputed labels → training examples (pure): the latest correction per activity, weighted, with provenance;
a dispute the manager rejected is no example."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa

from classifiers.disputes import (
    DISPUTE_WEIGHT,
    REVIEW_LABELS,
    WORK_TYPE_LABELS,
    dispute_decisions,
    dispute_examples,
    labels_for_kind,
)
from warehouse.feedback import Note

T = dt.datetime(2026, 10, 2, tzinfo=dt.timezone.utc)


def dispute(note_id, activity, label, reason="wrong_label"):
    return Note(
        note_id=note_id,
        subject_id="ana",
        author_id="ana",
        author_role="subject",
        kind="dispute",
        activity_id=activity,
        behaviour_id="b",
        reason=reason,
        label=label,
        disputed_label="work.feature",
        refers_to=None,
        body="",
        link=None,
        created_at=T,
    )


ACTIVITIES = pa.Table.from_pylist(
    [
        {
            "activity_id": "pr1",
            "kind": "pull_request",
            "title": "Add retries",
            "body": "",
            "paths": ["src/a.py"],
            "additions": 10,
            "deletions": 2,
        },
        {
            "activity_id": "rc1",
            "kind": "review_comment",
            "title": None,
            "body": "Could this be None here?",
            "paths": ["src/b.py"],
            "additions": None,
            "deletions": None,
        },
        {
            "activity_id": "t1",
            "kind": "incident",
            "title": "SEV2",
            "body": "",
            "paths": [],
            "additions": None,
            "deletions": None,
        },
    ]
)


def test_latest_correction_per_activity_weighted_with_provenance():
    notes = [
        dispute("d1", "pr1", "work.bugfix"),
        dispute("d2", "pr1", "work.refactor"),  # the later word counts
        dispute("d3", "rc1", "review.question"),
        dispute("d4", "t1", "work.bugfix"),  # an incident has no model: not an example
        dispute("d5", "pr1", None),  # no right label named: nothing to learn
        dispute("d6", "pr1", "work.chore", reason="not_my_work"),  # not a label dispute
        dispute("d7", "gone", "work.bugfix"),  # activity no longer there
    ]
    out = dispute_examples(notes, ACTIVITIES)
    assert out.used == 2
    assert out.work_type.labels == ["work.refactor"] * DISPUTE_WEIGHT
    assert out.review_substance.labels == ["review.question"] * DISPUTE_WEIGHT
    assert out.work_type.inputs[0][0].startswith("Add retries")
    assert {p["note_id"] for p in out.provenance} == {"d2", "d3"}


def test_a_label_the_model_does_not_know_is_ignored():
    out = dispute_examples([dispute("d1", "pr1", "review.praise")], ACTIVITIES)
    assert out.used == 0 and out.work_type.labels == []
    assert "work.bugfix" in labels_for_kind("pull_request") == WORK_TYPE_LABELS
    assert labels_for_kind("review") == REVIEW_LABELS and labels_for_kind("incident") == ()


def decision(note_id, kind, refers_to, author="dana", subject="ana"):
    return dataclasses.replace(
        dispute(note_id, None, None, reason=None),
        kind=kind,
        refers_to=refers_to,
        author_id=author,
        author_role="manager",
        subject_id=subject,
    )


def test_a_rejected_dispute_trains_nothing_a_confirmed_one_still_does():
    notes = [
        dispute("d1", "pr1", "work.refactor"),
        dispute("d2", "rc1", "review.question"),
        decision("r2", "reject", "d2"),  # the manager upheld the label: no "disputed by the subject" example
        decision("c1", "confirm", "d1"),  # confirmed: the item leaves the evidence, the correction trains
    ]
    out = dispute_examples(notes, ACTIVITIES)
    assert out.used == 1 and {p["note_id"] for p in out.provenance} == {"d1"}
    assert out.review_substance.labels == []
    assert {d: n.kind for d, n in dispute_decisions(notes).items()} == {"d1": "confirm", "d2": "reject"}


def test_a_dispute_is_decided_once_never_by_its_subject_nor_for_another_subject():
    notes = [
        dispute("d1", "pr1", "work.refactor"),
        decision("x1", "reject", "d1", author="ana"),  # the subject cannot decide their own dispute
        decision("x2", "reject", "d1", subject="cyd"),  # a decision filed under another subject: ignored
        decision("c1", "confirm", "d1"),
        decision("r1", "reject", "d1"),  # too late: the first decision stands
    ]
    assert dispute_decisions(notes)["d1"].note_id == "c1"
    assert dispute_examples(notes, ACTIVITIES).used == 1
