"""Persona bench: are the planted people found, and only them?

For each seed: generate a sandbox company, serve it over the real APIs, run the nightly
stages (roster → GitHub → Jira → identities → classify → evidence → reports) and read
the JSON reports.  Every persona has target dimensions (``TARGETS``); per persona it
prints

- recall: planted people whose report is ``solid``/``strong`` on all of its targets;
- precision: planted people reaching that, over everyone reaching it — counting the
  planted people and the non-planted engineers of the planted people's levels;
- the share of ``strong`` per dimension among non-planted engineers,

plus the strength distribution of the whole org, and (``--compare-months``) the same
for a shorter period cut from the same warehouse, to check that strength does not grow
with the period's length.

    python -m bench.bench_personas [--engineers 200] [--months 12] [--seeds 11,12,13]
                                   [--cache DIR] [--compare-months 3]

Mining a 200-engineer year takes minutes per seed; ``--cache DIR`` keeps each seed's
mined warehouse (keyed by size and seed) so re-scoring after a classifier or rubric
change re-runs only classify → evidence → reports.  Bounded: loopback only, one world
per seed, a fixed number of stages.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flows import stages
from flows.config import read_config
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from sandbox.world import World, read_world, write_world

# What each planted persona should be recognisable by: the rubric dimensions its behaviour evidences.
TARGETS: dict[str, tuple[str, ...]] = {
    "mentor": ("scope.impact-levers",),
    "sev_owner": ("results.ownership",),
    "cross_team_driver": ("scope.collaborative-reach",),
    "playbook_keeper": ("results.ownership",),
    "toil_reducer": ("scope.ownership-autonomy",),
    "ml_experimenter": ("direction.innovation",),
    "project_lead": ("scope.impact-levers",),
    "quality_reviewer": ("talent.team-development",),
}
GOOD = ("solid", "strong")
NOT_PLANTED_OUT = {"newcomer"}  # a newcomer is an ordinary engineer for precision purposes


def _person_personas(world: World) -> dict[str, set[str]]:
    return {p.login: set(p.personas) for p in world.people if not p.is_bot}


def prepare(engineers: int, months: int, seed: int, work: Path, cache: Path | None) -> tuple[World, Path]:
    """A folder with world.json, ladder.yaml, roster and a warehouse mined from the served world."""
    key = f"e{engineers}-m{months}-s{seed}"
    if cache is not None and (cache / key / "mined.ok").exists():
        target = work / key
        shutil.copytree(cache / key, target, dirs_exist_ok=True)
        return read_world(target / "world.json"), target
    target = work / key
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    world = generate_world(engineers=engineers, months=months, seed=seed)
    write_world(world, target / "world.json")
    with SandboxServer(world) as server:
        config_path = write_sandbox_config(world, server, target / "ladder.yaml")
        os.environ.update(sandbox_env(world))
        config = read_config(config_path)
        stages.sync_roster(config)
        stages.sync_github(config)
        stages.sync_jira(config)
        stages.resolve_identities(config)
    print(f"  mined {key} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    (target / "mined.ok").write_text("ok\n")
    if cache is not None:
        shutil.copytree(target, cache / key, dirs_exist_ok=True)
    return world, target


def score_reports(reports: dict[str, dict], personas: dict[str, set[str]]) -> dict:
    """Recall / precision per persona and the share of strong per dimension among non-planted people."""
    levels = {login: r["engineer"]["level"] for login, r in reports.items()}
    strength = {login: {d["id"]: d["strength"] for d in r["dimensions"]} for login, r in reports.items()}
    planted_any = {login for login, ps in personas.items() if ps - NOT_PLANTED_OUT}
    ordinary = [login for login in reports if login not in planted_any and (levels[login] or "").startswith("IC")]
    out: dict = {"personas": {}, "strong_share": {}, "strength_counts": {}}
    for persona, dims in TARGETS.items():
        planted = [login for login in reports if persona in personas.get(login, ())]
        if not planted:
            continue
        planted_levels = {levels[login] for login in planted}
        hits = [login for login in planted if all(strength[login].get(d) in GOOD for d in dims)]
        peers = [login for login in ordinary if levels[login] in planted_levels]
        false = [login for login in peers if all(strength[login].get(d) in GOOD for d in dims)]
        out["personas"][persona] = {
            "planted": len(planted),
            "found": len(hits),
            "recall": len(hits) / len(planted),
            "peers": len(peers),
            "false_positives": len(false),
            "precision": len(hits) / (len(hits) + len(false)) if hits or false else 0.0,
            "dimensions": list(dims),
        }
    stampers = [login for login in reports if "rubber_stamper" in personas.get(login, ())]
    out["rubber_stampers_above_emerging"] = sum(
        strength[login].get("talent.team-development") in GOOD for login in stampers
    )
    out["rubber_stampers"] = len(stampers)
    dims = sorted({d for s in strength.values() for d in s})
    for dim in dims:
        values = [strength[login].get(dim) for login in ordinary]
        out["strong_share"][dim] = sum(v == "strong" for v in values) / max(1, len(values))
        out["strength_counts"][dim] = dict(collections.Counter(values))
    out["ordinary"] = len(ordinary)
    return out


def downstream(folder: Path, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, dict]:
    """classify → evidence → reports in ``folder``; returns {login: report dict}."""
    config = read_config(folder / "ladder.yaml")
    stages.classify(config)
    stages.build_evidence(config)
    return reports_for(folder, since, until)


def reports_for(folder: Path, since: dt.date | None, until: dt.date | None) -> dict[str, dict]:
    """{login: report as JSON} for everyone, as the nightly flow builds them (coverage warnings included)."""
    config = read_config(folder / "ladder.yaml")
    since = since or config.reports.since
    until = until or config.reports.until
    now = dt.datetime.combine(until, dt.time(), tzinfo=dt.timezone.utc)
    reports = stages.everyone_reports(config, since=since, until=until, generated_at=now)
    return {r["engineer"]["login"]: json.loads(json.dumps(r, default=str)) for r in reports}


def _print(label: str, result: dict) -> None:
    print(f"\n### {label}\n")
    print("| persona | target dimensions | planted | recall | non-planted peers | false positives | precision |")
    print("|---|---|---|---|---|---|---|")
    for persona, r in result["personas"].items():
        print(
            f"| {persona} | {', '.join(r['dimensions'])} | {r['planted']} | {r['recall']:.2f} | {r['peers']} "
            f"| {r['false_positives']} | {r['precision']:.2f} |"
        )
    print(
        f"\nrubber stampers above emerging on talent.team-development: "
        f"{result['rubber_stampers_above_emerging']} of {result['rubber_stampers']}"
    )
    print(f"\n| dimension | strong among {result['ordinary']} non-planted ICs | none/emerging/solid/strong |")
    print("|---|---|---|")
    for dim, share in result["strong_share"].items():
        c = result["strength_counts"][dim]
        print(
            f"| {dim} | {share:.0%} | {c.get('none', 0)}/{c.get('emerging', 0)}/{c.get('solid', 0)}"
            f"/{c.get('strong', 0)} |"
        )


def _merge(results: list[dict]) -> dict:
    merged: dict = {
        "personas": {},
        "strong_share": {},
        "strength_counts": {},
        "ordinary": 0,
        "rubber_stampers": 0,
        "rubber_stampers_above_emerging": 0,
    }
    for res in results:
        merged["ordinary"] += res["ordinary"]
        merged["rubber_stampers"] += res["rubber_stampers"]
        merged["rubber_stampers_above_emerging"] += res["rubber_stampers_above_emerging"]
        for persona, r in res["personas"].items():
            m = merged["personas"].setdefault(
                persona, {"planted": 0, "found": 0, "peers": 0, "false_positives": 0, "dimensions": r["dimensions"]}
            )
            for k in ("planted", "found", "peers", "false_positives"):
                m[k] += r[k]
        for dim, counts in res["strength_counts"].items():
            acc = merged["strength_counts"].setdefault(dim, collections.Counter())
            acc.update(counts)
    for m in merged["personas"].values():
        m["recall"] = m["found"] / max(1, m["planted"])
        m["precision"] = m["found"] / (m["found"] + m["false_positives"]) if m["found"] + m["false_positives"] else 0.0
    for dim, counts in merged["strength_counts"].items():
        merged["strong_share"][dim] = counts.get("strong", 0) / max(1, sum(counts.values()))
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--cache", type=Path, default=None, help="keep/reuse mined warehouses here")
    parser.add_argument(
        "--compare-months", type=int, default=0, help="also score the last N months of the same warehouse"
    )
    parser.add_argument("--mine-only", action="store_true", help="only fill the cache")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    results, short = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            world, folder = prepare(args.engineers, args.months, seed, Path(tmp), args.cache)
            if args.mine_only:
                continue
            reports = downstream(folder)
            personas = _person_personas(world)
            res = score_reports(reports, personas)
            results.append(res)
            _print(f"seed {seed}: {args.engineers} engineers, {args.months} months", res)
            if args.compare_months:
                until = read_config(folder / "ladder.yaml").reports.until
                since = until - dt.timedelta(days=round(args.compare_months * 30.4) - 1)
                sres = score_reports(reports_for(folder, since, until), personas)
                short.append(sres)
                _print(f"seed {seed}: last {args.compare_months} months of the same warehouse", sres)
    if len(results) > 1:
        _print(f"all seeds {args.seeds}: {args.engineers} engineers, {args.months} months", _merge(results))
    if len(short) > 1:
        _print(f"all seeds, last {args.compare_months} months", _merge(short))
    print(
        f"\n`python -m bench.bench_personas --engineers {args.engineers} --months {args.months} "
        f"--seeds {args.seeds}` in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
