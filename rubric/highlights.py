"""Highlights first: what a reader needs on one page, and each PR or ticket shown in full only once.

``highlights(dimensions)`` picks, from a report's dimensions, the calibrated strengths (solid and strong
dimensions), per area the few most telling evidence items, and the observable behaviours with no
evidence yet.  ``evidence_index(report)`` numbers every thread (PR, ticket, review thread, incident)
once and names the behaviour it is shown under in full — the one where it weighs most — so the full
evidence lists each PR or ticket once and refers to it by number elsewhere.

Items are ordered, never people: nothing here reads anyone but the report's own person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

STRENGTH_ORDER = {"none": 0, "emerging": 1, "solid": 2, "strong": 3}
HIGHLIGHTS_PER_AREA = 3  # in an area holding a solid or strong behaviour; 2 elsewhere (one printed page)
TREND_ARROWS = {"up": "↑", "down": "↓", "same": "→"}


def _telling(entry: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> tuple:
    """Most telling first: the behaviour's calibrated strength, the item's weight, an excerpt to quote,
    then the most recent (ids break ties, so the choice is stable)."""
    _, beh, item = entry
    return (
        -STRENGTH_ORDER.get(beh.get("strength") or "none", 0),
        -float(item["weight"]),
        item.get("excerpt") is None,
        -_stamp(item.get("occurred_at")),
        item["activity_id"],
    )


def _stamp(value: str | None) -> float:
    if not value:
        return float("-inf")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def highlights(dimensions: list[dict[str, Any]], per_area: int = HIGHLIGHTS_PER_AREA) -> dict[str, Any]:
    """The one-page summary of a report's dimensions (docs/report-schema.md ``highlights``): per area the
    ``per_area`` most telling items where a behaviour stands out (solid or strong), one fewer elsewhere."""
    strengths = []
    for d in dimensions:
        if d["observable"] and d["strength"] in ("solid", "strong"):
            basis = d.get("strength_basis") or {}
            beh = next((b for b in d["behaviours"] if b["id"] == basis.get("behaviour_id")), None)
            strengths.append(
                {
                    "dimension_id": d["id"],
                    "area": d["area"],
                    "title": d["title"],
                    "strength": d["strength"],
                    "behaviour_id": basis.get("behaviour_id"),
                    "behaviour_text": beh["text"] if beh else None,
                    "typical": basis.get("typical"),
                }
            )
    areas: dict[str, list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]] = {}
    for d in dimensions:
        pool = areas.setdefault(d["area"], [])
        for b in d["behaviours"]:
            for item in b.get("evidence") or []:
                pool.append((d, b, item))
    seen: set[str] = set()
    picked = []
    for area_id, pool in areas.items():
        ordered = sorted(pool, key=_telling)
        stands_out = any(b.get("strength") in ("solid", "strong") for _, b, _ in pool)
        limit = per_area if stands_out else per_area - 1
        chosen: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
        # First the best item of each behaviour (a rare behaviour's item beats a common one's second),
        # then the rest in order; a thread already picked (here or in another area) is not picked again.
        for rest in (False, True):
            used_behaviours = {b["id"] for _, b, _ in chosen}
            for d, b, item in ordered:
                if len(chosen) >= limit:
                    break
                if item["thread_id"] in seen or (not rest and b["id"] in used_behaviours):
                    continue
                chosen.append((d, b, item))
                seen.add(item["thread_id"])
                used_behaviours.add(b["id"])
        picked.append(
            {
                "area": area_id,
                "items": [
                    {
                        **item,
                        "dimension_id": d["id"],
                        "dimension_title": d["title"],
                        "behaviour_strength": b.get("strength") or "none",
                    }
                    for d, b, item in chosen
                ],
            }
        )
    no_evidence = [
        {"dimension_id": d["id"], "dimension_title": d["title"], "behaviour_id": b["id"], "text": b["text"]}
        for d in dimensions
        for b in d["behaviours"]
        if b["observable"] and b["evidence_count"] == 0
    ]
    return {"strengths": strengths, "items": picked, "no_evidence": no_evidence}


def evidence_index(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{thread_id: {"number": n, "behaviour_id": where it is shown in full}}``.

    The highlights' items are shown in full there (``behaviour_id`` ``"highlights"``) and numbered first;
    every other thread is shown in full under the behaviour where it weighs most (ties: the first in the
    rubric's order), numbered in the order shown.  Everywhere else a thread is referred to by number."""
    index: dict[str, dict[str, Any]] = {}
    for group in (report.get("highlights") or {}).get("items", []):
        for item in group["items"]:
            index.setdefault(item["thread_id"], {"number": len(index) + 1, "behaviour_id": "highlights"})
    best: dict[str, tuple[float, int, str]] = {}
    order = 0
    for d in report["dimensions"]:
        for b in d["behaviours"]:
            for item in b.get("evidence") or []:
                order += 1
                key = (-float(item["weight"]), order, b["id"])
                if item["thread_id"] not in best or key < best[item["thread_id"]]:
                    best[item["thread_id"]] = key
    for d in report["dimensions"]:
        for b in d["behaviours"]:
            for item in b.get("evidence") or []:
                tid = item["thread_id"]
                if tid not in index and best[tid][2] == b["id"]:
                    index[tid] = {"number": len(index) + 1, "behaviour_id": b["id"]}
    return index
