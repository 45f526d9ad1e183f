"""Incident records from a parsed Jira issue and its raw changelog (pure, no network).

An issue is an incident when its type or project is configured as one
(``IssueContext.incident_types`` / ``incident_projects``).  From it we keep:
who declared it (the reporter), who commanded it (the commander field, with its
history), the assignee history, when it was opened, mitigated (first move into a
status named like "Mitigated") and resolved, the postmortem link, and its
follow-up tickets: the issues it *causes* through a ``Causes`` or
``Problem/Incident`` link.  Whether a follow-up is resolved is the follow-up's
own ticket state (``stg_jira_incident_followups`` joins them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from miners.records import JiraIncidentRecord, JiraIncidentRoleRecord, JiraIssueRecord, JiraLinkRecord, Record

MITIGATED_STATUSES = frozenset({"mitigated", "monitoring"})
FOLLOWUP_LINK_TYPES = frozenset({"causes", "problem/incident"})
COMMANDER_NAMES = frozenset({"incident commander", "commander", "incident lead"})

Change = tuple[dt.datetime, str | None, str | None]
"""One change of a user field: (when, from, to)."""
Interval = tuple[dt.datetime, str | None, dt.datetime | None]
"""Who held a role: (start, person, end); end None while they hold it."""


class _Envelope(TypedDict):
    """The envelope fields an incident's records take from its issue record."""

    source: str
    partition: str
    fetched_at: dt.datetime
    url: str | None


def parse_incident(
    issue: Mapping[str, Any],
    records: Iterable[Record],
    histories: Iterable[Mapping[str, Any]],
    commander_field: str | None,
) -> list[Record]:
    """Incident and role records for one issue (already parsed into ``records``); [] if not an incident."""
    from miners.jira.parse import parse_jira_time

    records = list(records)
    main = next(r for r in records if isinstance(r, JiraIssueRecord))
    if not main.is_incident:
        return []
    changes: dict[str, list[Change]] = {"assignee": [], "commander": []}
    mitigated_at = None
    for history in histories:
        at = parse_jira_time(history.get("created"))
        if at is None:
            continue
        for item in history.get("items") or ():
            name = str(item.get("field") or "")
            field_id = str(item.get("fieldId") or "")
            if name == "assignee" or field_id == "assignee":
                changes["assignee"].append((at, _id(item.get("from")), _id(item.get("to"))))
            elif (commander_field and field_id == commander_field) or name.casefold() in COMMANDER_NAMES:
                changes["commander"].append((at, _id(item.get("from")), _id(item.get("to"))))
            elif name == "status" and str(item.get("toString") or "").casefold() in MITIGATED_STATUSES:
                mitigated_at = at if mitigated_at is None else min(mitigated_at, at)
    followups = tuple(
        sorted(
            {
                r.other_key
                for r in records
                if isinstance(r, JiraLinkRecord)
                and r.direction == "outward"
                and r.link_type.casefold() in FOLLOWUP_LINK_TYPES
            }
        )
    )
    envelope = _Envelope(source=main.source, partition=main.partition, fetched_at=main.fetched_at, url=main.url)
    key = main.key
    out: list[Record] = [
        JiraIncidentRecord(
            **envelope,
            source_id=key,
            updated_at=main.updated_at,
            raw={"id": main.issue_id},
            issue_key=key,
            project=main.project,
            severity=main.severity,
            declared_by_id=main.reporter_id,
            commander_id=main.commander_id,
            opened_at=main.created_at,
            mitigated_at=mitigated_at,
            resolved_at=main.resolved_at,
            postmortem_url=main.postmortem_url,
            followup_keys=followups,
        )
    ]
    roles: dict[str, list[Interval]] = {
        "declared": [(main.created_at, main.reporter_id, None)],
        "commander": held_intervals(main.created_at, main.commander_id, changes["commander"]),
        "assignee": held_intervals(main.created_at, main.assignee_id, changes["assignee"]),
    }
    for role, intervals in roles.items():
        held = [(start, person, end) for start, person, end in intervals if person is not None]
        for seq, (start, person, end) in enumerate(held):
            out.append(
                JiraIncidentRoleRecord(
                    **envelope,
                    source_id=f"{key}:{role}:{seq}",
                    updated_at=main.updated_at,
                    raw={},
                    issue_key=key,
                    role=role,
                    seq=seq,
                    person_id=person,
                    started_at=start,
                    ended_at=end,
                )
            )
    return out


def held_intervals(created_at: dt.datetime, current: str | None, changes: list[Change]) -> list[Interval]:
    """(start, person, end) intervals of a user field from its changes; the first holder is the first 'from'."""
    changes = sorted(changes, key=lambda c: c[0])
    if not changes:
        return [(created_at, current, None)]
    out: list[Interval] = [(created_at, changes[0][1], changes[0][0])]
    for i, (at, _, to) in enumerate(changes):
        end = changes[i + 1][0] if i + 1 < len(changes) else None
        out.append((at, to if end is not None else current, end))
    return out


def _id(value: Any) -> str | None:
    from miners.jira.parse import parse_user_id

    if isinstance(value, Mapping):
        return parse_user_id(value)
    return str(value) if value not in (None, "") else None
