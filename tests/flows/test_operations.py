"""Operating the nightly (issue 13): ``ladder schedule``, ``runs``, ``doctor``, ``--quiet`` / ``--log-format json``,
the task runner, and commands that run no flow never starting Prefect.  Against a tiny sandbox world synced
through the real stages into a real DuckDB file."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from flows.cli.main import main
from flows.config import ConfigError, read_config
from sandbox.config_writer import GITHUB_TOKEN_ENV, sandbox_env
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    world = tiny_world()
    with synced_world(
        world, tmp_path_factory.mktemp("ops"), stage_names=("sync_roster", "sync_github", "sync_jira")
    ) as s:
        yield s


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runs_lists_each_source_run_with_its_cost(synced):
    result = CliRunner().invoke(main, ["runs", "--config", str(synced.config_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["source"]: r for r in json.loads(result.output)}
    assert set(rows) == {"roster", "github", "jira"}
    github, jira = rows["github"], rows["jira"]
    assert github["status"] == "ok" and github["task_runner"] == "sequential"
    # the sandbox meters every request it answered: the run recorded exactly what the miners sent
    meter = synced.server.state.stats()
    assert github["items"] > 0 and github["requests"] == meter["github"]["requests"]
    assert github["budget_points"] == meter["github"]["graphql_points"] + meter["github"]["rest_requests"]
    assert 0 < jira["requests"] <= meter["jira"]["requests"] and jira["duration_seconds"] >= 0
    text = CliRunner().invoke(main, ["runs", "--config", str(synced.config_path), "--source", "github"])
    assert text.exit_code == 0 and "github" in text.output and "jira" not in text.output


def test_doctor_reports_tokens_budget_warehouse_and_last_run(synced):
    result = CliRunner().invoke(main, ["doctor", "--config", str(synced.config_path), "--json"])
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.output)}
    assert checks["config"]["status"] == "ok"
    assert checks["github server"]["status"] == "ok" and "budget" in checks["github server"]["detail"]
    assert checks["jira server"]["status"] == "ok"
    assert checks["warehouse"]["status"] == "ok"
    assert "last successful sync" in checks["github last run"]["detail"]
    token = synced.world.tokens.service
    assert token not in result.output


def test_doctor_exit_3_for_a_server_down_and_2_for_a_rejected_token(synced, monkeypatch):
    down = synced.variant("down.yaml", lambda d: d["github"].update(base_url=f"http://127.0.0.1:{_closed_port()}/api"))
    result = CliRunner().invoke(main, ["doctor", "--config", str(down)])
    assert result.exit_code == 3, result.output
    assert "fail  github server: cannot reach" in result.output
    monkeypatch.setenv(GITHUB_TOKEN_ENV, "not-a-token-the-sandbox-knows")
    result = CliRunner().invoke(main, ["doctor", "--config", str(synced.config_path)])
    assert result.exit_code == 2, result.output
    assert f"rejects the token in {GITHUB_TOKEN_ENV}" in result.output


def test_schedule_builds_the_deployment_with_its_cron_and_config(synced):
    result = CliRunner().invoke(
        main, ["schedule", "--config", str(synced.config_path), "--cron", "15 2 * * *", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    deployment = json.loads(result.output)
    assert deployment["flow"] == "nightly" and deployment["entrypoint"] == "flows.nightly.nightly"
    assert deployment["schedules"] == [{"cron": "15 2 * * *", "timezone": "UTC"}]
    assert deployment["parameters"] == {"config_path": str(synced.config_path.resolve())}
    assert deployment["concurrency_limit"] == 1  # one writer
    bad = CliRunner().invoke(main, ["schedule", "--config", str(synced.config_path), "--cron", "61 2 * * *"])
    assert bad.exit_code == 2 and "--cron '61 2 * * *'" in bad.output and "Traceback" not in bad.output


def test_the_shipped_prefect_yaml_deploys_the_nightly_flow():
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = doc["deployments"]
    module, _, name = deployment["entrypoint"].partition(":")
    assert (ROOT / module).is_file() and name == "nightly"
    from prefect.schedules import Cron

    Cron(deployment["schedules"][0]["cron"])  # valid
    assert set(deployment["parameters"]) == {"config_path"}
    assert deployment["concurrency_limit"] == 1


def test_json_logs_are_one_object_a_line_and_redacted(synced, tmp_path):
    token = synced.world.tokens.service
    script = textwrap.dedent(
        f"""
        import logging, os
        from flows.runtime import RedactSecrets, configure_logging
        configure_logging(log_format="json")
        token = os.environ[{GITHUB_TOKEN_ENV!r}]
        RedactSecrets.register(token)
        logging.getLogger("ladder.test").warning("token %s and an escape \\x1b[2J", token)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**sandbox_env(synced.world), "PATH": ""}
    )
    [line] = proc.stderr.strip().splitlines()
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["name"] == "ladder.test"
    assert record["message"].startswith("token *** and an escape") and token not in line and "\x1b" not in line


def test_quiet_and_verbose_contradict(synced):
    result = CliRunner().invoke(main, ["--quiet", "--verbose", "runs", "--config", str(synced.config_path)])
    assert result.exit_code == 2 and "contradict" in result.output


def test_commands_that_run_no_flow_never_import_prefect(synced):
    """``report``, ``identities``, ``runs``, ``doctor`` (and ``eval``'s modules) run without Prefect: no import,
    so no temporary server start."""
    script = textwrap.dedent(
        f"""
        import sys
        from click.testing import CliRunner
        from flows.cli.main import main
        config = {str(synced.config_path)!r}
        for args in (["report", "--engineer", "ana", "--format", "json"], ["identities", "--json"],
                     ["runs"], ["doctor"]):
            result = CliRunner().invoke(main, [*args, "--config", config])
            assert result.exit_code == 0, (args, result.output)
        import classifiers.evaluate, classifiers.eval_doc  # what `ladder eval` runs
        loaded = sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))
        print("PREFECT:", loaded[:3])
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**sandbox_env(synced.world), "PATH": "", "HOME": str(synced.dir)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "PREFECT: []" in proc.stdout


def test_task_runner_from_the_config(synced, tmp_path):
    from flows.nightly import task_runner_for

    config = read_config(synced.config_path)
    assert type(task_runner_for(config)).__name__ == "ThreadPoolTaskRunner"
    dask = config.model_copy(update={"run": config.run.model_copy(update={"task_runner": "dask"})})
    try:
        import prefect_dask  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="prefect-dask is not installed"):
            task_runner_for(dask)
    else:
        assert type(task_runner_for(dask)).__name__ == "DaskTaskRunner"
    bad = synced.variant("bad-runner.yaml", lambda d: d.update(run={"task_runner": "celery"}))
    with pytest.raises(ConfigError, match="run.task_runner"):
        read_config(bad)
