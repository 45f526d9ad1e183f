"""Which report files need writing: a manifest of what each report was rendered from (issue 13).

``reports.out_dir/.ladder-manifest`` (JSON, without a .json suffix so that no glob for reports picks it
up) records, per report file stem, a hash of the report's content (everything but ``generated_at``) and
of how it is rendered (formats, templates, renderer).  A report
whose hash matches and whose files are all there is not written again, so a night where nothing
changed rewrites no report (each keeps the ``generated_at`` of the run that last changed it).

Before building any report, a run compares the key of *everything* the reports are made from
(``inputs_key``: the warehouse's ``reports_fingerprint``, the config and the files it names, the period,
the code that builds and renders them) with the one the manifest was saved with: when they are equal and
every file the manifest lists is there, nothing is built at all.

Crash-safe without a transaction: the manifest is removed before the first report of a run is
written and written back (atomically: a temporary file renamed) when all are, so a run killed in
between leaves no manifest and the next run writes every report again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

MANIFEST = ".ladder-manifest"
INPUTS = "#inputs"  # the manifest's entry for ``inputs_key`` (no report stem starts with '#')
# The packages whose code builds a report's content or renders it (the web app's pages are not read here).
_CODE = ("rubric", "warehouse", "flows")
_CODE_SUFFIXES = (".py", ".sql", ".json", ".yaml", ".j2", ".html", ".css", ".md", ".txt")


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


def _code_version() -> str:
    digest = hashlib.sha256()
    for package in _CODE:
        root = resources.files(package)
        stack = [root]
        while stack:
            folder = stack.pop()
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.is_dir():
                    if entry.name != "__pycache__":
                        stack.append(entry)
                elif entry.name.endswith(_CODE_SUFFIXES):
                    digest.update(f"{package}/{entry.name}\0".encode() + entry.read_bytes())
    return digest.hexdigest()


def _config_files(config: Any) -> Iterator[Path]:
    """The files the config names (roster, identities, rubrics, rules...), but not the warehouse and its
    side files, whose report-relevant content ``reports_fingerprint`` covers."""
    skip = {config.warehouse_path, config.feedback_path}

    def walk(value: Any) -> Iterator[Path]:
        if isinstance(value, Path):
            path = config.resolve(value)
            if path not in skip and path.is_file():
                yield path
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item)

    yield from walk(config.model_dump())


def inputs_key(config: Any, since: Any, until: Any, warehouse: str, rendering: str) -> str:
    """A key of everything the reports of [since, until] are made from: the warehouse's
    ``reports_fingerprint`` (``warehouse``), the config and the files it names, the period, how reports are
    rendered (``rendering``) and the code that builds them."""
    digest = hashlib.sha256(f"{since}\n{until}\n{warehouse}\n{rendering}\n{_code_version()}\n".encode())
    digest.update(config.model_dump_json().encode())
    for path in sorted(set(_config_files(config))):
        digest.update(f"\n{path}\0".encode() + path.read_bytes())
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

    def unchanged(self, key: str, formats: Iterable[str]) -> bool:
        """Whether the last run was made from the inputs ``key`` names and left every file it listed; records
        the key for ``save`` either way."""
        self.after[INPUTS] = key
        if self.before.get(INPUTS) != key:
            return False
        out_dir = self.path.parent
        files = [out_dir / "index.md", out_dir / "index.html"]
        for stem in self.before:
            if stem == INPUTS:
                continue
            if stem.startswith("teams/"):
                files.extend(out_dir / f"{stem}.{kind}" for kind in ("html", "md", "json"))
            else:
                files.extend(out_dir / f"{stem}.{fmt}" for fmt in formats)
                files.extend(out_dir / "prep" / f"{stem}.{kind}" for kind in ("html", "md"))
        return all(f.is_file() for f in files)

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
