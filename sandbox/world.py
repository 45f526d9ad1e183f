"""The world snapshot: a whole synthetic company in one JSON file.

The sandbox server serves a ``World`` over GitHub- and Jira-shaped HTTP APIs;
the generator writes one; users may write or edit one by hand, so it is
validated with pydantic and unknown keys are rejected.  Format documented in
``docs/sandbox.md``.

Conventions:
- people are referred to by ``login`` everywhere in the world (GitHub side and
  Jira side); the Jira API shows their ``jira_account_id``.
- all timestamps are timezone-aware; ``World.now`` is the sandbox clock:
  anything that happens after it is invisible to the API.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

WORLD_FORMAT_VERSION: Final = 1


class WorldError(Exception):
    """A world file that cannot be read; the message names the path and problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Team(_Model):
    id: str
    name: str
    parent: str | None = None


class TeamChange(_Model):
    """A move between teams, effective on ``on`` (the person was in ``from_team`` before)."""

    on: dt.date
    from_team: str
    to_team: str


class LevelChange(_Model):
    """A promotion (or level change), effective on ``on``."""

    on: dt.date
    from_level: str
    to_level: str


class Person(_Model):
    login: str  # the current GitHub login
    github_id: int | None = None  # GitHub's numeric user id (stable across renames)
    former_logins: list[str] = Field(default_factory=list)  # logins before a rename, oldest first
    team_changes: list[TeamChange] = Field(default_factory=list)  # dated; ``team`` is the current one
    level_changes: list[LevelChange] = Field(default_factory=list)  # dated; ``level`` is the current one
    name: str
    emails: list[str] = Field(default_factory=list)
    unlinked_emails: list[str] = Field(default_factory=list)  # on some of their commits, on no GitHub account
    jira_account_id: str
    level: str  # IC1..IC6, M1..M3
    team: str
    manager: str | None = None  # login of the manager
    start_date: dt.date
    timezone: str = "UTC"
    is_bot: bool = False
    deleted: bool = False  # a deleted GitHub account shows as "ghost"
    token: str  # the person's own sandbox token (sandbox tokens are not secrets)
    personas: list[str] = Field(default_factory=list)


class Repo(_Model):
    org: str
    name: str
    owner_team: str
    archived: bool = False
    default_branch: str = "main"
    codeowners: str | None = None
    created_at: dt.datetime

    @property
    def full_name(self) -> str:
        return f"{self.org}/{self.name}"


class PullFile(_Model):
    path: str
    additions: int = 0
    deletions: int = 0
    status: Literal["added", "modified", "removed", "renamed"] = "modified"


class Review(_Model):
    id: int
    author: str | None  # None: deleted user
    state: Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
    body: str = ""
    submitted_at: dt.datetime


class ReviewComment(_Model):
    id: int
    review_id: int | None = None
    author: str | None
    body: str
    path: str
    line: int | None = None
    in_reply_to: int | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class IssueComment(_Model):
    id: int
    author: str | None
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


class Commit(_Model):
    sha: str
    message: str  # may end with Co-authored-by: Name <email> trailers
    author: str | None  # login; None when the commit e-mail matches no account
    author_email: str
    committed_at: dt.datetime
    author_name: str | None = None  # the git author name as written on the commit; None: the account's name


class ReviewRequest(_Model):
    """One request for a review: who asked whom, when, and when it was withdrawn (if it was)."""

    reviewer: str  # login
    requested_by: str  # login
    requested_at: dt.datetime
    removed_at: dt.datetime | None = None


class PullRequest(_Model):
    id: int
    repo: str  # org/name
    number: int
    author: str | None
    title: str
    body: str = ""
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None
    merged_at: dt.datetime | None = None
    draft: bool = False
    labels: list[str] = Field(default_factory=list)
    files: list[PullFile] = Field(default_factory=list)
    requested_reviewers: list[str] = Field(default_factory=list)  # still pending as of ``now``
    review_requests: list[ReviewRequest] = Field(default_factory=list)  # full history
    commits: list[Commit] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list)
    review_comments: list[ReviewComment] = Field(default_factory=list)
    issue_comments: list[IssueComment] = Field(default_factory=list)


class JiraProject(_Model):
    key: str
    id: str
    name: str
    owner_team: str
    lead: str | None = None


class JiraComment(_Model):
    id: str
    author: str
    body: str
    created: dt.datetime
    updated: dt.datetime


