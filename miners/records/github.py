"""Record classes for GitHub: repositories, CODEOWNERS, org teams and pull requests with what hangs off them.

Import them from ``miners.records`` (which re-exports every record class); the
envelope fields they share are ``miners.records.Record``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from miners.records.envelope import Record


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


# In the order the warehouse's DDL follows.
RECORD_TYPES: tuple[type[Record], ...] = (
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
)
