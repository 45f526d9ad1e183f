"""Classify the rows of a CSV file (``ladder classify``): one label, confidence and reason per row.

Rows become activities (a work-type row a pull request, a review-comment row an
inline review comment) and go through ``classify_activities``, the same rules
and models the nightly flow uses.  Work type: a rule's label wins (a
conventional header, only-docs paths …), else the model's.  Review comments:
the model's label (it beats the rules, docs/classifiers.md), else a rule's;
comments with no substance (empty, "LGTM") get no label.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

from classifiers.classify import classify_activities
from classifiers.tabular import TASK_CLASSES, WORK_TYPE_TASK, activity_table, read_csv_rows, read_task_csv

OUTPUT_COLUMNS = ("label", "confidence", "classifier", "reason")


def choose_label(task: str, found: list[dict]) -> dict | None:
    """The one label row for a CSV row among the classifiers' label rows for it (policy in the module doc)."""
    classes = TASK_CLASSES[task]
    candidates = [r for r in found if r["label"] in classes]
    rules = sorted((r for r in candidates if r["classifier_kind"] == "rule"), key=lambda r: classes.index(r["label"]))
    models = [r for r in candidates if r["classifier_kind"] == "model"]
    ordered = rules + models if task == WORK_TYPE_TASK else models + rules
    return ordered[0] if ordered else None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting with ``= + - @`` (or tab / CR) gets a leading ``'``.

    Titles, comments and reasons come from other people; a cell like ``=HYPERLINK(...)`` or ``@SUM(...)``
    would otherwise run as a formula when the output CSV is opened (CSV / formula injection).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def classify_csv(
    task: str, data: Path, out: Path, *, model_dir: Path | None = None, rules_path: Path | None = None
) -> Counter:
    """Write ``data``'s rows to ``out`` with label, confidence, classifier and reason; returns label counts."""
    rows = read_task_csv(task, data, require_labels=False, strip_headers=False)
    columns, _ = read_csv_rows(data)
    labels = classify_activities(activity_table(rows.activities), model_dir=model_dir, rules_path=rules_path)
    found: dict[str, list[dict]] = {}
    for label in labels.to_pylist():
        found.setdefault(label["activity_id"], []).append(label)
    counts: Counter = Counter()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    extra = [c for c in OUTPUT_COLUMNS if c not in columns]
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns + extra, extrasaction="ignore")
        writer.writeheader()
        for activity_id, source in zip(rows.examples.ids, rows.source_rows):
            chosen = choose_label(task, found.get(activity_id, []))
            result = dict(source)
            if chosen is None:
                result.update(
                    label="",
                    confidence="",
                    classifier="",
                    reason="no label: no rule fired and the "
                    "model was not confident enough (or the row has no text or substance)",
                )
            else:
                result.update(
                    label=chosen["label"],
                    confidence=f"{chosen['confidence']:.3f}",
                    classifier=f"{chosen['classifier_kind']}:{chosen['classifier_id']} v{chosen['classifier_version']}",
                    reason=chosen["reason"],
                )
            counts[result["label"] or "(none)"] += 1
            writer.writerow({key: csv_safe(value) for key, value in result.items()})
    os.replace(tmp, out)
    return counts
