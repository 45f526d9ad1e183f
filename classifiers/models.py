"""Persisted scikit-learn models: load, check against code/data/library, train when missing, predict with reasons.

An artifact is ``<model_dir>/<model_id>.joblib`` (pipeline + metadata) with a
readable copy of the metadata in ``<model_id>.json`` that also records the
artifact's sha256.  Models are data: an artifact is unpickled only after its
bytes match that hash (and neither file is writable by another user), so a
planted model file is refused before any of it runs.  An artifact trained
with another scikit-learn, on other data or by another model version is
refused, never silently used: retrain it with ``load_or_train(..., retrain=True)``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from classifiers.contract import SIGNALS
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

# Calibrated probability below which a model label is not emitted at all, and the classes a model never
# emits because on held-out data they are right less than 8 times in 10 even above it (per model id;
# measured and chosen with `ladder eval`, see docs/classifiers.md "Emitted labels").
MODEL_MIN_CONFIDENCE: dict[str, float] = {spec.model_id: spec.min_confidence for spec in MODEL_SPECS}
MODEL_SILENT_LABELS: dict[str, frozenset[str]] = {spec.model_id: spec.silent_labels for spec in MODEL_SPECS}
MAX_KEY_WORDS = 3


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
    """Write the artifact and its metadata atomically; returns the artifact path.

    The metadata file records the artifact's sha256 (``artifact_sha256``): ``load_model`` refuses an
    artifact whose bytes are not those, before unpickling anything.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    artifact, meta = artifact_paths(model_dir, model.spec.model_id)
    tmp = artifact.with_suffix(".joblib.tmp")
    joblib.dump({"metadata": model.metadata, "pipeline": model.pipeline}, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    os.replace(tmp, artifact)
    tmp_meta = meta.with_suffix(".json.tmp")
    sidecar = dict(model.metadata, artifact_sha256=digest)
    tmp_meta.write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp_meta, meta)
    return artifact


def check_metadata(spec: ModelSpec, metadata: dict, artifact: Path, *, seed: int = DEFAULT_SEED) -> None:
    """Raise ``ModelArtifactError`` when ``metadata`` does not match this code, data, seed and scikit-learn."""
    fix = (
        f"retrain it (load_or_train(model_dir, retrain=True), or `ladder train`) or delete {artifact.parent} "
        "to train afresh"
    )
    expected = {
        "model_id": spec.model_id,
        "version": spec.version,
        "sklearn_version": sklearn.__version__,
        "data_sha256": data_sha256(spec.data_file),
        "seed": seed,
    }
    what = {
        "model_id": "model id",
        "version": "model version",
        "sklearn_version": "scikit-learn version",
        "data_sha256": "training-data sha256",
        "seed": "training seed",
    }
    for key, want in expected.items():
        have = metadata.get(key)
        if have != want:
            raise ModelArtifactError(
                f"model artifact {artifact} has {what[key]} {have!r} but this installation expects {want!r}; {fix}"
            )


def _refuse(artifact: Path, why: str) -> ModelArtifactError:
    return ModelArtifactError(
        f"cannot read model artifact {artifact}: {why}. A model file runs code when it is loaded, so only the "
        "exact file that training wrote is loaded; retrain with load_or_train(model_dir, retrain=True) (or "
        f"`ladder train`) or delete {artifact.parent} to train afresh"
    )


def _check_private(path: Path, artifact: Path) -> None:
    """Refuse a model file or folder that another user owns or may write: they could swap the model."""
    st = path.stat()
    uid = os.getuid()
    if st.st_uid not in (uid, 0):
        raise _refuse(artifact, f"{path} belongs to uid {st.st_uid}, not to you (uid {uid})")
    if st.st_mode & 0o022:
        raise _refuse(artifact, f"{path} is writable by other users (mode {st.st_mode & 0o777:o}); chmod go-w it")


