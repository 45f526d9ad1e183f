"""Train the scikit-learn models on the vendored data: fixed seeds, a held-out split, honest metrics."""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from classifiers.calibration import CalibratedLinearClassifier, expected_calibration_error
from classifiers.features import SizeFeatures
from classifiers.training_data import (
    COMMITS_FILE,
    REVIEW_COMMENTS_FILE,
    Examples,
    data_sha256,
    examples_sha256,
    read_commit_examples,
    read_review_examples,
)

log = logging.getLogger("classifiers.train")

DEFAULT_SEED = 0
TEST_SIZE = 0.2


@dataclass(frozen=True)
class ModelSpec:
    """What a model is: its id and version, its data, and how its pipeline is built."""

    model_id: str
    version: str
    data_file: str
    read_examples: Callable[[], Examples]
    build_pipeline: Callable[[int], Pipeline]
    description: str
    # Labels below this calibrated probability are not emitted (chosen with `ladder eval`, docs/classifiers.md).
    min_confidence: float = 0.5
    # Classes the model never emits: on held-out data fewer than 20 of its labels reach min_confidence,
    # or fewer than 8 in 10 of those are right (docs/classifiers.md "Emitted labels").
    silent_labels: frozenset[str] = frozenset()
    group_name: str = "group"  # what keeps related examples in one calibration fold


def fit_pipeline(pipeline: Pipeline, x, y, groups=None) -> Pipeline:
    """Fit ``pipeline``; ``groups`` (repository, change) keep related rows in one calibration fold.
    SGD stops at its fixed epoch budget on purpose, so its ConvergenceWarning is noise."""
    params = {}
    if groups is not None and isinstance(pipeline[-1], CalibratedLinearClassifier):
        params[f"{pipeline.steps[-1][0]}__groups"] = np.asarray(groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(x, y, **params)


def _log_loss_sgd(*, alpha: float, seed: int) -> SGDClassifier:
    # Logistic regression fitted by SGD: as accurate here as lbfgs, ~20x faster, single-threaded.
    return SGDClassifier(
        loss="log_loss", alpha=alpha, class_weight="balanced", max_iter=50, tol=1e-4, random_state=seed
    )


# Folds for the out-of-fold scores the calibration learns from (classifiers/calibration.py); each model's
# method is in its ModelSpec, and docs/classifiers.md measures the result.
CALIBRATION_FOLDS = 5


def _calibrated(clf: SGDClassifier, seed: int, method: str) -> CalibratedLinearClassifier:
    return CalibratedLinearClassifier(clf, method=method, n_splits=CALIBRATION_FOLDS, random_state=seed)


# Calibration per model, chosen by held-out ECE (docs/classifiers.md): per-class sigmoids fit the work-type
# model's nine unequal classes best; one temperature fits the review model's six.
WORK_TYPE_CALIBRATION = "sigmoid"
REVIEW_CALIBRATION = "temperature"


def build_work_type_pipeline(seed: int) -> Pipeline:
    """TF-IDF words of title+body, path tokens and change size -> logistic regression (one-vs-rest)."""
    features = ColumnTransformer(
        [
            ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=40000), 0),
            ("paths", TfidfVectorizer(token_pattern=r"\S+", min_df=2, sublinear_tf=True), 1),
            ("size", SizeFeatures(n_buckets=4, names=("lines", "files")), [2, 3]),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("clf", _calibrated(_log_loss_sgd(alpha=3e-5, seed=seed), seed, WORK_TYPE_CALIBRATION)),
        ]
    )


# Words, and the punctuation that carries meaning in a review comment ('?', '!', ':)').
REVIEW_TOKEN_PATTERN = r"(?u)\b\w+\b|[?!:;()]+"


def build_review_pipeline(seed: int) -> Pipeline:
    """TF-IDF words and bigrams (with '?'/'!' kept), character n-grams within words, and tokens of the
    comment's file and shape -> logistic regression with calibrated probabilities."""
    features = ColumnTransformer(
        [
            ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), token_pattern=REVIEW_TOKEN_PATTERN), 0),
            ("paths", TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True), 1),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=50000
                ),
                0,
            ),
        ]
    )
    return Pipeline(
        [("features", features), ("clf", _calibrated(_log_loss_sgd(alpha=1e-4, seed=seed), seed, REVIEW_CALIBRATION))]
    )


