"""``ladder sandbox serve`` (flows/cli/sandbox.py) as a user runs it: a real process, --now and --faults."""

from __future__ import annotations

import subprocess
import sys
import time

import requests
from click.testing import CliRunner

from flows.cli.sandbox import serve
from sandbox.faults import requests_floor
from sandbox.world import write_world
from tests.support.worlds import t, tiny_world

LAUNCH = "from flows.cli.main import main; main()"


def test_serve_with_now_and_faults_in_a_real_process(tmp_path):
    world_file = tmp_path / "world.json"
    write_world(tiny_world(), world_file)
    cmd = [
        sys.executable,
        "-c",
        LAUNCH,
        "sandbox",
        "serve",
        "--world",
        str(world_file),
        "--port",
        "0",
        "--now",
        "2026-10-02T12:00:00",
        "--faults",
        "outage",
        "--write-config",
        str(tmp_path / "ladder.yaml"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while "config" not in lines and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            key, _, value = line.partition(":")
            lines[key.strip()] = value.strip()
        assert "config" in lines, f"serve did not start: {proc.stderr.read() if proc.poll() is not None else lines}"
        stats_url = lines["stats"]
        stats = requests.get(stats_url, timeout=10).json()
        assert stats["now"] == t(2, 12).isoformat()
        assert lines["faults"].startswith("outage (1 rules")
        assert (tmp_path / "ladder.yaml.env").read_text().startswith("LADDER_SANDBOX_GITHUB_TOKEN=")
        github = lines["GitHub REST"]
        statuses = [
            requests.get(f"{github}/user", headers={"Authorization": "token tok-service"}, timeout=10).status_code
            for _ in range(20)
        ]
        # outage: five 502/503 from half-way through the world's request floor (2 of the tiny world's 5)
        first = max(1, int(0.5 * requests_floor(tiny_world(), ["github", "jira"])))
        assert statuses[: first - 1] == [200] * (first - 1) and set(statuses[first - 1 : first + 4]) <= {502, 503}
        assert statuses[first + 4 :] == [200] * (20 - first - 4)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_takes_now_and_faults_and_rejects_a_bad_profile(tmp_path):
    import click

    group = click.Group("sandbox")
    group.add_command(serve)
    assert [p.name for p in group.commands["serve"].params] == [
        "world_path",
        "host",
        "port",
        "write_config",
        "tokens",
        "now",
        "faults_name",
        "real_time_limits",
    ]
    world_file = tmp_path / "world.json"
    write_world(tiny_world(), world_file)
    result = CliRunner().invoke(group, ["serve", "--world", str(world_file), "--faults", "no-such-profile"])
    assert result.exit_code == 2 and "no fault profile 'no-such-profile'" in result.output
    result = CliRunner().invoke(group, ["serve", "--world", str(world_file), "--now", "yesterday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output
