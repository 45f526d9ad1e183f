"""`make bench`: time each pipeline stage and meter API cost on a sandbox company.

Prints a Markdown table to paste into docs/benchmarks.md.  Ratios, not
absolute times, are what to compare across machines: the baseline here is
the first (full) sync of the same world in the same run.

    python -m bench [--engineers N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from flows import stages
from flows.config import read_config
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.server import SandboxServer


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def _cost(server) -> dict:
    stats = server.state.stats()
    gh = stats["github"]
    return {
        "github": gh.get("rest_counted", 0) + gh.get("graphql_points", 0),
        "github_all": gh.get("rest_requests", 0) + gh.get("graphql_requests", 0),
        "jira": stats["jira"].get("requests", 0),
    }


def _reset(server) -> None:
    with server.state.lock:
        server.state.counts.clear()


def run(engineers: int, seed: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    world, gen_s = _timed(generate_world, engineers=engineers, seed=seed)
    n_prs, n_tickets = len(world.pull_requests), len(world.jira_issues)
    n_repos = len([r for r in world.repos if not r.archived])
    rows.append(("generate world", f"{gen_s:.2f} s", f"{engineers} engineers: {n_prs} PRs, {n_tickets} tickets"))
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(world) as server:
        config_path = write_sandbox_config(world, server, Path(tmp) / "ladder.yaml")
        os.environ.update(sandbox_env(world))
        config = read_config(config_path)
        stages.sync_roster(config)
        _, gh_s = _timed(stages.sync_github, config)
        gh = _cost(server)
        _reset(server)
        _, jira_s = _timed(stages.sync_jira, config)
        jr = _cost(server)
        _reset(server)
        rows.append(
            (
                "full GitHub sync",
                f"{gh_s:.2f} s",
                f"{gh['github']} budget units (GraphQL points + counted REST)"
                f" = {gh['github'] / max(n_prs, 1):.3f} per PR",
            )
        )
        rows.append(
            (
                "full Jira sync",
                f"{jira_s:.2f} s",
                f"{jr['jira']} requests = {jr['jira'] / max(n_tickets, 1):.3f} per ticket",
            )
        )
        _, cls_s = _timed(stages.classify, config)
        _, ev_s = _timed(stages.build_evidence, config)
        _, rep_s = _timed(stages.write_reports, config)
        rows.append(("classify", f"{cls_s:.2f} s", ""))
        rows.append(("evidence", f"{ev_s:.2f} s", ""))
        rows.append(("reports (md+html+json)", f"{rep_s:.2f} s", f"{len(world.people)} people"))
        _, gh2_s = _timed(stages.sync_github, config)
        gh2 = _cost(server)
        _reset(server)
        _, jira2_s = _timed(stages.sync_jira, config)
        jr2 = _cost(server)
        rows.append(
            (
                "nightly GitHub sync, nothing changed",
                f"{gh2_s:.2f} s ({gh2_s / gh_s:.2%} of full)",
                f"{gh2['github']} budget units = {gh2['github'] / n_repos:.2f} per repo "
                f"({gh2['github_all']} requests incl. 304s)",
            )
        )
        rows.append(
            (
                "nightly Jira sync, nothing changed",
                f"{jira2_s:.2f} s ({jira2_s / jira_s:.2%} of full)",
                f"{jr2['jira']} requests = {jr2['jira'] / len(world.jira_projects):.1f} per project",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = run(args.engineers, args.seed)
    print(f"\n`python -m bench --engineers {args.engineers} --seed {args.seed}`\n")
    print("| step | time | cost |\n|---|---|---|")
    for step, secs, cost in rows:
        print(f"| {step} | {secs} | {cost} |")


if __name__ == "__main__":
    main()
