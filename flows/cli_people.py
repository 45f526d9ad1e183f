"""``ladder identities``: who is behind each account, what is unmatched, and ownership disagreements.

``register(main)`` adds the command to the ``ladder`` group; ``sync_identities``
is the stage the nightly flow runs after mining (resolve, store links).  The
matching is ``miners.identity``; the SQL is ``warehouse``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from flows.config import DEFAULT_CONFIG_NAME, LadderConfig


def overrides_path(config: LadderConfig) -> Path | None:
    """The config's ``identities:`` overrides file, resolved next to the config (None when unset)."""
    return config.resolve(getattr(config, "identities", None))


def sync_identities(config: LadderConfig, *, overrides: Path | None = None) -> dict[str, Any]:
    """Resolve every account in the warehouse against the roster, honouring the overrides file; store the links."""
    from miners.identity_overrides import read_overrides
    from warehouse import open_warehouse

    decisions = read_overrides(overrides if overrides is not None else overrides_path(config))
    with open_warehouse(config.warehouse_path) as wh:
        resolution = wh.resolve_identities(decisions)
        disagreements = wh.query_audit_rows("ownership_disagreement", limit=1000)
    return build_summary(resolution, disagreements)


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


def render_text(summary: dict[str, Any], overrides: Path | None) -> str:
    """The human-readable report of ``ladder identities``."""
    by = ", ".join(f"{k} {v}" for k, v in summary["matched_by"].items()) or "none"
    lines = [
        f"matched accounts: {summary['matched']} ({by}); unmatched: {len(summary['unmatched'])}; "
        f"bots excluded: {len(summary['bots'])}"
    ]
    for link in summary["links"]:
        lines.append(f"  linked {link['system']}:{link['identity']} -> {link['person_id']} ({link['reason']})")
    if summary["unmatched"]:
        lines.append("")
        lines.append("unmatched accounts (credited to nobody until accepted in the overrides file):")
    for acc in summary["unmatched"]:
        name = f" ({acc['display_name']})" if acc["display_name"] else ""
        lines.append(f"  {acc['system']}:{acc['identity']}{name}")
        for s in acc["suggestions"]:
            lines.append(f"      maybe {s['person_id']} [{s['score']:.2f}]: {s['reason']}")
    if summary["unmatched"]:
        target = overrides or Path("identities.yaml")
        lines.append("")
        lines.append(f"to decide, add to {target} (and `identities: {target.name}` to the config):")
        lines.append(
            "  accept:\n    - {github: LOGIN, person: PERSON_ID}\n  reject:\n    - {github: LOGIN, person: PERSON_ID}"
        )
    for problem in summary["override_problems"]:
        lines.append(f"override ignored: {problem}")
    if summary["ownership_disagreements"]:
        lines.append("")
        lines.append("ownership disagreements (the roster wins):")
    for d in summary["ownership_disagreements"]:
        lines.append(
            f"  {d['repo']}: roster says {d['roster_team_id']}, {d['other_source']} says "
            f"{', '.join(d['other_team_ids'])}"
        )
    return "\n".join(lines)


def register(main: click.Group) -> None:
    """Add ``ladder identities`` to the ``ladder`` command group."""

    @main.command("identities")
    @click.option(
        "--config",
        "config_path",
        default=DEFAULT_CONFIG_NAME,
        show_default=True,
        metavar="PATH",
        help="The ladder.yaml to use.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def identities(config_path: str, as_json: bool) -> None:
        """List unmatched GitHub/Jira accounts with suggested roster people, and ownership disagreements."""
        from flows.config import read_config

        config = read_config(config_path)
        summary = sync_identities(config)
        if as_json:
            click.echo(json.dumps(summary, indent=1, sort_keys=True))
        else:
            click.echo(render_text(summary, overrides_path(config)))
