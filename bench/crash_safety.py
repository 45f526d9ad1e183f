"""Crash safety: SIGKILL the sync at random moments, rerun it, compare the warehouse with a clean sync's.

A sandbox company is served by a separate process (``ladder sandbox serve
--world FILE --port 0 --write-config ...``).  A clean single sync (roster,
GitHub, Jira: the stages of ``flows.stages`` without Prefect, so each run
starts in about a second) gives the reference warehouse.  Then, until
``--kills`` kills have landed before the sync's end (at most twice as many
runs): a fresh warehouse, a sync killed with SIGKILL after a random delay
(seeded; uniform over the clean sync's duration), a rerun to completion, and a
comparison of the rerun's warehouse with the reference by
``content_fingerprint`` (every data table, ``fetched_at`` and the cursors'
bookkeeping ``updated_at`` left out: they record when, not what).

    python -m bench.crash_safety [--kills 24] [--engineers 20] [--months 2] [--seed 7] [--out DIR]

Prints a Markdown table (kill, delay, where it landed, equal); ``--out DIR``
also writes it, with the raw results as JSON, there.  Loopback only; every process
it starts is killed and waited for; a run that outlives ``--timeout`` seconds
is killed and reported as a failure.

``python -m bench.crash_safety sync --config PATH`` is the child: it prints
``ready`` once imported, then ``stage NAME`` before each stage, then ``done``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VOLATILE_COLUMNS = {"fetched_at"}  # when a row was read, not what it says
VOLATILE_BY_TABLE = {"sync_cursors": {"updated_at"}}  # when a cursor was written (the warehouse clock)
STAGES = ("roster", "github", "jira")


# --- comparing warehouses -----------------------------------------------------------------


def content_fingerprint(path: Path | str) -> dict[str, str]:
    """Per data table (``warehouse.queries.DATA_TABLES``), a sha256 of its rows minus the volatile columns.

    Opens a copy of the file (and of its WAL, if a killed writer left one), so
    the WAL is replayed into the copy and the original stays as it was.  A
    table that does not exist yet is ``"missing"``.
    """
    import duckdb

    from warehouse.queries import DATA_TABLES

    with _snapshot(Path(path)) as copy:
        con = duckdb.connect(str(copy))
        try:
            out = {}
            for table in DATA_TABLES:
                skip = VOLATILE_COLUMNS | VOLATILE_BY_TABLE.get(table, set())
                columns = [
                    c
                    for (c,) in con.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                        "ORDER BY ordinal_position",
                        [table],
                    ).fetchall()
                    if c not in skip
                ]
                if not columns:  # killed before the migration creating it committed
                    out[table] = "missing"
                    continue
                select = ", ".join(f'"{c}"' for c in columns)
                rows = con.execute(f"SELECT {select} FROM {table}").fetchall()
                digest = hashlib.sha256("\n".join(sorted(repr(r) for r in rows)).encode()).hexdigest()
                out[table] = f"{len(rows)}:{digest}"
            return out
        finally:
            con.close()


def warehouse_state(path: Path | str) -> dict[str, Any]:
    """What a (possibly killed) sync left: rows per source and committed cursors per source."""
    import duckdb

    path = Path(path)
    if not path.exists():
        return {"exists": False, "rows": 0, "cursors": {}}
    with _snapshot(path) as copy:
        con = duckdb.connect(str(copy))
        try:
            tables = [
                t
                for (t,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'raw_%'"
                ).fetchall()
            ]
            rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
            cursors: dict[str, int] = {}
            if con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sync_cursors'"
            ).fetchone()[0]:
                for source, n in con.execute("SELECT source, count(*) FROM sync_cursors GROUP BY source").fetchall():
                    cursors[source] = n
            return {"exists": True, "rows": rows, "cursors": cursors}
        except duckdb.Error as exc:  # killed before the first migration committed
            return {"exists": True, "rows": 0, "cursors": {}, "error": str(exc).splitlines()[0]}
        finally:
            con.close()


@contextlib.contextmanager
def _snapshot(path: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="crash-fp-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copy2(path, copy)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, copy.with_name(copy.name + ".wal"))
        yield copy


# --- the child: one sync without Prefect ------------------------------------------------


def child_sync(config_path: str) -> int:
    """Run roster, GitHub and Jira sync stages against ``config_path``; print progress lines."""
    import github  # noqa: F401 - imported before "ready" so that kills land in the sync, not in imports
    import jira  # noqa: F401

    import miners.github.miner  # noqa: F401
    import miners.jira.miner  # noqa: F401
    import miners.people.roster  # noqa: F401
    import warehouse  # noqa: F401
    from flows import stages
    from flows.config import read_config

    config = read_config(config_path)
    print("ready", flush=True)
    for name in STAGES:
        print(f"stage {name}", flush=True)
        getattr(stages, f"sync_{name}")(config)
    print("done", flush=True)
    return 0


def child_command(config_path: Path) -> list[str]:
    return [sys.executable, "-m", "bench.crash_safety", "sync", "--config", str(config_path)]


def child_env(env_file: Path | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child sync: ours, the sandbox tokens from ``PATH.env``, the repo on PYTHONPATH."""
    env = dict(os.environ)
    if env_file is not None:
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                env[key.strip()] = value.strip()
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def config_for(base_config: Path, warehouse: Path) -> Path:
    """A copy of ``base_config`` (beside it, so the roster path still resolves) writing ``warehouse``."""
    text = base_config.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^warehouse:.*$", f"warehouse: {json.dumps(str(warehouse))}", text)
    if n != 1:
        raise ValueError(f"{base_config}: expected one top-level 'warehouse:' line to replace, found {n}")
    out = base_config.with_name(f"{warehouse.stem}.yaml")
    out.write_text(text, encoding="utf-8")
    return out


