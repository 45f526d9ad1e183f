"""The report's parts on hand-built input: role history, highlights, the evidence index, charts, notes."""

from __future__ import annotations

import datetime as dt
import re

from rubric import build_report, render_report
from rubric.charts import area_bars, timeline
from rubric.highlights import evidence_index
from rubric.history import role_history
from rubric.render_parts import link_note
from tests.support.evidence import ANA, GENERATED_AT, RUBRIC, SINCE, UNTIL, ev, table

d = dt.date


def test_role_history_dates_changes_and_leaving():
    enrollments = [
        {"kind": "team", "value": "search", "name": "Search", "valid_from": None, "valid_to": d(2026, 10, 12)},
        {
            "kind": "team",
            "value": "ml",
            "name": "ML Platform",
            "valid_from": d(2026, 10, 12),
            "valid_to": d(2026, 10, 29),
        },
        {"kind": "level", "value": "IC2", "name": "IC2", "valid_from": None, "valid_to": d(2025, 3, 1)},
        {"kind": "level", "value": "IC3", "name": "IC3", "valid_from": d(2025, 3, 1), "valid_to": d(2026, 10, 29)},
    ]
    h = role_history(enrollments, start_date=d(2024, 1, 8), since=SINCE, until=UNTIL)
    assert [(c["date"], c["kind"], c["in_period"]) for c in h["changes"]] == [
        ("2025-03-01", "level", False),
        ("2026-10-12", "team", True),
    ]
    assert h["end_date"] == "2026-10-28" and h["left_in_period"] and not h["started_in_period"]
    assert h["teams"] == [
        {"id": "search", "name": "Search", "since": "2026-10-01", "until": "2026-10-11"},
        {"id": "ml", "name": "ML Platform", "since": "2026-10-12", "until": "2026-10-28"},
    ]
    report = build_report(
        ANA, table([]), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT, enrollments=enrollments
    )
    md = render_report(report, "md")
    assert "moved Search → ML Platform on 2026-10-12" in md and "earlier: IC2 → IC3 on 2025-03-01" in md
    assert "last day 2026-10-28" in md


def _rows() -> list[dict]:
    rows = []
    for i in range(6):  # one PR counts for two behaviours of two areas: shown in full once
        rows.append(ev(f"gh:pr:x#{i}", "results.impact", "results.impact.on-time-quality", 2 + i, 0.5))
    rows.append(
        ev(
            "gh:pr:x#0",
            "craft.code-fluency",
            "craft.code-fluency.l3-fluency",
            2,
            0.9,
            signals=("work.test",),
            reason="tests",
        )
    )
    rows.append(
        ev(
            "gh:pr:x#9",
            "results.ownership",
            "results.ownership.playbooks",
            9,
            1.0,
            signals=("work.playbook",),
            reason="a runbook",
        )
    )
    return rows


def test_highlights_pick_each_behaviours_best_and_show_every_thread_once():
    report = build_report(ANA, table(_rows()), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    groups = {g["area"]: [i["activity_id"] for i in g["items"]] for g in report["highlights"]["items"]}
    # Results: the runbook (its behaviour's best) before a second delivery item; 2 items (nothing stands out)
    assert groups["results"] == ["gh:pr:x#9", "gh:pr:x#5"]
    assert groups["craft"] == ["gh:pr:x#0"]
    assert groups["scope"] == []
    index = evidence_index(report)
    assert [index[t]["number"] for t in ("gh:pr:x#9", "gh:pr:x#5", "gh:pr:x#0")] == [1, 2, 3]
    assert all(index[t]["behaviour_id"] == "highlights" for t in ("gh:pr:x#9", "gh:pr:x#5", "gh:pr:x#0"))
    assert index["gh:pr:x#4"]["behaviour_id"] == "results.impact.on-time-quality"
    md = render_report(report, "md")
    full = re.findall(r"^\s*- \\\[(\d+)\\\] ", md, flags=re.M)
    assert len(full) == len(set(full)) == len({r["thread_id"] for r in _rows()})  # every thread in full, once
    assert "also \\[3\\]" in md  # the PR is referred to by number under the delivery behaviour


def test_charts_follow_the_period_and_the_role_changes():
    enrollments = [
        {"kind": "level", "value": "IC3", "name": "IC3", "valid_from": None, "valid_to": d(2026, 10, 16)},
        {"kind": "level", "value": "IC4", "name": "IC4", "valid_from": d(2026, 10, 16), "valid_to": None},
    ]
    monthly = {"2026-10": {"pull_requests": 4, "reviews": 9, "tickets": 2, "incidents": 1}}
    report = build_report(
        ANA,
        table(_rows()),
        RUBRIC,
        since=SINCE,
        until=UNTIL,
        generated_at=GENERATED_AT,
        enrollments=enrollments,
        activity=monthly,
    )
    chart = timeline(report)
    assert chart is not None and len(chart["bars"]) == 4 and chart["top_value"] == 10
    (marker,) = chart["markers"]
    plot = chart["plot"]
    assert marker["text"] == "10-16 promoted: IC3 → IC4"
    assert abs(marker["x"] - (plot["x"] + plot["w"] * 15 / 31)) < 0.2  # the 16th of a 31-day month
    bars = area_bars(report)
    assert [r["now"]["value"] for r in bars["rows"]] == [0, 7, 0, 0, 0, 1] and not bars["covered"]
    html = render_report(report, "html")
    assert html.count('<svg class="chart timeline"') == 1 and html.count('<svg class="chart areas"') == 1
    no_activity = build_report(ANA, table([]), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    assert timeline(no_activity) is None and '<svg class="chart timeline"' not in render_report(no_activity, "html")


def test_dead_end_links_are_said_once():
    local = build_report(ANA, table(_rows()), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    assert "github.test" in (link_note(local) or "")
    rows = [dict(r, url=r["url"].replace("github.test", "github.com")) for r in _rows()]
    public = build_report(ANA, table(rows), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    assert link_note(public) is None
    rows[-1]["url"] = "http://127.0.0.1:8765/jira/browse/ML-1"  # the runbook, listed
    loopback = build_report(ANA, table(rows), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
    assert "127.0.0.1:8765" in (link_note(loopback) or "")
