"""Read a task's CSV (work-type commits or labelled review comments) into model examples and activity rows.

The evaluation harness and ``ladder classify`` read files shaped like the
shared data: work type from ``subject, body, files`` (``;``-separated paths)
and optionally ``repo, insertions, deletions, files_changed``; review comments
from ``message`` (or ``body``) and optionally ``change_id`` / ``request_id``
and ``file_name``.  Labels in the data's own scheme (conventional types such
as ``fix``, Nova categories such as ``Solution Approach``) or already as our
signal names are mapped onto signals as documented in docs/signals.md.
Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from classifiers.contract import ACTIVITY_SCHEMA, SIGNALS
from classifiers.errors import ClassifierError
from classifiers.text import CONVENTIONAL_TYPES, strip_conventional_header
from classifiers.training_data import (
    MERGED_REVIEW_LABELS,
    REVIEW_CATEGORY_LABELS,
    Examples,
    review_input,
    work_type_input,
)

WORK_TYPE_TASK = "work-type"
REVIEW_TASK = "review-comment"
TASKS = (WORK_TYPE_TASK, REVIEW_TASK)

# The classes each task's model can predict, in the order rules are trusted when several fire
# (specific evidence such as "only docs touched" before generic words).
TASK_CLASSES: dict[str, tuple[str, ...]] = {
    WORK_TYPE_TASK: (
        "work.revert",
        "work.docs",
        "work.test",
        "work.build_ci",
        "work.perf",
        "work.refactor",
        "work.bugfix",
        "work.feature",
        "work.chore",
    ),
    REVIEW_TASK: (
        "review.praise",
        "review.nit",
        "review.documentation",
        "review.question",
        "review.defect",
        "review.suggestion",
    ),
}
_TEXT_COLUMNS = {WORK_TYPE_TASK: ("subject", "title"), REVIEW_TASK: ("message", "body", "comment")}
_LABEL_COLUMNS = {WORK_TYPE_TASK: ("label", "type"), REVIEW_TASK: ("label", "category")}
_GROUP_COLUMNS = {WORK_TYPE_TASK: ("repo", "repository"), REVIEW_TASK: ("change_id", "request_id", "change", "pr")}


class TaskDataError(ClassifierError):
    """A task CSV is unreadable or lacks the columns the task needs."""


@dataclass(frozen=True)
class TaskRows:
    """One task's rows: model examples (labels may be empty when unlabelled), activity rows for the rules,
    the source rows themselves, and what was read from which column."""

    task: str
    examples: Examples
    activities: list[dict]
    source_rows: list[dict]
    group_column: str | None
    label_column: str | None
    dropped: int  # labelled rows whose label maps to none of the task's classes


def map_label(task: str, value: str | None) -> str | None:
    """The signal for a label in the data's own scheme (or already a signal name); None when unmapped."""
    text = (value or "").strip()
    if not text:
        return None
    if task == REVIEW_TASK:
        text = MERGED_REVIEW_LABELS.get(text, text)  # review.design is learnt and scored as review.suggestion
    if text in TASK_CLASSES[task]:
        return text
    key = text.lower()
    if task == WORK_TYPE_TASK:
        label = CONVENTIONAL_TYPES.get(key)
    else:
        label = REVIEW_CATEGORY_LABELS.get(key)
    return label if label in TASK_CLASSES[task] else None


def read_csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    """Header and rows of a CSV file (gzip when the name ends in .gz)."""
    csv.field_size_limit(sys.maxsize)
    try:
        raw = Path(path).read_bytes()
        text = (gzip.decompress(raw) if str(path).endswith(".gz") else raw).decode("utf-8-sig")
    except (OSError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise TaskDataError(f"cannot read {path}: {exc}; pass a UTF-8 CSV file (optionally .gz) as --data") from exc
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _first(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def read_task_csv(task: str, path: Path, *, require_labels: bool, strip_headers: bool) -> TaskRows:
    """Read ``path`` for ``task``.  ``require_labels`` keeps only rows whose label maps to a class (and fails
    without a label column); ``strip_headers`` removes conventional headers from the titles the rules see,
    as the model never sees them (evaluation: the header is the label)."""
    if task not in TASKS:
        raise TaskDataError(f"unknown task {task!r}; use one of: {', '.join(TASKS)}")
    columns, rows = read_csv_rows(path)
    text_column = _first(columns, _TEXT_COLUMNS[task])
    if text_column is None:
        raise TaskDataError(
            f"{path}: a {task} CSV needs a text column ({' or '.join(_TEXT_COLUMNS[task])}); "
            f"its columns are {', '.join(columns) or 'none'}"
        )
    label_column = _first(columns, _LABEL_COLUMNS[task])
    if require_labels and label_column is None:
        raise TaskDataError(
            f"{path}: evaluating {task} needs a label column ({' or '.join(_LABEL_COLUMNS[task])}); "
            f"its columns are {', '.join(columns)}"
        )
    group_column = _first(columns, _GROUP_COLUMNS[task])
    inputs, labels, ids, groups, activities, kept = [], [], [], [], [], []
    dropped = 0
    for i, row in enumerate(rows):
        label = map_label(task, row.get(label_column)) if label_column else None
        if require_labels and label is None:
            dropped += 1
            continue
        activity_id = f"row:{i:07d}"
        if task == WORK_TYPE_TASK:
            activity, model_input = _work_type_row(row, text_column, activity_id, strip_headers)
        else:
            activity, model_input = _review_row(row, text_column, activity_id)
        inputs.append(model_input)
        labels.append(label or "")
        ids.append(activity_id)
        groups.append((row.get(group_column) or "").strip() if group_column else "")
        activities.append(activity)
        kept.append(row)
    return TaskRows(
        task=task,
        examples=Examples(inputs, labels, ids, groups),
        activities=activities,
        source_rows=kept,
        group_column=group_column,
        label_column=label_column,
        dropped=dropped,
    )


def _work_type_row(row: dict, text_column: str, activity_id: str, strip_headers: bool) -> tuple[dict, tuple]:
    subject, body = row.get(text_column) or "", row.get("body") or ""
    paths = [p for p in (row.get("files") or row.get("paths") or "").split(";") if p]
    additions, deletions = row.get("insertions", row.get("additions")), row.get("deletions")
    title = strip_conventional_header(subject) if strip_headers else subject
    activity = {
        "activity_id": activity_id,
        "kind": "pull_request",
        "source": "github",
        "title": title,
        "body": body,
        "paths": paths,
        "additions": _int(additions),
        "deletions": _int(deletions),
        "labels": [lab for lab in (row.get("github_labels") or "").split(";") if lab],
    }
    return activity, work_type_input(subject, body, paths, additions, deletions, row.get("files_changed"))


def _review_row(row: dict, text_column: str, activity_id: str) -> tuple[dict, tuple]:
    message = row.get(text_column) or ""
    path = (row.get("file_name") or row.get("path") or "").strip() or None
    activity = {
        "activity_id": activity_id,
        "kind": "review_comment",
        "source": "github",
        "body": message,
        "paths": [path] if path else None,
    }
    return activity, review_input(message, path)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def activity_table(activities: list[dict]) -> pa.Table:
    """Activity rows as an ``ACTIVITY_SCHEMA`` table (missing columns are null)."""
    return pa.Table.from_pylist(activities, schema=ACTIVITY_SCHEMA)


def pick_rule_label(task: str, labels: set[str]) -> str | None:
    """The task class a set of rule labels points to, by the task's rule priority; None when none does."""
    return next((c for c in TASK_CLASSES[task] if c in labels), None)


assert all(c in SIGNALS for classes in TASK_CLASSES.values() for c in classes)
