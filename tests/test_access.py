"""A report is shown to the engineer and the managers above them, proven by their own GitHub token."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from flows import stages
from flows.cli.main import main
from flows.config import read_config
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.server import SandboxServer
from tests.worlds import tiny_world


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    world = tiny_world()
    tmp = tmp_path_factory.mktemp("access")
    with SandboxServer(world) as server:
        config_path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        with pytest.MonkeyPatch.context() as mp:
            for key, value in sandbox_env(world).items():
                mp.setenv(key, value)
            config = read_config(config_path)
            stages.sync_roster(config)
            stages.sync_github(config)
            stages.sync_jira(config)
            stages.classify(config)
            stages.build_evidence(config)
        yield world, server, config_path


def run_report(config_path, engineer: str, viewer_token: str | None, *extra: str):
    env = {"VIEWER_TOKEN": viewer_token} if viewer_token is not None else {}
    args = ["report", "--config", str(config_path), "--engineer", engineer, "--format", "json", *extra]
    if viewer_token is not None:
        args += ["--viewer-token-env", "VIEWER_TOKEN"]
    return CliRunner().invoke(main, args, env=env)


@pytest.mark.parametrize("viewer, engineer", [("ana", "ana"), ("dana", "ana"), ("dana", "bo"), ("eli", "cyd")])
def test_engineer_and_managers_may_read(synced, viewer, engineer):
    world, _, config_path = synced
    result = run_report(config_path, engineer, world.person(viewer).token)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["engineer"]["login"] == engineer


@pytest.mark.parametrize("viewer, engineer", [("bo", "ana"), ("ana", "dana"), ("eli", "ana"), ("cyd", "bo")])
def test_peers_reports_and_other_teams_are_refused(synced, viewer, engineer):
    world, _, config_path = synced
    token = world.person(viewer).token
    result = run_report(config_path, engineer, token)
    assert result.exit_code == 2
    assert "may not read the report" in result.output and token not in result.output
    assert '"dimensions"' not in result.output


def test_unknown_token_is_refused_without_showing_it(synced):
    _, _, config_path = synced
    result = run_report(config_path, "ana", "not-a-real-token")
    assert result.exit_code == 2
    assert "invalid or expired" in result.output and "not-a-real-token" not in result.output


def test_require_viewer_refuses_anonymous_reads(synced, tmp_path):
    _, _, config_path = synced
    text = config_path.read_text(encoding="utf-8").replace("reports:\n", "reports:\n  require_viewer: true\n", 1)
    strict = config_path.with_name("strict.yaml")
    strict.write_text(text, encoding="utf-8")
    assert read_config(strict).reports.require_viewer
    result = run_report(strict, "ana", None)
    assert result.exit_code == 2 and "--viewer-token-env" in result.output
