"""A cheap digest of everything ``classifiers.classify.classifier_version`` is computed from.

The classifiers' version hashes their code, every rule and the trained models' metadata, which means loading
the models (scikit-learn and its import, about a second and a half of CPU): every nightly paid that only to
find the version unchanged.  This digest covers the same inputs as files, without importing scikit-learn:
the package's files (code, default rules, the vendored training data), the rules file, the model folder's
files (artifacts and their metadata) and the installed scikit-learn's version.  The classify stage keeps
the digest with the version it last computed (``flows.stages.classify``) and computes the version again
only when the digest differs, so a digest can only ever be too strict, never stale.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def _files(root: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in root.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                found.extend(_files(entry, f"{name}/"))
        elif not entry.name.endswith((".pyc", ".pyo")):
            found.append((name, entry))
    return found


def classifier_inputs_digest(*, model_dir: Path | None, rules_path: Path | None) -> str:
    """The digest of the files the classifiers' version depends on (see the module docstring)."""
    digest = hashlib.sha256()
    for name, entry in sorted(_files(resources.files("classifiers"), "classifiers/"), key=lambda item: item[0]):
        digest.update(f"{name}\0".encode() + hashlib.sha256(entry.read_bytes()).digest())
    for label, path in (("rules", rules_path), ("models", model_dir)):
        if path is None:
            digest.update(f"{label}: none\0".encode())
            continue
        path = Path(path)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        digest.update(f"{label}: {path}\0".encode())
        for file in files:
            digest.update(f"{file.name}\0".encode() + hashlib.sha256(file.read_bytes()).digest())
    try:
        sklearn = importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        sklearn = "absent"
    digest.update(f"scikit-learn {sklearn}".encode())
    return digest.hexdigest()