WORK_TYPE = ModelSpec(
    model_id="work-type",
    version="3",
    data_file=COMMITS_FILE,
    read_examples=read_commit_examples,
    build_pipeline=build_work_type_pipeline,
    description="work type of a PR from its title (conventional header stripped), body and paths",
    min_confidence=0.7,
    group_name="repository",
    silent_labels=frozenset({"work.build_ci", "work.chore", "work.perf", "work.refactor", "work.revert"}),
)
REVIEW_SUBSTANCE = ModelSpec(
    model_id="review-substance",
    version="3",
    data_file=REVIEW_COMMENTS_FILE,
    read_examples=read_review_examples,
    build_pipeline=build_review_pipeline,
    description="what a review comment does (defect, question, suggestion incl. design remarks, nit, praise, "
    "documentation)",
    min_confidence=0.8,
    group_name="change",
    silent_labels=frozenset({"review.defect", "review.question", "review.nit"}),
)
MODEL_SPECS: tuple[ModelSpec, ...] = (WORK_TYPE, REVIEW_SUBSTANCE)


@dataclass
class TrainedModel:
    """A fitted pipeline and the metadata that identifies and qualifies it."""

    spec: ModelSpec
    pipeline: Pipeline
    metadata: dict


def as_matrix(inputs: list) -> np.ndarray:
    """Inputs as the array the pipeline expects: 2-D object array for tuples, 1-D for strings."""
    if inputs and isinstance(inputs[0], tuple):
        return np.array(inputs, dtype=object).reshape(len(inputs), len(inputs[0]))
    return np.array(inputs, dtype=object)


def split_examples(examples: Examples, seed: int) -> tuple[np.ndarray, ...]:
    """Stratified train/test split with a fixed seed: x_train, x_test, y_train, y_test, groups_train."""
    x, y = as_matrix(examples.inputs), np.array(examples.labels)
    groups = np.array(examples.groups if len(examples.groups) == len(y) else [""] * len(y), dtype=object)
    x_train, x_test, y_train, y_test, g_train, _ = train_test_split(
        x, y, groups, test_size=TEST_SIZE, random_state=seed, stratify=y
    )
    return x_train, x_test, y_train, y_test, g_train


