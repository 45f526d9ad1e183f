"""``ladder team`` (who may read it, what it lists), overload flags, and ``ladder report --self-review``."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from flows.cli.main import main
from rubric.team import load_flags


def run(company, *args: str, token: str | None = None):
    argv = [args[0], "--config", str(company.config_path), *args[1:]]
    env = {}
    if token is not None:
        argv += ["--viewer-token-env", "VIEWER_TOKEN"]
        env["VIEWER_TOKEN"] = token
    return CliRunner().invoke(main, argv, env=env)


def test_the_team_page_lists_the_subtree_by_team_and_who_moved_away(company, tmp_path):
    result = run(
        company, "team", "--manager", company.old_manager, "--format", "json", "--prep-dir", str(tmp_path / "prep")
    )
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert page["manager"]["login"] == company.old_manager
    below = {p.login for p in company.world.people if p.manager == company.old_manager} - {company.mover}
    listed = {p["login"] for t in page["teams"] for p in t["people"]}
    assert listed == below
    assert page["moved_away"] == [
        {"login": company.mover, "name": "Zoë Costa", "team_name": "ML Platform", "until": "2026-08-23"}
    ]
    people = [p for t in page["teams"] for p in t["people"]]
    assert all(set(p["load"]) >= {"reviews_given", "reviews_received", "incidents_commanded"} for p in people)
    assert all(len(p["activity"]["months"]) == 3 for p in people if p["has_report"])
    assert {f.stem for f in (tmp_path / "prep").glob("*.html")} == below


@pytest.mark.parametrize("viewer", ["sorenn", "kwamed"])
def test_the_manager_and_those_above_may_read_the_team_page(company, viewer):
    result = run(company, "team", "--manager", company.old_manager, "--format", "md", token=company.token(viewer))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Team page: Søren Ngata (sorenn)")


@pytest.mark.parametrize("viewer", ["haeun-ngata", "ananya-costa"])
def test_anyone_else_is_refused_the_team_page(company, viewer):
    result = run(company, "team", "--manager", company.old_manager, token=company.token(viewer))
    assert result.exit_code == 2 and "may not read the team page" in result.output
    assert "Team page" not in result.output


def test_a_team_page_needs_someone_below(company):
    result = run(company, "team", "--manager", "haeun-ngata")
    assert result.exit_code == 2 and "manages nobody" in result.output


def test_overload_flags_scale_with_the_period_and_never_flag_low_output():
    quiet = dict.fromkeys(
        (
            "reviews_given",
            "reviews_received",
            "incidents_commanded",
            "incident_roles",
            "sev_high",
            "cross_team_review_requests",
            "cross_team_tickets",
        ),
        0,
    )
    assert load_flags(quiet, 92) == []  # nothing done is never a flag
    busy = {**quiet, "reviews_given": 40, "reviews_received": 12, "incidents_commanded": 3, "sev_high": 2}
    flags = load_flags(busy, 90)
    assert flags == [
        "review load: gives 40 reviews, receives 12",
        "incident command: commanded 3 incidents",
        "SEV load: a role on 0 incidents (2 SEV1/SEV2)",
    ]
    assert load_flags({**quiet, "reviews_given": 40, "reviews_received": 12}, 365) == []  # a year: 20/90 days scales
    assert load_flags({**quiet, "reviews_given": 40, "reviews_received": 25}, 90) == []  # not 2x what they receive


def test_self_review_draft(company):
    result = run(company, "report", "--engineer", company.mover, "--self-review")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Self-review draft: Zoë Costa, 2026-07-01 to 2026-09-30")
    areas = re.findall(r"^## (.+)$", text, flags=re.M)
    assert areas == ["Scope", "Results", "Direction", "Talent", "Culture", "Craft"]
    bullets = re.findall(r"^- \[.+\]\((https?://[^)]+)\) \(", text, flags=re.M)
    assert len(bullets) >= 10 and len(set(bullets)) == len(bullets)  # each PR or ticket once
    prompts = text.count("_Prompt: what did you do here?")
    assert prompts == 47  # every behaviour the data cannot see
    assert "Interviewing is not recorded in GitHub or Jira." in text
    refused = run(company, "report", "--engineer", company.mover, "--self-review", "--format", "html")
    assert refused.exit_code == 2 and "Markdown" in refused.output
