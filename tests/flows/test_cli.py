"""The CLI edge: documented commands, and bad input → one paragraph, exit 2, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from flows.cli.main import main
from flows.config import EXAMPLE_CONFIG
from tests.support import REPO
from tests.support.cli import run_cli

ROOT = REPO


def _commands(group: click.Group, prefix: str = "ladder"):
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


def test_every_command_and_option_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reference = readme.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    commands = list(_commands(main))
    assert len(commands) >= 6
    for path, cmd in commands:
        assert cmd.help, f"{path} has no help text"
        assert f"`{path}" in reference, f"{path} is missing from the README's CLI reference"
        row = next(line for line in reference.splitlines() if f"`{path}" in line)
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert any(opt in row for opt in param.opts), f"{path} {param.opts} missing from the README row"


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    message = proc.stderr.strip()
    assert message.startswith("ladder: error:")
    assert "\n\n" not in message  # one paragraph
    for needle in needles:
        assert needle in message, message


def _config(tmp_path: Path, mutate=None) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG)
    data["roster"] = None
    if mutate:
        mutate(data)
    path = tmp_path / "ladder.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_missing_config(tmp_path):
    assert_clean_error(run_cli("sync", "--config", "absent.yaml", cwd=tmp_path), "absent.yaml", "ladder init")


def test_malformed_config(tmp_path):
    (tmp_path / "ladder.yaml").write_text("github: [orgs\n", encoding="utf-8")
    assert_clean_error(run_cli("sync", cwd=tmp_path), "ladder.yaml", "not valid YAML", "line")


def test_unknown_key(tmp_path):
    _config(tmp_path, lambda d: d["jira"].update(projekts=["X"]))
    assert_clean_error(run_cli("sync", cwd=tmp_path), "ladder.yaml", "jira.projekts", "unknown key")


def test_missing_token_variable(tmp_path):
    _config(tmp_path)
    assert_clean_error(run_cli("sync", cwd=tmp_path), "GITHUB_TOKEN", "not set")


@pytest.mark.parametrize("where", ["missing-dir/deeper/ladder.duckdb", "a-directory"])
def test_unreadable_warehouse_path(tmp_path, where):
    (tmp_path / "a-directory").mkdir()
    _config(tmp_path, lambda d: d.update(warehouse=where))
    env = {"GITHUB_TOKEN": "x", "JIRA_TOKEN": "y", "JIRA_EMAIL": "z@acme.test"}
    proc = run_cli("sync", cwd=tmp_path, env=env)
    assert_clean_error(proc, where.split("/")[0])


def test_report_on_missing_warehouse(tmp_path):
    _config(tmp_path)
    proc = run_cli("report", "--engineer", "ana", cwd=tmp_path)
    assert_clean_error(proc, "ladder.duckdb")


def test_bad_date_is_a_usage_error(tmp_path):
    proc = run_cli("report", "--engineer", "ana", "--since", "last-week", cwd=tmp_path)
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr


def test_init_writes_a_valid_config_and_refuses_to_overwrite(tmp_path):
    proc = run_cli("init", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ladder.yaml").read_text(encoding="utf-8") == EXAMPLE_CONFIG
    assert_clean_error(run_cli("init", cwd=tmp_path), "already exists", "--force")


def test_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for name in ("init", "sync", "report", "demo", "sandbox"):
        assert re.search(rf"^\s+{name}\s", proc.stdout, re.M), name


@pytest.mark.slow
@pytest.mark.parametrize("tokens", [1, 2])
def test_rejected_token_is_one_paragraph_not_a_traceback(tmp_path, tokens):
    """The flow runs under Prefect, which logs failed tasks with tracebacks: the CLI keeps it to one message.
    A pool whose every credential is rejected fails the same way (bad input, exit 2), naming each by its variable."""
    from sandbox.config_writer import github_token_envs, sandbox_env, write_sandbox_config
    from sandbox.server import SandboxServer
    from tests.support.worlds import tiny_world

    world = tiny_world()
    envs = github_token_envs(tokens)
    with SandboxServer(world) as server:
        write_sandbox_config(world, server, tmp_path / "ladder.yaml", tokens=tokens)
        bad = {env: f"not-a-valid-token-{i}" for i, env in enumerate(envs)}
        env = {**sandbox_env(world, tokens), **bad, "PREFECT_HOME": str(tmp_path / "pf")}
        proc = run_cli("sync", "--no-reports", cwd=tmp_path, env=env, timeout=600)  # Prefect starts slowly under load
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    if tokens == 1:
        assert last.startswith("ladder: error: GitHub returned 401") and "invalid or expired" in last
    else:
        assert last.startswith("ladder: error: GitHub rejected every credential of the pool: ")
        assert all(f"{env} (401 Bad credentials)" in last for env in envs)
    assert "not-a-valid-token" not in proc.stderr
