"""Role history in reports, who reads a report after a team move, and who gets an IC report at all."""

from __future__ import annotations

import json

from click.testing import CliRunner

from flows.cli.main import main
from tests.support.two_quarters import LEFT_ON, MOVED_ON, PROMOTED_ON, Q3


def run(company, *args: str, token: str | None = None, config=None):
    env = {}
    argv = [args[0], "--config", str(config or company.config_path), *args[1:]]
    if token is not None:
        argv += ["--viewer-token-env", "VIEWER_TOKEN"]
        env["VIEWER_TOKEN"] = token
    return CliRunner().invoke(main, argv, env=env)


def test_a_promotion_and_a_team_move_are_shown_with_their_dates(company):
    result = run(company, "report", "--engineer", company.mover, "--format", "json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.stdout)["role_history"]
    assert history["changes"] == [
        {
            "date": PROMOTED_ON.isoformat(),
            "kind": "level",
            "from": {"id": "IC3", "name": "IC3"},
            "to": {"id": "IC4", "name": "IC4"},
            "in_period": True,
        },
        {
            "date": MOVED_ON.isoformat(),
            "kind": "team",
            "from": {"id": "ml-platform", "name": "ML Platform"},
            "to": {"id": "ranking", "name": "Ranking"},
            "in_period": True,
        },
    ]
    assert history["levels"] == [
        {"id": "IC3", "name": "IC3", "since": "2026-07-01", "until": "2026-08-16"},
        {"id": "IC4", "name": "IC4", "since": "2026-08-17", "until": "2026-09-30"},
    ]
    assert [t["id"] for t in history["teams"]] == ["ml-platform", "ranking"]
    md = run(company, "report", "--engineer", company.mover, "--format", "md").stdout
    assert f"level IC4 (IC3 → IC4 on {PROMOTED_ON})" in md
    assert f"team Ranking (moved ML Platform → Ranking on {MOVED_ON})" in md
    html = run(company, "report", "--engineer", company.mover, "--format", "html").stdout
    # on the timeline: a dashed line and a label at each date
    assert f"{PROMOTED_ON.isoformat()[5:]} promoted: IC3 → IC4" in html
    assert f"{MOVED_ON.isoformat()[5:]} moved: ML Platform → Ranking" in html


def test_a_leaver_shows_their_last_day(company):
    data = json.loads(run(company, "report", "--engineer", company.leaver, "--format", "json").stdout)
    assert data["role_history"]["end_date"] == LEFT_ON.isoformat() and data["role_history"]["left_in_period"]
    assert "left_mid_period" in {w["code"] for w in data["coverage_warnings"]}
    md = run(company, "report", "--engineer", company.leaver, "--format", "md").stdout
    assert f"last day {LEFT_ON}" in md


def test_the_old_manager_reads_the_part_before_the_move(company):
    old = company.token(company.old_manager)
    result = run(company, "report", "--engineer", company.mover, "--format", "json", token=old)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"]["since"] == Q3[0].isoformat()
    assert data["period"]["until"] == "2026-08-23"  # the day before the move: nothing after it
    assert "ML Platform" in data["access_note"] and "nothing after the move" in data["access_note"]
    days = [e["occurred_at"][:10] for d in data["dimensions"] for b in d["behaviours"] for e in b.get("evidence", [])]
    assert days and max(days) <= "2026-08-23"
    # the new manager and the director above both read the whole period
    for viewer in (company.new_manager, company.director):
        token = company.token(viewer)
        whole = json.loads(run(company, "report", "--engineer", company.mover, "--format", "json", token=token).stdout)
        assert whole["period"]["until"] == Q3[1].isoformat() and whole["access_note"] is None


def test_the_old_manager_sees_nothing_of_a_period_after_the_move(company):
    result = run(
        company,
        "report",
        "--engineer",
        company.mover,
        "--since",
        "2026-09-01",
        "--until",
        "2026-09-30",
        token=company.token(company.old_manager),
    )
    assert result.exit_code == 2 and "may not read the report" in result.output
    assert '"dimensions"' not in result.output


def test_a_peer_on_the_old_team_may_not_read_it(company):
    result = run(company, "report", "--engineer", company.mover, token=company.token("haeun-ngata"))
    assert result.exit_code == 2 and "may not read the report" in result.output


def test_a_manager_gets_no_ic_report_unless_the_config_says_so(company, tmp_path):
    refused = run(company, "report", "--engineer", company.old_manager)
    assert refused.exit_code == 2
    assert "gets no IC report" in refused.output and "reports.rubrics" in refused.output
    text = company.config_path.read_text(encoding="utf-8")
    generous = company.config_path.with_name("with-managers.yaml")
    generous.write_text(
        text.replace("reports:\n", "reports:\n  rubrics:\n  - levels: ['IC*', 'M1']\n", 1), encoding="utf-8"
    )
    given = run(company, "report", "--engineer", company.old_manager, "--format", "json", config=generous)
    assert given.exit_code == 0, given.output
    data = json.loads(given.stdout)
    assert data["title"] == "Evidence for the IC4 MLE rubric"  # the rubric, never the person's level (M1)
    still_not = run(company, "report", "--engineer", company.director, config=generous)  # M2
    assert still_not.exit_code == 2 and "gets no IC report" in still_not.output


def test_the_refusal_says_nothing_about_the_level_to_someone_who_may_not_read(company):
    result = run(company, "report", "--engineer", company.old_manager, token=company.token("haeun-ngata"))
    assert result.exit_code == 2 and "may not read the report" in result.output and "M1" not in result.output


def test_the_nightly_writes_no_ic_report_for_managers_but_their_team_pages(company, written):
    managers = {p.login for p in company.world.people if p.level.startswith("M")}
    ics = {p.login for p in company.world.people if p.level.startswith("IC") and not p.is_bot}
    assert {f.stem for f in written.glob("*.json")} == ics
    assert {f.stem for f in (written / "prep").glob("*.html")} == ics
    assert {f.stem for f in (written / "teams").glob("*.json")} == managers
    old = json.loads((written / "teams" / f"{company.old_manager}.json").read_text(encoding="utf-8"))
    assert [p["login"] for p in old["moved_away"]] == [company.mover]
    assert old["moved_away"][0]["until"] == "2026-08-23"
