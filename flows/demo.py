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
    "ladder.duckdb.snapshots",
    "ladder.duckdb.feedback.sqlite",
    "ladder.duckdb.feedback.sqlite-wal",
    "ladder.duckdb.feedback.sqlite-shm",
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


def demo_sign_ins(world) -> list[tuple[str, str, str]]:
    """Two people to sign in as: an engineer with a manager, and that manager ((role, login, password))."""
    people = {p.login: p for p in world.people if p.token and not p.deleted and not p.is_bot}
    for person in sorted(people.values(), key=lambda p: p.login):
        boss = people.get(person.manager or "")
        if boss is not None and not person.level.startswith("M"):
            return [("engineer", person.login, person.token), ("their manager", boss.login, boss.token)]
    return []


def run_demo(
    out: Path,
    *,
    engineers: int = 40,
    seed: int = 7,
    echo: Callable[[str], None] = print,
    serve: bool = False,
    port: int = 8080,
) -> dict:
    """Generate a world, serve it on loopback, run the nightly flow against it through the real clients;
    with ``serve``, then run ``ladder serve`` on it too until Ctrl-C, which stops both."""
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
        if serve:
            _serve(config_path, world, server, port, echo)
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


def _serve(config_path: Path, world, sandbox, port: int, echo: Callable[[str], None]) -> None:
    """``ladder serve`` on the demo company in the foreground (the sandbox keeps answering its OAuth)."""
    from flows.config import read_config
    from flows.web.serve import WebServer

    web = WebServer(read_config(config_path), "127.0.0.1", port)
    echo("")
    echo(f"ladder serve: {web.url}  (sign in with GitHub: the sandbox at {sandbox.base_url} plays GitHub)")
    for role, login, password in demo_sign_ins(world):
        echo(f"  {role + ':':16} login {login}, password {password}")
    echo("Ctrl-C stops the web app and the sandbox.")
    web.run()
    echo("stopped: the web app and the sandbox")
