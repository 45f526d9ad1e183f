"""Calibrated strength on hand-built cohorts: who stands out, who does not, and against whom."""

from __future__ import annotations

import datetime as dt
import math

from rubric import load_rubric
from rubric.calibration import (
    PersonTotals,
    _scale,
    calibrate,
    calibrate_rubric,
    judge,
    nearest_levels,
    totals_from_rows,
)

BEH = "results.ownership.playbooks"
WEEKS = 13.0  # a quarter


def person(pid: str, level: str, items: int, prs: int = 40) -> PersonTotals:
    """``items`` playbook PRs among ``prs`` PRs over a quarter, each worth 1.0."""
    return PersonTotals(
        pid,
        level,
        WEEKS,
        WEEKS,
        {"pr": prs},
        {BEH: float(items)} if items else {},
        {BEH: items} if items else {},
        {(BEH, "pr"): items} if items else {},
    )


def test_nearest_levels_grow_a_ring_at_a_time_within_one_track():
    active = {"IC1": 3, "IC2": 10, "IC3": 13, "IC4": 7, "IC5": 2, "M1": 6, "M2": 1}
    assert nearest_levels("IC4", active, 8) == ["IC3", "IC4", "IC5"]  # both neighbours at distance 1, together
    assert nearest_levels("IC4", active, 7) == ["IC4"]
    assert nearest_levels("M1", active, 8) == []  # the managers' track holds 7: never padded with engineers
    assert nearest_levels("Staff", active, 8) == []


def test_a_small_level_is_compared_with_its_neighbours_not_with_managers():
    # Seven IC4s (below min_cohort 8), their IC3/IC5 neighbours, and managers who write no playbooks at all.
    people = [person(f"ic4-{i}", "IC4", i % 2) for i in range(7)]
    people += [person(f"ic3-{i}", "IC3", i % 3) for i in range(6)] + [person(f"ic5-{i}", "IC5", 1) for i in range(3)]
    people += [person(f"m1-{i}", "M1", 0, prs=2) for i in range(12)]
    cal = calibrate(people, [BEH])
    cohort = cal.cohort_for("IC4")
    assert cohort is not None and cohort.label == "IC3–IC5s" and cohort.size == 16
    assert cal.cohort_for("M1") is not None and cal.cohort_for("M1").key == "M1"  # 12 managers: their own cohort


def test_a_few_items_of_a_behaviour_many_show_now_and_then_are_chance_not_strength():
    # A third of the cohort writes one or two playbooks a quarter; nobody writes more.
    people = [person(f"p{i}", "IC4", (0, 1, 0, 2, 0, 0)[i % 6]) for i in range(30)]
    lucky = person("lucky", "IC4", 3)
    keeper = person("keeper", "IC4", 12)
    cal = calibrate([*people, lucky, keeper], [BEH])
    cohort = cal.cohort_for("IC4")
    assert judge(lucky, BEH, cohort).strength == "emerging"
    assert judge(keeper, BEH, cohort).strength in ("solid", "strong")


def test_busy_is_not_focused_and_focused_but_rare_is_not_enough():
    people = [person(f"p{i}", "IC4", i % 2, prs=40) for i in range(20)]
    busy = person("busy", "IC4", 8, prs=400)  # ten times the PRs, the usual share of playbooks
    rare = person("rare", "IC4", 2, prs=3)  # two of three PRs: a high share of very little
    cal = calibrate([*people, busy, rare], [BEH])
    cohort = cal.cohort_for("IC4")
    assert judge(busy, BEH, cohort).strength == "emerging"
    assert judge(rare, BEH, cohort).strength == "emerging"


def test_a_behaviour_whose_items_are_projects_needs_fewer_of_them():
    rubric = load_rubric()
    lead = next(b for _, b in rubric.behaviours() if b.id == "scope.impact-levers.project-leadership")
    assert lead.min_items == 2 and rubric.scoring.min_items == 3
    since, until = dt.date(2026, 7, 1), dt.date(2026, 9, 29)
    people = [{"person_id": f"p{i}", "level": "IC4", "start_date": None} for i in range(12)]
    people.append({"person_id": "lead", "level": "IC4", "start_date": None})
    at = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)

    def row(pid: str, activity: str, behaviour: str, weight: float, kind: str = "ticket") -> dict:
        return {
            "person_id": pid,
            "behaviour_id": behaviour,
            "kind": kind,
            "thread_id": activity,
            "activity_id": activity,
            "weight": weight,
            "signals": ["project.epic_lead"],
            "occurred_at": at,
        }

    rows = [row(f"p{i}", f"t-{i}-{j}", "results.impact.on-time-quality", 0.5) for i in range(12) for j in range(30)]
    rows += [row(f"p{i}", f"e-{i}", lead.id, 0.1) for i in range(0, 12, 3)]  # a typical-sized epic now and then
    rows += [row("lead", f"t-lead-{j}", "results.impact.on-time-quality", 0.5) for j in range(30)]
    rows += [row("lead", "e-big-1", lead.id, 1.0), row("lead", "e-big-2", lead.id, 1.0)]  # two large projects
    cal = calibrate_rubric(rubric, people, rows, since=since, until=until)

    totals = totals_from_rows(
        "lead", "IC4", None, [r for r in rows if r["person_id"] == "lead"], since=since, until=until
    )
    assert judge(totals, lead.id, cal.cohort_for("IC4")).strength in ("solid", "strong")


