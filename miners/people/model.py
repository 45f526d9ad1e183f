"""The roster's models: teams, people with their dated team and level changes, dated ownership changes.

They are the validated shape of a roster file (pydantic, unknown keys refused).
``miners.people.roster`` reads and cross-checks them (and re-exports them),
``miners.people.history`` and ``miners.people.ownership`` turn their dated
changes into intervals; all three import this module, which imports none of
them.  Format documented in ``docs/roster.md``.

Calls: none (pure).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_LEVELS: dict[str, int] = {
    "IC1": 1,
    "IC2": 2,
    "IC3": 3,
    "IC4": 4,
    "IC5": 5,
    "IC6": 6,
    "M1": 5,
    "M2": 6,
    "M3": 7,
}


class OwnershipChange(BaseModel):
    """One repo glob or Jira project moving from one team to another on a date."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date  # effective from this day (00:00 UTC)
    repo: str | None = None  # a glob over "org/name", as in a team's repos
    jira_project: str | None = None  # a Jira project key
    from_team: str
    to_team: str

    @property
    def kind(self) -> str:
        return "repo" if self.repo is not None else "jira_project"

    @property
    def pattern(self) -> str:
        return self.repo if self.repo is not None else (self.jira_project or "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RosterTeam(_Model):
    id: str = Field(min_length=1)
    name: str
    parent: str | None = None
    repos: list[str] = Field(default_factory=list)  # globs over "org/name", e.g. "acme/trainer*"
    jira_projects: list[str] = Field(default_factory=list)
    jira_components: list[str] = Field(default_factory=list)  # "PROJECT/Component"
    github_team: str | None = None  # "org/slug" of the GitHub team standing for this team


class TeamChange(_Model):
    date: dt.date  # effective from this day (00:00 UTC)
    from_team: str
    to_team: str


class LevelChange(_Model):
    date: dt.date
    from_level: str
    to_level: str


class RosterPerson(_Model):
    id: str = Field(min_length=1)
    name: str
    emails: list[str] = Field(default_factory=list)
    github_logins: list[str] = Field(default_factory=list)
    jira_account_ids: list[str] = Field(default_factory=list)
    team: str | None = None
    manager: str | None = None
    level: str | None = None
    job_family: str | None = None  # e.g. mle, data-science: which rubric a report uses (config reports.rubrics)
    start_date: dt.date | None = None
    end_date: dt.date | None = None  # last working day, for people who left (their enrollments end the day after)
    service_account: bool = False
    github_id: int | None = None  # GitHub's numeric user id, stable across login renames
    team_changes: list[TeamChange] = Field(default_factory=list)  # oldest first; ``team`` is the current one
    level_changes: list[LevelChange] = Field(default_factory=list)  # oldest first; ``level`` is the current one


class Roster(_Model):
    levels: dict[str, int] = Field(default_factory=dict)  # merged over DEFAULT_LEVELS
    teams: list[RosterTeam] = Field(default_factory=list)
    people: list[RosterPerson]
    ownership_changes: list[OwnershipChange] = Field(default_factory=list)  # dated repo / project moves

    def level_ranks(self) -> dict[str, int]:
        return {**DEFAULT_LEVELS, **self.levels}
