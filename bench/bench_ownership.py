"""fct_activity with dated ownership: the cost of resolving each activity's owner as of its date.

    python -m bench.bench_ownership [--activities 40000] [--repos 20] [--seed 0]

Loads one roster (20 teams, a glob per repo) and N pull requests spread over
the repos and four months, then times ``query_activities`` twice: without
``ownership_changes`` and with every repo moving twice (3 dated intervals
per repo).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from miners.base import Batch
from miners.records import OwnershipRecord, PersonRecord, PullRequestRecord, TeamRecord

UTC = dt.timezone.utc


def _time(activities: int, repos: int, seed: int, dated: bool) -> tuple[int, float, int]:
    from warehouse import open_warehouse

    rng = random.Random(seed)
    now = dt.datetime(2026, 10, 1, tzinfo=UTC)
    env = dict(source="roster", partition="roster", updated_at=None, fetched_at=now)
    records: list = [
        TeamRecord(**env, source_id=f"t{k}", team_id=f"t{k}", name=f"T{k}", repo_globs=(f"acme/r{k}",))
        for k in range(repos)
    ]
    records += [
        PersonRecord(
            **env,
            source_id=f"p{i}",
            person_id=f"p{i}",
            name=f"P {i}",
            github_logins=(f"user{i}",),
            team_id=f"t{i % repos}",
        )
        for i in range(200)
    ]
    if dated:
        moves = [None, dt.date(2026, 7, 1), dt.date(2026, 8, 15), None]
        for k in range(repos):
            owners = [f"t{(k + 1) % repos}", f"t{(k + 2) % repos}", f"t{k}"]
            records += [
                OwnershipRecord(
                    **env,
                    source_id=f"repo:acme/r{k}:{moves[j] or 'start'}",
                    kind="repo",
                    pattern=f"acme/r{k}",
                    team_id=owners[j],
                    valid_from=moves[j],
                    valid_to=moves[j + 1],
                )
                for j in range(3)
            ]
    genv = dict(source="github", partition="github:acme", fetched_at=now)
    prs = []
    for j in range(activities):
        at = dt.datetime(2026, 6, 1, tzinfo=UTC) + dt.timedelta(minutes=rng.randrange(120 * 24 * 60))
        prs.append(
            PullRequestRecord(
                **genv,
                source_id=str(j),
                updated_at=at,
                repo=f"acme/r{rng.randrange(repos)}",
                number=j,
                author_login=f"user{rng.randrange(200)}",
                author_type="User",
                title="t",
                body="",
                state="open",
                draft=False,
                created_at=at,
                closed_at=None,
                merged_at=None,
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        with open_warehouse(Path(tmp) / "w.duckdb") as wh:
            wh.load_batch(
                Batch(source="roster", partition="roster", records=tuple(records), cursor=None, is_complete=True)
            )
            wh.load_batch(Batch(source="github", partition="github:acme", records=tuple(prs), cursor=None))
            wh.query_activities()  # warm up
            started = time.perf_counter()
            table = wh.query_activities()
            seconds = time.perf_counter() - started
    cross = sum(
        1
        for r in table.select(["person_team_id", "container_team_id"]).to_pylist()
        if r["person_team_id"] != r["container_team_id"]
    )
    return table.num_rows, seconds, cross


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=40000)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for dated in (False, True):
        rows, seconds, cross = _time(args.activities, args.repos, args.seed, dated)
        what = f"{args.repos} repos x 3 dated intervals" if dated else "no ownership_changes"
        print(f"fct_activity, {what}: {rows} activities ({cross} on another team's repo) in {seconds:.2f} s")


if __name__ == "__main__":
    main()
