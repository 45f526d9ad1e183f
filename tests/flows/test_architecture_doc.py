"""docs/architecture.md's tree names every module of the product, one line each, and nothing that is gone."""

from __future__ import annotations

import re

from tests.support import REPO

PACKAGES = ("flows", "miners", "warehouse", "classifiers", "rubric", "sandbox")
SKIPPED = ("sandbox/corpus/", "classifiers/data/")  # data folders with their derivation scripts


def _tree() -> str:
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## The tree", 1)[1]
    return section.split("```", 2)[1]


def _listed() -> set[str]:
    listed: set[str] = set()
    package = None
    for line in _tree().splitlines():
        if not line.strip():
            continue
        name = line.split()[0]
        if not line.startswith(" "):
            package = name.rstrip("/")
            continue
        if name.endswith(".py"):
            listed.add(f"{package}/{name}")
    return listed


def _modules() -> set[str]:
    out = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if rel.startswith(SKIPPED):
                continue
            if path.name == "__init__.py" and not re.search(
                r"^\s*(def|class|from|import) ", path.read_text("utf-8"), re.M
            ):
                continue  # an empty package marker (a docstring at most)
            out.add(rel)
    return out


def test_every_module_has_its_line_in_the_tree_and_every_line_is_a_module():
    listed, modules = _listed(), _modules()
    assert modules - listed == set(), "modules missing from docs/architecture.md's tree"
    assert listed - modules == set(), "docs/architecture.md's tree lists modules that do not exist"
