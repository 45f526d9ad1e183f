"""Who may read whose pages in ``ladder serve``: the one policy every route asks.

A signed-in roster person may read a subject's pages when they are the subject (``self``), above the
subject in the roster (``manager``: the access rule of ``rubric.access``, the same one
``ladder report --viewer-token-env`` enforces), or a configured admin (``web.admins``).  Anyone else,
and any subject that does not exist, gets ``None``: the routes answer 404 either way, so a viewer
learns nothing about who exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rubric.access import AccessDenied, check_report_access

ROLES = ("self", "manager", "admin")


@dataclass(frozen=True)
class Grant:
    """What a viewer may do with one subject's pages: read them, as ``role``."""

    subject: dict[str, Any]
    role: str  # self | manager | admin

    @property
    def may_confirm(self) -> bool:
        """A dispute is confirmed by someone above the subject (or an admin), never by the subject."""
        return self.role in ("manager", "admin")


def grant_for(wh: Any, viewer: dict[str, Any], subject_id: str, admins: list[str]) -> Grant | None:
    """The viewer's grant on ``subject_id``'s pages, or None (answer 404)."""
    subject = wh.query_person_by_id(subject_id)
    if subject is None:
        return None
    try:
        check_report_access(wh, viewer, subject_id, subject)
    except AccessDenied:
        if viewer["person_id"] in admins:
            return Grant(subject, "admin")
        return None
    return Grant(subject, "self" if viewer["person_id"] == subject["person_id"] else "manager")


def readable_people(wh: Any, viewer: dict[str, Any], admins: list[str]) -> list[tuple[dict[str, Any], str]]:
    """Every roster person whose pages the viewer may read, with the role, by name."""
    found = []
    for person in wh.query_people():
        grant = grant_for(wh, viewer, person["person_id"], admins)
        if grant is not None:
            found.append((grant.subject, grant.role))
    return sorted(found, key=lambda pair: (pair[1] != "self", str(pair[0]["name"]).lower(), pair[0]["person_id"]))
