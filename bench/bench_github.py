"""GitHub miner API cost and speed on a generated sandbox company, metered by ``/_sandbox/stats``.

Budget units = GraphQL points + REST requests charged to the budget (304s
are free).  Measures, on one world:

1. a full sync (units per PR: issue 4's target is <= 0.05),
2. a nightly run with nothing changed (target: <= 1 counted request per repo),
3. ``--nights`` replayed nights: the sandbox clock moves one day, then an
   incremental sync; each night's cost against that day's activity, and at the
   end the records held (upserted by ``source_id``) against a fresh full sync
   as of the last night (they must be equal).

    python -m bench.bench_github [--engineers 200] [--months 12] [--seed 7] [--nights 30]

Bounded: one generated world, loopback only, a fixed number of syncs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from github import Auth, Github

from miners.github.miner import mine_github
from sandbox.generate import generate_world
from sandbox.github.payloads import org_logins
from sandbox.server import SandboxServer


def _client(server: SandboxServer, token: str) -> Github:
    return Github(
        base_url=server.github_url,
        auth=Auth.Token(token),
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _units(server: SandboxServer) -> tuple[int, int, int]:
    gh = server.state.stats()["github"]
    return gh["graphql_points"] + gh["rest_counted"], gh["graphql_points"], gh["rest_counted"]


def _sync(server, world, cursors, store, *, full=False):
    server.state.reset_stats()
    started = time.perf_counter()
    batches = list(
        mine_github(
            _client(server, world.tokens.service),
            org_logins(world),
            cursors,
            full=full,
            include_archived=True,
            overlap=dt.timedelta(hours=1),
        )
    )
    seconds = time.perf_counter() - started
    for b in batches:
        if b.cursor is not None:
            cursors[b.partition] = b.cursor
        for r in b.records:
            store[(r.TABLE, r.source_id)] = r
    return batches, seconds, _units(server)


def _activity(world, start: dt.datetime, end: dt.datetime) -> int:
    """PRs with anything visible happening in (start, end]."""
    n = 0
    for pr in world.pull_requests:
        moments = [
            pr.created_at,
            pr.closed_at,
            pr.merged_at,
            *(r.submitted_at for r in pr.reviews),
            *(c.created_at for c in pr.issue_comments),
            *(c.created_at for c in pr.review_comments),
            *(k.committed_at for k in pr.commits),
            *(q.requested_at for q in pr.review_requests),
        ]
        n += any(m is not None and start < m <= end for m in moments)
    return n


class _Lines(list):
    def __init__(self, report) -> None:
        super().__init__()
        self._report = report

    def append(self, line: str) -> None:
        super().append(line)
        if self._report is not None:
            self._report(line)


def run(engineers: int, months: int, seed: int, nights: int, report=None) -> list[str]:
    """The measurements as lines of text (also passed to ``report`` as they are made)."""
    out = _Lines(report)
    started = time.perf_counter()
    world = generate_world(engineers=engineers, months=months, seed=seed)
    out.append(
        f"world: {engineers} engineers, {months} months, seed {seed}: {len(world.repos)} repos, "
        f"{len(world.pull_requests)} PRs (generated in {time.perf_counter() - started:.1f} s)"
    )
    last_night = world.now
    first_night = last_night - dt.timedelta(days=nights)
    with SandboxServer(world, now=first_night) as server:
        visible = sum(p.created_at <= first_night for p in world.pull_requests)
        cursors: dict[str, str] = {}
        store: dict = {}
        _, secs, (units, points, rest) = _sync(server, world, cursors, store)
        out.append(
            f"full sync as of {first_night:%Y-%m-%d}: {visible} PRs, {units} units ({points} GraphQL points "
            f"+ {rest} REST) = {units / max(visible, 1):.4f} per PR; {secs:.1f} s"
        )
        _, secs, (units, points, rest) = _sync(server, world, cursors, store)
        repos = len(world.repos)
        out.append(
            f"nightly, nothing changed: {units} units for {repos} repos = {units / repos:.3f} per repo; {secs:.2f} s"
        )
        costs = []
        for _night in range(nights):
            before = server.state.now
            server.state.now = before + dt.timedelta(days=1)
            _, secs, (units, points, rest) = _sync(server, world, cursors, store)
            costs.append((units, _activity(world, before, server.state.now), secs))
        if costs:
            total = sum(c[0] for c in costs)
            active = sum(c[1] for c in costs)
            worst = max(costs, key=lambda c: c[0])
            out.append(
                f"{nights} nights: {total} units for {active} PR-days with activity "
                f"({total / max(active, 1):.3f} per active PR); busiest night {worst[0]} units for "
                f"{worst[1]} active PRs; mean {sum(c[2] for c in costs) / len(costs):.2f} s per night"
            )
            fresh: dict = {}
            _sync(server, world, {}, fresh, full=True)
            held = {k: v.content_hash() for k, v in store.items()}
            want = {k: v.content_hash() for k, v in fresh.items()}
            out.append(f"after {nights} nights: {len(store)} records held, equal to a fresh full sync: {held == want}")
            if held != want:
                differ: dict[str, int] = {}
                for key in set(held) | set(want):
                    if held.get(key) != want.get(key):
                        differ[key[0]] = differ.get(key[0], 0) + 1
                out.append(f"records that differ, per table: {dict(sorted(differ.items()))}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=30)
    args = parser.parse_args()
    print(
        f"`python -m bench.bench_github --engineers {args.engineers} --months {args.months} "
        f"--seed {args.seed} --nights {args.nights}`\n"
    )
    run(args.engineers, args.months, args.seed, args.nights, report=lambda line: print(f"- {line}", flush=True))


if __name__ == "__main__":
    main()
