"""The identity stage shared by the nightly flow and ``ladder identities``: resolve accounts, store links, summarise.

The matching is ``miners.people.identity``; the SQL is ``warehouse``; the command's text is ``flows.cli.people``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.config import LadderConfig
from warehouse.report_facts import IDENTITY_MEMO as RESOLVED  # the last resolution that changed no link


def overrides_path(config: LadderConfig) -> Path | None:
    """The config's ``identities:`` overrides file, resolved next to the config (None when unset)."""
    return config.resolve(getattr(config, "identities", None))


def sync_identities(config: LadderConfig, *, overrides: Path | None = None) -> dict[str, Any]:
    """Resolve every account in the warehouse against the roster, honouring the overrides file; store the links."""
    from flows.writer import open_writer
    from miners.people.overrides import read_overrides

    decisions = read_overrides(overrides if overrides is not None else overrides_path(config))
    with open_writer(config) as wh:
        return _resolve(wh, decisions)[0]


def _resolve(wh: Any, decisions: Any) -> tuple[dict[str, Any], int]:
    """Resolve and store the links in ``wh``: (the summary, link rows changed)."""
    resolution, changed = wh.resolve_identities_counted(decisions)
    return build_summary(resolution, wh.query_audit_rows("ownership_disagreement", limit=1000)), changed


def sync_identities_unless_settled(config: LadderConfig) -> tuple[dict[str, Any], bool]:
    """The nightly's identity stage: ``sync_identities``, unless nothing it reads changed since a resolution that
    changed no link (then its stored summary, and False).

    What it reads, digested (``Warehouse.identity_inputs_digest``): each raw table's row count and newest
    ``fetched_at``, the identity links, the views, the overrides and the matching code.  Resolution is
    deterministic, so the same inputs give the same links; it is only remembered when it left the links as
    it found them (its own output is one of its inputs), so a skipped night is exactly what resolving gives."""
    import json

    from flows.writer import open_writer
    from miners.people.overrides import read_overrides

    decisions = read_overrides(overrides_path(config))
    with open_writer(config) as wh:
        digest = wh.identity_inputs_digest(decisions)
        stored = wh.read_stage_version(RESOLVED)
        if stored is not None:
            settled = json.loads(stored)
            if settled.get("inputs") == digest:
                return settled["summary"], False
        summary, changed = _resolve(wh, decisions)
        if changed == 0:
            wh.write_stage_version(RESOLVED, json.dumps({"inputs": digest, "summary": summary}, sort_keys=True))
    return summary, True


def build_summary(resolution: Any, disagreements: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON-able summary of a resolution: counts, automatic links, unmatched accounts with suggestions."""
    suggestions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in resolution.suggestions:
        suggestions.setdefault((s.system, s.identity), []).append(
            {"person_id": s.person_id, "score": s.score, "reason": s.reason}
        )
    methods: dict[str, int] = {}
    for m in resolution.matches:
        methods[m.method] = methods.get(m.method, 0) + 1
    return {
        "matched": len(resolution.matches),
        "matched_by": dict(sorted(methods.items())),
        "links": [
            {
                "system": m.system,
                "identity": m.identity,
                "person_id": m.person_id,
                "method": m.method,
                "reason": m.reason,
            }
            for m in resolution.matches
            if m.method != "roster"
        ],
        "unmatched": [
            {
                "system": a.system,
                "identity": a.identity,
                "display_name": a.display_name,
                "suggestions": suggestions.get((a.system, a.identity), []),
            }
            for a in resolution.unmatched
        ],
        "bots": sorted(f"{a.system}:{a.identity}" for a in resolution.bots),
        "override_problems": list(resolution.problems),
        "ownership_disagreements": [
            {
                "repo": d["repo"],
                "roster_team_id": d["roster_team_id"],
                "other_source": d["other_source"],
                "other_team_ids": list(d["other_team_ids"]),
            }
            for d in disagreements
        ],
    }
