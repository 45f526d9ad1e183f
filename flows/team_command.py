"""``ladder team``: one manager's team page and the prep sheets of their reports, built on demand.

The nightly flow writes the same pages for every manager (``flows.stages.write_reports``); this builds
one, after checking who asks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.team_pages import Org, team_page


def manager_page(
    config,
    manager_key: str,
    since: dt.date | None,
    until: dt.date | None,
    *,
    viewer_token_env: str | None,
    now: dt.datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``ladder team``: the team page of one manager and the prep sheet of each report below them.

    Only the manager and the managers above them may read it when a viewer token is given (or the config
    records that one is required).  Returns (page, prep sheets)."""
    from flows import stages
    from flows.report_views import ReportRequestError, check_token_env, find_person, identify_reader, resolve_period
    from flows.rubrics import Rubrics
    from rubric.access import AccessDenied, manager_chain
    from rubric.team import person_summary, prep_sheet
    from warehouse import open_warehouse

    since, until = resolve_period(config, since, until, now.date())
    days = (until - since).days + 1
    rubrics = Rubrics(config)
    check_token_env(viewer_token_env)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        # Who is asking comes first: nothing below says whether the manager exists before that.
        viewer = identify_reader(wh, config, viewer_token_env, now.date())
        manager = wh.query_person(manager_key)
        if viewer is not None and (
            manager is None
            or (viewer["person_id"] != manager["person_id"] and viewer["person_id"] not in manager_chain(wh, manager))
        ):
            raise AccessDenied(
                f"{viewer['person_id']} may not read the team page of {manager_key!r}: it is shown only to that "
                "manager and the managers above them in the roster."
            )
        manager = find_person(config, manager_key, manager, "manager")
        org = Org.read(wh, since, until)
        below = org.subtree(manager["person_id"])
        if not below:
            raise ReportRequestError(
                f"{manager['person_id']} manages nobody in the roster: a team page lists the people below a "
                "manager (their `manager:` entries)."
            )
        history_start = wh.query_activity_span()[0]
        norms = stages.PeriodNorms(wh, since, until, history_start)
        monthly = wh.query_monthly_activity(since, until, below)
        coverage = stages.coverage_inputs(config)
        summaries, sheets = {}, []
        for pid in below:
            person = org.people[pid]
            rubric = rubrics.for_person(person)
            facts = org.facts.get(pid, {})
            if rubric is None:
                summaries[pid] = person_summary(None, person, facts, days)
                continue
            calibration, previous = norms(rubric)
            report = stages.render_person_report(
                wh,
                rubric,
                person,
                since=since,
                until=until,
                generated_at=now,
                history_start=history_start,
                calibration=calibration,
                previous_calibration=previous,
                coverage=coverage,
                monthly=monthly,
            )
            summaries[pid] = person_summary(report, person, facts, days)
            sheets.append(prep_sheet(report, facts))
    page = team_page(org, manager["person_id"], summaries, since=since, until=until, generated_at=stages.utc_stamp(now))
    return page, sheets
