"""Issue 13: a full sync on each task runner, same world, same run (docs/benchmarks.md, "Operations at scale").

    python -m bench.bench_ops --engineers 40 --months 3 [--runners sequential,threads,dask] [--dask-workers 4]

Generates a world (timed), serves it from a separate process (``ladder sandbox serve``, so the server does not
share this interpreter's GIL with the miners), then runs ``ladder sync --no-reports --full`` once per task runner,
each in its own process with its own fresh warehouse:

- ``sequential``: one task per source, one after the other (the nightly flow before issue 13: the baseline);
- ``threads``: per-partition tasks on threads, GitHub and Jira at once (the default);
- ``dask``: the same tasks on a local Dask cluster of ``--dask-workers`` processes (needs prefect-dask).

The sandbox counts GitHub's secondary limits (900 REST requests and 2,000 GraphQL points a minute per token) in
real minutes (``--real-time-limits``): its virtual clock stands still, and the runs together make more than one
minute's allowance.

Per run: wall time of the mining (first source run started → last finished, from ``sync_runs``), of the whole
command (including Prefect's temporary server start), peak RSS of the sync process (Dask workers are separate
processes: not included), items, requests and budget points as ``sync_runs`` recorded them (tests check they
equal the sandbox's meter).  "Virtual hours of rate limit" here is arithmetic on the measured budget: GitHub's
5,000 points per token per hour, for one token and for a pool of four; ``bench.bench_pool`` measures them on
the sandbox's virtual clock with a real credential pool.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from sandbox.generate import generate_world
from sandbox.world import write_world

BUDGET_PER_TOKEN_HOUR = 5000

_CHILD = """
import resource, sys, time
from flows.cli.main import main
started = time.perf_counter()
code = 0
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    code = exc.code or 0
except Exception as exc:  # the click Exit used for exit status 3
    code = getattr(exc, "exit_code", 1)
print("BENCH", time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the sandbox did not start on port {port}")


def _run(config: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "--quiet", "sync", "--config", str(config), "--no-reports", "--full"],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"sync failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    _, seconds, rss_kb, code = line.split()
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    con = duckdb.connect(str(config.parent / doc["warehouse"]), read_only=True)
    rows = con.execute(
        "SELECT source, epoch(started_at), epoch(finished_at), items, requests, budget_points, status "
        "FROM sync_runs WHERE source IN ('github', 'jira') ORDER BY started_at"
    ).fetchall()
    con.close()
    runs = {r[0]: r for r in rows}
    return {
        "command_s": float(seconds),
        "mining_s": max(r[2] for r in rows) - min(r[1] for r in rows),
        "peak_rss_mb": int(rss_kb) / 1024,
        "exit": int(code),
        **{
            f"{s}_{k}": runs[s][i]
            for s in runs
            for i, k in ((3, "items"), (4, "requests"), (5, "budget"), (6, "status"))
        },
        **{f"{s}_s": runs[s][2] - runs[s][1] for s in runs},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runners", default="sequential,threads")
    parser.add_argument("--dask-workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="model the network: every API answer is delayed this long (the sandbox's `slow` fault; 0: loopback)",
    )
    args = parser.parse_args()
    runners = args.runners.split(",")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        world = generate_world(engineers=args.engineers, months=args.months, seed=args.seed)
        generate_s = time.perf_counter() - started
        write_world(world, tmp / "world.json")
        port = _free_port()
        faults: list[str] = []
        if args.latency_ms:
            (tmp / "latency.yaml").write_text(
                "version: 1\nseed: 0\ndescription: modelled network latency\nrules:\n"
                f"  - kind: slow\n    rate: 1.0\n    delay_ms: {args.latency_ms}\n",
                encoding="utf-8",
            )
            faults = ["--faults", str(tmp / "latency.yaml")]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.cli",
                "sandbox",
                "serve",
                "--world",
                str(tmp / "world.json"),
                "--port",
                str(port),
                "--write-config",
                str(tmp / "base.yaml"),
                "--real-time-limits",  # secondary limits per real minute: the runs together exceed one's allowance
                *faults,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            while not (tmp / "base.yaml.env").exists():
                time.sleep(0.2)
            env = dict(os.environ)
            for line in (tmp / "base.yaml.env").read_text(encoding="utf-8").splitlines():
                key, _, value = line.partition("=")
                env[key] = value
            env.setdefault("PREFECT_HOME", str(tmp / "prefect"))
            base = yaml.safe_load((tmp / "base.yaml").read_text(encoding="utf-8"))
            results = {}
            for runner in runners:
                doc = dict(base)
                doc["warehouse"] = f"{runner}.duckdb"
                doc["run"] = {"task_runner": runner, "concurrency": args.concurrency, "dask_workers": args.dask_workers}
                config = tmp / f"{runner}.yaml"
                config.write_text(yaml.safe_dump(doc), encoding="utf-8")
                results[runner] = _run(config, env)
                print(runner, json.dumps(results[runner]), file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait(timeout=60)
    n_prs, n_tickets = len(world.pull_requests), len(world.jira_issues)
    print(
        f"\n`python -m bench.bench_ops --engineers {args.engineers} --months {args.months} --seed {args.seed} "
        f"--runners {args.runners} --concurrency {args.concurrency} "
        f"--latency-ms {args.latency_ms}`: {n_prs:,} PRs, {n_tickets:,} tickets, "
        f"{len(world.repos)} repos, {len(world.jira_projects)} projects; world generated in {generate_s:.1f} s\n"
    )
    base_s = results[runners[0]]["mining_s"]
    print(
        "| runner | mining wall time (GitHub / Jira) | vs "
        + runners[0]
        + " | whole command | peak RSS | GitHub budget (points) "
        "| Jira requests | virtual hours of GitHub rate limit: 1 token / pool of 4 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for runner, r in results.items():
        budget = r.get("github_budget", 0)
        print(
            f"| {runner} | {r['mining_s']:.1f} s ({r.get('github_s', 0):.1f} / {r.get('jira_s', 0):.1f}) "
            f"| {r['mining_s'] / base_s:.2f}x | {r['command_s']:.1f} s "
            f"| {r['peak_rss_mb']:.0f} MB | {budget:,} | {r.get('jira_requests', 0):,} "
            f"| {budget / BUDGET_PER_TOKEN_HOUR:.2f} h / {budget / BUDGET_PER_TOKEN_HOUR / 4:.2f} h |"
        )


if __name__ == "__main__":
    main()
