"""`ladder serve` on a sandbox company: page latency (cold, cached, 404, while a writer holds the warehouse) and the
cost of one audit line in the feedback file (SQLite, as shipped) against the same write to a DuckDB file.

Ratios within one run are what to compare across machines (the baselines: a cached report page; the DuckDB
write).  Prints a Markdown table for docs/benchmarks.md.

    python -m bench.bench_web [--engineers 40] [--seed 7] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import requests

from flows import stages
from flows.config import read_config
from flows.snapshot import publish_snapshot
from flows.web.serve import WebServer
from flows.writer import open_writer
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from warehouse.feedback import open_feedback


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _duckdb_audit_write(path: Path) -> None:
    import duckdb  # the baseline only: the product's DuckDB opens are warehouse.connection's

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE IF NOT EXISTS audit_log (logged_at VARCHAR, action VARCHAR)")
    con.execute("INSERT INTO audit_log VALUES (?, ?)", ["now", "view_report"])
    con.close()


def _sign_in(web_url: str, token: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{web_url}/sign-in", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert s.post(f"{web_url}/sign-in/token", data={"csrf": csrf, "token": token}, timeout=60).status_code == 200
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    world = generate_world(engineers=args.engineers, seed=args.seed)
    top = next(p for p in world.people if p.manager is None and p.token)
    subject = next(p for p in world.people if p.manager == top.login and p.token)
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(world) as server:
        os.environ.update(sandbox_env(world))
        config = read_config(write_sandbox_config(world, server, Path(tmp) / "ladder.yaml"))
        for stage in ("sync_roster", "sync_github", "sync_jira", "resolve_identities", "classify", "build_evidence"):
            getattr(stages, stage)(config)
        publish_snapshot(config)
        with WebServer(config, secret="bench") as web:
            s = _sign_in(web.url, top.token)
            started = time.perf_counter()
            assert s.get(f"{web.url}/people/{subject.login}", timeout=120).status_code == 200
            cold = (time.perf_counter() - started) * 1000
            cached = _ms(lambda: s.get(f"{web.url}/people/{subject.login}", timeout=60), args.repeat)
            missing = _ms(lambda: s.get(f"{web.url}/people/nobody", timeout=60), args.repeat)
            with open_writer(config):  # a nightly stage holding the warehouse
                during = _ms(lambda: s.get(f"{web.url}/people/{subject.login}", timeout=60), args.repeat)
            statuses = {requests.get(f"{web.url}/sign-in", timeout=30).status_code}
        sqlite_path, duck_path = Path(tmp) / "f.sqlite", Path(tmp) / "f.duckdb"

        def sqlite_write() -> None:
            with open_feedback(sqlite_path) as store:
                store.add_audit("view_report", viewer_id="a", subject="b", status=200)

        sqlite_ms = _ms(sqlite_write, args.repeat)
        duck_ms = _ms(lambda: _duckdb_audit_write(duck_path), args.repeat)
    print(f"`python -m bench.bench_web --engineers {args.engineers} --seed {args.seed} --repeat {args.repeat}`\n")
    print("| measure | median ms | ratio |")
    print("|---|---:|---:|")
    print(f"| report page, cached (baseline) | {cached:.1f} | 1.00 |")
    print(f"| report page, a person's first (snapshot opened at sign-in) | {cold:.1f} | {cold / cached:.2f} |")
    print(f"| report page while a writer holds the warehouse | {during:.1f} | {during / cached:.2f} |")
    print(f"| 404 (no such person) | {missing:.1f} | {missing / cached:.2f} |")
    print(f"| audit line: open, insert, close — DuckDB file (baseline) | {duck_ms:.1f} | 1.00 |")
    print(
        f"| audit line: open, insert, close — SQLite WAL (shipped; the app keeps it open) | {sqlite_ms:.1f} | "
        f"{sqlite_ms / duck_ms:.2f} |"
    )
    assert statuses == {200}


if __name__ == "__main__":
    main()
