"""Jira miner API cost and speed on a generated company (Cloud and Data Center).

    python -m bench.bench_jira [--engineers 200] [--months 12] [--seed 1]

Prints, per flavour: tickets, full-sync requests (and per ticket), a quiet night's
requests (and per project) with and without what the warehouse knows, seconds.
"""

from __future__ import annotations

import argparse
import json
import time

from jira import JIRA

from miners.jira.miner import mine_jira
from sandbox.generate import generate_world
from sandbox.server import SandboxServer


def _client(server) -> JIRA:
    t = server.state.world.tokens
    return JIRA(server=server.jira_url, basic_auth=(t.service_jira_email, t.service), max_retries=0, timeout=120)


def measure(world) -> dict:
    projects = [p.key for p in world.jira_projects]
    out: dict = {"flavour": world.jira_flavour, "tickets": len(world.jira_issues), "projects": len(projects)}
    with SandboxServer(world) as server:
        server.state.counts.clear()
        started = time.perf_counter()
        batches = list(mine_jira(_client(server), projects, {}))
        out["full_seconds"] = round(time.perf_counter() - started, 1)
        stats = server.state.stats()["jira"]
        out["full_requests"] = stats["requests"]
        out["full_requests_per_ticket"] = round(stats["requests"] / len(world.jira_issues), 4)
        out["full_by_endpoint"] = stats["by_endpoint"]
        cursors = {b.partition: b.cursor for b in batches}
        stored = {r.key: r.updated_at for b in batches for r in b.records if r.TABLE == "raw_jira_issues"}
        for name, known in (
            ("quiet", lambda keys: {k: stored[k] for k in keys if k in stored}),
            ("quiet_without_known", None),
        ):
            server.state.counts.clear()
            started = time.perf_counter()
            list(mine_jira(_client(server), projects, cursors, known=known))
            out[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
            out[f"{name}_requests"] = server.state.stats()["jira"]["requests"]
            out[f"{name}_requests_per_project"] = round(out[f"{name}_requests"] / len(projects), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    world = generate_world(engineers=args.engineers, months=args.months, seed=args.seed)
    print(f"world: {len(world.jira_issues)} tickets in {time.perf_counter() - started:.1f} s", flush=True)
    for flavour in ("cloud", "datacenter"):
        world.jira_flavour = flavour
        print(json.dumps(measure(world), indent=1, default=str), flush=True)


if __name__ == "__main__":
    main()
