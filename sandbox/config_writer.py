"""Write a ladder.yaml (+ roster, + .env with the sandbox's tokens) that points ``ladder sync`` at a sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from sandbox.world import World

GITHUB_TOKEN_ENV = "LADDER_SANDBOX_GITHUB_TOKEN"
JIRA_TOKEN_ENV = "LADDER_SANDBOX_JIRA_TOKEN"
JIRA_EMAIL_ENV = "LADDER_SANDBOX_JIRA_EMAIL"
OAUTH_CLIENT_ID_ENV = "LADDER_SANDBOX_OAUTH_CLIENT_ID"
OAUTH_CLIENT_SECRET_ENV = "LADDER_SANDBOX_OAUTH_CLIENT_SECRET"


def sandbox_env(world: World) -> dict[str, str]:
    """The token variables the written config names, with the world's service credentials.

    Sandbox tokens are not secrets: they only open the local sandbox.
    """
    env = {
        GITHUB_TOKEN_ENV: world.tokens.service,
        JIRA_TOKEN_ENV: world.tokens.service,
        OAUTH_CLIENT_ID_ENV: world.tokens.oauth_client_id,
        OAUTH_CLIENT_SECRET_ENV: world.tokens.oauth_client_secret,
    }
    if world.jira_flavour == "cloud":
        env[JIRA_EMAIL_ENV] = world.tokens.service_jira_email
    return env


def build_sandbox_config(
    world: World, server, *, warehouse: str = "ladder.duckdb", reports_dir: str = "reports"
) -> dict:
    """The config document (a dict) for ``world`` served by ``server``."""
    jira = {
        "url": server.jira_url,
        "flavour": world.jira_flavour,
        "token_env": JIRA_TOKEN_ENV,
        "projects": [p.key for p in world.jira_projects],
        "incident_types": ["Incident"],
    }
    if world.jira_flavour == "cloud":
        jira["email_env"] = JIRA_EMAIL_ENV
    return {
        "version": 1,
        "warehouse": warehouse,
        "roster": "roster.yaml",
        "github": {
            "base_url": server.github_url,
            "token_env": GITHUB_TOKEN_ENV,
            "orgs": [world.org],
        },
        "jira": jira,
        "classifiers": {"model_dir": "models"},
        "reports": {
            "out_dir": reports_dir,
            "formats": ["md", "html", "json"],
            "since": world.period_start.date().isoformat(),
            # the report period is inclusive; period_end is an exclusive instant
            "until": (world.period_end - dt.timedelta(microseconds=1)).date().isoformat(),
        },
        # `ladder serve` signs people in through the sandbox's OAuth app (sandbox.github.oauth).
        "web": {"oauth_client_id_env": OAUTH_CLIENT_ID_ENV, "oauth_client_secret_env": OAUTH_CLIENT_SECRET_ENV},
    }


def write_sandbox_config(world: World, server, path: Path) -> Path:
    """Write PATH (config), roster.yaml beside it, and PATH.env with NAME=value token lines."""
    from sandbox.roster import roster_from_world

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Points ladder at the sandbox world {world.name!r} served on {server.base_url}.\n"
        f"# Load the tokens first:  set -a; . {path.name}.env; set +a\n"
    )
    path.write_text(header + yaml.safe_dump(build_sandbox_config(world, server), sort_keys=False), encoding="utf-8")
    (path.parent / "roster.yaml").write_text(
        "# Roster of the sandbox company (generated from the world file).\n"
        + yaml.safe_dump(roster_from_world(world, history=True), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    env_lines = "".join(f"{k}={v}\n" for k, v in sandbox_env(world).items())
    Path(f"{path}.env").write_text(env_lines, encoding="utf-8")
    return path