def predict_with_confidence(pipeline: Pipeline, x) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(labels, calibrated probability of each label, the uncalibrated probability of the same label or None)."""
    clf = pipeline[-1]
    features = pipeline[:-1].transform(x)
    if isinstance(clf, CalibratedLinearClassifier):
        labels, confidence = clf.predict_with_confidence(features)
        raw = clf.predict_proba_uncalibrated(features)
        index = {c: k for k, c in enumerate(clf.classes_)}
        raw_confidence = raw[np.arange(len(labels)), [index[label] for label in labels]]
        return labels, confidence, raw_confidence
    proba = clf.predict_proba(features)
    best = proba.argmax(axis=1)
    return clf.classes_[best], proba[np.arange(len(best)), best], None


def evaluate(
    pipeline: Pipeline,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    spec: ModelSpec | None = None,
) -> dict:
    """Held-out metrics next to the majority-class baseline (the class most common in training), with the
    calibration error and which share of the held-out rows would get a label (``spec.min_confidence``, not a
    silent class) and how many of those labels are right."""
    predicted, confidence, _ = predict_with_confidence(pipeline, x_test)
    correct = (predicted == y_test).astype(float)
    kept = (
        np.ones(len(correct), dtype=bool)
        if spec is None
        else (confidence >= spec.min_confidence) & ~np.isin(predicted, sorted(spec.silent_labels))
    )
    majority = Counter(y_train.tolist()).most_common(1)[0][0]
    baseline = np.full_like(y_test, majority)
    labels = sorted(set(y_train.tolist()))
    per_class = f1_score(y_test, predicted, labels=labels, average=None, zero_division=0)
    return {
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "accuracy": float(accuracy_score(y_test, predicted)),
        "macro_f1": float(f1_score(y_test, predicted, average="macro", zero_division=0)),
        "majority_label": majority,
        "majority_accuracy": float(accuracy_score(y_test, baseline)),
        "majority_macro_f1": float(f1_score(y_test, baseline, average="macro", zero_division=0)),
        "f1_by_label": {label: round(float(score), 4) for label, score in zip(labels, per_class)},
        "ece": expected_calibration_error(confidence, correct),
        "emitted_share": round(float(kept.mean()), 4),
        "emitted_precision": round(float(correct[kept].mean()), 4) if kept.any() else 0.0,
    }


def _without_held_out(extra: Examples, x_test: np.ndarray) -> tuple[Examples, int]:
    """``extra`` less any example whose input is a held-out input: company data never decides an evaluation row."""
    held = {tuple(row) if isinstance(row, np.ndarray) else row for row in x_test}
    kept = _subset(extra, [i for i, x in enumerate(extra.inputs) if x not in held])
    return kept, len(extra.labels) - len(kept.labels)


def _subset(examples: Examples, keep: list[int]) -> Examples:
    """The examples at the positions ``keep``, groups included (blank when ``examples`` has none)."""
    groups = examples.groups if len(examples.groups) == len(examples.labels) else [""] * len(examples.labels)
    return Examples(
        [examples.inputs[i] for i in keep],
        [examples.labels[i] for i in keep],
        [examples.ids[i] for i in keep],
        [groups[i] for i in keep],
    )


def train_model(
    spec: ModelSpec, *, seed: int = DEFAULT_SEED, extra: Examples | None = None, disputes: Examples | None = None
) -> TrainedModel:
    """Fit ``spec`` on the training split of its vendored data and measure it on the held-out split.

    ``extra`` (weak labels from the company's own data, ``classifiers.weak_labels``) and ``disputes``
    (labels engineers corrected, already weighted, ``classifiers.disputes``) are added to the training
    split only, so the recorded metrics stay comparable; an example whose input is a held-out input is
    left out.  Their sizes, labels and hashes go into the metadata.
    """
    started = time.perf_counter()
    examples = spec.read_examples()
    x_train, x_test, y_train, y_test, g_train = split_examples(examples, seed)
    disputed = None
    if disputes is not None and disputes.labels:
        disputes, dropped = _without_held_out(disputes, x_test)
        disputed = {
            "n_examples": len(disputes.labels),
            "n_activities": len(set(disputes.ids)),
            "left_out_held_out": dropped,
            "provenance": "disputed by the subject",
            "by_label": dict(sorted(Counter(disputes.labels).items())),
            "sha256": examples_sha256(disputes),
        }
        if extra is not None:  # the engineer's correction replaces the weak label of the same activity
            ids = set(disputes.ids)
            extra = _subset(extra, [i for i, a in enumerate(extra.ids) if a not in ids])
        x_train = np.concatenate([x_train, as_matrix(disputes.inputs)]) if disputes.labels else x_train
        y_train = np.concatenate([y_train, np.array(disputes.labels)]) if disputes.labels else y_train
        g_train = np.concatenate([g_train, np.array(disputes.groups, dtype=object)]) if disputes.labels else g_train
    weak = None
    if extra is not None and extra.labels:
        x_train = np.concatenate([x_train, as_matrix(extra.inputs)])
        y_train = np.concatenate([y_train, np.array(extra.labels)])
        extra_groups = extra.groups if len(extra.groups) == len(extra.labels) else [""] * len(extra.labels)
        g_train = np.concatenate([g_train, np.array([f"company:{g}" for g in extra_groups], dtype=object)])
        weak = {
            "n": len(extra.labels),
            "by_label": dict(sorted(Counter(extra.labels).items())),
            "sha256": examples_sha256(extra),
        }
    pipeline = spec.build_pipeline(seed)
    fit_pipeline(pipeline, x_train, y_train, groups=g_train)
    metrics = evaluate(pipeline, x_train, y_train, x_test, y_test, spec)
    seconds = time.perf_counter() - started
    metadata = {
        "model_id": spec.model_id,
        "version": spec.version,
        "description": spec.description,
        "data_file": spec.data_file,
        "data_sha256": data_sha256(spec.data_file),
        "sklearn_version": sklearn.__version__,
        "seed": seed,
        "labels": [str(c) for c in pipeline.classes_],
        "calibration": {"method": pipeline[-1].method, "folds": CALIBRATION_FOLDS, "grouped_by": spec.group_name},
        "min_confidence": spec.min_confidence,
        "silent_labels": sorted(spec.silent_labels),
        "metrics": metrics,
        "weak_labels": weak,
        "disputes": disputed,
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "train_seconds": round(seconds, 2),
    }
    log.info(
        "trained %s v%s on %d examples in %.1fs: accuracy %.3f, macro-F1 %.3f (majority %.3f)",
        spec.model_id,
        spec.version,
        metrics["n_train"],
        seconds,
        metrics["accuracy"],
        metrics["macro_f1"],
        metrics["majority_accuracy"],
    )
    return TrainedModel(spec=spec, pipeline=pipeline, metadata=metadata)
