"""Dated team and level history of roster people: validation and enrollment intervals.

A person's ``team`` and ``level`` are the current values; ``team_changes``
and ``level_changes`` list the moves that led there, oldest first, each
effective from its ``date`` (00:00 UTC).  Enrollment intervals are half-open,
``[valid_from, valid_to)``; the first starts at ``None`` (since before any
record, so activity before ``start_date`` still has a team) and the last ends
at ``None`` (still current), or the day after ``end_date`` for a person who left.

Calls: none (pure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from miners.people.model import Roster, RosterPerson


@dataclass(frozen=True)
class Enrollment:
    """One interval of a person's team or level."""

    person_id: str
    kind: str  # team | level
    value: str
    valid_from: dt.date | None
    valid_to: dt.date | None  # exclusive


def enrollments(person: RosterPerson) -> list[Enrollment]:
    """The person's team intervals then level intervals (a validated roster makes them contiguous)."""
    out: list[Enrollment] = []
    for kind, current, changes in (
        ("team", person.team, [(c.date, c.from_team, c.to_team) for c in person.team_changes]),
        ("level", person.level, [(c.date, c.from_level, c.to_level) for c in person.level_changes]),
    ):
        if current is None and not changes:
            continue
        start: dt.date | None = None
        for date, before, _after in changes:
            out.append(Enrollment(person.id, kind, before, start, date))
            start = date
        if current is not None:
            left = person.end_date + dt.timedelta(days=1) if person.end_date is not None else None
            out.append(Enrollment(person.id, kind, current, start, left))
    return out


def check_history(roster: Roster, teams: set[str], ranks: dict[str, int]) -> list[tuple[tuple, str]]:
    """(key path, problem and fix) for each inconsistent team or level change."""
    problems: list[tuple[tuple, str]] = []
    for i, person in enumerate(roster.people):
        if person.end_date is not None and person.start_date is not None and person.end_date < person.start_date:
            problems.append(
                (
                    ("people", i, "end_date"),
                    f"{person.end_date} is before start_date {person.start_date}; fix either date",
                )
            )
        for key, current, known, what in (
            ("team_changes", person.team, teams, "team"),
            ("level_changes", person.level, set(ranks), "level"),
        ):
            changes = getattr(person, key)
            previous_to: str | None = None
            previous_date: dt.date | None = None
            for j, change in enumerate(changes):
                before, after = getattr(change, f"from_{what}"), getattr(change, f"to_{what}")
                for side, value in (("from", before), ("to", after)):
                    if value not in known:
                        problems.append(
                            (
                                (("people", i, key, j, f"{side}_{what}")),
                                f"unknown {what} {value!r}; use one of: {', '.join(sorted(known))}",
                            )
                        )
                if previous_date is not None and change.date <= previous_date:
                    problems.append(
                        (
                            ("people", i, key, j, "date"),
                            f"{change.date} is not after the previous change ({previous_date}); "
                            f"list changes oldest first, one per date",
                        )
                    )
                if previous_to is not None and before != previous_to:
                    problems.append(
                        (
                            ("people", i, key, j, f"from_{what}"),
                            f"{before!r} does not follow the previous change, which moved to "
                            f"{previous_to!r}; fix one of the two",
                        )
                    )
                if person.start_date is not None and change.date < person.start_date:
                    problems.append(
                        (
                            ("people", i, key, j, "date"),
                            f"{change.date} is before start_date {person.start_date}; fix either date",
                        )
                    )
                if person.end_date is not None and change.date > person.end_date:
                    problems.append(
                        (
                            ("people", i, key, j, "date"),
                            f"{change.date} is after end_date {person.end_date}, the last working day; fix either date",
                        )
                    )
                previous_to, previous_date = after, change.date
            if changes and previous_to != current:
                problems.append(
                    (
                        ("people", i, key, len(changes) - 1, f"to_{what}"),
                        f"the last change moves to {previous_to!r} but the current {what} is "
                        f"{current!r}; the last change must end at the current {what}",
                    )
                )
    return problems
