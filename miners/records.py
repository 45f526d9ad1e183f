"""Typed records: the contract between miners and the warehouse.

Miners turn API payloads into these frozen dataclasses and never touch DuckDB
or Prefect; the warehouse loads them as Arrow batches. Every record carries the
same envelope so a row can always say where it came from:

- ``source``: ``github`` | ``jira`` | ``roster``
- ``source_id``: the id that is unique within ``TABLE`` (the upsert key)
- ``partition``: the sync partition the row belongs to (``github:acme/api``,
  ``jira:ML``, ``roster``); cursors are kept per partition
- ``updated_at``: the source's own last-change time (UTC)
- ``fetched_at``: when we read it (UTC); not part of the content hash
- ``url``: a human-facing link to the object (PR page, ticket page)
- ``raw``: a sanitized subset of the payload (never a token, never headers)

All ``*_at`` values are timezone-aware UTC datetimes.  People are referred to
by the source's own identity (GitHub login, Jira accountId); resolving them to
roster people is the warehouse's job.  A deleted GitHub user ("ghost") has
``author_login=None``; bots keep their login and ``author_type="Bot"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Record:
    """The envelope every record carries."""

    TABLE: ClassVar[str] = ""

    source: str
    source_id: str
    partition: str
    updated_at: dt.datetime | None
    fetched_at: dt.datetime
    url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def content_hash(self) -> str:
        """Hash of everything except ``fetched_at`` and ``raw``: equal hash, no write."""
        values = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("fetched_at", "raw")
        }
        blob = json.dumps(values, sort_keys=True, default=_json_default)
        return hashlib.sha256(blob.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (tuple, frozenset, set)):
        return list(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


# --- roster -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonRecord(Record):
    TABLE: ClassVar[str] = "raw_roster_people"

    person_id: str
    name: str
    emails: tuple[str, ...] = ()
    github_logins: tuple[str, ...] = ()
    jira_account_ids: tuple[str, ...] = ()
    team_id: str | None = None
    manager_id: str | None = None
    level: str | None = None
    level_rank: int | None = None
    start_date: dt.date | None = None
    is_service_account: bool = False


@dataclass(frozen=True, kw_only=True)
class TeamRecord(Record):
    TABLE: ClassVar[str] = "raw_roster_teams"

    team_id: str
    name: str
    parent_id: str | None = None
    repo_globs: tuple[str, ...] = ()
    jira_projects: tuple[str, ...] = ()


# --- github -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RepoRecord(Record):
    TABLE: ClassVar[str] = "raw_github_repos"

    full_name: str
    org: str
    name: str
    archived: bool = False
    default_branch: str | None = None


@dataclass(frozen=True, kw_only=True)
class PullRequestRecord(Record):
    TABLE: ClassVar[str] = "raw_github_pull_requests"

    repo: str
    number: int
    author_login: str | None
    author_type: str | None
    title: str
    body: str | None
    state: str  # open | closed
    draft: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    merged_at: dt.datetime | None
    additions: int | None = None
    deletions: int | None = None
    labels: tuple[str, ...] = ()
    requested_reviewers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PullRequestFileRecord(Record):
    TABLE: ClassVar[str] = "raw_github_pull_request_files"

    repo: str
    number: int
    path: str
    additions: int
    deletions: int
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewRecord(Record):
    TABLE: ClassVar[str] = "raw_github_reviews"

    repo: str
    number: int
    review_id: int
    author_login: str | None
    author_type: str | None
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    body: str | None
    submitted_at: dt.datetime | None


@dataclass(frozen=True, kw_only=True)
class ReviewCommentRecord(Record):
    TABLE: ClassVar[str] = "raw_github_review_comments"

    repo: str
    number: int
    comment_id: int
    review_id: int | None
    author_login: str | None
    author_type: str | None
    body: str | None
    path: str | None
    line: int | None
    in_reply_to_id: int | None
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class IssueCommentRecord(Record):
    TABLE: ClassVar[str] = "raw_github_issue_comments"

    repo: str
    number: int
    comment_id: int
    author_login: str | None
    author_type: str | None
    body: str | None
    created_at: dt.datetime


# --- jira -------------------------------------------------------------------


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


ALL_RECORD_TYPES: tuple[type[Record], ...] = (
    PersonRecord,
    TeamRecord,
    RepoRecord,
    PullRequestRecord,
    PullRequestFileRecord,
    ReviewRecord,
    ReviewCommentRecord,
    IssueCommentRecord,
    JiraIssueRecord,
    JiraLinkRecord,
    JiraCommentRecord,
    JiraChangeRecord,
)
