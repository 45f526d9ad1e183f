"""A report is shown to the engineer and the managers above them, proven by their own GitHub token."""

from __future__ import annotations

import json

import pytest

from flows.config import read_config
from tests.support.reports import run_report

pytestmark = pytest.mark.slow  # `ladder report` with viewer tokens on a sandbox company synced by the real stages


@pytest.mark.parametrize("viewer, engineer", [("ana", "ana"), ("dana", "ana"), ("dana", "bo"), ("eli", "cyd")])
def test_engineer_and_managers_may_read(synced_tiny, viewer, engineer):
    world, _, config_path = synced_tiny
    result = run_report(config_path, engineer, world.person(viewer).token)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["engineer"]["login"] == engineer


@pytest.mark.parametrize("viewer, engineer", [("bo", "ana"), ("ana", "dana"), ("eli", "ana"), ("cyd", "bo")])
def test_peers_reports_and_other_teams_are_refused(synced_tiny, viewer, engineer):
    world, _, config_path = synced_tiny
    token = world.person(viewer).token
    result = run_report(config_path, engineer, token)
    assert result.exit_code == 2
    assert "may not read the report" in result.output and token not in result.output
    assert '"dimensions"' not in result.output


def test_unknown_token_is_refused_without_showing_it(synced_tiny):
    _, _, config_path = synced_tiny
    result = run_report(config_path, "ana", "not-a-real-token")
    assert result.exit_code == 2
    assert "invalid or expired" in result.output and "not-a-real-token" not in result.output


def test_require_viewer_refuses_anonymous_reads(synced_tiny, tmp_path):
    _, _, config_path = synced_tiny
    text = config_path.read_text(encoding="utf-8").replace("reports:\n", "reports:\n  require_viewer: true\n", 1)
    strict = config_path.with_name("strict.yaml")
    strict.write_text(text, encoding="utf-8")
    assert read_config(strict).reports.require_viewer
    result = run_report(strict, "ana", None)
    assert result.exit_code == 2 and "--viewer-token-env" in result.output
