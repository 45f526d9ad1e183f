"""Issue 13: virtual hours of GitHub rate limit for a full backfill on one token vs a credential pool.

    python -m bench.bench_pool --engineers 100 --months 6 --budget 200 --reserve 2 [--pools 1,2,4] [--concurrency 4]
        [--dask-workers 4]

Generates a world, serves it in-process (``SandboxServer``), and backfills its GitHub side once per pool size,
each on a fresh sandbox: the flow's mining tasks (``plan`` then ``mine_work`` per repository, on
``--concurrency`` threads sharing one ``CredentialPool``, as ``run.task_runner: threads`` runs them; no Prefect,
no warehouse).  Each token has ``--budget`` points per hour of the sandbox's *virtual* clock for REST and the
same for GraphQL (GitHub: 5,000 each), so rate limits bite on a modest world; the miner's policy keeps
``--reserve`` of each in hand (50 by default against GitHub's 5,000).

The miner's clock and sleep are the sandbox's virtual clock: a wait for a reset moves it, and waits on several
threads at once overlap (the clock moves to the latest wake-up, not the sum).  Reported per pool size: virtual
hours from the first request to the last, the waits for a reset, the budget each token was charged (the
sandbox's meter), records read and distinct records (a record is its table and id; the digest of the set of
distinct records must be equal across pool sizes and runners), GraphQL page-size reductions (a page GitHub
could not finish, or that found no answer within the client's timeout, is asked again smaller: more pages,
more points, and the accounts each page names are read again) and the wall time (loopback, no latency).
Secondary rate limits are off: they are per virtual minute and the virtual clock only moves on waits.

``--dask-workers N`` adds one more backfill with the last pool size: the same mining tasks on a local Dask
cluster of N worker processes, one thread each (what ``run.task_runner: dask`` starts through prefect-dask),
against the threads run of that pool size in the same run.  As in the flow, each worker builds its own source
(its own credential pool, learning each token's budget from its first answers) and sends its batches back to
this process; the workers' clock and sleep are the sandbox's virtual clock over HTTP (``/_sandbox/clock``,
``at_least``: a sleep moves it to the sleeper's wake-up, if that is later).  Peak memory is sampled every
second: this process (the sandbox and the world) and, for Dask, its workers as well.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import functools
import hashlib
import os
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import psutil
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

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


class HttpVirtualTime:
    """The same virtual time for a process apart from the sandbox's (a Dask worker): read and moved over HTTP."""

    def __init__(self, url: str) -> None:
        self.url, self.waits, self.session = url, 0, requests.Session()
        # uvicorn closes an idle keep-alive connection after 5 s: a request sent on it as it closes is reset.
        # urllib3 sends it again (both requests are safe to repeat: a read, and a forward-only move).
        self.session.mount("http://", HTTPAdapter(max_retries=Retry(total=3, allowed_methods=None)))

    def _send(self, method: str, **kwargs) -> dict:
        answer = self.session.request(method, self.url, timeout=60, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def clock(self) -> float:
        return dt.datetime.fromisoformat(self._send("GET")["now"]).timestamp()

    def sleep(self, seconds: float) -> None:
        wake = dt.datetime.fromtimestamp(self.clock() + max(0.0, seconds), dt.timezone.utc)
        self.waits += 1
        self._send("POST", json={"at_least": wake.isoformat()})


_WORKER: dict[str, tuple] = {}  # per Dask worker process: config path -> (source, its virtual time)


def mine_on_worker(config_path: str, clock_url: str, reserve: int, work) -> tuple[list, int]:
    """One repository's batches, mined in a Dask worker (its source built once per process), and its waits."""
    if config_path not in _WORKER:
        vt = HttpVirtualTime(clock_url)
        miners.github.source.RateLimitPolicy = functools.partial(  # type: ignore[misc]
            RateLimitPolicy, clock=vt.clock, sleep=vt.sleep, reserve=reserve
        )
        _WORKER[config_path] = (build_source(read_config(Path(config_path)), "github"), vt)
    source, vt = _WORKER[config_path]
    waits = vt.waits
    batches = list(source.mine_work(SyncRequest(cursors={}), work))  # type: ignore[union-attr]
    return batches, vt.waits - waits


class RecordTally:
    """Records read, their distinct keys (table and id, a stable 64-bit hash each) and the miner's page
    counts, over every batch of one backfill."""

    def __init__(self) -> None:
        self.read = self.pages = self.reductions = self.partial = 0
        self.keys = array("Q")

    def add(self, batches: Iterable) -> None:
        for batch in batches:
            self.read += len(batch.records)
            self.pages += batch.stats.get("pages", 0)
            self.reductions += batch.stats.get("page_size_reductions", 0)
            self.partial += batch.stats.get("partial_pages", 0)
            for r in batch.records:
                key = f"{type(r).TABLE}\0{r.source_id}".encode()
                self.keys.append(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"))

    def distinct(self) -> tuple[int, str]:
        """How many distinct records, and a digest of their set (equal sets, equal digests, across runs)."""
        unique = np.unique(np.frombuffer(self.keys, dtype=np.uint64))
        return len(unique), hashlib.sha256(unique.tobytes()).hexdigest()[:12]


class PeakMemory:
    """The peak of the summed resident memory of this process and ``extra`` processes, sampled every second."""

    def __init__(self, extra: Iterable[int] = ()) -> None:
        self.procs = [psutil.Process(), *(psutil.Process(pid) for pid in extra)]
        self.peak, self.done = 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            total = 0
            for proc in self.procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            if self.done.wait(1.0):
                return

    def __enter__(self) -> PeakMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()


def _mine_on_threads(source, request: SyncRequest, works, concurrency: int, collect: Callable) -> None:
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for done in concurrent.futures.as_completed([pool.submit(source.mine_work, request, w) for w in works]):
            collect(list(done.result()))


def backfill(world: World, tmp: Path, tokens: int, args: argparse.Namespace, dask_workers: int = 0) -> dict:
    with SandboxServer(world) as server:
        gh = side(server.state)
        gh.rate_limit = gh.graphql_limit = args.budget
        gh.secondary_rest_per_minute = gh.secondary_graphql_per_minute = gh.secondary_max_concurrent = None
        os.environ.update(sandbox_env(world, tokens))
        config_path = write_sandbox_config(world, server, tmp / f"pool-{tokens}.yaml", tokens=tokens)
        config = read_config(config_path)
        vt = OverlappingVirtualTime(server.state)
        miners.github.source.RateLimitPolicy = functools.partial(  # type: ignore[misc]
            RateLimitPolicy, clock=vt.clock, sleep=vt.sleep, reserve=args.reserve
        )
        source = build_source(config, "github")
        request = SyncRequest(cursors={})
        started_virtual, started = server.state.now, time.perf_counter()
        plan = source.plan(request)  # type: ignore[union-attr]
        tally, failed, mined, worker_waits = RecordTally(), [], 0, 0
        tally.add(plan.batches)

        def collect(batches: list) -> None:
            nonlocal mined
            failed.extend(b.error for b in batches if b.error)
            tally.add(batches)
            mined += 1
            if mined % 50 == 0:
                print(f"  {mined}/{len(plan.work)} repositories mined, {tally.read:,} records", file=sys.stderr)

        cluster_s = 0.0  # a Dask cluster's start, counted in the wall time (as the flow pays it)
        if dask_workers:
            from distributed import Client, LocalCluster, as_completed

            began = time.perf_counter()
            with (
                LocalCluster(n_workers=dask_workers, threads_per_worker=1, dashboard_address=None) as cluster,
                Client(cluster) as client,
            ):
                cluster_s = time.perf_counter() - began
                with PeakMemory(client.run(os.getpid).values()) as memory:
                    # by reference (``python -m`` runs this file as __main__, whose functions Dask would ship by value)
                    from bench.bench_pool import mine_on_worker as remote

                    work = functools.partial(remote, str(config_path), server.base_url + "/_sandbox/clock")
                    futures = [client.submit(work, args.reserve, w, pure=False) for w in plan.work]
                    for future in as_completed(futures):
                        batches, waits = future.result()
                        worker_waits += waits
                        collect(batches)
                        future.release()
                    wall_s = time.perf_counter() - started
        else:
            with PeakMemory() as memory:
                _mine_on_threads(source, request, plan.work, args.concurrency, collect)
                wall_s = time.perf_counter() - started
        meter = server.state.stats()["github"]
        budget = meter.get("budget", {})
        distinct, digest = tally.distinct()
        return {
            "tokens": tokens,
            "runner": f"dask, {dask_workers} workers" if dask_workers else f"threads ({args.concurrency})",
            "virtual_h": (server.state.now - started_virtual).total_seconds() / 3600,
            "waits": vt.waits + worker_waits,
            "budget": budget,
            "rest_points": meter["rest_counted"],  # the rest of the budget charged is GraphQL's
            "records": tally.read,
            "distinct": distinct,
            "digest": digest,
            "pages": tally.pages,
            "reductions": tally.reductions,
            "partial": tally.partial,
            "failed": failed,
            "wall_s": wall_s,
            "cluster_s": cluster_s,
            "peak_mb": memory.peak / 2**20,
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
    parser.add_argument(
        "--dask-workers", type=int, default=0, help="also backfill with the last pool size on a local Dask cluster"
    )
    parser.add_argument(
        "--dask-only", action="store_true", help="with --dask-workers: only the Dask backfill (its pool: --pools)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    world = generate_world(engineers=args.engineers, months=args.months, seed=args.seed)
    generate_s = time.perf_counter() - started
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        pools = [int(n) for n in args.pools.split(",")]
        for tokens in [] if args.dask_only else pools:
            results.append(backfill(world, Path(tmp_name), tokens, args))
            print(results[-1], file=sys.stderr, flush=True)
        if args.dask_workers:
            results.append(backfill(world, Path(tmp_name), pools[-1], args, args.dask_workers))
            print(results[-1], file=sys.stderr, flush=True)
    base = results[0]
    print(
        f"\n`python -m bench.bench_pool --engineers {args.engineers} --months {args.months} --seed {args.seed} "
        f"--budget {args.budget} --reserve {args.reserve} --pools {args.pools} --concurrency {args.concurrency}"
        f"{f' --dask-workers {args.dask_workers}' if args.dask_workers else ''}"
        f"{' --dask-only' if args.dask_only else ''}`: "
        f"{len(world.pull_requests):,} PRs, {base['repos']} repos to mine; world generated in {generate_s:.1f} s\n"
    )
    print(
        "| tokens | runner | virtual hours of rate limit | vs 1st | waits for a reset | GitHub budget charged "
        "(per token) | total | records read | distinct records (digest) | GraphQL pages (size reductions, "
        "partial) | wall time | peak memory |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        per = ", ".join(f"{v:,}" for v in r["budget"].values())
        # No ratio to a first run that never waited (0 h): a dash, not "nanx".
        ratio = f"{r['virtual_h'] / base['virtual_h']:.2f}x" if base["virtual_h"] else "-"
        failed = f" ({len(r['failed'])} repos FAILED)" if r["failed"] else ""
        cluster = f" (cluster start {r['cluster_s']:.1f} s)" if r["cluster_s"] else ""
        print(
            f"| {r['tokens']} | {r['runner']} | {r['virtual_h']:.2f} h | {ratio} | {r['waits']} | {per} "
            f"| {sum(r['budget'].values()):,} | {r['records']:,}{failed} | {r['distinct']:,} ({r['digest']}) "
            f"| {r['pages']:,} ({r['reductions']}, {r['partial']}) | {r['wall_s']:.1f} s{cluster} "
            f"| {r['peak_mb']:,.0f} MB |"
        )
    if args.dask_workers and not args.dask_only:
        threads, dask = results[-2], results[-1]
        print(
            f"\nDask ({args.dask_workers} workers) vs threads, {dask['tokens']} tokens, same run: "
            f"{dask['wall_s'] / threads['wall_s']:.2f}x the wall time"
        )
    total = sum(base["budget"].values())
    rest = base["rest_points"]
    print(
        f"\nAt GitHub's {GITHUB_BUDGET:,} points per token per hour for REST and {GITHUB_BUDGET:,} for GraphQL, this "
        f"backfill ({rest:,} REST and {total - rest:,} GraphQL points) needs "
        f"{max(rest, total - rest) / GITHUB_BUDGET:.2f} h of budget on one token."
    )


if __name__ == "__main__":
    main()
