"""Who may read whose report: the engineer and the managers above them, nobody else.

``ladder report --viewer-token-env NAME`` is an operator convenience (README, "Who may read a report"):
the files the nightly writes are the operator's alone (``flows.files``), and the way engineers and
managers read is meant to be served, not handed out.  When the CLI does check a viewer, nothing it relies
on comes from the reader: the policy (is a viewer required? which GitHub answers ``GET /user``?) is what
the nightly's config recorded in the warehouse, and the config file must be the operator's
(``flows.viewer``, which also asks GitHub who owns the token).  Here, the rule:

- **the viewer** is matched by GitHub's immutable numeric user id, never by a login alone: the roster
  person whose ``github_id`` is the token owner's id, with the current login agreeing; a roster person
  without ``github_id`` only through their *current* login and the id the sync recorded for it.  Former
  logins never grant access, and a roster id is never compared with a GitHub login;
- **a person who left** (the roster's ``end_date``) reads nothing once their last day is over: not their
  own report, not their former reports' (``check_not_left``; checked at sign-in and on every page of
  ``ladder serve``, on every ``ladder report`` / ``ladder team`` with a viewer token);
- **the report** is shown to that person when they are the engineer or one of the managers above the
  engineer in the roster; an unknown engineer gets the same answer as a forbidden one.  A former manager
  reads part of it (``rubric.access_teams``).

``wh`` is an open ``warehouse.Warehouse`` (``query_viewer_candidates``, ``query_person_by_id``,
``query_enrollments``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from miners.records import identity_key
from rubric.history import last_day

log = logging.getLogger("ladder.access")


class AccessDenied(Exception):
    """The viewer may not read this report; the message says why and who may."""


@dataclass(frozen=True)
class Viewer:
    """The owner of a token, as GitHub's ``GET /user`` names them."""

    login: str
    github_id: int


def _not_in_roster(viewer: Viewer, why: str = "") -> AccessDenied:
    return AccessDenied(
        f"the token belongs to GitHub user {viewer.login} (id {viewer.github_id}), who is not a roster person "
        "here: viewers are matched by GitHub's numeric user id (roster github_id), with the current login "
        f"agreeing{why}. Only the engineer and their managers may read a report."
    )


def check_not_left(wh: Any, person: dict[str, Any], today: dt.date) -> None:
    """AccessDenied when the roster says ``person`` left before ``today`` (their ``end_date``, the last
    working day, is over): people who left read nothing, their own report included."""
    left = last_day(wh.query_enrollments(person["person_id"]))
    if left is not None and left < today:
        raise AccessDenied(
            f"{person['person_id']} left on {left} (roster end_date): people who left read no reports here."
        )


def identify_viewer(wh: Any, viewer: Viewer, *, today: dt.date) -> dict[str, Any]:
    """The roster person the viewer is, by GitHub numeric id (see module doc), who has not left by
    ``today``; AccessDenied otherwise."""
    person = _roster_person(wh, viewer)
    check_not_left(wh, person, today)
    return person


def _roster_person(wh: Any, viewer: Viewer) -> dict[str, Any]:
    found = wh.query_viewer_candidates(viewer.github_id, viewer.login)
    by_id = found["by_github_id"]
    if len(by_id) > 1:
        raise _not_in_roster(viewer, "; the roster lists this id for several people, so it names nobody")
    if by_id:
        person = by_id[0]
        logins = person["github_logins"]
        if not logins or identity_key("github", logins[0]) != identity_key("github", viewer.login):
            raise AccessDenied(
                f"GitHub user {viewer.login} (id {viewer.github_id}): the roster lists this id with another "
                "current login, and the login must agree with the id. If you renamed your GitHub account, ask "
                "the operator to put your current login first in github_logins."
            )
        return person
    by_login = found["by_current_login"]
    if len(by_login) != 1 or by_login[0]["github_id"] is not None:
        # Nobody, or the person with this login has another id: the login changed hands.
        raise _not_in_roster(viewer, "; former logins and logins that changed hands never grant access")
    person = by_login[0]
    if found["seen_ids"] != [viewer.github_id]:
        raise _not_in_roster(
            viewer,
            "; the roster gives no github_id for the person with this login, and the sync has "
            + ("recorded another id for it" if found["seen_ids"] else "not seen this account")
            + ": ask the operator to add your github_id to the roster",
        )
    return person


def manager_chain(wh: Any, person: dict[str, Any]) -> list[str]:
    """person_ids of ``person``'s manager, their manager, ... (stops at a cycle); ids only, never logins."""
    chain: list[str] = []
    manager_id = person.get("manager_id")
    while manager_id and manager_id not in chain and manager_id != person["person_id"]:
        chain.append(manager_id)
        manager = wh.query_person_by_id(manager_id)
        manager_id = manager.get("manager_id") if manager else None
    return chain


def check_report_access(wh: Any, viewer: dict[str, Any], engineer_key: str, engineer: dict[str, Any] | None) -> None:
    """Pass when ``viewer`` (a roster person) may read ``engineer``'s report; AccessDenied otherwise.

    An unknown engineer gets the same answer as a forbidden one: a viewer learns nothing of who exists.
    """
    if engineer is not None and viewer["person_id"] == engineer["person_id"]:
        return
    if engineer is not None and viewer["person_id"] in manager_chain(wh, engineer):
        log.info("report of %s read by manager %s", engineer["person_id"], viewer["person_id"])
        return
    raise AccessDenied(
        f"{viewer['person_id']} may not read the report of {engineer_key!r}: a report is shown only to the "
        "engineer and the managers above them in the roster."
    )
