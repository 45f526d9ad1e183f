"""Identity resolution quality on a messy roster, with and without the miners' AccountRecords.

    python -m bench.bench_identity_quality [--engineers 40] [--seed 5] [--flavour cloud|datacenter]

Syncs a generated company through the real miners (as tests/flows/test_identity_e2e.py
does, Jira with ``accounts=True``), then resolves identities four times on the
same warehouse: with no AccountRecords, only Jira's, only GitHub's, and both
(rows of the others deleted inside a transaction that is rolled back).
Prints precision, recall and suggestion coverage against the world's truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

from flows import sources, stages
from flows.config import read_config
from miners.jira.miner import mine_jira
from miners.people.people_csv import people_to_csv
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.roster import dump_roster, identity_truth, roster_from_world
from sandbox.server import SandboxServer
from warehouse import open_warehouse
from warehouse.identities import read_accounts, resolve

NOW = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


def _sync(world, tmp: Path):
    with SandboxServer(world) as server:
        os.environ.update(sandbox_env(world))
        path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        doc = roster_from_world(world, history=True, messy=True)
        (tmp / "people.csv").write_text(people_to_csv(doc.pop("people")), encoding="utf-8")
        (tmp / "roster.yaml").write_text(dump_roster({**doc, "people_csv": "people.csv"}), encoding="utf-8")
        config = read_config(path)
        stages.sync_roster(config, now=lambda: NOW)
        stages.sync_github(config, now=lambda: NOW)
        jc = config.jira
        with stages.open_writer(config) as wh:
            stages._load_batches(
                wh,
                mine_jira(
                    sources.jira_client(config),
                    jc.projects,
                    {},
                    now=lambda: NOW,
                    incident_types=jc.incident_types,
                    accounts=True,
                ),
            )
    return config


def _score(world, con) -> dict:
    truth = identity_truth(world)
    lower = {k.lower(): v for k, v in truth.items()}
    who = lambda a: lower.get(a.identity.lower()) if a.system == "github" else truth.get(a.identity)  # noqa: E731
    accounts = {(a.system, a.identity): a for a in read_accounts(con)}
    resolution = resolve(con, [])
    humans = [a for a in accounts.values() if who(a)]
    right = sum(1 for m in resolution.matches if who(accounts[(m.system, m.identity)]) == m.person_id)
    suggested: dict = {}
    for s in resolution.suggestions:
        suggested.setdefault((s.system, s.identity), set()).add(s.person_id)
    rest = [a for a in resolution.unmatched if who(a)]
    covered = sum(1 for a in rest if who(a) in suggested.get((a.system, a.identity), ()))
    return {
        "accounts": len(humans),
        "matched": len(resolution.matches),
        "precision": right / max(1, len(resolution.matches)),
        "recall": right / max(1, len(humans)),
        "unmatched": len(rest),
        "suggested": covered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--flavour", choices=["cloud", "datacenter"], default="cloud")
    args = parser.parse_args()
    world = generate_world(engineers=args.engineers, months=2, seed=args.seed)
    world.jira_flavour = args.flavour
    with tempfile.TemporaryDirectory() as tmp:
        config = _sync(world, Path(tmp))
        print(
            f"| AccountRecords ({args.flavour}, {args.engineers} engineers, seed {args.seed}) | human accounts "
            f"| precision | recall | unmatched | true person suggested |"
        )
        print("|---|---|---|---|---|---|")
        with open_warehouse(config.warehouse_path) as wh:
            for label, keep in (
                ("none", ()),
                ("Jira only", ("jira",)),
                ("GitHub only", ("github",)),
                ("GitHub + Jira", ("github", "jira")),
            ):
                wh.con.execute("BEGIN")
                try:
                    wh.con.execute(
                        "DELETE FROM raw_accounts WHERE NOT list_contains(?::VARCHAR[], source)", [list(keep)]
                    )
                    s = _score(world, wh.con)
                finally:
                    wh.con.execute("ROLLBACK")
                print(
                    f"| {label} | {s['accounts']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['unmatched']} "
                    f"| {s['suggested']}/{s['unmatched']} |"
                )


if __name__ == "__main__":
    main()
