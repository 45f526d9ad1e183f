"""Who may read whose report: the engineer and the managers above them, nobody else.

The viewer proves who they are with their own GitHub token (``flows.viewer``
asks GitHub's ``GET /user`` for the token's owner); here the roster maps that
login to a person and the roster's manager chain decides.  ``wh`` is an open
``warehouse.Warehouse`` (``query_person``).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("ladder.access")


class AccessDenied(Exception):
    """The viewer may not read this report; the message says why and who may."""


def manager_chain(wh: Any, person: dict) -> list[str]:
    """person_ids of ``person``'s manager, their manager, ... (stops at a cycle)."""
    chain: list[str] = []
    manager_id = person.get("manager_id")
    while manager_id and manager_id not in chain and manager_id != person["person_id"]:
        chain.append(manager_id)
        manager = wh.query_person(manager_id)
        manager_id = manager.get("manager_id") if manager else None
    return chain


def check_report_access(wh: Any, viewer_login: str, engineer: dict) -> str:
    """Return the viewer's person_id if they may read ``engineer``'s report; raise AccessDenied otherwise."""
    viewer = wh.query_person(viewer_login)
    if viewer is None:
        raise AccessDenied(
            f"the token belongs to GitHub user {viewer_login!r}, who is not in the roster; "
            "only the engineer and their managers may read a report."
        )
    if viewer["person_id"] == engineer["person_id"]:
        return viewer["person_id"]
    if viewer["person_id"] in manager_chain(wh, engineer):
        log.info("report of %s read by manager %s", engineer["person_id"], viewer["person_id"])
        return viewer["person_id"]
    raise AccessDenied(
        f"{viewer_login} may not read the report of {engineer['person_id']}: a report is "
        "shown only to the engineer and the managers above them in the roster."
    )
