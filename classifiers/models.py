"""Persisted scikit-learn models: load, check against code/data/library, train when missing, predict with reasons.

An artifact is ``<model_dir>/<model_id>.joblib`` (pipeline + metadata) with a
readable copy of the metadata in ``<model_id>.json``.  An artifact trained
with another scikit-learn, on other data or by another model version is
refused, never silently used: retrain it with ``load_or_train(..., retrain=True)``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn

from classifiers.errors import ModelArtifactError
from classifiers.train import (
    DEFAULT_SEED,
    MODEL_SPECS,
    REVIEW_SUBSTANCE,
    WORK_TYPE,
    ModelSpec,
    TrainedModel,
    as_matrix,
    train_model,
)
from classifiers.training_data import data_sha256

log = logging.getLogger("classifiers.models")

LOW_CONFIDENCE = 0.5
TOP_FEATURES = 3


@dataclass(frozen=True)
class Models:
    """The models the classifier uses, by role."""

    work_type: TrainedModel
    review_substance: TrainedModel


@dataclass(frozen=True)
class Prediction:
    """One model output: the label, its probability and the features that pushed towards it."""

    label: str
    confidence: float
    features: tuple[str, ...] = field(default_factory=tuple)


def artifact_paths(model_dir: Path, model_id: str) -> tuple[Path, Path]:
    """(joblib artifact, JSON metadata) paths for ``model_id`` under ``model_dir``."""
    return model_dir / f"{model_id}.joblib", model_dir / f"{model_id}.json"


def save_model(model: TrainedModel, model_dir: Path) -> Path:
    """Write the artifact and its metadata atomically; returns the artifact path."""
    model_dir.mkdir(parents=True, exist_ok=True)
    artifact, meta = artifact_paths(model_dir, model.spec.model_id)
    tmp = artifact.with_suffix(".joblib.tmp")
    joblib.dump({"metadata": model.metadata, "pipeline": model.pipeline}, tmp)
    os.replace(tmp, artifact)
    tmp_meta = meta.with_suffix(".json.tmp")
    tmp_meta.write_text(json.dumps(model.metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp_meta, meta)
    return artifact


def check_metadata(spec: ModelSpec, metadata: dict, artifact: Path, *, seed: int = DEFAULT_SEED) -> None:
    """Raise ``ModelArtifactError`` when ``metadata`` does not match this code, data, seed and scikit-learn."""
    fix = (f"retrain it (load_or_train(model_dir, retrain=True), or `ladder train`) or delete {artifact.parent} "
           "to train afresh")
    expected = {
        "model_id": spec.model_id,
        "version": spec.version,
        "sklearn_version": sklearn.__version__,
        "data_sha256": data_sha256(spec.data_file),
        "seed": seed,
    }
    what = {"model_id": "model id", "version": "model version", "sklearn_version": "scikit-learn version",
            "data_sha256": "training-data sha256", "seed": "training seed"}
    for key, want in expected.items():
        have = metadata.get(key)
        if have != want:
            raise ModelArtifactError(f"model artifact {artifact} has {what[key]} {have!r} but this installation "
                                     f"expects {want!r}; {fix}")


def load_model(spec: ModelSpec, model_dir: Path, *, seed: int = DEFAULT_SEED) -> TrainedModel | None:
    """The checked artifact for ``spec``, or None when there is none."""
    artifact, _ = artifact_paths(model_dir, spec.model_id)
    if not artifact.exists():
        return None
    try:
        payload = joblib.load(artifact)
        metadata, pipeline = payload["metadata"], payload["pipeline"]
    except Exception as exc:  # a truncated or foreign file: say which one and how to recover
        raise ModelArtifactError(f"cannot read model artifact {artifact} ({type(exc).__name__}: {exc}); "
                                 "retrain with load_or_train(model_dir, retrain=True) or delete the file") from exc
    check_metadata(spec, metadata, artifact, seed=seed)
    return TrainedModel(spec=spec, pipeline=pipeline, metadata=metadata)


def load_or_train(model_dir: Path, *, retrain: bool = False, seed: int = DEFAULT_SEED) -> Models:
    """Load both models from ``model_dir``; train (and save) any that are missing.

    An unreadable or mismatched artifact (other scikit-learn, data, model
    version or seed) raises ``ModelArtifactError`` unless ``retrain`` is set,
    in which case it is retrained and replaced.  Artifacts that match are kept
    even then: training is deterministic, so retraining them would reproduce them.
    """
    model_dir = Path(model_dir)
    loaded: dict[str, TrainedModel] = {}
    for spec in MODEL_SPECS:
        try:
            model = load_model(spec, model_dir, seed=seed)
        except ModelArtifactError as exc:
            if not retrain:
                raise
            log.warning("retraining %s: %s", spec.model_id, exc)
            model = None
        if model is None:
            model = train_model(spec, seed=seed)
            path = save_model(model, model_dir)
            log.info("saved %s v%s to %s", spec.model_id, spec.version, path)
        loaded[spec.model_id] = model
    return Models(work_type=loaded[WORK_TYPE.model_id], review_substance=loaded[REVIEW_SUBSTANCE.model_id])


def train_and_save(model_dir: Path, *, seed: int = DEFAULT_SEED, work_type_extra=None) -> Models:
    """Train both models afresh and replace their artifacts; ``work_type_extra`` (weak-labelled company
    examples, ``classifiers.weak_labels.weak_label_examples``) is added to the work-type training split."""
    model_dir = Path(model_dir)
    work = train_model(WORK_TYPE, seed=seed, extra=work_type_extra)
    review = train_model(REVIEW_SUBSTANCE, seed=seed)
    for model in (work, review):
        path = save_model(model, model_dir)
        log.info("saved %s v%s to %s", model.spec.model_id, model.spec.version, path)
    return Models(work_type=work, review_substance=review)


@functools.lru_cache(maxsize=1)
def train_in_memory(seed: int = DEFAULT_SEED) -> Models:
    """Both models trained in this process and kept for its lifetime; nothing is written to disk."""
    return Models(work_type=train_model(WORK_TYPE, seed=seed),
                  review_substance=train_model(REVIEW_SUBSTANCE, seed=seed))


def _feature_names(model: TrainedModel) -> np.ndarray:
    cached = getattr(model, "_feature_names", None)
    if cached is None:
        cached = model.pipeline[:-1].get_feature_names_out()
        model._feature_names = cached  # type: ignore[attr-defined]
    return cached


def predict(model: TrainedModel, inputs: list) -> list[Prediction]:
    """Predict a label per input with its probability and the top features behind it."""
    if not inputs:
        return []
    features = model.pipeline[:-1].transform(as_matrix(inputs)).tocsr()
    clf = model.pipeline[-1]
    proba = clf.predict_proba(features)
    best = proba.argmax(axis=1)
    names = _feature_names(model)
    out: list[Prediction] = []
    for i, k in enumerate(best):
        start, end = features.indptr[i], features.indptr[i + 1]
        idx, values = features.indices[start:end], features.data[start:end]
        contributions = values * clf.coef_[k, idx]
        order = np.argsort(-contributions, kind="stable")[:TOP_FEATURES]
        top = tuple(str(names[idx[j]]) for j in order if contributions[j] > 0)
        out.append(Prediction(label=str(clf.classes_[k]), confidence=float(proba[i, k]), features=top))
    return out


def describe_prediction(model: TrainedModel, prediction: Prediction) -> str:
    """A reason a person can check: model id/version, probability and the words or paths it relied on."""
    groups: dict[str, list[str]] = {"words": [], "path tokens": [], "size": []}
    for name in prediction.features:
        prefix, _, feature = name.partition("__")
        group = {"paths": "path tokens", "size": "size"}.get(prefix, "words")
        groups[group].append(f"'{feature or name}'")
    parts = [f"{group} {', '.join(names)}" for group, names in groups.items() if names]
    evidence = "; ".join(parts) if parts else "no distinctive words (class prior)"
    spec = model.spec
    text = f"model {spec.model_id} v{spec.version} (p={prediction.confidence:.2f}): {evidence}"
    return f"low confidence: {text}" if prediction.confidence < LOW_CONFIDENCE else text
