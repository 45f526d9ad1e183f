"""An engineer's self-review draft: per area their strongest evidence as bullets to edit, and prompts for
what the data cannot see.

Built from the person's own report dict (``build_report``), nothing else: the draft is theirs to rewrite.
"""

from __future__ import annotations

from typing import Any

from rubric.highlights import STRENGTH_ORDER

ITEMS_PER_AREA = 5


def _strongest(items: list[tuple[dict, dict, dict]], seen: set[str], limit: int) -> list[tuple[dict, dict, dict]]:
    """The ``limit`` strongest items (the behaviour's strength, then the item's weight), each PR or ticket once
    in the whole draft (``seen``)."""

    def key(entry: tuple[dict, dict, dict]) -> tuple:
        _, b, item = entry
        return (-STRENGTH_ORDER.get(b.get("strength") or "none", 0), -float(item["weight"]), item["activity_id"])

    out: list[tuple[dict, dict, dict]] = []
    for entry in sorted(items, key=key):
        if len(out) >= limit:
            break
        if entry[2]["thread_id"] in seen:
            continue
        seen.add(entry[2]["thread_id"])
        out.append(entry)
    return out


def self_review(report: dict[str, Any], per_area: int = ITEMS_PER_AREA) -> list[dict[str, Any]]:
    """Per area: ``items`` (the strongest evidence, each thread once), ``unseen`` (behaviours the data cannot
    show, with why) and ``quiet`` (behaviours it could show but found nothing for in the period)."""
    areas = []
    seen: set[str] = set()
    for area in report["areas"]:
        dims = [d for d in report["dimensions"] if d["area"] == area["id"]]
        pool = [(d, b, item) for d in dims for b in d["behaviours"] for item in b.get("evidence") or []]
        items = [
            {**item, "dimension_title": d["title"], "behaviour_text": b["text"], "behaviour_strength": b["strength"]}
            for d, b, item in _strongest(pool, seen, per_area)
        ]
        unseen = [
            {"dimension_title": d["title"], "text": c["text"], "why": c["why"]} for d in dims for c in d["cannot_show"]
        ]
        quiet = [
            {"dimension_title": d["title"], "text": b["text"]}
            for d in dims
            for b in d["behaviours"]
            if b["observable"] and b["evidence_count"] == 0
        ]
        areas.append({"id": area["id"], "title": area["title"], "items": items, "unseen": unseen, "quiet": quiet})
    return areas
