"""The YAML rubric restates the vendored seed document completely and verbatim.

The seed is parsed here with its own small parser (not the YAML's generator),
so a bullet dropped, reworded or moved in the YAML fails a test.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pytest
import yaml

from tests.support import REPO

ROOT = REPO
SEED = ROOT / "rubric" / "seed" / "ic4-mle-rubric.txt"
YAML_PATH = ROOT / "rubric" / "ic4_mle.yaml"


def norm(text: str) -> str:
    """Compare text modulo whitespace and typographic quotes/dashes."""
    text = unicodedata.normalize("NFC", text)
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class SeedDimension:
    title: str
    description: str | None = None
    bullets: list[str] = field(default_factory=list)


@dataclass
class SeedArea:
    header: str
    intro: list[str] = field(default_factory=list)
    dimensions: list[SeedDimension] = field(default_factory=list)


def is_area_header(line: str) -> bool:
    # "Scope" is the only area without an emoji; the others start with a pictograph and a space.
    return line == "Scope" or (len(line) > 2 and line[1] == " " and unicodedata.category(line[0]) == "So")


def parse_seed(text: str) -> tuple[str, str, list[SeedArea], list[str]]:
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    title, summary = lines[0], lines[1]
    areas: list[SeedArea] = []
    footnotes: list[str] = []
    for line in lines[2:]:
        if is_area_header(line):
            areas.append(SeedArea(header=line))
        elif line.startswith("* "):
            footnotes.append(line[2:])
        elif line.startswith("- "):
            areas[-1].dimensions[-1].bullets.append(line[2:])
        elif not areas[-1].dimensions and line.endswith("."):
            areas[-1].intro.append(line)  # Craft's intro paragraphs precede its first sub-area
        elif (
            areas[-1].dimensions
            and not areas[-1].dimensions[-1].bullets
            and areas[-1].dimensions[-1].description is None
        ):
            areas[-1].dimensions[-1].description = line
        else:
            areas[-1].dimensions.append(SeedDimension(title=line))
    return title, summary, areas, footnotes


@pytest.fixture(scope="module")
def seed():
    return parse_seed(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc():
    return yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))


def test_parser_sees_the_whole_seed(seed):
    # Guards the parser itself: the seed has 6 areas, 22 sub-areas and 80 bullets.
    _, _, areas, footnotes = seed
    assert [a.header for a in areas] == ["Scope", "🏆 Results", "🌟 Direction", "🌳 Talent", "🌈 Culture", "🦉 Craft"]
    assert sum(len(a.dimensions) for a in areas) == 22
    assert sum(len(d.bullets) for a in areas for d in a.dimensions) == 80
    assert len(areas[-1].intro) == 2 and len(footnotes) == 1
    scope = [d.title for d in areas[0].dimensions]
    assert scope == ["Area of ownership and level of autonomy / ambiguity", "Collaborative Reach", "Impact Levers"]
    assert areas[0].dimensions[1].description == "Organizational reach and extent of influence"


def test_title_and_summary(seed, doc):
    title, summary, _, _ = seed
    assert norm(doc["title"]) == norm(title)
    assert norm(doc["summary"]) == norm(summary)


def test_every_area_in_order(seed, doc):
    _, _, areas, _ = seed
    got = [norm(a.get("header") or a["title"]) for a in doc["areas"]]
    assert got == [norm(a.header) for a in areas]
    assert [a["id"] for a in doc["areas"]] == ["scope", "results", "direction", "talent", "culture", "craft"]


def test_every_sub_area_with_its_description(seed, doc):
    _, _, areas, _ = seed
    for seed_area, area in zip(areas, doc["areas"]):
        assert [norm(d["title"]) for d in area["dimensions"]] == [norm(d.title) for d in seed_area.dimensions]
        for seed_dim, dim in zip(seed_area.dimensions, area["dimensions"]):
            assert norm(dim.get("description") or "") == norm(seed_dim.description or ""), dim["id"]


def test_every_bullet_verbatim_and_in_place(seed, doc):
    _, _, areas, _ = seed
    yaml_bullets = {norm(b["text"]) for a in doc["areas"] for d in a["dimensions"] for b in d["behaviours"]}
    missing = [b for a in areas for d in a.dimensions for b in d.bullets if norm(b) not in yaml_bullets]
    assert not missing, f"bullets missing from {YAML_PATH.name}: {missing}"
    for seed_area, area in zip(areas, doc["areas"]):
        for seed_dim, dim in zip(seed_area.dimensions, area["dimensions"]):
            assert [norm(b["text"]) for b in dim["behaviours"]] == [norm(b) for b in seed_dim.bullets], dim["id"]


def test_craft_intro_and_lifecycle_footnote(seed, doc):
    _, _, areas, footnotes = seed
    craft = doc["areas"][-1]
    assert [norm(p) for p in craft["intro"]] == [norm(p) for p in areas[-1].intro]
    assert [norm(f["text"]) for f in craft["footnotes"]] == [norm(f) for f in footnotes]
    assert craft["footnotes"][0]["marker"] == "*"
    assert footnotes[0].startswith("ML development lifecycle refers to")
    # The footnote's marker is kept where the seed uses it.
    marked = [b["text"] for d in craft["dimensions"] for b in d["behaviours"] if "lifecycle*" in b["text"]]
    assert marked and "lifecycle*" in craft["intro"][0]


def test_vendored_seed_matches_its_recorded_hash():
    import hashlib

    provenance = (SEED.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert digest in provenance
