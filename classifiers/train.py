"""Train the scikit-learn models on the vendored data: fixed seeds, a held-out split, honest metrics."""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from classifiers.features import SizeFeatures
from classifiers.training_data import (
    COMMITS_FILE,
    REVIEW_COMMENTS_FILE,
    Examples,
    data_sha256,
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


def fit_pipeline(pipeline: Pipeline, x, y) -> Pipeline:
    """Fit ``pipeline``; SGD stops at its fixed epoch budget on purpose, so its ConvergenceWarning is noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(x, y)


def _log_loss_sgd(*, alpha: float, seed: int) -> SGDClassifier:
    # Logistic regression fitted by SGD: as accurate here as lbfgs, ~20x faster, single-threaded.
    return SGDClassifier(loss="log_loss", alpha=alpha, class_weight="balanced", max_iter=50, tol=1e-4,
                         random_state=seed)


def build_work_type_pipeline(seed: int) -> Pipeline:
    """TF-IDF words of title+body, path tokens and change size -> logistic regression (one-vs-rest)."""
    features = ColumnTransformer([
        ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=40000), 0),
        ("paths", TfidfVectorizer(token_pattern=r"\S+", min_df=2, sublinear_tf=True), 1),
        ("size", SizeFeatures(n_buckets=4, names=("lines", "files")), [2, 3]),
    ])
    return Pipeline([("features", features), ("clf", _log_loss_sgd(alpha=1e-5, seed=seed))])


def build_review_pipeline(seed: int) -> Pipeline:
    """TF-IDF words and bigrams of a review comment and tokens of its file -> logistic regression."""
    features = ColumnTransformer([
        ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)), 0),
        ("paths", TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True), 1),
    ])
    return Pipeline([("features", features), ("clf", _log_loss_sgd(alpha=5e-5, seed=seed))])


WORK_TYPE = ModelSpec(
    model_id="work-type", version="2", data_file=COMMITS_FILE, read_examples=read_commit_examples,
    build_pipeline=build_work_type_pipeline,
    description="work type of a PR from its title (conventional header stripped), body and paths",
)
REVIEW_SUBSTANCE = ModelSpec(
    model_id="review-substance", version="2", data_file=REVIEW_COMMENTS_FILE, read_examples=read_review_examples,
    build_pipeline=build_review_pipeline,
    description="what a review comment does (defect, design, question, suggestion, nit, praise, documentation)",
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


def split_examples(examples: Examples, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/test split with a fixed seed."""
    x, y = as_matrix(examples.inputs), np.array(examples.labels)
    return train_test_split(x, y, test_size=TEST_SIZE, random_state=seed, stratify=y)


def evaluate(pipeline: Pipeline, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
             y_test: np.ndarray) -> dict:
    """Held-out metrics next to the majority-class baseline (the class most common in training)."""
    predicted = pipeline.predict(x_test)
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
    }


def train_model(spec: ModelSpec, *, seed: int = DEFAULT_SEED, extra: Examples | None = None) -> TrainedModel:
    """Fit ``spec`` on the training split of its vendored data and measure it on the held-out split.

    ``extra`` (weak labels from the company's own data, ``classifiers.weak_labels``) is added to the training
    split only, so the recorded metrics stay comparable; its size, labels and hash go into the metadata.
    """
    from classifiers.weak_labels import examples_sha256

    started = time.perf_counter()
    examples = spec.read_examples()
    x_train, x_test, y_train, y_test = split_examples(examples, seed)
    weak = None
    if extra is not None and extra.labels:
        x_train = np.concatenate([x_train, as_matrix(extra.inputs)])
        y_train = np.concatenate([y_train, np.array(extra.labels)])
        weak = {"n": len(extra.labels), "by_label": dict(sorted(Counter(extra.labels).items())),
                "sha256": examples_sha256(extra)}
    pipeline = spec.build_pipeline(seed)
    fit_pipeline(pipeline, x_train, y_train)
    metrics = evaluate(pipeline, x_train, y_train, x_test, y_test)
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
        "metrics": metrics,
        "weak_labels": weak,
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "train_seconds": round(seconds, 2),
    }
    log.info("trained %s v%s on %d examples in %.1fs: accuracy %.3f, macro-F1 %.3f (majority %.3f)",
             spec.model_id, spec.version, metrics["n_train"], seconds, metrics["accuracy"], metrics["macro_f1"],
             metrics["majority_accuracy"])
    return TrainedModel(spec=spec, pipeline=pipeline, metadata=metadata)
