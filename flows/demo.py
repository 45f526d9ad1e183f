"""``ladder demo``: the whole product on a synthetic company, no token needed."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from flows.config import ConfigError

_DEMO_MARKER = "world.json"
_DEMO_OUTPUTS = (
    "world.json",
    "ladder.yaml",
    "ladder.yaml.env",
    "roster.yaml",
    "ladder.duckdb",
    "ladder.duckdb.wal",
    "reports",
    "models",
)


def _prepare_out(out: Path) -> None:
    """Use an empty folder or clear a previous demo's outputs; never touch anything else."""
    if out.exists() and any(out.iterdir()):
        if not (out / _DEMO_MARKER).exists():
            raise ConfigError(f"{out} is not empty and holds no earlier demo; choose an empty folder with --out.")
        for name in _DEMO_OUTPUTS:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def run_demo(out: Path, *, engineers: int = 40, seed: int = 7, echo: Callable[[str], None] = print) -> dict:
    """Generate a world, serve it on loopback, run the nightly flow against it through the real clients."""
    from flows.nightly import run_nightly
    from sandbox.config_writer import sandbox_env, write_sandbox_config
    from sandbox.generate import generate_world
    from sandbox.server import SandboxServer
    from sandbox.world import write_world

    started = time.monotonic()
    _prepare_out(out)
    echo(f"[1/3] generating a synthetic company: {engineers} engineers, seed {seed}")
    world = generate_world(engineers=engineers, seed=seed)
    write_world(world, out / "world.json")
    echo(
        f"      {len(world.people)} people, {len(world.teams)} teams, {len(world.repos)} repos, "
        f"{len(world.pull_requests)} pull requests, {len(world.jira_issues)} Jira issues"
    )
    with SandboxServer(world) as server:
        config_path = write_sandbox_config(world, server, out / "ladder.yaml")
        os.environ.update(sandbox_env(world))
        echo(f"[2/3] serving it on {server.base_url} (GitHub REST {server.github_url}, Jira {server.jira_url})")
        echo("[3/3] running the nightly flow: mine → load → classify → evidence → reports")
        result = run_nightly(config_path)
        stats = server.state.stats()
    reports_dir = out / "reports"
    n_reports = len(list(reports_dir.glob("*.json")))
    n_teams = len(list((reports_dir / "teams").glob("*.json")))
    gh = stats["github"]
    echo("")
    echo(
        f"done in {time.monotonic() - started:.0f}s: {n_reports} engineers, reports in md, html and json; "
        f"{n_teams} team pages (managers get no IC report: their level has no rubric in the config)"
    )
    echo(
        f"  API cost:     GitHub {gh.get('rest_requests', 0)} REST + {gh.get('graphql_requests', 0)} GraphQL requests "
        f"({gh.get('graphql_points', 0)} points), Jira {stats['jira'].get('requests', 0)} requests"
    )
    echo(f"  start here:   {reports_dir / 'index.html'}  (or index.md; team pages in teams/, 1:1 prep sheets in prep/)")
    echo(
        "  links:        evidence links point at the synthetic company (github.acme.test never resolves; Jira links "
        "used this run's temporary port), so they do not open after the demo; each report says so"
    )
    echo(f"  warehouse:    {out / 'ladder.duckdb'}")
    echo(f"  config:       {config_path}  (try: ladder report --config {config_path} --engineer LOGIN)")
    return {"result": result, "stats": stats, "reports_dir": reports_dir}
