"""Former managers read their part: the report of someone who moved away, for the days they were on the team.

``rubric.access`` lets the engineer and the managers above them (the roster's current manager chain)
read a whole report.  After a team move the old manager is no longer in that chain, yet they know the
first part of the period best and often write that part of the review.  So a viewer who managed — or
is above the manager of — a team the person was on during the period may read the report **for the
days the person was on that team**, and only those: the period is narrowed to that stretch and the
report says so.  A team's manager is the one the roster names for the team's current members who
manage nobody themselves (``Warehouse.query_team_managers``): the roster keeps no dated manager
history, and a team keeps its manager when people move.

``report_grant`` is the whole rule, asked by ``ladder report`` (``flows.report_views``) and by every page
of ``ladder serve`` (``flows.web.policy``): the engineer and their managers read all of it, a former
manager their part, anyone else nothing.  A person who left (``end_date``) stays in the roster with their
manager, who keeps reading their report; they themselves read nothing after their last day
(``rubric.access.check_not_left``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rubric.access import AccessDenied, check_report_access, manager_chain
from rubric.history import clipped_intervals


@dataclass(frozen=True)
class FormerTeamWindow:
    team_id: str
    team_name: str
    since: dt.date
    until: dt.date

    def note(self, person_name: str, asked: tuple[dt.date, dt.date]) -> str:
        return (
            f"You managed {self.team_name} while {person_name} was on it: this report covers "
            f"{self.since} to {self.until}, your part of the period asked ({asked[0]} to {asked[1]}), and "
            "nothing after the move."
        )


def managers_of(wh: Any, team_id: str, team_managers: dict[str, list[str]]) -> list[str]:
    """The team's managers and everyone above them in the roster (person_ids only, never logins)."""
    out: list[str] = []
    for manager_id in team_managers.get(team_id, []):
        manager = wh.query_person_by_id(manager_id) or {"person_id": manager_id, "manager_id": None}
        for pid in [manager_id, *manager_chain(wh, manager)]:
            if pid not in out:
                out.append(pid)
    return out


def former_team_window(
    wh: Any, viewer_id: str, person: dict[str, Any], since: dt.date, until: dt.date
) -> FormerTeamWindow | None:
    """The latest stretch of [since, until] that ``person`` spent on a team ``viewer_id`` managed (or is above
    the manager of), or None.  The latest, not a hull: a person who left and came back is shown only for
    one contiguous stretch, never for the time in between."""
    team_managers = wh.query_team_managers()
    # The person's own intervals (not everyone's team members): ``ladder serve`` asks this for every person
    # on a viewer's home page.
    spans = clipped_intervals(wh.query_enrollments(person["person_id"]), "team", since, until)
    for team, first, last in sorted(spans, key=lambda span: span[1], reverse=True):
        if viewer_id in managers_of(wh, team["value"], team_managers):
            return FormerTeamWindow(team["value"], team.get("name") or team["value"], first, last)
    return None


@dataclass(frozen=True)
class ReportGrant:
    """How much of a report a viewer may read: all of it (``self``, ``manager``) or, as a
    ``former_manager``, only ``window``."""

    role: str  # self | manager | former_manager
    window: FormerTeamWindow | None = None


def report_grant(
    wh: Any, viewer: dict[str, Any], engineer_key: str, engineer: dict[str, Any] | None, since: dt.date, until: dt.date
) -> ReportGrant:
    """What ``viewer`` may read of ``engineer``'s report for [since, until]; AccessDenied when nothing (an
    unknown engineer gets the same answer as a forbidden one)."""
    try:
        check_report_access(wh, viewer, engineer_key, engineer)
    except AccessDenied:
        window = former_team_window(wh, viewer["person_id"], engineer, since, until) if engineer else None
        if window is None:
            raise
        return ReportGrant("former_manager", window)
    assert engineer is not None
    return ReportGrant("self" if viewer["person_id"] == engineer["person_id"] else "manager")
