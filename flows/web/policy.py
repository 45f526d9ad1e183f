"""Who may read whose pages in ``ladder serve``: the one policy every route asks.

The rule is the CLI's (``rubric.access_teams.report_grant``, which ``ladder report --viewer-token-env``
enforces too): a signed-in roster person may read a subject's report when they are the subject
(``self``), above the subject in the roster (``manager``), or managed a team the subject was on during
the period (``former_manager``: only the days the subject was on it).  A configured admin
(``web.admins``) reads everyone's whole report.  A viewer who left (roster ``end_date`` over, by the
app's clock) reads nothing, even with a session from before.  Anyone else, and any subject that does not
exist, gets ``None``: the routes answer 404 either way, so a viewer learns nothing about who exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rubric.access import AccessDenied, check_not_left
from rubric.access_teams import FormerTeamWindow, report_grant

ROLES = ("self", "manager", "former_manager", "admin")
ROLE_TEXT = {"self": "you", "manager": "manager", "former_manager": "former manager (part)", "admin": "admin"}


@dataclass(frozen=True)
class Grant:
    """What a viewer may do with one subject's pages: read them, as ``role``; a former manager only the
    ``window`` of the period."""

    subject: dict[str, Any]
    role: str  # one of ROLES
    window: FormerTeamWindow | None = None

    @property
    def may_decide(self) -> bool:
        """A dispute is confirmed or rejected by someone above the subject now (or an admin): never by the
        subject, nor by a former manager (who reads only part of the report)."""
        return self.role in ("manager", "admin")


def grant_for(
    wh: Any,
    viewer: dict[str, Any],
    subject_id: str,
    admins: list[str],
    *,
    period: tuple[dt.date, dt.date],
    today: dt.date,
) -> Grant | None:
    """The viewer's grant on ``subject_id``'s pages for the report ``period``, or None (answer 404)."""
    subject = wh.query_person_by_id(subject_id)
    if subject is None:
        return None
    try:
        check_not_left(wh, viewer, today)
    except AccessDenied:
        return None
    is_admin = viewer["person_id"] in admins
    try:
        found = report_grant(wh, viewer, subject_id, subject, *period)
    except AccessDenied:
        return Grant(subject, "admin") if is_admin else None
    if found.window is not None and is_admin:
        return Grant(subject, "admin")  # an admin reads the whole report, whatever else they were
    return Grant(subject, found.role, found.window)


def readable_people(
    wh: Any, viewer: dict[str, Any], admins: list[str], *, period: tuple[dt.date, dt.date], today: dt.date
) -> list[tuple[dict[str, Any], str]]:
    """Every roster person whose pages the viewer may read, with the role, by name."""
    found = []
    for person in wh.query_people():
        grant = grant_for(wh, viewer, person["person_id"], admins, period=period, today=today)
        if grant is not None:
            found.append((grant.subject, grant.role))
    return sorted(found, key=lambda pair: (pair[1] != "self", str(pair[0]["name"]).lower(), pair[0]["person_id"]))