def test_a_small_cohort_knows_its_typical_value_less_well_so_standing_out_takes_more():
    # The median of n people is itself uncertain (variance ~ pi/2 * spread^2 / n): a person's distance
    # from it is judged on the spread widened by that uncertainty, which matters for 8 people, not for 800.
    assert math.isclose(_scale([0.0] * 8, floor=1.0).spread, math.sqrt(1 + math.pi / 16))
    assert math.isclose(_scale([0.0] * 800, floor=1.0).spread, 1.0, rel_tol=1e-3)
    # the same standing (ten items against a cohort that shows 0-3) is a smaller lift among 8 than among 80
    pattern = (0, 1, 0, 2, 1, 0, 3, 1)
    few = [person(f"p{i}", "IC4", n) for i, n in enumerate(pattern)]
    many = [person(f"p{j}-{i}", "IC4", n) for j in range(10) for i, n in enumerate(pattern)]
    x = person("x", "IC4", 10)
    lift_few = judge(x, BEH, calibrate(few, [BEH]).cohort_for("IC4")).lift
    lift_many = judge(x, BEH, calibrate(many, [BEH]).cohort_for("IC4")).lift
    assert lift_few is not None and lift_many is not None and lift_few < lift_many


def test_tickets_under_an_epic_one_leads_are_part_of_leading_it_not_threads_beside_it():
    # Sixteen IC4s with 40 tickets a year, some leading a few small epics; one lead with three large epics
    # and 120 tickets, 90 of them stories of those epics.  Counted as threads of their own, the stories
    # make leading look like a small share of the lead's work; they are the work of leading.
    rubric = load_rubric()
    lead_beh, on_time = "scope.impact-levers.project-leadership", "results.impact.on-time-quality"
    since, until = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    at = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)

    def row(pid: str, thread: str, behaviour: str, weight: float) -> dict:
        return {
            "person_id": pid,
            "behaviour_id": behaviour,
            "kind": "ticket",
            "thread_id": thread,
            "activity_id": thread,
            "weight": weight,
            "occurred_at": at,
        }

    people = [{"person_id": f"p{i}", "level": "IC4", "start_date": None} for i in range(16)]
    people.append({"person_id": "lead", "level": "IC4", "start_date": None})
    rows = [row(f"p{i}", f"t-{i}-{j}", on_time, 0.5) for i in range(16) for j in range(40)]
    rows += [row(f"p{i}", f"e-{i}-{k}", lead_beh, 0.1 * (1 + i % 3)) for i in range(16) for k in range(i % 4)]
    rows += [row("lead", f"e-lead-{k}", lead_beh, 1.0) for k in range(3)]
    rows += [row("lead", f"t-lead-{j}", on_time, 0.5) for j in range(120)]
    own = [r for r in rows if r["person_id"] == "lead"]

    def strength(parents: dict[str, str]) -> str:
        cal = calibrate_rubric(rubric, people, rows, since=since, until=until, parents=parents)
        totals = totals_from_rows("lead", "IC4", None, own, since=since, until=until, parents=cal.parents)
        return judge(totals, lead_beh, cal.cohort_for("IC4")).strength

    under_own = {f"t-lead-{j}": f"e-lead-{j % 3}" for j in range(90)}
    under_others = {f"t-lead-{j}": f"e-{j % 16}-0" for j in range(90)}  # other people's epics: nothing folds
    assert strength({}) == "emerging"
    assert strength(under_others) == "emerging"
    assert strength(under_own) == "solid"


def test_folding_follows_parents_up_and_keeps_a_thread_that_is_evidence_itself():
    lead_beh, on_time = "scope.impact-levers.project-leadership", "results.impact.on-time-quality"
    at = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    rows = [
        {"behaviour_id": lead_beh, "kind": "ticket", "thread_id": "epic", "activity_id": "epic", "weight": 1.0},
        {"behaviour_id": lead_beh, "kind": "ticket", "thread_id": "sub-epic", "activity_id": "sub-epic", "weight": 1.0},
        {"behaviour_id": on_time, "kind": "ticket", "thread_id": "story", "activity_id": "story", "weight": 0.5},
        {"behaviour_id": on_time, "kind": "ticket", "thread_id": "sub-task", "activity_id": "sub-task", "weight": 0.5},
        {"behaviour_id": on_time, "kind": "ticket", "thread_id": "loose", "activity_id": "loose", "weight": 0.5},
    ]
    for r in rows:
        r.update(person_id="x", occurred_at=at)
    parents = {"sub-task": "story", "story": "epic", "sub-epic": "epic"}
    since, until = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    totals = totals_from_rows("x", "IC4", None, rows, since=since, until=until, parents=parents)
    tickets = frozenset({"ticket"})
    assert totals.base(tickets) == 5
    # the story and its sub-task are part of the epic; the sub-epic is evidence of leading in its own right
    assert totals.base(tickets, lead_beh) == 3
    # on-time delivery: the epics lie under no on-time ticket; nothing is folded
    assert totals.base(tickets, on_time) == 5
    assert totals_from_rows("x", "IC4", None, rows, since=since, until=until).base(tickets, lead_beh) == 5
    # links that loop back end where they repeat
    looped = totals_from_rows(
        "x", "IC4", None, rows, since=since, until=until, parents={"epic": "loose", "loose": "epic"}
    )
    assert looped.base(tickets, lead_beh) == 4  # "loose" lies under the epic
