"""Which report files need writing: a manifest of what each report was rendered from (issue 13).

``reports.out_dir/.ladder-manifest`` (JSON, without a .json suffix so that no glob for reports picks it
up) records, per report file stem, a hash of the report's content (everything but ``generated_at``) and
of how it is rendered (formats, templates, renderer).  A report
whose hash matches and whose files are all there is not written again, so a night where nothing
changed rewrites no report (each keeps the ``generated_at`` of the run that last changed it).

Crash-safe without a transaction: the manifest is removed before the first report of a run is
written and written back (atomically: a temporary file renamed) when all are, so a run killed in
between leaves no manifest and the next run writes every report again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

MANIFEST = ".ladder-manifest"


def render_version(formats: Iterable[str]) -> str:
    """A hash of how reports are rendered: the formats asked for, the renderer and its templates."""
    digest = hashlib.sha256(",".join(sorted(formats)).encode())
    package = resources.files("rubric")
    for name in ("render.py", "report.py", "team.py", "report.schema.json"):
        digest.update(package.joinpath(name).read_bytes())
    templates = package.joinpath("templates")
    for entry in sorted(templates.iterdir(), key=lambda e: e.name):
        if entry.is_file():
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()


def report_digest(report: dict[str, Any], rendering: str) -> str:
    """A hash of what ``report`` says (not when it was generated) and how it is rendered."""
    content = {key: value for key, value in report.items() if key != "generated_at"}
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{rendering}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


class ReportManifest:
    """The manifest of one reports folder: read at the start of a run, written back at its end."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST
        self.before: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.before = {str(k): str(v) for k, v in loaded.items()}
        self.after: dict[str, str] = {}
        self._invalidated = False

    def is_current(self, stem: str, digest: str, files: Iterable[Path]) -> bool:
        """Whether ``stem``'s files hold a report with this digest (and all exist); records the digest."""
        self.after[stem] = digest
        return self.before.get(stem) == digest and all(f.is_file() for f in files)

    def will_write(self) -> None:
        """Call before writing a report: the first call removes the manifest until ``save``."""
        if not self._invalidated:
            self._invalidated = True
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def save(self) -> Path:
        """Write the manifest of this run (atomically; not at all when it is the one read)."""
        if not self._invalidated and self.after == self.before and self.path.is_file():
            return self.path
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.after, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, self.path)
        return self.path


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; returns whether it wrote."""
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return False
    path.write_text(text, encoding="utf-8")
    return True
