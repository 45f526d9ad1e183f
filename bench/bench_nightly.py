"""A whole nightly where nothing changed, today's code against an older checkout, same world, same run.

Issue 13's must-show: "unchanged nightly <= 10 % of today's wall time and 0 activities re-classified".
For each code tree (``--old`` and this checkout) the bench copies a ``bench.bench_personas --cache``
folder (a mined warehouse, its world, config and roster; the cache is only read), serves the world on
the port its config names (so the stored ETags and cursors stay valid), and runs ``ladder sync`` as a
user does, in a child process: once to settle (the first run may classify, build evidence and write
reports from nothing), then ``--nights`` times more with nothing changed in between, each timed.
Peak memory is each child's own maximum RSS (``os.wait4``); ``--logs`` keeps each run's log.  The old
tree is any earlier commit checked out beside this one (``git worktree add --detach /tmp/ladder-old
<commit>``); both run on this checkout's virtualenv, the old code first on ``PYTHONPATH``.

    python -m bench.bench_nightly --source /work/cache/e200-m12-s11 --old /tmp/ladder-old [--nights 2]
        [--prefect-server]

By default each run starts Prefect's temporary API server, as ``ladder sync`` does on a machine with no
``PREFECT_API_URL``.  ``--prefect-server`` starts one ``prefect server start`` for the whole bench and
points every run at it instead: how the runs of a served deployment (``ladder schedule``) go, each still
its own process (Prefect's ``serve`` runs each flow run in a subprocess), without the server's start.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

from sandbox.config_writer import sandbox_env
from sandbox.server import SandboxServer
from sandbox.world import read_world

HERE = Path(__file__).resolve().parents[1]
# The stage summary lines worth reporting (from the child's log).
SUMMARY = re.compile(r"(classify: .*|evidence: .*|reports: \d+ engineers.*)$")


def _port(config_path: Path) -> int:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    match = re.search(r":(\d+)/", config["github"]["base_url"])
    if not match:
        raise SystemExit(f"{config_path}: github.base_url names no port")
    return int(match.group(1))


def _night(code: Path, folder: Path, env: dict[str, str], log: Path | None) -> tuple[float, float, float, list[str]]:
    """One ``ladder sync`` run of ``code`` on ``folder``: (wall seconds, CPU seconds, peak RSS MB, stage lines)."""
    child_env = dict(env, PYTHONPATH=str(code))
    command = [sys.executable, "-m", "flows.cli", "sync", "--config", str(folder / "ladder.yaml")]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=folder, env=child_env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if log is not None:
        log.write_text(stderr, encoding="utf-8")
    if child.returncode not in (0, 3):
        raise SystemExit(f"{code}: ladder sync exited {child.returncode}:\n{stderr[-3000:]}")
    lines = [m.group(1) for line in stderr.splitlines() if (m := SUMMARY.search(line))]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A ``prefect server start`` on a free loopback port with its own home; yields its API URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log = (home / "server.log").open("w", encoding="utf-8")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"prefect server did not start; see {home / 'server.log'}")
            time.sleep(1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def measure(code: Path, source: Path, work: Path, nights: int, env: dict[str, str], logs: Path | None) -> dict:
    folder = work / code.name
    shutil.copytree(source, folder)
    name = work.name
    settle, _, peak, _ = _night(code, folder, env, logs / f"{name}-settle.log" if logs else None)
    walls, cpus, peaks = [], [], [peak]
    lines: list[str] = []
    for night in range(nights):
        wall, cpu, peak, lines = _night(code, folder, env, logs / f"{name}-night{night + 1}.log" if logs else None)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
    return {"settle_s": settle, "nights_s": walls, "cpu_s": cpus, "peak_mb": max(peaks), "last_lines": lines}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="a bench_personas --cache folder (only read)")
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the code to compare with")
    parser.add_argument("--nights", type=int, default=2, help="unchanged nights timed per code tree")
    parser.add_argument("--trees", default="old,new", help="which code trees to run (old,new)")
    parser.add_argument("--logs", type=Path, help="keep each run's log (stderr) in this folder")
    parser.add_argument(
        "--prefect-server",
        action="store_true",
        help="run every night against one running Prefect server (as a served deployment's runs are)",
    )
    args = parser.parse_args(argv)
    source = args.source.resolve()
    world = read_world(source / "world.json")
    env = dict(os.environ, **sandbox_env(world))
    env.pop("PREFECT_API_URL", None)
    with (
        tempfile.TemporaryDirectory(prefix="bench-nightly-") as tmp,
        SandboxServer(world, port=_port(source / "ladder.yaml")),
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        if args.prefect_server:
            (work / "prefect").mkdir()
            env["PREFECT_API_URL"] = stack.enter_context(prefect_server(work / "prefect"))
        results = {}
        trees = {"old": args.old.resolve(), "new": HERE}
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
        for name in args.trees.split(","):
            results[name] = measure(trees[name], source, work / name, args.nights, env, args.logs)
            print(f"{name}: {results[name]}", file=sys.stderr)
    medians = {name: statistics.median(r["nights_s"]) for name, r in results.items()}
    old = medians.get("old")
    server = "one running Prefect server" if args.prefect_server else "Prefect's temporary server, started per run"
    print(f"world: {world.name}; nights timed per tree: {args.nights}; {server}")
    cpu = {name: statistics.median(r["cpu_s"]) for name, r in results.items()}
    print(
        "| code | first run (settling) | unchanged night, wall (median) | vs old | CPU (median) | vs old "
        "| peak RSS | stage lines (last night) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, value in medians.items():
        r = results[name]
        lines = "<br>".join(r["last_lines"]) or "—"
        wall_ratio = f"{value / old:.2f}x" if old else "—"
        cpu_ratio = f"{cpu[name] / cpu['old']:.2f}x" if old else "—"
        nights = ", ".join(f"{w:.1f}" for w in r["nights_s"])
        print(
            f"| {name} | {r['settle_s']:.1f} s | {value:.1f} s ({nights}) | {wall_ratio} | {cpu[name]:.1f} s "
            f"| {cpu_ratio} | {r['peak_mb']:.0f} MB | {lines} |"
        )


if __name__ == "__main__":
    main()