def read_artifact(spec: ModelSpec, model_dir: Path, *, seed: int = DEFAULT_SEED) -> tuple[dict, bytes] | None:
    """The metadata and the verified bytes of ``spec``'s artifact, or None when there is none; nothing is unpickled.

    Refused (``ModelArtifactError``) unless the metadata file exists, matches this installation, and records
    the sha256 of exactly these bytes, and neither file nor folder is writable by another user.
    """
    artifact, meta_path = artifact_paths(model_dir, spec.model_id)
    if not artifact.exists():
        return None
    if not meta_path.is_file():
        raise _refuse(artifact, f"its metadata file {meta_path.name} is missing")
    for path in (model_dir, meta_path, artifact):
        _check_private(path, artifact)
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        data = artifact.read_bytes()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(artifact, f"{type(exc).__name__} reading it or {meta_path.name}: {exc}") from None
    if not isinstance(metadata, dict):
        raise _refuse(artifact, f"{meta_path.name} is not a JSON object")
    check_metadata(spec, metadata, artifact, seed=seed)
    recorded = metadata.get("artifact_sha256")
    actual = hashlib.sha256(data).hexdigest()
    if recorded != actual:
        raise _refuse(
            artifact,
            f"its sha256 is {actual[:12]}…, but {meta_path.name} records "
            + (f"{str(recorded)[:12]}…" if recorded else "none (written by an older release)"),
        )
    return metadata, data


def load_model(spec: ModelSpec, model_dir: Path, *, seed: int = DEFAULT_SEED) -> TrainedModel | None:
    """The checked artifact for ``spec``, or None when there is none.

    The bytes are verified against the metadata file's ``artifact_sha256`` (``read_artifact``) before
    they are unpickled: a planted or altered model file is refused without running any of it.
    """
    found = read_artifact(spec, model_dir, seed=seed)
    if found is None:
        return None
    sidecar, data = found
    artifact, _ = artifact_paths(model_dir, spec.model_id)
    try:
        payload = joblib.load(io.BytesIO(data))
        metadata, pipeline = payload["metadata"], payload["pipeline"]
    except Exception as exc:  # the file training wrote, unreadable here (another joblib?): say how to recover
        raise _refuse(artifact, f"{type(exc).__name__}: {exc}") from exc
    if dict(metadata, artifact_sha256=sidecar.get("artifact_sha256")) != sidecar:
        raise _refuse(artifact, "the metadata inside it differs from its metadata file")
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


def train_and_save(model_dir: Path, *, seed: int = DEFAULT_SEED, work_type_extra=None, disputes=None) -> Models:
    """Train both models afresh and replace their artifacts; ``work_type_extra`` (weak-labelled company
    examples, ``classifiers.weak_labels.weak_label_examples``) is added to the work-type training split,
    ``disputes`` (``classifiers.disputes.DisputeExamples``) to each model's training split."""
    model_dir = Path(model_dir)
    work = train_model(WORK_TYPE, seed=seed, extra=work_type_extra, disputes=disputes.work_type if disputes else None)
    review = train_model(REVIEW_SUBSTANCE, seed=seed, disputes=disputes.review_substance if disputes else None)
    for model in (work, review):
        path = save_model(model, model_dir)
        log.info("saved %s v%s to %s", model.spec.model_id, model.spec.version, path)
    return Models(work_type=work, review_substance=review)


@functools.lru_cache(maxsize=1)
def train_in_memory(seed: int = DEFAULT_SEED) -> Models:
    """Both models trained in this process and kept for its lifetime; nothing is written to disk."""
    return Models(
        work_type=train_model(WORK_TYPE, seed=seed), review_substance=train_model(REVIEW_SUBSTANCE, seed=seed)
    )


