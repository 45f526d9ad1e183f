"""The one evaluation harness: a model against the majority class and the rules alone, in the same run.

Work type is evaluated with whole repositories held out (train on the other
repositories, test on one, each in turn); review substance is cross-validated
with every comment of one change in the same fold.  Without a group column
the harness falls back to a stratified 5-fold split and says so.  Rules see
what the model sees (conventional headers stripped: the header is the label);
where no rule gives one of the task's classes the rules baseline answers the
majority class of the training fold, so it is never weaker than the majority.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

from classifiers.calibration import expected_calibration_error, precision_at, reliability
from classifiers.errors import ClassifierError
from classifiers.tabular import (
    REVIEW_TASK,
    TASKS,
    WORK_TYPE_TASK,
    TaskDataError,
    TaskRows,
    activity_table,
    pick_rule_label,
    read_task_csv,
)
from classifiers.train import (
    DEFAULT_SEED,
    REVIEW_SUBSTANCE,
    WORK_TYPE,
    ModelSpec,
    as_matrix,
    fit_pipeline,
    predict_with_confidence,
)

log = logging.getLogger("classifiers.evaluate")

N_FOLDS = 5
TASK_SPECS: dict[str, ModelSpec] = {WORK_TYPE_TASK: WORK_TYPE, REVIEW_TASK: REVIEW_SUBSTANCE}


def vendored_data_path(task: str) -> Path:
    """The labelled data shipped for ``task`` (classifiers/data/)."""
    from importlib import resources

    return Path(str(resources.files("classifiers.data").joinpath(TASK_SPECS[task].data_file)))


def score(y_true: list[str], y_pred: list[str]) -> dict:
    """Macro-F1, accuracy and per-class precision/recall/F1/support over the classes present in ``y_true``."""
    classes = sorted(set(y_true))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {
        "macro_f1": round(float(np.mean(f1)), 4) if classes else 0.0,
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4) if y_true else 0.0,
        "per_class": {
            c: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        },
    }


def rule_labels(rows: TaskRows, rules_path: Path | None = None) -> list[str | None]:
    """Per row, the task class the rules alone give (None where no rule gives one)."""
    from classifiers.classify import classify_activities

    table = classify_activities(activity_table(rows.activities), rules_path=rules_path, use_models=False)
    found: dict[str, set[str]] = {}
    for activity_id, label in zip(table.column("activity_id").to_pylist(), table.column("label").to_pylist()):
        found.setdefault(activity_id, set()).add(label)
    return [pick_rule_label(rows.task, found.get(i, set())) for i in rows.examples.ids]


def folds(rows: TaskRows, seed: int) -> tuple[str, list[tuple[str, np.ndarray, np.ndarray]]]:
    """(scheme, [(fold name, train indices, test indices)]) for the task and the groups the data carries."""
    y = np.array(rows.examples.labels)
    groups = np.array(rows.examples.groups)
    x_dummy = np.zeros(len(y))
    has_groups = rows.group_column is not None and all(groups) and len(set(groups.tolist())) >= 2
    if rows.task == WORK_TYPE_TASK and has_groups:
        splits = LeaveOneGroupOut().split(x_dummy, y, groups)
        return (f"leave-one-{rows.group_column}-out", [(str(groups[test][0]), train, test) for train, test in splits])
    if has_groups:
        n = min(N_FOLDS, len(set(groups.tolist())))
        splitter = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
        return (
            f"{n}-fold cross-validation grouped by {rows.group_column}",
            [(f"fold {k + 1}", tr, te) for k, (tr, te) in enumerate(splitter.split(x_dummy, y, groups))],
        )
    n = min(N_FOLDS, min(Counter(y.tolist()).values()))
    if n < 2:
        raise TaskDataError(
            f"cannot cross-validate {rows.task}: a class has fewer than 2 examples and the data has "
            "no group column; add more labelled rows"
        )
    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return (
        f"stratified {n}-fold cross-validation (no group column: related rows may share folds)",
        [(f"fold {k + 1}", tr, te) for k, (tr, te) in enumerate(splitter.split(x_dummy, y))],
    )


def _filled(preds: list[str | None]) -> list[str]:
    """The held-out predictions of every row: the folds partition the rows, so each slot was filled once."""
    out = [p for p in preds if p is not None]
    assert len(out) == len(preds), "a row was in no test fold"
    return out


def evaluate_rows(rows: TaskRows, *, seed: int = DEFAULT_SEED, rules_path: Path | None = None) -> dict:
    """Cross-validate the task's model on ``rows`` next to both baselines; the result is JSON-ready."""
    started = time.perf_counter()
    spec = TASK_SPECS[rows.task]
    if len(set(rows.examples.labels)) < 2:
        raise TaskDataError(
            f"cannot evaluate {rows.task}: the data has {len(rows.examples.labels)} labelled rows "
            f"and fewer than two classes; check its label column"
        )
    x, y = as_matrix(rows.examples.inputs), np.array(rows.examples.labels, dtype=object)
    from_rules = rule_labels(rows, rules_path)
    scheme, splits = folds(rows, seed)
    slots: dict[str, list[str | None]] = {
        "model": [None] * len(y),
        "majority": [None] * len(y),
        "rules": [None] * len(y),
    }
    fold_results = []
    groups = np.array(rows.examples.groups, dtype=object) if len(rows.examples.groups) == len(y) else None
    proba_cal = np.zeros(len(y))
    proba_raw = np.full(len(y), np.nan)
    for name, train, test in splits:
        pipeline = spec.build_pipeline(seed)
        fit_pipeline(pipeline, x[train], y[train], groups=None if groups is None else groups[train])
        labels, confidence, raw_confidence = predict_with_confidence(pipeline, x[test])
        predicted = labels.tolist()
        proba_cal[test] = confidence
        if raw_confidence is not None:
            proba_raw[test] = raw_confidence
        majority = Counter(y[train].tolist()).most_common(1)[0][0]
        by_system = {
            "model": predicted,
            "majority": [majority] * len(test),
            "rules": [from_rules[i] or majority for i in test],
        }
        truth = y[test].tolist()
        fold: dict[str, Any] = {"name": name, "n_train": int(len(train)), "n": int(len(test))}
        for system, preds in by_system.items():
            fold[system] = {k: v for k, v in score(truth, preds).items() if k != "per_class"}
            for i, p in zip(test, preds):
                slots[system][i] = p
        fold["beats_baselines"] = all(
            fold["model"]["macro_f1"] > fold[b]["macro_f1"] and fold["model"]["accuracy"] > fold[b]["accuracy"]
            for b in ("majority", "rules")
        )
        fold_results.append(fold)
    pooled = {system: _filled(preds) for system, preds in slots.items()}
    truth = y.tolist()
    covered = sum(1 for r in from_rules if r is not None)
    result: dict[str, Any] = {
        "task": rows.task,
        "n": len(truth),
        "dropped_unmapped_labels": rows.dropped,
        "scheme": scheme,
        "seed": seed,
        "model_id": spec.model_id,
        "model_version": spec.version,
        "class_counts": dict(sorted(Counter(truth).items())),
        "model": score(truth, pooled["model"]),
        "baselines": {
            "majority": score(truth, pooled["majority"]),
            "rules": dict(
                score(truth, pooled["rules"]),
                coverage=round(covered / len(truth), 4),
                precision_where_fired=round(sum(1 for r, t in zip(from_rules, truth) if r == t) / covered, 4)
                if covered
                else 0.0,
            ),
        },
        "folds": fold_results,
        "beats_baselines_every_fold": all(f["beats_baselines"] for f in fold_results),
        "calibration": dict(
            calibration_report(truth, pooled["model"], proba_cal, proba_raw, spec.min_confidence, spec.silent_labels),
            method=getattr(spec.build_pipeline(seed)[-1], "method", None),
            grouped_by=spec.group_name,
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }
    log.info(
        "%s: model macro-F1 %.3f, majority %.3f, rules %.3f (%s)",
        rows.task,
        result["model"]["macro_f1"],
        result["baselines"]["majority"]["macro_f1"],
        result["baselines"]["rules"]["macro_f1"],
        scheme,
    )
    return result


THRESHOLD_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
TARGET_PRECISION = 0.8
MIN_EVIDENCE = 20  # held-out labels a class needs above the threshold before its precision is believed


def calibration_report(
    truth: list[str],
    predicted: list[str],
    confidence: np.ndarray,
    raw_confidence: np.ndarray,
    min_confidence: float,
    silent_labels: frozenset[str] = frozenset(),
) -> dict:
    """How close the held-out probabilities are to the truth, and what the model would emit.

    ``confidence`` is the calibrated probability of each held-out prediction, ``raw_confidence`` that of the
    same linear model without calibration (NaN when there is none).  Returns the ECE of both, reliability
    tables, precision and coverage at each threshold of ``THRESHOLD_GRID`` (all classes, and per class), the
    smallest threshold whose precision reaches ``TARGET_PRECISION``, and, at ``min_confidence``, per class
    how many labels the model would give and how many are right; ``classes_below_target`` are the classes
    with fewer than ``MIN_EVIDENCE`` labels there or a precision below the target, which the model must not
    emit (``ModelSpec.silent_labels``); ``emitted*`` count only the classes it does emit."""
    correct = np.array([p == t for p, t in zip(predicted, truth)], dtype=float)
    pred = np.array(predicted, dtype=object)
    curve = []
    for threshold in THRESHOLD_GRID:
        n, precision = precision_at(confidence, correct, threshold)
        curve.append(
            {"threshold": threshold, "emitted": n, "share": round(n / len(correct), 4), "precision": precision}
        )
    reaching = [c["threshold"] for c in curve if c["emitted"] and c["precision"] >= TARGET_PRECISION]
    per_class, by_class_curve, below = {}, {}, []
    for label in sorted(set(truth)):
        mask = pred == label
        n, precision = precision_at(confidence[mask], correct[mask], min_confidence)
        per_class[label] = {
            "above_threshold": n,
            "precision": precision if n else None,
            "silent": label in silent_labels,
        }
        if n < MIN_EVIDENCE or precision < TARGET_PRECISION:
            below.append(label)
        by_class_curve[label] = [
            dict(zip(("threshold", "emitted", "precision"), (t, *precision_at(confidence[mask], correct[mask], t))))
            for t in THRESHOLD_GRID
        ]
    emitting = ~np.isin(pred, sorted(silent_labels))
    n_kept, precision_kept = precision_at(confidence[emitting], correct[emitting], min_confidence)
    has_raw = not np.isnan(raw_confidence).any()
    return {
        "ece": expected_calibration_error(confidence, correct),
        "ece_uncalibrated": expected_calibration_error(raw_confidence, correct) if has_raw else None,
        "reliability": reliability(confidence, correct),
        "reliability_uncalibrated": reliability(raw_confidence, correct) if has_raw else None,
        "thresholds": curve,
        "thresholds_per_class": by_class_curve,
        "lowest_threshold_reaching_target": min(reaching) if reaching else None,
        "target_precision": TARGET_PRECISION,
        "min_evidence": MIN_EVIDENCE,
        "min_confidence": min_confidence,
        "silent_labels": sorted(silent_labels),
        "per_class_at_threshold": per_class,
        "classes_below_target": below,
        "emitted": n_kept,
        "emitted_share": round(n_kept / len(correct), 4),
        "emitted_precision": precision_kept,
    }


def evaluate_task(
    task: str, data: Path | None = None, *, seed: int = DEFAULT_SEED, rules_path: Path | None = None
) -> dict:
    """Evaluate ``task`` on the CSV ``data`` (default: the vendored training data)."""
    if task not in TASKS:
        raise ClassifierError(f"unknown task {task!r}; use one of: {', '.join(TASKS)}")
    path = Path(data) if data is not None else vendored_data_path(task)
    rows = read_task_csv(task, path, require_labels=True, strip_headers=True)
    result = evaluate_rows(rows, seed=seed, rules_path=rules_path)
    result["data"] = f"classifiers/data/{path.name} (vendored)" if data is None else str(data)
    return result