@dataclass
class Run:
    """One child sync: how it ended and what it printed."""

    seconds: float
    returncode: int | None
    lines: list[str] = field(default_factory=list)
    stderr: str = ""
    sync_seconds: float | None = None  # from "ready" to exit

    @property
    def stage(self) -> str:
        """The last stage the child announced ('start' before any, 'done' after all)."""
        stages = [line.split(" ", 1)[1] for line in self.lines if line.startswith("stage ")]
        return "done" if "done" in self.lines else (stages[-1] if stages else "start")


def run_child(
    config: Path,
    env: dict[str, str],
    *,
    kill_after: float | None = None,
    timeout: float = 300.0,
    on_start: Callable[[subprocess.Popen], None] | None = None,
) -> Run:
    """Run one child sync; with ``kill_after``, SIGKILL it that many seconds after it printed ``ready``.

    ``on_start(proc)`` is called once the child is started (tests use it to kill from elsewhere).
    A child still running after ``timeout`` seconds is killed (``returncode`` -9, a note in ``stderr``).
    """
    started = time.monotonic()
    lines: list[str] = []
    ready = threading.Event()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err_file:
        proc = subprocess.Popen(
            child_command(config), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err_file, text=True
        )

        def read_stdout() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                lines.append(raw.strip())
                if raw.strip() == "ready":
                    ready.set()
            ready.set()  # the child exited without "ready"

        reader = threading.Thread(target=read_stdout, daemon=True)
        reader.start()
        note = ""
        try:
            if on_start is not None:
                on_start(proc)
            ready.wait(timeout)
            ready_at = time.monotonic()
            if kill_after is not None and proc.poll() is None:
                try:
                    proc.wait(timeout=kill_after)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
            try:
                proc.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                note = f"\n(crash_safety: killed after the {timeout:.0f} s timeout)"
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            reader.join(timeout=10)
        end = time.monotonic()
        err_file.seek(0)
        stderr = err_file.read()[-2000:] + note
    return Run(
        seconds=end - started, returncode=proc.returncode, lines=lines, stderr=stderr, sync_seconds=end - ready_at
    )


# --- the bench ------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_world(world_file: Path, workdir: Path) -> Iterator[tuple[str, Path]]:
    """Start ``ladder sandbox serve`` in its own process; yield (base URL, written ladder.yaml); stop it."""
    config = workdir / "ladder.yaml"
    cmd = [
        sys.executable,
        "-m",
        "flows.cli",
        "sandbox",
        "serve",
        "--world",
        str(world_file),
        "--port",
        "0",
        "--write-config",
        str(config),
    ]
    log = workdir / "sandbox.log"  # a file, not a pipe: nobody drains the server's stderr while it serves
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(extra={"PYTHONUNBUFFERED": "1"}), stdout=subprocess.PIPE, stderr=err, text=True
        )
    try:
        base = None
        assert proc.stdout is not None
        for _ in range(20):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"sandbox server exited early: {log.read_text(encoding='utf-8')[-2000:]}")
            match = re.search(r"stats:\s+(http://[^/]+)/_sandbox/stats", line)
            base = base or (match.group(1) if match else None)
            if line.startswith("config:"):
                break
        if base is None or not config.exists():
            raise RuntimeError("sandbox server did not print its URL and config; see `ladder sandbox serve --help`")
        yield base, config
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post(url: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body or {}).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def _served(base: str) -> int:
    stats = _get(f"{base}/_sandbox/stats")
    return stats["github"]["requests"] + stats["jira"]["requests"]


