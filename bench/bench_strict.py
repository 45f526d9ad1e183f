"""Issue 15: a full sync of a company with a heavy tail, on the strict sandbox, counted against the world.

    python -m bench.bench_strict [--engineers 200] [--months 12] [--seed 7] [--heavy-tail 0.03]

The world is generated with ``heavy_tail`` (a share of PRs past 100 files, timeline items or review
comments; of tickets past 100 comments and changelog entries), served by the strict sandbox (modelled
GraphQL compute time with resource limits and 502 timeouts, secondary limits, Jira Cloud's caps) at the
world's end, and mined by both miners with their policies on the sandbox's virtual clock (waits move the
clock, nothing really sleeps).  Prints: GitHub budget units per PR with the follow-up queries included,
page-size reductions, partial pages kept, timeouts and resource-limited answers the sandbox sent,
secondary-limit waits; Jira requests per ticket and comment pages; and, per record kind, the records
mined against what the world holds (they must be equal).

Bounded: one world, loopback only, one sync of each source.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import time

from github import Auth, Github
from jira import JIRA

from miners.github.miner import mine_github
from miners.github.ratelimit import RateLimitPolicy
from miners.jira.client import RetryPolicy
from miners.jira.miner import mine_jira
from sandbox.generate import generate_world
from sandbox.github.payloads import org_logins
from sandbox.server import SandboxServer


class _VirtualTime:
    def __init__(self, state) -> None:
        self.state = state

    def clock(self) -> float:
        return self.state.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.state.now = self.state.now + dt.timedelta(seconds=max(0.0, seconds))


def _world_counts(world) -> dict[str, int]:
    now = world.now
    prs = [p for p in world.pull_requests if p.created_at <= now]
    issues = [i for i in world.jira_issues if i.created <= now]
    return {
        "raw_github_pull_requests": len(prs),
        "raw_github_pull_request_files": sum(len(p.files) for p in prs),
        "raw_github_reviews": sum(len([r for r in p.reviews if r.submitted_at <= now]) for p in prs),
        "raw_github_review_comments": sum(len([c for c in p.review_comments if c.created_at <= now]) for p in prs),
        "raw_github_issue_comments": sum(len([c for c in p.issue_comments if c.created_at <= now]) for p in prs),
        "raw_github_pull_request_commits": sum(len([k for k in p.commits if k.committed_at <= now]) for p in prs),
        "labels": sum(len(p.labels) for p in prs),
        "raw_jira_issues": len(issues),
        "raw_jira_comments": sum(len([c for c in i.comments if c.created <= now]) for i in issues),
        "raw_jira_changes": sum(len([c for c in i.changelog if c.created <= now]) for i in issues),
    }


def run(engineers: int, months: int, seed: int, heavy_tail: float, report=print) -> dict:
    started = time.perf_counter()
    world = generate_world(engineers=engineers, months=months, seed=seed, heavy_tail=heavy_tail)
    report(
        f"world: {engineers} engineers, {months} months, seed {seed}, heavy tail {heavy_tail}: "
        f"{len(world.repos)} repos, {len(world.pull_requests)} PRs, {len(world.jira_issues)} tickets "
        f"({time.perf_counter() - started:.1f} s); PRs with > 100 files / timeline items / review comments: "
        f"{sum(len(p.files) > 100 for p in world.pull_requests)} / "
        f"{sum(len(p.issue_comments) + len(p.reviews) + len(p.commits) > 100 for p in world.pull_requests)} / "
        f"{sum(len(p.review_comments) > 100 for p in world.pull_requests)}; tickets with > 100 comments: "
        f"{sum(len(i.comments) > 100 for i in world.jira_issues)}"
    )
    got: collections.Counter = collections.Counter()
    out: dict = {}
    with SandboxServer(world) as server:
        vt = _VirtualTime(server.state)
        policy = RateLimitPolicy(clock=vt.clock, sleep=vt.sleep)
        gh = Github(
            base_url=server.github_url,
            auth=Auth.Token(world.tokens.service),
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            timeout=120,
        )
        t0 = time.perf_counter()
        batches = list(mine_github(gh, org_logins(world), {}, include_archived=True, policy=policy))
        seconds = time.perf_counter() - t0
        stats = server.state.stats()["github"]
        for b in batches:
            for r in b.records:
                got[r.TABLE] += 1
                if r.TABLE == "raw_github_pull_requests":
                    got["labels"] += len(r.labels)
        failed = [b.partition for b in batches if b.error]
        units = stats["graphql_points"] + stats["rest_counted"]
        prs = sum(p.created_at <= world.now for p in world.pull_requests)

        def total(key: str) -> int:
            return sum(b.stats.get(key, 0) for b in batches)

        out["github"] = {
            "seconds": round(seconds, 1),
            "units": units,
            "units_per_pr": round(units / max(prs, 1), 4),
            "graphql_points": stats["graphql_points"],
            "graphql_queries": stats["graphql_requests"],
            "followup_queries": total("followup_queries"),
            "rest_counted": stats["rest_counted"],
            "page_size_reductions": total("page_size_reductions"),
            "partial_pages_kept": total("partial_pages"),
            "timeouts_502": stats.get("graphql_timeouts", 0),
            "resource_limited": stats.get("graphql_resource_limited", 0),
            "secondary_limit_waits_s": round(policy.secondary_waited_seconds, 1),
            "failed_partitions": failed,
        }
        report(f"github: {out['github']}")
        server.state.reset_stats()
        t = world.tokens
        client = JIRA(server=server.jira_url, basic_auth=(t.service_jira_email, t.service), max_retries=0, timeout=120)
        t0 = time.perf_counter()
        jbatches = list(
            mine_jira(
                client, [p.key for p in world.jira_projects], {}, retry=RetryPolicy(sleep=vt.sleep, clock=vt.clock)
            )
        )
        jstats = server.state.stats()["jira"]
        for b in jbatches:
            for r in b.records:
                got[r.TABLE] += 1
        comment_pages = sum(v for k, v in jstats["by_endpoint"].items() if "/comment." in k)
        out["jira"] = {
            "flavour": world.jira_flavour,
            "seconds": round(time.perf_counter() - t0, 1),
            "requests": jstats["requests"],
            "requests_per_ticket": round(jstats["requests"] / max(len(world.jira_issues), 1), 4),
            "comment_page_requests": comment_pages,
            "failed_partitions": [b.partition for b in jbatches if b.error],
        }
        report(f"jira: {out['jira']}")
    want = _world_counts(world)
    out["counts"] = {k: (got.get(k, 0), v) for k, v in want.items()}
    out["equal"] = all(a == b for a, b in out["counts"].values())
    report("mined / in the world: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in out["counts"].items()))
    report(f"every counted record kind equal to the world: {out['equal']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heavy-tail", type=float, default=0.03)
    args = parser.parse_args()
    print(
        f"`python -m bench.bench_strict --engineers {args.engineers} --months {args.months} --seed {args.seed} "
        f"--heavy-tail {args.heavy_tail}`\n",
        flush=True,
    )
    run(args.engineers, args.months, args.seed, args.heavy_tail, report=lambda line: print(f"- {line}", flush=True))


if __name__ == "__main__":
    main()
