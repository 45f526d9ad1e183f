"""Models are data (issue 16, item 7): a planted model file is refused without running any of it.

The probe put a pickle in ``--model-dir`` whose unpickling ran ``id``; ``joblib.load`` ran it.  Here a
pickle whose ``__reduce__`` writes a marker file is planted as a model artifact, alone, next to a
genuine-looking metadata file, and in a folder other users may write; every load must refuse it with a
clear error and the marker must not exist.  A last check loads it directly to show it would have run.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import pytest
import sklearn
from click.testing import CliRunner

from classifiers import ModelArtifactError, load_or_train
from classifiers.models import artifact_paths
from classifiers.train import DEFAULT_SEED, MODEL_SPECS
from classifiers.training_data import data_sha256
from flows.cli.main import main


class Planted:
    """Unpickling this writes ``marker``: what a malicious model file does, harmlessly."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "the planted model ran"))


def _plant(model_dir: Path, marker: Path, *, with_metadata: bool) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    model_dir.chmod(0o700)
    for spec in MODEL_SPECS:
        artifact, meta = artifact_paths(model_dir, spec.model_id)
        artifact.write_bytes(pickle.dumps({"metadata": {}, "pipeline": Planted(marker)}))
        if with_metadata:  # what a genuine artifact's metadata says, hash and all (of another file)
            meta.write_text(
                json.dumps(
                    {
                        "model_id": spec.model_id,
                        "version": spec.version,
                        "sklearn_version": sklearn.__version__,
                        "data_sha256": data_sha256(spec.data_file),
                        "seed": DEFAULT_SEED,
                        "artifact_sha256": "0" * 64,
                    }
                )
            )


def _classify(tmp_path: Path, model_dir: Path):
    data = tmp_path / "prs.csv"
    data.write_text("subject,body,files\nfix: crash on empty batch,,trainer/loop.py\n", encoding="utf-8")
    args = ["classify", "work-type", "--data", str(data), "--out", str(tmp_path / "out.csv")]
    return CliRunner().invoke(main, [*args, "--model-dir", str(model_dir)])


@pytest.mark.parametrize("with_metadata", [False, True], ids=["alone", "beside-genuine-metadata"])
def test_a_planted_model_is_refused_without_running(tmp_path, with_metadata):
    marker = tmp_path / "MARKER"
    model_dir = tmp_path / "models"
    _plant(model_dir, marker, with_metadata=with_metadata)
    result = _classify(tmp_path, model_dir)
    assert result.exit_code == 2, result.output
    assert "cannot read model artifact" in result.output and "work-type.joblib" in result.output
    assert ("metadata file work-type.json is missing" if not with_metadata else "its sha256 is") in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.csv").exists()
    with pytest.raises(ModelArtifactError):
        load_or_train(model_dir)
    with pytest.raises(ModelArtifactError):
        load_or_train(model_dir, retrain=False, seed=DEFAULT_SEED)
    assert not marker.exists()
    joblib.load(artifact_paths(model_dir, "work-type")[0])  # loaded the old way, it runs:
    assert marker.read_text() == "the planted model ran"


def test_a_model_folder_other_users_may_write_is_refused(tmp_path):
    marker = tmp_path / "MARKER"
    model_dir = tmp_path / "models"
    _plant(model_dir, marker, with_metadata=True)
    model_dir.chmod(0o777)
    result = _classify(tmp_path, model_dir)
    assert result.exit_code == 2 and "is writable by other users" in result.output, result.output
    assert not marker.exists()