class JiraLink(_Model):
    id: str
    type: Literal["Blocks", "Relates", "Causes"]
    direction: Literal["outward", "inward"]  # outward: this issue blocks/causes other
    other: str  # issue key


class JiraChange(_Model):
    id: str
    author: str
    created: dt.datetime
    field: str
    from_string: str | None = None
    to_string: str | None = None
    # For user fields (assignee): the logins behind from/to_string; display names can repeat.
    from_login: str | None = None
    to_login: str | None = None


class JiraIssue(_Model):
    id: str
    key: str
    project: str
    issue_type: Literal["Story", "Task", "Bug", "Epic", "Sub-task", "Incident"]
    summary: str
    description: str = ""
    status: str
    status_category: Literal["new", "indeterminate", "done"]
    priority: str = "Medium"
    reporter: str
    assignee: str | None = None
    created: dt.datetime
    updated: dt.datetime
    resolved: dt.datetime | None = None
    due_date: dt.date | None = None
    labels: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    parent: str | None = None  # epic or parent issue key
    links: list[JiraLink] = Field(default_factory=list)
    comments: list[JiraComment] = Field(default_factory=list)
    changelog: list[JiraChange] = Field(default_factory=list)
    severity: str | None = None  # SEV1..SEV4 for incidents
    commander: str | None = None
    postmortem_url: str | None = None


class Tokens(_Model):
    service: str  # the nightly sync's token (GitHub and Jira)
    service_login: str = "ladder-sync"
    service_jira_email: str = "ladder-sync@example.com"
    # The OAuth app `ladder serve` signs people in with (GitHub's web flow, served by sandbox.github.oauth).
    oauth_client_id: str = "Iv1.sandboxladder"
    oauth_client_secret: str = "sandbox-oauth-client-secret"


class World(_Model):
    format_version: Literal[1] = WORLD_FORMAT_VERSION
    name: str
    seed: int | None = None
    org: str
    jira_flavour: Literal["cloud", "datacenter"] = "cloud"
    period_start: dt.datetime
    period_end: dt.datetime
    now: dt.datetime
    tokens: Tokens
    teams: list[Team]
    people: list[Person]
    repos: list[Repo]
    pull_requests: list[PullRequest]
    jira_projects: list[JiraProject]
    jira_issues: list[JiraIssue]

    def person(self, login: str) -> Person:
        for p in self.people:
            if p.login == login:
                return p
        raise KeyError(login)


def read_world(path: str | Path) -> World:
    """Read and validate a world file; raise WorldError naming path and problem.

    Parsed straight into the model by pydantic-core (no dict of the whole file in between: a two-year,
    2,000-engineer world did not fit in memory twice); the standard JSON parser only words a syntax error.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorldError(f"cannot read world file {path}: {exc.strerror or exc}") from None
    try:
        return World.model_validate_json(data)
    except ValidationError as exc:
        if not any(e["type"] in ("json_invalid", "json_type") for e in exc.errors()):
            problems, more = validation_problems(exc)
            tail = f" (and {more} more)" if more > 0 else ""
            raise WorldError(f"{path}: invalid world file: " + "; ".join(problems) + tail) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorldError(
            f"{path}: not UTF-8 text, so not a world file (JSON written by `ladder sandbox generate`); check the path"
        ) from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorldError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    raise WorldError(f"{path}: not a world file (a JSON object written by `ladder sandbox generate`)")


def validation_problems(exc: ValidationError, *, limit: int = 5) -> tuple[list[str], int]:
    """``(["key.path: message", ...], how many more)`` for the first ``limit`` problems of a world or profile file.

    The sandbox's twin of ``miners.validation`` (the sandbox imports nothing of the product).
    """
    errors = exc.errors()
    shown = errors[:limit]
    return [f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in shown], len(errors) - len(
        shown
    )


def write_world(world: World, path: str | Path) -> None:
    """Write ``world`` as stable JSON (same world → same bytes), serialised by pydantic-core in one go: no dict
    copy of the world and no second text copy (the two-year, 2,000-engineer world's dump ran out of memory)."""
    Path(path).write_bytes(world.model_dump_json(indent=1).encode("utf-8") + b"\n")


def dump_world(world: World) -> str:
    """The text ``write_world`` writes: fields in the model's order, one space of indent per level."""
    return world.model_dump_json(indent=1) + "\n"
