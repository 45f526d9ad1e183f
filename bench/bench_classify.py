"""Classification throughput: ``classify_activities`` on a synthetic ACTIVITY_SCHEMA table.

    python -m bench.bench_classify [--n 50000] [--seed 0]

Models are trained (in memory) before the clock starts; the number is
activities per second for rules + models, and for rules alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time

import pyarrow as pa

from classifiers.classify import classify_activities
from classifiers.contract import ACTIVITY_SCHEMA
from classifiers.models import train_in_memory

UTC = dt.timezone.utc
_TITLES = [
    "fix(loader): handle empty shards",
    "Add retry to the feature store client",
    "docs: ranking runbook",
    "Bump numpy from 1.26 to 2.0",
    "Refactor evaluation harness",
    "Speed up embedding lookup",
    "Train ranking model v3 with new features",
    "Add p99 latency alert for scorer",
    "Clean up old cron jobs",
]
_PATHS = [
    ["src/loader.py", "tests/test_loader.py"],
    ["docs/runbooks/ranking.md"],
    ["requirements.txt"],
    [".github/workflows/ci.yml"],
    ["models/ranker/train.py", "notebooks/eval.ipynb"],
    ["src/scorer.py"],
]
_BODIES = [
    "",
    "LGTM",
    "Why do we need a lock here? The loader is single-threaded.",
    "nit: rename to shard_count",
    "For context, we used to cache this: https://wiki.test/cache",
    "This will break when the batch is empty; please add a guard and a test.",
    "Nice work!",
]
_KINDS = ["pull_request", "review", "review_comment", "issue_comment", "ticket", "ticket_comment", "incident"]


def synthetic_activities(n: int, seed: int = 0) -> pa.Table:
    """``n`` plausible activity rows of every kind (deterministic for a seed)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = rng.choice(_KINDS)
        person, subject = rng.choice(["ana", "bo", "cy", None]), rng.choice(["ana", "bo", "dee", None])
        rows.append(
            {
                "activity_id": f"act:{i:07d}",
                "kind": kind,
                "source": "jira" if "ticket" in kind else "github",
                "person_id": person,
                "subject_person_id": subject,
                "person_team_id": rng.choice(["t1", "t2"]),
                "container_team_id": rng.choice(["t1", "t2", None]),
                "person_level_rank": rng.randint(1, 5),
                "subject_level_rank": rng.randint(1, 5),
                "subject_start_date": dt.date(2026, rng.randint(1, 9), 1),
                "occurred_at": dt.datetime(2026, 10, 1, tzinfo=UTC) + dt.timedelta(minutes=i),
                "title": rng.choice(_TITLES),
                "body": rng.choice(_BODIES),
                "state": rng.choice(["merged", "open", "APPROVED", "COMMENTED", "done"]),
                "role": rng.choice(["declared", "commander", "assignee"]) if kind == "incident" else None,
                "labels": rng.choice([[], ["bug"], ["enhancement"], ["Story"]]),
                "paths": rng.choice(_PATHS) if kind in ("pull_request", "review_comment") else None,
                "additions": rng.randint(0, 500),
                "deletions": rng.randint(0, 200),
                "issue_type": rng.choice(["Bug", "Task"]),
                "comment_count": rng.randint(0, 3),
                "cross_team_links": rng.randint(0, 1),
            }
        )
    return pa.Table.from_pylist(rows, schema=ACTIVITY_SCHEMA)


def measure(n: int, seed: int, repeats: int = 3) -> dict:
    """Best-of-``repeats`` activities per second, with and without models."""
    table = synthetic_activities(n, seed)
    train_in_memory()
    out: dict = {"n": n}
    for name, use_models in (("rules+models", True), ("rules only", False)):
        best, best_cpu = float("inf"), float("inf")
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            labels = classify_activities(table, use_models=use_models)
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - started_cpu)
        out[name] = {
            "seconds": round(best, 3),
            "activities_per_s": round(n / best),
            "labels": labels.num_rows,
            "cpu_seconds": round(best_cpu, 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    result = measure(args.n, args.seed)
    print(f"\n`python -m bench.bench_classify --n {args.n} --seed {args.seed}`\n")
    print(f"load average at start: {load} (wall time on a busy machine overstates the cost; CPU s does less)\n")
    print("| what | activities | best of 3 (wall) | activities/s | CPU s | label rows |\n|---|---|---|---|---|---|")
    for name in ("rules+models", "rules only"):
        r = result[name]
        print(
            f"| classify_activities, {name} | {args.n} | {r['seconds']} s | {r['activities_per_s']:,} "
            f"| {r['cpu_seconds']} | {r['labels']} |"
        )


if __name__ == "__main__":
    main()
