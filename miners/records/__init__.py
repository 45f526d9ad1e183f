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

The envelope (``Record``) and ``utc`` live in ``miners.records.envelope``; the record
classes by entity in ``miners.records.roster`` (people, teams, history,
ownership, accounts), ``miners.records.github`` and ``miners.records.jira``.
Everything, with ``ALL_RECORD_TYPES`` and ``identity_key`` (how account
identities compare: GitHub logins case-insensitive), is importable from here.
"""

from __future__ import annotations

from miners.records import github as records_github
from miners.records import jira as records_jira
from miners.records import roster as records_roster
from miners.records.envelope import Record, utc
from miners.records.github import (  # noqa: F401  (re-exported)
    CoAuthorRecord,
    CodeOwnersRecord,
    GitHubTeamRecord,
    IssueCommentRecord,
    PullRequestCommitRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    RepoRecord,
    ReviewCommentRecord,
    ReviewRecord,
    ReviewRequestRecord,
)
from miners.records.jira import (  # noqa: F401  (re-exported)
    JiraChangeRecord,
    JiraCommentRecord,
    JiraIncidentRecord,
    JiraIncidentRoleRecord,
    JiraIssueRecord,
    JiraLinkRecord,
)
from miners.records.roster import (  # noqa: F401  (re-exported)
    AccountRecord,
    EnrollmentRecord,
    OwnershipRecord,
    PersonRecord,
    TeamRecord,
    identity_key,
)

# The warehouse's DDL follows this order: roster, accounts, GitHub, Jira.
ALL_RECORD_TYPES: tuple[type[Record], ...] = (
    records_roster.RECORD_TYPES + records_github.RECORD_TYPES + records_jira.RECORD_TYPES
)

__all__ = [
    "ALL_RECORD_TYPES",
    "Record",
    "utc",
    "identity_key",
    "PersonRecord",
    "TeamRecord",
    "EnrollmentRecord",
    "OwnershipRecord",
    "AccountRecord",
    "RepoRecord",
    "CodeOwnersRecord",
    "GitHubTeamRecord",
    "PullRequestRecord",
    "PullRequestFileRecord",
    "ReviewRecord",
    "ReviewCommentRecord",
    "IssueCommentRecord",
    "ReviewRequestRecord",
    "PullRequestCommitRecord",
    "CoAuthorRecord",
    "JiraIssueRecord",
    "JiraLinkRecord",
    "JiraCommentRecord",
    "JiraChangeRecord",
    "JiraIncidentRecord",
    "JiraIncidentRoleRecord",
]
