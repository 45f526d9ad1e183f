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
    github_id: int | None = None  # GitHub's numeric user id: stable across login renames


@dataclass(frozen=True, kw_only=True)
class TeamRecord(Record):
    TABLE: ClassVar[str] = "raw_roster_teams"

    team_id: str
    name: str
    parent_id: str | None = None
    repo_globs: tuple[str, ...] = ()
    jira_projects: tuple[str, ...] = ()
    jira_components: tuple[str, ...] = ()  # "PROJECT/Component" owned by this team
    github_team: str | None = None  # the GitHub org team "org/slug" that stands for this team


@dataclass(frozen=True, kw_only=True)
class EnrollmentRecord(Record):
    """One interval of a person's dated team or level history (valid_to exclusive, None = still)."""

    TABLE: ClassVar[str] = "raw_roster_enrollments"

    person_id: str
    kind: str  # team | level
    value: str  # team id or level name
    level_rank: int | None = None  # for kind level
    valid_from: dt.date | None = None  # None: since before any record
    valid_to: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class OwnershipRecord(Record):
    """One interval in which a team owned a repo glob or Jira project, from the roster's ownership_changes.

    Dated intervals override the teams' undated ``repos`` / ``jira_projects`` on the dates they cover
    (valid_to exclusive, None = unbounded).
    """

    TABLE: ClassVar[str] = "raw_roster_ownership"

    kind: str  # repo | jira_project
    pattern: str  # a repo glob over "org/name", or a Jira project key
    team_id: str
    valid_from: dt.date | None = None  # None: since before any record
    valid_to: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class AccountRecord(Record):
    """What a source shows about one account: the evidence identity resolution matches on.

    ``identity`` is the GitHub login (as shown) or the Jira accountId.  Miners
    emit one per account they see with a name or e-mail (GitHub: /users/{login},
    commit author e-mails; Jira: the user objects on issues and comments).
    """

    TABLE: ClassVar[str] = "raw_accounts"

    system: str  # github | jira
    identity: str
    github_id: int | None = None
    display_name: str | None = None
    emails: tuple[str, ...] = ()
    account_type: str | None = None  # GitHub: User | Bot | Organization; Jira: atlassian | app | customer


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
class CodeOwnersRecord(Record):
    """A repository's CODEOWNERS file as found on its default branch (source_id = "org/name")."""

    TABLE: ClassVar[str] = "raw_github_codeowners"

    repo: str
    path: str  # CODEOWNERS | .github/CODEOWNERS | docs/CODEOWNERS
    text: str


@dataclass(frozen=True, kw_only=True)
class GitHubTeamRecord(Record):
    """A GitHub org team with the repos it may administer or maintain (source_id = "org/slug")."""

    TABLE: ClassVar[str] = "raw_github_teams"

    org: str
    slug: str
    name: str
    repos: tuple[str, ...] = ()  # "org/name" with admin or maintain permission
    members: tuple[str, ...] = ()  # logins


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


@dataclass(frozen=True, kw_only=True)
class ReviewRequestRecord(Record):
    """One request for a review of a PR, rebuilt from its timeline (GitHub forgets answered requests).

    ``source_id`` is ``org/repo#N:reviewer@requested_at``; ``answered_at`` is the
    first review the reviewer submitted at or after the request (and before its
    removal), ``None`` while unanswered.
    """

    TABLE: ClassVar[str] = "raw_github_review_requests"

    repo: str
    number: int
    reviewer_login: str | None  # None: a deleted account (or a team, see raw)
    reviewer_type: str | None  # User | Bot | Team
    requested_by_login: str | None
    requested_at: dt.datetime
    removed_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    answered_review_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PullRequestCommitRecord(Record):
    """One commit of a PR (``source_id`` = ``org/repo#N:sha``); co-authors are CoAuthorRecords."""

    TABLE: ClassVar[str] = "raw_github_pull_request_commits"

    repo: str
    number: int
    sha: str
    author_login: str | None  # None: the commit e-mail matches no GitHub account
    author_name: str | None
    author_email: str | None
    message: str
    committed_at: dt.datetime | None


@dataclass(frozen=True, kw_only=True)
class CoAuthorRecord(Record):
    """A ``Co-authored-by:`` trailer of a PR commit (``source_id`` = ``org/repo#N:sha:email``).

    Trailers carry a name and an e-mail only; resolving the e-mail to a person
    is the warehouse's job (roster e-mails), as for commit authors.
    """

    TABLE: ClassVar[str] = "raw_github_co_authors"

    repo: str
    number: int
    sha: str
    name: str | None
    email: str


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


ALL_RECORD_TYPES: tuple[type[Record], ...] = (
    PersonRecord,
    TeamRecord,
    EnrollmentRecord,
    OwnershipRecord,
    AccountRecord,
    RepoRecord,
    CodeOwnersRecord,
    GitHubTeamRecord,
    PullRequestRecord,
    PullRequestFileRecord,
    ReviewRecord,
    ReviewCommentRecord,
    IssueCommentRecord,
    ReviewRequestRecord,
    PullRequestCommitRecord,
    CoAuthorRecord,
    JiraIssueRecord,
    JiraLinkRecord,
    JiraCommentRecord,
    JiraChangeRecord,
    JiraIncidentRecord,
    JiraIncidentRoleRecord,
)