def predict(model: TrainedModel, inputs: list) -> list[Prediction]:
    """Predict a label per input with its calibrated probability and up to three real words of the input
    that pushed most towards the label (``Prediction.features``)."""
    if not inputs:
        return []
    x = as_matrix(inputs)
    features = model.pipeline[:-1].transform(x).tocsr()
    clf = model.pipeline[-1]
    labels, confidence = clf.predict_with_confidence(features)
    index = {c: k for k, c in enumerate(clf.classes_)}
    is_word = _word_features(model)
    coef = clf.coef_
    texts = x[:, 0] if x.ndim == 2 else x
    out: list[Prediction] = []
    for i, label in enumerate(labels):
        start, end = features.indptr[i], features.indptr[i + 1]
        idx, values = features.indices[start:end], features.data[start:end]
        words = is_word[idx]
        idx, values = idx[words], values[words]
        contributions = values * coef[index[label], idx]
        order = np.argsort(-contributions, kind="stable")
        out.append(
            Prediction(
                label=str(label),
                confidence=float(confidence[i]),
                features=_key_words(model, str(texts[i] or ""), idx[order], contributions[order]),
            )
        )
    return out


def emitted(model: TrainedModel, prediction: Prediction) -> bool:
    """Whether a prediction becomes a label: calibrated probability at least the model's minimum and a class
    the model is trusted with (``MODEL_MIN_CONFIDENCE``, ``MODEL_SILENT_LABELS``)."""
    spec = model.spec
    return prediction.confidence >= spec.min_confidence and prediction.label not in spec.silent_labels


# What a label reads as, for reasons: "review-substance model v3: reads as a defect report (p=0.86) …".
READS_AS: dict[str, str] = {
    "work.feature": "a new feature",
    "work.bugfix": "a bug fix",
    "work.docs": "a documentation change",
    "work.refactor": "a refactoring",
    "work.test": "a change to tests",
    "work.perf": "a performance improvement",
    "work.build_ci": "a build or CI change",
    "work.chore": "routine maintenance",
    "work.revert": "a revert",
    "review.defect": "a defect report",
    "review.design": "a design discussion",
    "review.suggestion": "a suggested change to the code or approach",
    "review.question": "a question",
    "review.nit": "a minor style remark",
    "review.praise": "praise",
    "review.documentation": "a request about documentation or comments",
}


def describe_prediction(model: TrainedModel, prediction: Prediction) -> str:
    """A sentence a person can check: which model, what the text reads as, how sure, and the words behind it,
    e.g. "review-substance model v3: reads as a defect report (p=0.86); key words 'null', 'crash'"."""
    spec = model.spec
    reads_as = READS_AS.get(prediction.label) or SIGNALS.get(prediction.label, prediction.label)
    text = f"{spec.model_id} model v{spec.version}: reads as {reads_as} (p={prediction.confidence:.2f})"
    if prediction.features:
        text += "; key words " + ", ".join(f"'{w}'" for w in prediction.features[:MAX_KEY_WORDS])
    return text


# --- key words --------------------------------------------------------------------------

_WORD = re.compile(r"[a-z][a-z]+")


def _word_features(model: TrainedModel) -> np.ndarray:
    """Per feature of the model's input: is it a single word of the text (not a word pair, a character
    n-gram, a path or size token) worth naming: letters only, at least 3, not a stop word."""
    cached = getattr(model, "_is_word", None)
    if cached is None:
        names = model.pipeline[:-1].get_feature_names_out()
        cached = np.fromiter((_is_key_word(str(n)) for n in names), dtype=bool, count=len(names))
        model._is_word = cached  # type: ignore[attr-defined]
        model._feature_names = names  # type: ignore[attr-defined]
    return cached


def _is_key_word(name: str) -> bool:
    group, _, word = name.partition("__")
    return group == "words" and len(word) >= 3 and bool(_WORD.fullmatch(word)) and word not in ENGLISH_STOP_WORDS


def _key_words(model: TrainedModel, text: str, idx: np.ndarray, contributions: np.ndarray) -> tuple[str, ...]:
    """Up to ``MAX_KEY_WORDS`` words with a positive pull that occur in ``text`` as whole words (so "don"
    from "don't" or "re" from "we're" are never shown)."""
    names = model._feature_names  # type: ignore[attr-defined]
    words: list[str] = []
    for j, weight in zip(idx, contributions):
        if weight <= 0 or len(words) == MAX_KEY_WORDS:
            break
        word = str(names[j]).partition("__")[2]
        if re.search(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", text, re.IGNORECASE):
            words.append(word)
    return tuple(words)
