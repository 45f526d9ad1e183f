"""`ladder report` end to end: a trend only where the warehouse holds the previous period, never otherwise."""

from __future__ import annotations

import json

import pytest

from tests.support.reports import run_report

pytestmark = pytest.mark.slow  # `ladder report` on a sandbox company synced by the real stages


def test_trend_against_the_previous_period_when_history_covers_it(synced_tiny):
    _, _, config_path = synced_tiny
    # tiny world activity starts 2026-10-01; the 12 days before 10-13 are 10-01..10-12
    result = run_report(config_path, "ana", None, "--since", "2026-10-13", "--until", "2026-10-24")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["previous_period"] == {"since": "2026-10-01", "until": "2026-10-12", "covered": True}
    trends = [d["trend"] for d in report["dimensions"] if "trend" in d]
    assert trends and all(t["change"] in ("up", "down", "same") for t in trends)
    assert any(t["previous_evidence_total"] > 0 for t in trends)  # ana reviewed and owned a SEV in early October


def test_no_trend_is_claimed_without_history(synced_tiny):
    _, _, config_path = synced_tiny
    result = run_report(config_path, "ana", None, "--since", "2026-10-01", "--until", "2026-10-24")
    report = json.loads(result.stdout)
    assert report["previous_period"] == {"since": "2026-09-07", "until": "2026-09-30", "covered": False}
    assert not any("trend" in d for d in report["dimensions"])
