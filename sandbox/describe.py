"""What is in a world file: counts of people, activity and planted personas (``ladder sandbox describe``)."""

from __future__ import annotations

import collections
import json
from typing import Any

import click

from sandbox.world import World, read_world

COUNT_KEYS = (
    "people",
    "humans",
    "bots",
    "teams",
    "repos",
    "pull_requests",
    "reviews",
    "review_comments",
    "issue_comments",
    "review_requests",
    "commits",
    "jira_projects",
    "tickets",
    "incidents",
)


def describe_world(world: World) -> dict[str, Any]:
    """Counts of everything in ``world`` plus its period, identities, career moves and personas.

    Keys: ``name``, ``seed``, ``period_start``, ``period_end``, ``now``, the
    counts in ``COUNT_KEYS``, ``personas`` ({persona: people}), ``identities``
    (renamed logins, people with a noreply e-mail or an unlinked commit
    e-mail, co-authored commits, deleted accounts) and ``career`` (team moves
    and level changes).
    """
    prs = world.pull_requests
    humans = [p for p in world.people if not p.is_bot]
    personas = collections.Counter(name for p in world.people for name in p.personas)
    counts = {
        "people": len(world.people),
        "humans": len(humans),
        "bots": len(world.people) - len(humans),
        "teams": len(world.teams),
        "repos": len(world.repos),
        "pull_requests": len(prs),
        "reviews": sum(len(pr.reviews) for pr in prs),
        "review_comments": sum(len(pr.review_comments) for pr in prs),
        "issue_comments": sum(len(pr.issue_comments) for pr in prs),
        "review_requests": sum(len(pr.review_requests) for pr in prs),
        "commits": sum(len(pr.commits) for pr in prs),
        "jira_projects": len(world.jira_projects),
        "tickets": len(world.jira_issues),
        "incidents": sum(1 for i in world.jira_issues if i.issue_type == "Incident"),
    }
    commits = [c for pr in prs for c in pr.commits]
    return {
        "name": world.name,
        "seed": world.seed,
        "period_start": world.period_start.isoformat(),
        "period_end": world.period_end.isoformat(),
        "now": world.now.isoformat(),
        **counts,
        "personas": dict(sorted(personas.items())),
        "identities": {
            "renamed_logins": sum(1 for p in humans if p.former_logins),
            "with_noreply_email": sum(1 for p in humans if any("@users.noreply.github.com" in e for e in p.emails)),
            "with_unlinked_commit_email": sum(1 for p in humans if p.unlinked_emails),
            "commits_without_account": sum(1 for c in commits if c.author is None),
            "co_authored_commits": sum(1 for c in commits if "Co-authored-by:" in c.message),
            "deleted_accounts": sum(1 for p in humans if p.deleted),
        },
        "career": {
            "team_moves": sum(len(p.team_changes) for p in humans),
            "level_changes": sum(len(p.level_changes) for p in humans),
        },
    }


def render_text(summary: dict[str, Any]) -> str:
    """The human-readable form: one ``key: value`` line per count, then the nested groups."""
    lines = [f"world {summary['name']} (seed {summary['seed']}), {summary['period_start']} .. {summary['period_end']}"]
    lines += [f"  {key:<16} {summary[key]:>8,}" for key in COUNT_KEYS]
    for group in ("personas", "identities", "career"):
        lines.append(f"{group}:")
        lines += [f"  {key:<26} {value:>6,}" for key, value in summary[group].items()] or ["  (none)"]
    return "\n".join(lines)


@click.command("describe")
@click.option("--world", "world_path", required=True, type=click.Path(dir_okay=False), help="The world JSON file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def describe_command(world_path: str, as_json: bool) -> None:
    """Print what a world file holds: people, teams, repos, PRs, reviews, tickets, incidents, personas."""
    summary = describe_world(read_world(world_path))  # WorldError: the CLI turns it into exit code 2
    click.echo(json.dumps(summary, indent=1, ensure_ascii=False) if as_json else render_text(summary))


def register(sandbox_group: click.Group) -> None:
    """Add ``describe`` to the ``ladder sandbox`` group."""
    sandbox_group.add_command(describe_command)
