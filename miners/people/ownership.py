"""Dated ownership of repos and Jira projects: the roster's ``ownership_changes``, validated, as intervals.

A team's ``repos`` globs and ``jira_projects`` say who owns what *now*.  A
top-level ``ownership_changes`` list says when something changed hands::

    ownership_changes:             # per repo / project oldest first; the last one ends at the current owner
      - {date: 2026-08-17, repo: acme/trainer, from_team: search, to_team: ml-platform}
      - {date: 2026-09-01, jira_project: ML, from_team: search, to_team: ml-platform}

Each change is effective from its ``date`` (00:00 UTC).  The changes of one
repo glob (or project) become half-open owner intervals ``[valid_from,
valid_to)``: the first open at the start, the last open at the end.  On the
dates they cover they override the undated globs (see docs/roster.md).

Calls: none (pure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase

from miners.people.model import OwnershipChange, Roster


@dataclass(frozen=True)
class OwnerInterval:
    """One interval in which ``team_id`` owned ``pattern`` (valid_to exclusive, None = unbounded)."""

    kind: str  # repo | jira_project
    pattern: str
    team_id: str
    valid_from: dt.date | None
    valid_to: dt.date | None


def _chains(changes: list[OwnershipChange]) -> dict[tuple[str, str], list[tuple[int, OwnershipChange]]]:
    """The changes (with their index) grouped by what moved; repo globs compare case-insensitively."""
    chains: dict[tuple[str, str], list[tuple[int, OwnershipChange]]] = {}
    for i, change in enumerate(changes):
        if (change.repo is None) == (change.jira_project is None):
            continue  # reported by check_ownership
        key = change.pattern.lower() if change.kind == "repo" else change.pattern
        chains.setdefault((change.kind, key), []).append((i, change))
    return chains


def owner_intervals(roster: Roster) -> list[OwnerInterval]:
    """The dated owner intervals of every repo glob and project that changed hands, in listing order."""
    out: list[OwnerInterval] = []
    for chain in _chains(roster.ownership_changes).values():
        start: dt.date | None = None
        pattern = chain[-1][1].pattern
        for _i, change in chain:
            out.append(OwnerInterval(change.kind, pattern, change.from_team, start, change.date))
            start = change.date
        out.append(OwnerInterval(chain[-1][1].kind, pattern, chain[-1][1].to_team, start, None))
    return out


def _owns_now(roster: Roster, team_id: str, change: OwnershipChange) -> bool:
    team = next((t for t in roster.teams if t.id == team_id), None)
    if team is None:
        return True  # the unknown team is reported on its own
    if change.kind == "repo":
        return any(fnmatchcase(change.pattern.lower(), glob.lower()) for glob in team.repos)
    return change.pattern in team.jira_projects


def check_ownership(roster: Roster, teams: set[str]) -> list[tuple[tuple, str]]:
    """(key path, problem and fix) for each bad ownership change."""
    problems: list[tuple[tuple, str]] = []
    known = ", ".join(sorted(teams)) or "(none)"
    for i, change in enumerate(roster.ownership_changes):
        loc = ("ownership_changes", i)
        if (change.repo is None) == (change.jira_project is None):
            problems.append((loc, "give exactly one of repo: or jira_project: (what changed hands)"))
            continue
        if change.kind == "repo" and "/" not in change.pattern:
            problems.append(
                ((*loc, "repo"), f"{change.pattern!r} does not name its org; write it like 'acme/{change.pattern}'")
            )
        for side in ("from_team", "to_team"):
            if getattr(change, side) not in teams:
                problems.append(
                    (
                        (*loc, side),
                        f"unknown team {getattr(change, side)!r}; use one of: {known}, or add it under teams:",
                    )
                )
        if change.from_team == change.to_team:
            problems.append(
                (
                    (*loc, "to_team"),
                    f"from_team and to_team are both {change.to_team!r}; "
                    f"a change moves ownership between two different teams",
                )
            )
    for (kind, _key), chain in _chains(roster.ownership_changes).items():
        what = "repo" if kind == "repo" else "jira_project"
        previous: OwnershipChange | None = None
        for i, change in chain:
            if previous is not None and change.date <= previous.date:
                problems.append(
                    (
                        ("ownership_changes", i, "date"),
                        f"{change.date} is not after the previous change of {change.pattern!r} "
                        f"({previous.date}); list the changes of one {what} oldest first, one per date",
                    )
                )
            if previous is not None and change.from_team != previous.to_team:
                problems.append(
                    (
                        ("ownership_changes", i, "from_team"),
                        f"{change.from_team!r} does not follow the previous change of "
                        f"{change.pattern!r}, which moved it to {previous.to_team!r}; fix one of the two",
                    )
                )
            previous = change
        last_index, last = chain[-1]
        if last.to_team in teams and not _owns_now(roster, last.to_team, last):
            key = "repos" if kind == "repo" else "jira_projects"
            problems.append(
                (
                    ("ownership_changes", last_index, "to_team"),
                    f"the last change of {last.pattern!r} moves it to {last.to_team!r}, but that team's "
                    f"{key} do not include it; the last change must end at the current owner "
                    f"(add it to teams[{last.to_team}].{key} or fix to_team)",
                )
            )
    return problems
