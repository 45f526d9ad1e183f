"""Models trained on the vendored real data: better than the majority baseline, reproducible, and refused
when their artifact does not match this installation."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier

from classifiers import ModelArtifactError, load_or_train
from classifiers.calibration import (
    CalibratedLinearClassifier,
    expected_calibration_error,
    precision_at,
    reliability,
)
from classifiers.contract import SIGNALS
from classifiers.models import (
    MODEL_MIN_CONFIDENCE,
    MODEL_SILENT_LABELS,
    Prediction,
    artifact_paths,
    describe_prediction,
    emitted,
    predict,
    save_model,
    train_in_memory,
)
from classifiers.train import REVIEW_SUBSTANCE, WORK_TYPE, train_model
from classifiers.training_data import read_commit_examples, read_review_examples, review_input, work_type_input


@pytest.fixture(scope="module")
def models():
    return train_in_memory()


@pytest.fixture(scope="module")
def saved_dir(models, tmp_path_factory):
    """A model directory holding the in-memory models, saved as artifacts."""
    path = tmp_path_factory.mktemp("models")
    save_model(models.work_type, path)
    save_model(models.review_substance, path)
    return path


def test_training_data_is_labelled_with_signals_and_stripped_of_headers():
    commits = read_commit_examples()
    assert len(commits.labels) > 10_000 and set(commits.labels) <= set(SIGNALS)
    # the conventional header carries the label: the model must never see it
    texts = [inp[0] for inp in commits.inputs]
    leaked = [
        t
        for t in texts
        if t.split(":", 1)[0].split("(")[0].strip().lower()
        in ("feat", "fix", "docs", "chore", "refactor", "test", "perf", "build", "ci", "style")
        and ":" in t.split("\n", 1)[0][:20]
    ]
    assert len(leaked) < 0.002 * len(texts), leaked[:5]
    reviews = read_review_examples()
    assert len(reviews.labels) > 1_000 and set(reviews.labels) <= set(SIGNALS)
    # Nova's "Design discussion" is learnt with the suggestions (the data cannot separate them)
    assert set(reviews.labels) == {
        "review.defect",
        "review.documentation",
        "review.nit",
        "review.praise",
        "review.question",
        "review.suggestion",
    }


@pytest.mark.parametrize("role", ["work_type", "review_substance"])
def test_model_beats_majority_baseline_on_held_out_split(models, role):
    metrics = getattr(models, role).metadata["metrics"]
    assert metrics["n_test"] > 0.15 * (metrics["n_train"] + metrics["n_test"])
    assert metrics["accuracy"] > metrics["majority_accuracy"] + 0.1
    assert metrics["macro_f1"] > metrics["majority_macro_f1"] + 0.2


def test_training_is_reproducible(models):
    again = train_model(REVIEW_SUBSTANCE, seed=0)
    assert again.metadata["metrics"] == models.review_substance.metadata["metrics"]
    other_seed = train_model(REVIEW_SUBSTANCE, seed=1)
    assert other_seed.metadata["metrics"] != models.review_substance.metadata["metrics"]


def test_metadata_identifies_the_artifact(models):
    meta = models.work_type.metadata
    assert meta["model_id"] == "work-type" and meta["version"] == WORK_TYPE.version
    assert len(meta["data_sha256"]) == 64 and meta["sklearn_version"]
    assert set(meta["labels"]) <= set(SIGNALS)


def test_predictions_carry_calibrated_confidence_and_readable_reasons(models):
    model = models.work_type
    [docs, crash] = predict(
        model,
        [
            work_type_input("Explain the ranking config options", "", ["docs/guide/config.md"]),
            work_type_input("Handle crash when the index is empty", "Throws on startup.", ["src/index.ts"]),
        ],
    )
    assert docs.label == "work.docs" and docs.confidence > 0.7 and emitted(model, docs)
    assert crash.label == "work.bugfix"
    reason = describe_prediction(model, docs)
    assert reason.startswith("work-type model v3: reads as a documentation change (p=")
    assert reason.endswith("key words 'explain', 'options'")
    assert (
        describe_prediction(model, Prediction("work.chore", 0.31))
        == "work-type model v3: reads as routine maintenance (p=0.31)"
    )


REVIEW_TEXTS = [
    "We're not sure why this is needed? Doesn't the caller already check it?",
    "This will crash when the list is null; please add a guard and a test.",
    "nit: s/recieve/receive/ and please don't shadow the builtin `id` here",
    "Great, thanks for adding the test!",
    "I'd move this into a helper, it's duplicated in nova/compute/api.py and manager.py",
    "",
]


def test_key_words_are_real_words_of_the_text(models):
    """No word pairs ('we re'), character n-grams, path or shape tokens ('shape_len_long'), stop words."""
    model = models.review_substance
    for text, prediction in zip(
        REVIEW_TEXTS, predict(model, [review_input(t, "nova/compute/api.py") for t in REVIEW_TEXTS])
    ):
        assert len(prediction.features) <= 3
        for word in prediction.features:
            assert re.fullmatch(r"[a-z]{3,}", word), word
            assert re.search(rf"(?<![\w'’]){word}(?![\w'’])", text, re.IGNORECASE), (word, text)
        reason = describe_prediction(model, prediction)
        assert "shape_" not in reason and "path tokens" not in reason and "__" not in reason
        assert reason.count("'") == 2 * len(prediction.features)


def test_labels_below_the_threshold_or_of_a_silent_class_are_not_emitted(models):
    model = models.review_substance
    spec = model.spec
    assert MODEL_MIN_CONFIDENCE[spec.model_id] == spec.min_confidence == 0.8
    assert not emitted(model, Prediction("review.praise", 0.79))
    assert emitted(model, Prediction("review.praise", 0.8))
    assert not emitted(model, Prediction("review.question", 0.99))  # silent: right 2 times in 3 on held-out data
    assert MODEL_SILENT_LABELS["work-type"] >= {"work.chore", "work.revert"}
    assert model.metadata["min_confidence"] == 0.8 and "review.question" in model.metadata["silent_labels"]
    assert model.metadata["calibration"] == {"method": "temperature", "folds": 5, "grouped_by": "change"}


def test_calibrated_classifier_contract():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = np.where(x[:, 0] + 0.5 * rng.normal(size=300) > 0, "b", "a")
    y[:40] = "c"
    groups = np.arange(300) % 7
    for method in ("sigmoid", "isotonic", "temperature"):
        clf = CalibratedLinearClassifier(SGDClassifier(loss="log_loss", random_state=0), method=method)
        clf.fit(x, y, groups=groups)
        proba = clf.predict_proba(x)
        assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1)
        labels, confidence = clf.predict_with_confidence(x)
        assert (labels == clf.predict(x)).all() and ((confidence > 0) & (confidence <= 1)).all()
        assert clf.coef_.shape == (3, 4)
    with pytest.raises(ValueError, match="use one of sigmoid, isotonic, temperature"):
        CalibratedLinearClassifier(SGDClassifier(), method="platt").fit(x, y)


def test_calibration_measures():
    confidence = np.array([0.9, 0.9, 0.6, 0.6, 0.2])
    correct = np.array([1, 1, 1, 0, 0])
    assert expected_calibration_error(confidence, correct) == round(0.4 * 0.1 + 0.4 * 0.1 + 0.2 * 0.2, 4)
    assert precision_at(confidence, correct, 0.6) == (4, 0.75)
    table = reliability(confidence, correct)
    assert sum(row["n"] for row in table) == 5
    assert next(row for row in table if row["lo"] == 0.8) == {
        "lo": 0.8,
        "hi": 0.9,
        "n": 2,
        "mean_confidence": 0.9,
        "accuracy": 1.0,
    }


def test_load_or_train_loads_saved_artifacts(saved_dir, models):
    loaded = load_or_train(saved_dir)
    assert loaded.work_type.metadata == models.work_type.metadata
    assert json.loads(artifact_paths(saved_dir, "work-type")[1].read_text())["model_id"] == "work-type"


def test_load_or_train_trains_what_is_missing(saved_dir, tmp_path):
    shutil.copytree(saved_dir, tmp_path / "m")
    artifact, meta = artifact_paths(tmp_path / "m", "review-substance")
    artifact.unlink()
    meta.unlink()
    loaded = load_or_train(tmp_path / "m")
    assert artifact.exists() and meta.exists()
    assert loaded.review_substance.metadata["metrics"]["n_train"] > 1000


@pytest.mark.parametrize(
    "key,value,what",
    [
        ("sklearn_version", "0.24.2", "scikit-learn version '0.24.2'"),
        ("data_sha256", "0" * 64, "training-data sha256"),
        ("version", "0", "model version '0'"),
        ("seed", 9, "training seed 9"),
    ],
)
def test_mismatched_artifact_is_refused_then_retrained_when_asked(saved_dir, tmp_path, key, value, what):
    model_dir = tmp_path / "m"
    shutil.copytree(saved_dir, model_dir)
    artifact, meta = artifact_paths(model_dir, "review-substance")
    metadata = json.loads(meta.read_text())
    metadata[key] = value  # the metadata file is checked first: nothing of the artifact is unpickled
    meta.write_text(json.dumps(metadata))
    with pytest.raises(ModelArtifactError) as info:
        load_or_train(model_dir)
    message = str(info.value)
    assert str(artifact) in message and what in message and "retrain=True" in message
    retrained = load_or_train(model_dir, retrain=True)
    assert retrained.review_substance.metadata[key] != value
    assert load_or_train(model_dir).review_substance.metadata[key] != value  # now accepted


def test_corrupt_artifact_is_refused(saved_dir, tmp_path):
    model_dir = tmp_path / "m"
    shutil.copytree(saved_dir, model_dir)
    artifact, _ = artifact_paths(model_dir, "work-type")
    artifact.write_bytes(b"not a pickle")
    with pytest.raises(ModelArtifactError, match="cannot read model artifact .*work-type.joblib"):
        load_or_train(model_dir)


def test_retrain_keeps_matching_artifacts(saved_dir, tmp_path):
    model_dir = tmp_path / "m"
    shutil.copytree(saved_dir, model_dir)
    artifact, _ = artifact_paths(model_dir, "work-type")
    before = artifact.stat().st_mtime_ns
    load_or_train(model_dir, retrain=True)
    assert artifact.stat().st_mtime_ns == before


def test_artifact_for_another_seed_is_refused(saved_dir):
    with pytest.raises(ModelArtifactError, match="training seed 0 but this installation expects 3"):
        load_or_train(saved_dir, seed=3)
