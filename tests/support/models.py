"""Both classifier models trained once per test run and copied into a synced world's model folder.

Every config the sandbox writes keeps its models in ``<warehouse dir>/models``, so each synced world's
classify stage used to train both models afresh (about 10 s of CPU each time).  ``seed_models`` copies
artifacts that ``classifiers.models.load_or_train`` wrote once for the whole run, so the stage loads
them instead, through the same checks (sha256, versions, seed, private files) as a second nightly run.
The artifacts are real: trained by the real code on the vendored data, deterministic for one seed.

Under pytest-xdist the workers share one folder (next to their base temporary folders) and an
exclusive lock, so the models are trained once for the run, not once per worker.  The tests that check
training itself (``tests/classifiers``, the nightly and train flows, the demo) do not use this.
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest

from classifiers.models import MODEL_SPECS, artifact_paths, load_or_train


def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's trained model folder, trained on first use (once for all xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if base.name.startswith("popen-gw") else base  # xdist: gw0, gw1... share the parent
    folder = root / "shared-models"
    with open(root / "shared-models.lock", "w") as lock:
        # fcntl rather than a lock library: one exclusive lock on Linux, and the project has no such dependency
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not all(artifact_paths(folder, spec.model_id)[1].is_file() for spec in MODEL_SPECS):
                load_or_train(folder)  # writes the metadata file last, so its presence means complete
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def seed_models(model_dir: Path, source: Path) -> None:
    """Copy the trained artifacts in ``source`` (``shared_models``) into ``model_dir``, private as the stage
    itself leaves them."""
    model_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    model_dir.chmod(0o700)
    for spec in MODEL_SPECS:
        for path in artifact_paths(source, spec.model_id):
            target = model_dir / path.name
            shutil.copyfile(path, target)
            target.chmod(0o600)
