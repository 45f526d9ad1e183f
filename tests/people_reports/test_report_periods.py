"""Trend done right: the previous period is the same calendar length just before; one-day periods; no history said."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from flows.cli.main import main
from flows.stages import history_covers
from rubric.report import previous_period

d = dt.date


@pytest.mark.parametrize(
    "since, until, before",
    [
        (d(2026, 7, 1), d(2026, 9, 30), (d(2026, 4, 1), d(2026, 6, 30))),  # a calendar quarter: the previous quarter
        (d(2026, 1, 1), d(2026, 3, 31), (d(2025, 10, 1), d(2025, 12, 31))),  # across a year
        (d(2026, 3, 1), d(2026, 3, 31), (d(2026, 2, 1), d(2026, 2, 28))),  # a month: the previous month, any length
        (d(2026, 1, 1), d(2026, 12, 31), (d(2025, 1, 1), d(2025, 12, 31))),  # a year
        (d(2026, 6, 1), d(2026, 6, 1), (d(2026, 5, 31), d(2026, 5, 31))),  # one day: the day before
        (d(2026, 7, 10), d(2026, 7, 23), (d(2026, 6, 26), d(2026, 7, 9))),  # 14 days: the 14 days before
    ],
)
def test_previous_period_is_the_same_calendar_length_just_before(since, until, before):
    assert previous_period(since, until) == before


def test_history_covers_only_when_the_warehouse_holds_the_previous_period():
    def start(day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.timezone.utc)

    q3 = (d(2026, 7, 1), d(2026, 9, 30))
    assert history_covers(start(d(2026, 4, 1)), *q3)
    assert history_covers(start(d(2026, 4, 6)), *q3)  # a quiet first week of the previous quarter
    assert not history_covers(start(d(2026, 4, 20)), *q3)
    assert not history_covers(None, *q3)
    assert history_covers(start(d(2026, 5, 31)), d(2026, 6, 1), d(2026, 6, 1))
    assert not history_covers(start(d(2026, 6, 1)), d(2026, 6, 1), d(2026, 6, 1))  # no slack for one day


def report(company, login: str, *extra: str, token: str | None = None, config=None):
    args = ["report", "--config", str(config or company.config_path), "--engineer", login, "--format", "json"]
    env = {}
    if token is not None:
        args += ["--viewer-token-env", "VIEWER_TOKEN"]
        env["VIEWER_TOKEN"] = token
    return CliRunner().invoke(main, [*args, *extra], env=env)


def test_calendar_quarter_trend_on_a_warehouse_holding_two_quarters(company):
    result = report(company, "haeun-ngata", "--since", "2026-07-01", "--until", "2026-09-30")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["previous_period"] == {"since": "2026-04-01", "until": "2026-06-30", "covered": True}
    trends = [dim["trend"] for dim in data["dimensions"] if dim["observable"]]
    assert len(trends) == sum(dim["observable"] for dim in data["dimensions"])
    assert any(t["previous_evidence_total"] > 0 for t in trends)
    assert all(t["previous_strength"] in ("none", "emerging", "solid", "strong") for t in trends)  # calibrated on Q2
    assert all(a["previous_evidence_total"] is not None for a in data["areas"])
    for fmt in ("md", "html"):
        text = (
            CliRunner()
            .invoke(
                main,
                ["report", "--config", str(company.config_path), "--engineer", "haeun-ngata", "--format", fmt],
                env={},
            )
            .stdout
        )
        assert "2026-04-01 to 2026-06-30" in text and "compared: " in text and "no history" not in text
        assert any(arrow in text for arrow in ("↑", "↓", "→"))


def test_no_history_is_said_plainly(company):
    result = report(company, "haeun-ngata", "--since", "2026-04-01", "--until", "2026-06-30")
    data = json.loads(result.stdout)
    assert data["previous_period"] == {"since": "2026-01-01", "until": "2026-03-31", "covered": False}
    assert not any("trend" in dim for dim in data["dimensions"])
    md = report(company, "haeun-ngata", "--since", "2026-04-01", "--until", "2026-06-30", "--format", "md").stdout
    assert "no history (the warehouse does not cover it, so no trend is claimed)" in md


def test_a_one_day_period_is_a_period(company):
    result = report(company, "haeun-ngata", "--since", "2026-06-01", "--until", "2026-06-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"] == {"since": "2026-06-01", "until": "2026-06-01", "days": 1}
    assert data["previous_period"] == {"since": "2026-05-31", "until": "2026-05-31", "covered": True}
    assert [m["month"] for m in data["activity"]["months"]] == ["2026-06"]
    backwards = report(company, "haeun-ngata", "--since", "2026-06-02", "--until", "2026-06-01")
    assert backwards.exit_code == 2 and "may be the same day" in backwards.output
