"""Operability (issue 16, item 9): Prefect's temporary server dies with the sync, its stderr is not the user's; an
unwritable home is one error.

Killing a sync used to leave Prefect's API server (a ``uvicorn`` child) running, orphaned (4 of 4 kills),
and an unwritable Prefect home gave 3,204 lines of stderr with 31 tracebacks.  Both run ``ladder sync`` as
a real child process (``python -m flows.cli``), against the tiny world served in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.server import SandboxServer
from tests.support import REPO
from tests.support.worlds import tiny_world

pytestmark = [
    pytest.mark.slow,  # `ladder sync` (the nightly flow) in a child process
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)"),
]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that does not reap counts as gone)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _sync(config: Path, env: dict[str, str]) -> subprocess.Popen:
    """``ladder sync`` as a child; its output goes to files beside the config (a pipe would stay open in an orphan)."""
    with open(config.with_name("sync.out"), "w") as out, open(config.with_name("sync.err"), "w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "sync", "--config", str(config), "--no-reports"],
            cwd=REPO,
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            stdout=out,
            stderr=err,
        )


def _err(config: Path) -> str:
    return config.with_name("sync.err").read_text()


def test_killing_the_sync_leaves_no_prefect_server(tmp_path):
    world = tiny_world()
    with SandboxServer(world) as server:
        config = write_sandbox_config(world, server, tmp_path / "ladder.yaml")
        sync = _sync(config, {**sandbox_env(world), "PREFECT_HOME": str(tmp_path / "prefect")})
        server_pid = None
        try:
            deadline = time.monotonic() + 180
            while server_pid is None and time.monotonic() < deadline and sync.poll() is None:
                server_pid = next((p for p in _children(sync.pid) if "uvicorn" in _cmdline(p)), None)
                time.sleep(0.05)
            assert server_pid is not None, f"no server child; sync exited {sync.poll()}: {_err(config)}"
            assert "prefect.server.api.server:create_app" in _cmdline(server_pid)
            # Its stderr is its own file, not the user's terminal: stopped mid-request at the sync's exit, the
            # server prints a database driver's traceback that said nothing about the sync (a flaky CLI test).
            assert os.readlink(f"/proc/{sync.pid}/fd/2") == str(config.with_name("sync.err"))
            assert os.readlink(f"/proc/{server_pid}/fd/2") != str(config.with_name("sync.err"))
            os.kill(sync.pid, signal.SIGKILL)
            sync.wait(timeout=30)
            deadline = time.monotonic() + 30
            while _alive(server_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            orphaned = _alive(server_pid)
        finally:
            if sync.poll() is None:
                sync.kill()
                sync.wait()
            if server_pid is not None and _alive(server_pid):
                os.kill(server_pid, signal.SIGKILL)
        assert not orphaned, f"Prefect's server {server_pid} outlived the killed sync"


def test_an_unwritable_prefect_home_is_one_clear_error(tmp_path):
    world = tiny_world()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where Prefect's home should go\n")
    with SandboxServer(world) as server:
        config = write_sandbox_config(world, server, tmp_path / "ladder.yaml")
    sync = _sync(config, {**sandbox_env(world), "PREFECT_HOME": str(blocker / "home")})
    sync.wait(timeout=300)
    err = _err(config)
    assert sync.returncode == 2, err
    assert f"Prefect's home {blocker / 'home'} is not writable" in err and "PREFECT_HOME" in err
    assert "Traceback" not in err and "Warning" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert not (tmp_path / "ladder.duckdb").exists()  # refused before anything was written
