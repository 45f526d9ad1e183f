"""build_report: schema-valid, per-person, period-bounded, capped, and honest about blind spots."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

from rubric import build_report
from rubric.calibration import calibrate_rubric
from rubric.report import BEHAVIOUR_CAP
from tests.support import REPO
from tests.support.evidence import ANA, GENERATED_AT, RUBRIC, SINCE, UNTIL, ev, small_evidence, small_report, table

SCHEMA = json.loads((REPO / "rubric" / "report.schema.json").read_text("utf-8"))


def dims(report: dict) -> dict[str, dict]:
    return {d["id"]: d for d in report["dimensions"]}


def test_report_validates_against_the_json_schema():
    report = small_report()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(report)
    assert json.loads(json.dumps(report)) == report  # plain JSON types only


def test_empty_evidence_is_a_valid_report_with_every_dimension():
    report = build_report(ANA, table([]), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    jsonschema.validate(report, SCHEMA)
    assert len(report["dimensions"]) == 22
    assert {d["strength"] for d in report["dimensions"]} == {"none"}
    assert report["coverage"]["evidence_items"] == 0


def test_schema_rejects_what_the_documentation_forbids():
    report = small_report()
    bad = json.loads(json.dumps(report))
    bad["dimensions"][0]["strength"] = "excellent"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = json.loads(json.dumps(report))
    bad["rank"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_engineer_period_rubric_header():
    report = small_report()
    assert report["schema_version"] == "3"
    assert report["title"] == "Evidence for the IC4 MLE rubric"  # the rubric, never the person's level
    assert report["engineer"] == {
        "login": "ana",
        "name": "Ana Lima",
        "team": {"id": "ml-platform", "name": "ML Platform"},
        "level": "IC4",
        "manager": {"login": "dana", "name": "Dana Okafor"},
    }
    assert report["period"] == {"since": "2026-10-01", "until": "2026-10-31", "days": 31}
    assert report["rubric"]["id"] == "ic4-mle" and report["rubric"]["version"] == "2"
    assert report["generated_at"] == "2026-11-01T06:00:00Z"


def test_period_filter_and_uncalibrated_strength():
    report = small_report()
    d = dims(report)
    own = d["results.ownership"]
    listed = [e["activity_id"] for b in own["behaviours"] for e in b.get("evidence", [])]
    assert listed == ["jira:incident:SRCH-1:commander", "gh:pr:acme/search-api#7"]
    assert own["weight_total"] == 2.0
    assert own["strength"] == "emerging"  # no calibration given: evidence is never above typical
    assert report["scoring"]["method"] == "uncalibrated"
    counts = {b["id"]: b["evidence_count"] for b in own["behaviours"]}
    assert counts["results.ownership.sev-urgency"] == 1 and counts["results.ownership.playbooks"] == 1
    assert counts["results.ownership.declare-sev"] == 0
    levers = d["scope.impact-levers"]
    assert levers["weight_total"] == 1.05 and levers["evidence_total"] == 2
    assert d["craft.ml-design"]["strength"] == "none" and d["craft.ml-design"]["score"] == 0.0


def _org(prs_and_playbooks: dict[str, tuple[int, int]]) -> tuple[list[dict], list[dict]]:
    """People (all IC4) and their October evidence: n merged PRs, of which k are playbooks."""
    people, rows = [], []
    for login, (n, k) in prs_and_playbooks.items():
        people.append({**ANA, "person_id": login, "name": login})
        for i in range(n):
            pid = f"gh:pr:acme/{login}#{i}"
            rows.append(ev(pid, "results.impact", "results.impact.on-time-quality", 1 + i % 30, 0.5, person=login))
            if i < k:
                rows.append(
                    ev(
                        pid,
                        "results.ownership",
                        "results.ownership.playbooks",
                        1 + i % 30,
                        1.0,
                        person=login,
                        signals=("work.playbook",),
                        reason="touches runbooks/",
                    )
                )
    return people, rows


def _calibrated(people, rows, login):
    cal = calibrate_rubric(RUBRIC, people, rows, since=SINCE, until=UNTIL)
    mine = table([r for r in rows if r["person_id"] == login])
    person = next(p for p in people if p["person_id"] == login)
    return build_report(person, mine, RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT, calibration=cal)


def test_calibrated_strength_needs_focus_and_rate_not_volume():
    org = {f"p{i}": (8 + i % 5, 1 if i % 4 == 0 else 0) for i in range(16)}  # ordinary: the odd runbook
    org["keeper"] = (12, 9)  # most of their work is playbooks
    org["busy"] = (60, 3)  # five times the PRs, a few runbooks along the way
    org["dabbler"] = (3, 2)  # two runbooks out of three PRs: too few items to stand out
    people, rows = _org(org)
    keeper = _calibrated(people, rows, "keeper")
    jsonschema.validate(keeper, SCHEMA)
    assert keeper["scoring"]["method"] == "calibrated" and keeper["scoring"]["cohort"] == "IC4s"
    assert "volume alone never reaches them" in keeper["scoring"]["rule"]
    own = dims(keeper)["results.ownership"]
    assert own["strength"] in ("solid", "strong")
    assert own["strength_basis"]["behaviour_id"] == "results.ownership.playbooks"
    assert own["strength_basis"]["typical"].startswith("typical for IC4s here: 0")
    assert dims(_calibrated(people, rows, "busy"))["results.ownership"]["strength"] == "emerging"
    assert dims(_calibrated(people, rows, "dabbler"))["results.ownership"]["strength"] == "emerging"
    assert dims(_calibrated(people, rows, "p4"))["results.ownership"]["strength"] == "emerging"
    # Merged PRs are what everyone does: nobody stands out on them, however many they merged.
    assert dims(_calibrated(people, rows, "busy"))["results.impact"]["strength"] == "emerging"
    # A report shows the cohort only as a typical range: no other login appears anywhere in it.
    text = json.dumps(keeper)
    assert not any(f'"{login}"' in text for login in org if login != "keeper")


def test_evidence_is_grouped_by_behaviour_so_rare_items_are_never_crowded_out():
    rows = [
        ev(
            f"gh:pr:x#{i:02d}",
            "scope.ownership-autonomy",
            "scope.ownership-autonomy.own-team-goals",
            1 + i % 28,
            0.5 if i % 3 else 1.0,
        )
        for i in range(40)
    ]
    rows.append(
        ev(
            "gh:pr:x#99",
            "scope.ownership-autonomy",
            "scope.ownership-autonomy.level-up-solutions",
            3,
            0.3,
            signals=("work.toil_automation",),
            reason="automates the nightly export",
        )
    )
    d = dims(build_report(ANA, table(rows), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT))
    scope = d["scope.ownership-autonomy"]
    assert scope["evidence_total"] == 41
    by_beh = {b["id"]: b for b in scope["behaviours"]}
    goals = by_beh["scope.ownership-autonomy.own-team-goals"]
    assert len(goals["evidence"]) == BEHAVIOUR_CAP and goals["evidence_omitted"] == 40 - BEHAVIOUR_CAP
    assert [e["weight"] for e in goals["evidence"]] == [1.0] * BEHAVIOUR_CAP
    heavy = [e["occurred_at"] for e in goals["evidence"]]
    assert heavy == sorted(heavy, reverse=True)
    assert [e["activity_id"] for e in by_beh["scope.ownership-autonomy.level-up-solutions"]["evidence"]] == [
        "gh:pr:x#99"
    ]
    listed = [e for b in scope["behaviours"] for e in b.get("evidence", [])]
    assert scope["evidence_omitted"] == 41 - len(listed) == 40 - BEHAVIOUR_CAP


def test_another_persons_rows_are_refused():
    rows = small_evidence().to_pylist() + [
        ev("gh:pr:z#1", "results.impact", "results.impact.on-time-quality", 4, 1.0, person="bo")
    ]
    with pytest.raises(ValueError, match="never mixes people"):
        build_report(ANA, table(rows), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)


def test_stale_rubric_rows_are_skipped(caplog):
    rows = [ev("gh:pr:z#1", "results.gone", "results.gone.x", 4, 1.0)]
    report = build_report(ANA, table(rows), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    assert report["coverage"]["evidence_items"] == 0
    assert "re-run the evidence stage" in caplog.text


def test_every_report_names_what_the_data_cannot_see():
    report = small_report()
    assert len(report["cannot_see"]["general"]) >= 3
    assert report["cannot_see"]["behaviours_not_observable"] == 47
    assert {d["id"] for d in report["cannot_see"]["dimensions"]} >= {"direction.agility", "craft.business-acumen"}
    for d in report["dimensions"]:
        unobservable = [b for b in d["behaviours"] if not b["observable"]]
        assert [c["id"] for c in d["cannot_show"]] == [b["id"] for b in unobservable]
        assert all(c["why"] for c in d["cannot_show"])
    assert dims(report)["direction.agility"]["observable"] is False
    assert dims(report)["direction.agility"]["score"] == 0.0


def test_report_is_deterministic_and_never_ranks():
    assert small_report() == small_report()

    def keys(node) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()

    found = {k for k in keys(small_report()) if any(w in k for w in ("rank", "percentile", "peer", "team_avg"))}
    assert not found


def test_bad_period_and_missing_person_id():
    with pytest.raises(ValueError, match="swap them"):
        build_report(ANA, table([]), RUBRIC, since=UNTIL, until=SINCE, generated_at=GENERATED_AT)
    with pytest.raises(ValueError, match="no person_id"):
        build_report({"name": "x"}, table([]), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)


def test_trend_against_the_same_persons_previous_period():
    report = build_report(
        ANA,
        small_evidence(),
        RUBRIC,
        since=SINCE,
        until=UNTIL,
        generated_at=GENERATED_AT,
        previous_evidence=small_evidence(),
    )
    jsonschema.validate(report, SCHEMA)
    # October is a calendar month: its previous period is September, not the 31 days before it
    assert report["previous_period"] == {"since": "2026-09-01", "until": "2026-09-30", "covered": True}
    d = dims(report)
    assert d["results.ownership"]["trend"] == {
        "previous_weight_total": 1.0,
        "previous_evidence_total": 1,
        "previous_strength": None,  # no calibration of September was given
        "change": "up",
    }
    assert d["scope.impact-levers"]["trend"]["change"] == "up"
    assert d["craft.ml-design"]["trend"] == {
        "previous_weight_total": 0.0,
        "previous_evidence_total": 0,
        "previous_strength": None,
        "change": "same",
    }
    later = build_report(
        ANA,
        table([]),
        RUBRIC,
        since=dt.date(2026, 11, 1),
        until=dt.date(2026, 11, 30),
        generated_at=GENERATED_AT,
        previous_evidence=small_evidence(),
    )
    assert dims(later)["results.ownership"]["trend"]["change"] == "down"
    assert "trend" not in dims(small_report())["results.ownership"]
    assert small_report()["previous_period"] == {"since": "2026-09-01", "until": "2026-09-30", "covered": False}
