"""Weak labels from the company's own data: labels its people already gave their work.

A pull request or ticket whose title carries a conventional header
(``fix(api): …``), a git revert title, a GitHub label (``bug``,
``enhancement`` …) or a Jira issue type (Bug, Story …) is labelled by the rule
that reads it.  Those rule labels become training examples for the work-type
model (``classifiers.train.train_model(..., extra=...)``), with the header
stripped from the text exactly as in the vendored data, so the model learns
the company's vocabulary without seeing the label in its input.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from classifiers.classify import classify_activities
from classifiers.tabular import WORK_TYPE_TASK, pick_rule_label
from classifiers.training_data import Examples, work_type_input
from classifiers.training_data import examples_sha256 as examples_sha256  # re-exported: it used to live here

WORK_KINDS = ("pull_request", "ticket")
# Rules that read a label a person gave (not heuristics over words or paths).
WEAK_LABEL_RULES = frozenset({"conventional-title", "revert-title"})
WEAK_LABEL_RULE_PREFIX = "labels-"


def _is_label_rule(classifier_id: str) -> bool:
    return classifier_id in WEAK_LABEL_RULES or classifier_id.startswith(WEAK_LABEL_RULE_PREFIX)


def weak_label_examples(activities: pa.Table, *, rules_path: Path | None = None) -> Examples:
    """Work-type examples from PRs and tickets that carry a label of their own; ids are activity ids,
    groups the repo or project.  Rows whose label rules disagree are left out."""
    if activities.num_rows == 0 or "kind" not in activities.column_names:
        return Examples([], [], [], [])
    kinds = activities.column("kind").to_pylist()
    work = activities.take([i for i, k in enumerate(kinds) if k in WORK_KINDS])
    rows = work.to_pylist()
    labels = classify_activities(work, rules_path=rules_path, use_models=False).to_pylist()
    found: dict[str, set[str]] = {}
    for label in labels:
        if _is_label_rule(label["classifier_id"]):
            found.setdefault(label["activity_id"], set()).add(label["label"])
    inputs, out_labels, ids, groups = [], [], [], []
    for row in rows:
        given = found.get(row["activity_id"], set())
        label = pick_rule_label(WORK_TYPE_TASK, given)
        if label is None or len({g for g in given if g != "work.dependency_bump"}) > 1:
            continue
        if not ((row.get("title") or "").strip() or (row.get("body") or "").strip()):
            continue
        inputs.append(
            work_type_input(
                row.get("title"), row.get("body"), row.get("paths"), row.get("additions"), row.get("deletions")
            )
        )
        out_labels.append(label)
        ids.append(row["activity_id"])
        groups.append(row.get("container") or "")
    return Examples(inputs, out_labels, ids, groups)
