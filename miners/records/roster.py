"""Record classes for people: the roster (people, teams, dated history, ownership) and the accounts sources show.

Import them from ``miners.records`` (which re-exports every record class); the
envelope fields they share are ``miners.records.Record``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from miners.records.envelope import Record


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

    ``identity`` is the GitHub login (as shown) or the Jira accountId; two
    identities are the same account when their ``identity_key`` is equal.
    Miners emit one per account they see with a name or e-mail (GitHub: the
    user objects on PR pages, commit author e-mails; Jira: the user objects on
    issues and comments).
    """

    TABLE: ClassVar[str] = "raw_accounts"

    system: str  # github | jira
    identity: str
    github_id: int | None = None
    display_name: str | None = None
    emails: tuple[str, ...] = ()
    account_type: str | None = None  # GitHub: User | Bot | Organization; Jira: atlassian | app | customer


def identity_key(system: str, identity: str) -> str:
    """How account identities compare, the one rule: GitHub logins are case-insensitive (folded to lower
    case); Jira account ids, and any other system's ids, are compared exactly.

    The warehouse's SQL applies the same rule with its macro ``identity_key(system, identity)``
    (``warehouse/sql/macros/identity_key.sql``).
    """
    return identity.lower() if system == "github" else identity


# In the order the warehouse's DDL follows.
RECORD_TYPES: tuple[type[Record], ...] = (
    PersonRecord,
    TeamRecord,
    EnrollmentRecord,
    OwnershipRecord,
    AccountRecord,
)