def landed(run: Run, state: dict[str, Any], served: int) -> str:
    """Where a kill landed, for the table: stage, committed cursors, rows, requests served."""
    if run.returncode == 0:
        return "after the end (sync had finished)"
    cursors = ", ".join(f"{k} {v}" for k, v in sorted(state["cursors"].items())) or "none"
    return f"{run.stage}: {state['rows']} rows, cursors {cursors}, {served} requests served"


def bench(kills: int, engineers: int, months: int, seed: int, timeout: float) -> list[dict]:
    """Run the kill/rerun trials (see the module docstring); returns one result dict per kill."""
    from sandbox.generate import generate_world
    from sandbox.world import write_world

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="crash-safety-") as tmp:
        work = Path(tmp)
        world = generate_world(engineers=engineers, months=months, seed=seed)
        world_file = work / "world.json"
        write_world(world, world_file)
        with serve_world(world_file, work) as (base, config):
            env = child_env(Path(f"{config}.env"))
            reference = work / "reference.duckdb"
            clean = run_child(config_for(config, reference), env, timeout=timeout)
            if clean.returncode != 0:
                raise RuntimeError(f"the clean sync failed ({clean.returncode}): {clean.stderr}")
            expected = content_fingerprint(reference)
            span = clean.sync_seconds or 1.0
            print(
                f"world: {len(world.pull_requests)} PRs, {len(world.jira_issues)} tickets; clean sync "
                f"{span:.2f} s after start-up; killing {kills} times in [0, {span * 1.1:.2f}] s",
                flush=True,
            )
            results = []
            # Kills that land after the child finished do not count towards ``kills``; at most 2 x kills runs.
            for n in range(1, 2 * kills + 1):
                if sum(r["killed"] for r in results) >= kills:
                    break
                wh = work / f"trial{n:02d}.duckdb"
                trial_config = config_for(config, wh)
                delay = rng.uniform(0.0, span * 1.1)
                _post(f"{base}/_sandbox/stats/reset")
                killed = run_child(trial_config, env, kill_after=delay, timeout=timeout)
                served = _served(base)
                state = warehouse_state(wh)
                rerun = run_child(trial_config, env, timeout=timeout)
                equal = rerun.returncode == 0 and content_fingerprint(wh) == expected
                row = {
                    "kill": n,
                    "delay_s": round(delay, 3),
                    "killed": killed.returncode == -signal.SIGKILL,
                    "stage": killed.stage,
                    "rows_at_kill": state["rows"],
                    "cursors_at_kill": state["cursors"],
                    "requests_served": served,
                    "where": landed(killed, state, served),
                    "rerun_rc": rerun.returncode,
                    "equal": equal,
                }
                if not equal:
                    row["rerun_stderr"] = rerun.stderr[-800:]
                    if rerun.returncode != 0:
                        last = (rerun.stderr.strip().splitlines() or ["?"])[-1]
                        row["where"] += f"; rerun failed ({rerun.returncode}): {last[:160]}"
                    if not row["killed"] and killed.returncode != 0:
                        row["where"] += f"; the killed run had already failed ({killed.returncode})"
                results.append(row)
                print(f"  kill {n:2d}: {delay:5.2f} s  {row['where']}  -> equal={equal}", flush=True)
                for leftover in wh.parent.glob(f"{wh.name}*"):
                    leftover.unlink()
    return results


def table(results: list[dict]) -> str:
    """The results as a Markdown table plus a one-line total."""
    lines = ["| kill | delay after start-up (s) | where it landed | rerun equal to clean sync |", "|---:|---:|---|---|"]
    for r in results:
        lines.append(f"| {r['kill']} | {r['delay_s']:.2f} | {r['where']} | {'yes' if r['equal'] else 'NO'} |")
    mid = sum(1 for r in results if r["killed"])
    lines.append(
        f"\n{sum(r['equal'] for r in results)}/{len(results)} reruns equal; {mid} kills landed "
        f"before the sync finished."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash_safety", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("sync", help="(child) run the sync stages once")
    child.add_argument("--config", required=True)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--engineers", type=int, default=20)
    parser.add_argument("--months", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one child sync may take")
    parser.add_argument("--out", type=Path, help="also write crash_safety.md and crash_safety.json here")
    args = parser.parse_args(argv)
    if args.command == "sync":
        return child_sync(args.config)
    results = bench(args.kills, args.engineers, args.months, args.seed, args.timeout)
    text = table(results)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "crash_safety.md").write_text(text + "\n", encoding="utf-8")
        (args.out / "crash_safety.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["equal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
