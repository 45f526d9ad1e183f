"""Write a ladder.yaml (+ roster, + .env with the sandbox's tokens) that points ``ladder sync`` at a sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from sandbox.state import pool_tokens
from sandbox.world import World

GITHUB_TOKEN_ENV = "LADDER_SANDBOX_GITHUB_TOKEN"
JIRA_TOKEN_ENV = "LADDER_SANDBOX_JIRA_TOKEN"
JIRA_EMAIL_ENV = "LADDER_SANDBOX_JIRA_EMAIL"
OAUTH_CLIENT_ID_ENV = "LADDER_SANDBOX_OAUTH_CLIENT_ID"
OAUTH_CLIENT_SECRET_ENV = "LADDER_SANDBOX_OAUTH_CLIENT_SECRET"


def github_token_envs(tokens: int = 1) -> list[str]:
    """The variables a config with a pool of ``tokens`` GitHub tokens names: ``LADDER_SANDBOX_GITHUB_TOKEN``,
    then ``..._2``, ``..._3``, ..."""
    return [GITHUB_TOKEN_ENV] + [f"{GITHUB_TOKEN_ENV}_{i}" for i in range(2, tokens + 1)]


def sandbox_env(world: World, tokens: int = 1) -> dict[str, str]:
    """The token variables the written config names, with the world's service credentials (``tokens``: how many
    GitHub tokens, each with a budget of its own: ``sandbox.state.pool_tokens``).

    Sandbox tokens are not secrets: they only open the local sandbox.
    """
    env = {
        **dict(zip(github_token_envs(tokens), pool_tokens(world, tokens))),
        JIRA_TOKEN_ENV: world.tokens.service,
        OAUTH_CLIENT_ID_ENV: world.tokens.oauth_client_id,
        OAUTH_CLIENT_SECRET_ENV: world.tokens.oauth_client_secret,
    }
    if world.jira_flavour == "cloud":
        env[JIRA_EMAIL_ENV] = world.tokens.service_jira_email
    return env


def build_sandbox_config(
    world: World, server, *, warehouse: str = "ladder.duckdb", reports_dir: str = "reports", tokens: int = 1
) -> dict:
    """The config document (a dict) for ``world`` served by ``server`` (``tokens`` > 1: a GitHub credential pool)."""
    github: dict = {"base_url": server.github_url}
    if tokens > 1:
        github["credentials"] = [{"token_env": env} for env in github_token_envs(tokens)]
    else:
        github["token_env"] = GITHUB_TOKEN_ENV
    github["orgs"] = [world.org]
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
        "github": github,
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


def write_sandbox_config(world: World, server, path: Path, tokens: int = 1) -> Path:
    """Write PATH (config), roster.yaml beside it, and PATH.env with NAME=value token lines (``tokens`` GitHub
    tokens: more than one makes the config's ``github.credentials`` a pool)."""
    from sandbox.roster import roster_from_world

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Points ladder at the sandbox world {world.name!r} served on {server.base_url}.\n"
        f"# Load the tokens first:  set -a; . {path.name}.env; set +a\n"
    )
    document = build_sandbox_config(world, server, tokens=tokens)
    path.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    (path.parent / "roster.yaml").write_text(
        "# Roster of the sandbox company (generated from the world file).\n"
        + yaml.safe_dump(roster_from_world(world, history=True), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    env_lines = "".join(f"{k}={v}\n" for k, v in sandbox_env(world, tokens).items())
    Path(f"{path}.env").write_text(env_lines, encoding="utf-8")
    return path
