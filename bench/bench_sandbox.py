"""Sandbox server throughput: REST requests per second over loopback with a few client threads.

Each thread keeps one persistent HTTP/1.1 connection (``http.client``) and
cycles through the REST reads the miner sends on a nightly run (each repo's
review comments of the last day, ``since``; the org's teams, each team's
members and repos; everything else it reads over GraphQL).
Bounded by both a request count and a time limit.  Prints one JSON line.

    python -m bench.bench_sandbox [--threads 4] [--requests 3000] [--seconds 20] [--engineers 40] [--faults NAME]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import threading
import time

from sandbox.generate import generate_world
from sandbox.server import SandboxServer


def _paths(world) -> list[str]:
    since = (world.now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # a nightly run's window
    out = [f"/api/v3/orgs/{world.org}/teams"]
    for repo in world.repos:
        out.append(
            f"/api/v3/repos/{repo.full_name}/pulls/comments?since={since}&sort=updated&direction=asc&per_page=100"
        )
    for team in world.teams:
        out += [f"/api/v3/orgs/{world.org}/teams/{team.id}/members", f"/api/v3/orgs/{world.org}/teams/{team.id}/repos"]
    return out


def run(threads: int, total: int, seconds: float, engineers: int, faults: str | None) -> dict:
    """Serve a generated world and hammer it; returns requests, seconds, requests/s and statuses."""
    from sandbox.faults import load_profile

    world = generate_world(engineers=engineers, months=1, seed=1)
    paths = _paths(world)
    headers = {"Authorization": f"token {world.tokens.service}"}
    with SandboxServer(world, faults=load_profile(faults) if faults else None) as server:
        server.state.__dict__["github"].rate_limit = 10**9  # measuring speed, not the budget
        lock = threading.Lock()
        sent = {"n": 0}
        statuses: dict[int, int] = {}
        deadline = time.perf_counter() + seconds

        def worker(offset: int) -> None:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
            i = offset
            while time.perf_counter() < deadline:
                with lock:
                    if sent["n"] >= total:
                        break
                    sent["n"] += 1
                try:
                    conn.request("GET", paths[i % len(paths)], headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (ConnectionError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
                    status = 0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                i += 7
            conn.close()

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(k * 13,)) for k in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        served = server.state.stats()["github"]["rest_requests"]
    done = sum(statuses.values())
    return {
        "threads": threads,
        "requests": done,
        "server_counted": served,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(done / elapsed, 1),
        "statuses": statuses,
        "engineers": engineers,
        "faults": faults,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--faults", default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.threads, args.requests, args.seconds, args.engineers, args.faults)))


if __name__ == "__main__":
    main()
