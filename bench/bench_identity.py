"""Identity resolution and dated attribution at company scale.

    python -m bench.bench_identity [--people 2000] [--seed 0]

Times ``resolve_identities`` for N people and ~2.2 N accounts (5% with only a
name, so the name-similarity suggestion step does real work), then
``fct_activity`` with dated enrollments: 20 activities per person, each
person with two team moves and a level change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from miners.base import Batch
from miners.people.identity import Account, Person, resolve_identities
from miners.records import EnrollmentRecord, PersonRecord, PullRequestRecord, TeamRecord

UTC = dt.timezone.utc
_FIRST = ["Ana", "Bo", "Cyd", "Dana", "Eli", "Fatima", "Goran", "Hiro", "Ines", "Jonas", "Kemal", "Lea", "Zoë"]
_LAST = ["Lima", "Chen", "Ramírez", "Okafor", "Novak", "Haddad", "Petrović", "Sato", "Müller", "Berg", "Yılmaz"]


def _people(n: int, rng: random.Random) -> tuple[list[Person], list[Account]]:
    people, accounts = [], []
    for i in range(n):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i}"
        login, email = f"user{i}", f"user{i}@acme.test"
        people.append(
            Person(
                f"p{i}",
                name,
                emails=(email,),
                github_logins=(login,) if i % 3 else (),
                jira_account_ids=(f"acc{i}",) if i % 2 else (),
                github_id=i,
            )
        )
        accounts.append(Account("github", login, emails=(email,) if rng.random() > 0.05 else (), github_id=None))
        accounts.append(Account("jira", f"acc{i}", display_name=name, emails=(email,) if rng.random() > 0.05 else ()))
        if i % 5 == 0:
            accounts.append(Account("github", f"old-user{i}", github_id=i))
    return people, accounts


def bench_resolve(n: int, seed: int) -> None:
    people, accounts = _people(n, random.Random(seed))
    started = time.perf_counter()
    result = resolve_identities(people, accounts)
    seconds = time.perf_counter() - started
    print(
        f"resolve_identities: {n} people, {len(accounts)} accounts -> {len(result.matches)} matched, "
        f"{len(result.unmatched)} unmatched, {len(result.suggestions)} suggestions in {seconds:.2f} s"
    )


def bench_attribution(n: int, seed: int) -> None:
    from warehouse import open_warehouse

    rng = random.Random(seed)
    now = dt.datetime(2026, 10, 1, tzinfo=UTC)
    env = dict(source="roster", partition="roster", updated_at=None, fetched_at=now)
    records: list = [
        TeamRecord(**env, source_id=f"t{k}", team_id=f"t{k}", name=f"T{k}", repo_globs=(f"acme/r{k}*",))
        for k in range(20)
    ]
    for i in range(n):
        records.append(
            PersonRecord(
                **env,
                source_id=f"p{i}",
                person_id=f"p{i}",
                name=f"P {i}",
                github_logins=(f"user{i}",),
                team_id="t0",
                level="IC3",
                level_rank=3,
            )
        )
        moves = [None, dt.date(2026, 7, 1), dt.date(2026, 8, 15), None]
        for k in range(3):
            records.append(
                EnrollmentRecord(
                    **env,
                    source_id=f"p{i}:team:{moves[k] or 'start'}",
                    person_id=f"p{i}",
                    kind="team",
                    value=f"t{rng.randrange(20)}",
                    valid_from=moves[k],
                    valid_to=moves[k + 1],
                )
            )
        records.append(
            EnrollmentRecord(
                **env,
                source_id=f"p{i}:level:start",
                person_id=f"p{i}",
                kind="level",
                value="IC3",
                level_rank=3,
                valid_to=dt.date(2026, 8, 1),
            )
        )
    prs = []
    genv = dict(source="github", partition="github:acme", fetched_at=now)
    for j in range(n * 20):
        at = dt.datetime(2026, 6, 1, tzinfo=UTC) + dt.timedelta(minutes=rng.randrange(120 * 24 * 60))
        repo = f"acme/r{rng.randrange(20)}x"
        prs.append(
            PullRequestRecord(
                **genv,
                source_id=str(j),
                updated_at=at,
                repo=repo,
                number=j,
                author_login=f"user{rng.randrange(n)}",
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
            started = time.perf_counter()
            table = wh.query_activities()
            seconds = time.perf_counter() - started
    print(
        f"fct_activity with dated enrollments: {table.num_rows} activities, {n} people x 4 intervals in {seconds:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bench_resolve(args.people, args.seed)
    bench_attribution(args.people, args.seed)


if __name__ == "__main__":
    main()
