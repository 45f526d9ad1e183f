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
import functools
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


# --- globs that can match one repo ----------------------------------------------------------------------

_STAR = ("*",)
_ANY = ("?",)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_."


@functools.lru_cache(maxsize=8192)
def _glob_tokens(glob: str) -> tuple[tuple, ...]:
    """fnmatch's syntax as tokens: ``*``, ``?``, ``("[", negated, chars, ranges)`` classes and one-char literals."""
    out: list[tuple] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "*":
            if not out or out[-1] != _STAR:
                out.append(_STAR)
        elif c == "?":
            out.append(_ANY)
        elif c == "[" and (end := glob.find("]", i + 2 if glob[i + 1 : i + 2] in ("!", "]") else i + 1)) != -1:
            body = glob[i + 1 : end]
            negated = body.startswith("!")
            body = body[1:] if negated else body
            chars, ranges, k = set(), [], 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    ranges.append((body[k], body[k + 2]))
                    k += 3
                else:
                    chars.add(body[k])
                    k += 1
            out.append(("[", negated, frozenset(chars), tuple(ranges)))
            i = end
        else:
            out.append(("=", c))
        i += 1
    return tuple(out)


def _matches(token: tuple, c: str) -> bool:
    if token == _ANY:
        return True
    if token[0] == "=":
        return token[1] == c
    _, negated, chars, ranges = token
    return (c in chars or any(lo <= c <= hi for lo, hi in ranges)) != negated


def _common(a: tuple, b: tuple) -> str | None:
    """A character both one-character tokens match, or None."""
    candidates = [t[1] for t in (a, b) if t[0] == "="]
    for t in (a, b):
        if t[0] == "[":
            candidates += sorted(t[2]) + [lo for lo, _ in t[3]] + [hi for _, hi in t[3]]
    return next((c for c in [*candidates, *_ALPHABET] if _matches(a, c) and _matches(b, c)), None)


def _literal_ends(tokens: tuple[tuple, ...]) -> tuple[str, str]:
    """The glob's literal characters before its first wildcard and after its last one: a name both of two globs
    match starts with both heads and ends with both tails, so one head must start the other and one tail end
    the other.  That cheap, exact test rules out most pairs of a big roster's globs before the search below
    (1,000 globs make 500,000 pairs; with the search on every pair, 100 globs took 0.45 s)."""
    literal = [t[0] == "=" for t in tokens]
    first = literal.index(False) if False in literal else len(tokens)
    last = len(tokens) - (literal[::-1].index(False) if False in literal else len(tokens))
    return "".join(t[1] for t in tokens[:first]), "".join(t[1] for t in tokens[last:])


def glob_overlap(a: str, b: str) -> str | None:
    """A name both fnmatch globs match (compared case-insensitively, as repo globs are), or None when none can.

    Decided on the two patterns themselves, not on the repos that exist today: two teams' globs that could
    both match a repo created tomorrow already give that repo two owners.
    """
    A, B = _glob_tokens(a.lower()), _glob_tokens(b.lower())
    (a_head, a_tail), (b_head, b_tail) = _literal_ends(A), _literal_ends(B)
    if not (a_head.startswith(b_head) or b_head.startswith(a_head)):
        return None
    if not (a_tail.endswith(b_tail) or b_tail.endswith(a_tail)):
        return None

    @functools.cache
    def go(i: int, j: int) -> str | None:
        if i == len(A) and j == len(B):
            return ""
        for star_side in (0, 1):
            x, y = (i, j) if star_side == 0 else (j, i)
            X, Y = (A, B) if star_side == 0 else (B, A)
            if x < len(X) and X[x] == _STAR:
                rest = go(i + 1, j) if star_side == 0 else go(i, j + 1)  # the star matches nothing
                if rest is not None:
                    return rest
                if y < len(Y) and Y[y] != _STAR and (c := _common(_ANY, Y[y])) is not None:
                    rest = go(i, j + 1) if star_side == 0 else go(i + 1, j)  # the star takes Y's character
                    if rest is not None:
                        return c + rest
        if i < len(A) and j < len(B) and _STAR not in (A[i], B[j]) and (c := _common(A[i], B[j])) is not None:
            rest = go(i + 1, j + 1)
            return None if rest is None else c + rest
        return None

    return go(0, 0)


def check_repo_globs(roster: Roster) -> list[tuple[tuple, str]]:
    """(key path, problem) for every repo glob that can match a repo another team's glob matches too."""
    problems: list[tuple[tuple, str]] = []
    for i, team in enumerate(roster.teams):
        for k, glob in enumerate(team.repos):
            for other in roster.teams[:i]:
                if other.id == team.id:
                    continue
                for theirs in other.repos:
                    example = glob_overlap(glob, theirs)
                    if example is not None:
                        problems.append(
                            (
                                ("teams", i, "repos", k),
                                f"{glob!r} overlaps team {other.id}'s {theirs!r} (both match e.g. {example!r}); "
                                "a repo has one owner: narrow one of the globs (a repo that changed hands goes "
                                "under ownership_changes)",
                            )
                        )
    return problems


def check_ownership(roster: Roster, teams: set[str]) -> list[tuple[tuple, str]]:
    """(key path, problem and fix) for each bad ownership change and each pair of overlapping repo globs."""
    problems: list[tuple[tuple, str]] = check_repo_globs(roster)
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
