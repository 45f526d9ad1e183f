"""Issue 13: virtual hours of GitHub rate limit for a full backfill on one token vs a credential pool.

    python -m bench.bench_pool --engineers 100 --months 6 --budget 200 --reserve 2 [--pools 1,2,4] [--concurrency 4]

Generates a world, serves it in-process (``SandboxServer``), and backfills its GitHub side once per pool size,
each on a fresh sandbox: the flow's mining tasks (``plan`` then ``mine_work`` per repository, on
``--concurrency`` threads sharing one ``CredentialPool``, as ``run.task_runner: threads`` runs them; no Prefect,
no warehouse).  Each token has ``--budget`` points per hour of the sandbox's *virtual* clock for REST and the
same for GraphQL (GitHub: 5,000 each), so rate limits bite on a modest world; the miner's policy keeps
``--reserve`` of each in hand (50 by default against GitHub's 5,000).

The miner's clock and sleep are the sandbox's virtual clock: a wait for a reset moves it, and waits on several
threads at once overlap (the clock moves to the latest wake-up, not the sum).  Reported per pool size: virtual
hours from the first request to the last, the waits for a reset, the budget each token was charged (the
sandbox's meter), records read (must be equal across pool sizes) and the wall time (loopback, no latency).
Secondary rate limits are off: they are per virtual minute and the virtual clock only moves on waits.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import functools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import miners.github.source
from flows.config import read_config
from flows.sources import build_source
from miners.github.ratelimit import RateLimitPolicy
from miners.source import SyncRequest
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.github.http import side
from sandbox.server import SandboxServer
from sandbox.world import World

GITHUB_BUDGET = 5000


class OverlappingVirtualTime:
    """The sandbox's clock as the miner's clock; a sleep moves it to the sleeper's wake-up, if that is later."""

    def __init__(self, state) -> None:
        self.state, self.waits, self.lock = state, 0, threading.Lock()

    def clock(self) -> float:
        return self.state.now.timestamp()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            wake = dt.datetime.fromtimestamp(self.clock() + max(0.0, seconds), dt.timezone.utc)
            self.waits += 1
            self.state.now = max(self.state.now, wake)


def backfill(world: World, tmp: Path, tokens: int, args: argparse.Namespace) -> dict:
    with SandboxServer(world) as server:
        gh = side(server.state)
        gh.rate_limit = gh.graphql_limit = args.budget
        gh.secondary_rest_per_minute = gh.secondary_graphql_per_minute = gh.secondary_max_concurrent = None
        os.environ.update(sandbox_env(world, tokens))
        config = read_config(write_sandbox_config(world, server, tmp / f"pool-{tokens}.yaml", tokens=tokens))
        vt = OverlappingVirtualTime(server.state)
        miners.github.source.RateLimitPolicy = functools.partial(  # type: ignore[misc]
            RateLimitPolicy, clock=vt.clock, sleep=vt.sleep, reserve=args.reserve
        )
        source = build_source(config, "github")
        request = SyncRequest(cursors={})
        started_virtual, started = server.state.now, time.perf_counter()
        plan = source.plan(request)  # type: ignore[union-attr]
        records = sum(len(b.records) for b in plan.batches)
        failed = []

        def mine(work) -> int:
            batches = list(source.mine_work(request, work))  # type: ignore[union-attr]
            failed.extend(b.error for b in batches if b.error)
            return sum(len(b.records) for b in batches)

        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            records += sum(pool.map(mine, plan.work))
        budget = server.state.stats()["github"].get("budget", {})
        return {
            "tokens": tokens,
            "virtual_h": (server.state.now - started_virtual).total_seconds() / 3600,
            "waits": vt.waits,
            "budget": budget,
            "records": records,
            "failed": failed,
            "wall_s": time.perf_counter() - started,
            "repos": len(plan.work),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=100)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", type=int, default=200, help="points per token per virtual hour, REST and GraphQL")
    parser.add_argument("--reserve", type=int, default=2, help="points of each budget the miner keeps in hand")
    parser.add_argument("--pools", default="1,4", help="pool sizes to compare (tokens), the first is the baseline")
    parser.add_argument("--concurrency", type=int, default=4, help="mining threads (run.concurrency)")
    args = parser.parse_args()
    started = time.perf_counter()
    world = generate_world(engineers=args.engineers, months=args.months, seed=args.seed)
    generate_s = time.perf_counter() - started
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for tokens in (int(n) for n in args.pools.split(",")):
            results.append(backfill(world, Path(tmp_name), tokens, args))
            print(results[-1], file=sys.stderr, flush=True)
    base = results[0]
    print(
        f"\n`python -m bench.bench_pool --engineers {args.engineers} --months {args.months} --seed {args.seed} "
        f"--budget {args.budget} --reserve {args.reserve} --pools {args.pools} --concurrency {args.concurrency}`: "
        f"{len(world.pull_requests):,} PRs, {base['repos']} repos to mine; world generated in {generate_s:.1f} s\n"
    )
    print(
        "| tokens | virtual hours of rate limit | vs 1st | waits for a reset | GitHub budget charged (per token) "
        "| total | records | wall time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        per = ", ".join(f"{v:,}" for v in r["budget"].values())
        ratio = r["virtual_h"] / base["virtual_h"] if base["virtual_h"] else float("nan")
        failed = f" ({len(r['failed'])} repos FAILED)" if r["failed"] else ""
        print(
            f"| {r['tokens']} | {r['virtual_h']:.2f} h | {ratio:.2f}x | {r['waits']} | {per} "
            f"| {sum(r['budget'].values()):,} | {r['records']:,}{failed} | {r['wall_s']:.1f} s |"
        )
    total = sum(base["budget"].values())
    print(
        f"\nAt GitHub's {GITHUB_BUDGET:,} points per token per hour this backfill ({total:,} points) needs "
        f"{total / GITHUB_BUDGET:.2f} h of budget on one token."
    )


if __name__ == "__main__":
    main()
