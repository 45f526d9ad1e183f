"""Record classes for Jira: issues, links, comments, changelog items, incidents and incident roles.

Import them from ``miners.records`` (which re-exports every record class); the
envelope fields they share are ``miners.records.Record``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from miners.records.envelope import Record


@dataclass(frozen=True, kw_only=True)
class JiraIssueRecord(Record):
    TABLE: ClassVar[str] = "raw_jira_issues"

    key: str
    issue_id: str
    project: str
    issue_type: str
    summary: str
    description: str | None
    status: str
    status_category: str | None  # new | indeterminate | done
    priority: str | None
    reporter_id: str | None
    assignee_id: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    due_date: dt.date | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    parent_key: str | None = None
    is_incident: bool = False
    severity: str | None = None
    commander_id: str | None = None
    postmortem_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class JiraLinkRecord(Record):
    TABLE: ClassVar[str] = "raw_jira_links"

    issue_key: str
    link_type: str  # e.g. Blocks, Relates, Problem/Incident
    direction: str  # outward | inward
    description: str  # the phrase as Jira shows it: "blocks", "is caused by"
    other_key: str


@dataclass(frozen=True, kw_only=True)
class JiraCommentRecord(Record):
    TABLE: ClassVar[str] = "raw_jira_comments"

    issue_key: str
    comment_id: str
    author_id: str | None
    body: str | None
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class JiraChangeRecord(Record):
    """One changed field of one changelog history entry."""

    TABLE: ClassVar[str] = "raw_jira_changes"

    issue_key: str
    history_id: str
    item_index: int
    author_id: str | None
    changed_at: dt.datetime
    field_name: str
    from_value: str | None
    to_value: str | None


@dataclass(frozen=True, kw_only=True)
class JiraIncidentRecord(Record):
    """One incident (an issue of an incident type or in an incident project), from its fields and changelog."""

    TABLE: ClassVar[str] = "raw_jira_incidents"

    issue_key: str
    project: str
    severity: str | None
    declared_by_id: str | None  # the reporter
    commander_id: str | None  # the commander field as of now
    opened_at: dt.datetime
    mitigated_at: dt.datetime | None  # first transition into a mitigated status
    resolved_at: dt.datetime | None
    postmortem_url: str | None = None
    followup_keys: tuple[str, ...] = ()  # issues this incident causes (Causes / Problem/Incident links)


@dataclass(frozen=True, kw_only=True)
class JiraIncidentRoleRecord(Record):
    """Who held a role on an incident, and when: declared, commander, assignee (history from the changelog)."""

    TABLE: ClassVar[str] = "raw_jira_incident_roles"

    issue_key: str
    role: str  # declared | commander | assignee
    seq: int  # 0.. in time order within (issue, role)
    person_id: str | None  # None: unassigned for that interval
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None: holds it now


# In the order the warehouse's DDL follows.
RECORD_TYPES: tuple[type[Record], ...] = (
    JiraIssueRecord,
    JiraLinkRecord,
    JiraCommentRecord,
    JiraChangeRecord,
    JiraIncidentRecord,
    JiraIncidentRoleRecord,
)
