"""Models trained on the vendored real data: better than the majority baseline, reproducible, and refused
when their artifact does not match this installation."""

from __future__ import annotations

import json
import shutil

import joblib
import pytest

from classifiers import ModelArtifactError, load_or_train
from classifiers.contract import SIGNALS
from classifiers.models import artifact_paths, describe_prediction, predict, save_model, train_in_memory
from classifiers.train import REVIEW_SUBSTANCE, WORK_TYPE, train_model
from classifiers.training_data import read_commit_examples, read_review_examples, work_type_input


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
    leaked = [t for t in texts if t.split(":", 1)[0].split("(")[0].strip().lower() in
              ("feat", "fix", "docs", "chore", "refactor", "test", "perf", "build", "ci", "style")
              and ":" in t.split("\n", 1)[0][:20]]
    assert len(leaked) < 0.002 * len(texts), leaked[:5]
    reviews = read_review_examples()
    assert len(reviews.labels) > 1_000 and set(reviews.labels) <= set(SIGNALS)
    assert len(set(reviews.labels)) == 7


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


def test_predictions_carry_confidence_and_feature_reasons(models):
    model = models.work_type
    [docs, crash] = predict(model, [
        work_type_input("Explain the ranking config options", "", ["docs/guide/config.md"]),
        work_type_input("Handle crash when the index is empty", "Throws on startup.", ["src/index.ts"]),
    ])
    assert docs.label == "work.docs" and docs.confidence > 0.5
    assert crash.label == "work.bugfix"
    reason = describe_prediction(model, docs)
    assert reason.startswith("model work-type v2 (p=") and "path tokens" in reason
    low = describe_prediction(model, type(docs)(label="work.chore", confidence=0.3, features=("words__tidy",)))
    assert low.startswith("low confidence:") and "'tidy'" in low


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


@pytest.mark.parametrize("key,value,what", [
    ("sklearn_version", "0.24.2", "scikit-learn version '0.24.2'"),
    ("data_sha256", "0" * 64, "training-data sha256"),
    ("version", "0", "model version '0'"),
    ("seed", 9, "training seed 9"),
])
def test_mismatched_artifact_is_refused_then_retrained_when_asked(saved_dir, tmp_path, key, value, what):
    model_dir = tmp_path / "m"
    shutil.copytree(saved_dir, model_dir)
    artifact, _ = artifact_paths(model_dir, "review-substance")
    payload = joblib.load(artifact)
    payload["metadata"][key] = value
    joblib.dump(payload, artifact)
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
