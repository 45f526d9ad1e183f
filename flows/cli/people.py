"""``ladder identities``: who is behind each account, what is unmatched, and ownership disagreements.

``register(main)`` adds the command to the ``ladder`` group; the stage it shares with the nightly
flow (resolve, store links) is ``flows.people.sync_identities``.  The
matching is ``miners.people.identity``; the SQL is ``warehouse``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from flows.cli.options import config_option
from flows.people import overrides_path, sync_identities
from flows.terminal import clean


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
    @config_option
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def identities(config_path: str, as_json: bool) -> None:
        """List unmatched GitHub/Jira accounts with suggested roster people, and ownership disagreements."""
        from flows.config import ConfigError, read_config

        config = read_config(config_path)
        if not config.warehouse_path.exists():
            raise ConfigError(
                f"{config.source_path}: no warehouse at {config.warehouse_path}: `ladder identities` resolves the "
                "accounts a sync stored; run `ladder sync` first (or fix `warehouse:` in the config)."
            )
        summary = sync_identities(config)
        if as_json:  # json.dumps escapes every control and non-ASCII character
            click.echo(json.dumps(summary, indent=1, sort_keys=True))
        else:
            click.echo(clean(render_text(summary, overrides_path(config))))
