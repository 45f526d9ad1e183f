"""The roster: who is who, in which team, reporting to whom, at which level.

A company keeps it as YAML (``teams:``, ``people:``, optional ``levels:``); we
validate it strictly, because a typo in a team or manager silently drops a
person's evidence.  Errors name the file, the line, the key path
(``people[3].team``) and the fix, all problems in one message.  Format
documented in ``docs/roster.md``; models in ``miners/people/model.py``, dated
history in ``miners/people/history.py``.

Calls: none (reads a local file).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from miners import yaml_strict
from miners.people.history import check_history, enrollments
from miners.people.model import (
    DEFAULT_LEVELS,
    LevelChange,
    OwnershipChange,
    Roster,
    RosterPerson,
    RosterTeam,
    TeamChange,
)
from miners.people.ownership import check_ownership, owner_intervals
from miners.people.people_csv import PeopleCsv, read_people_csv
from miners.records import EnrollmentRecord, OwnershipRecord, PersonRecord, Record, TeamRecord, identity_key, utc
from miners.validation import yaml_problem

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# The roster models live in miners.people.model (imported by this module, miners.people.history and
# miners.people.ownership alike); they are re-exported here, where callers have always found them.
__all__ = [
    "DEFAULT_LEVELS",
    "PARTITION",
    "SOURCE",
    "LevelChange",
    "OwnershipChange",
    "Roster",
    "RosterError",
    "RosterPerson",
    "RosterTeam",
    "TeamChange",
    "check_roster",
    "parse_roster",
    "read_roster",
    "roster_records",
]

SOURCE = "roster"
PARTITION = "roster"


class RosterError(Exception):
    """A roster file that cannot be used; the message names file, line, key path and fix."""


def read_roster(path: Path, *, teams: Path | None = None) -> Roster:
    """Read and validate a roster; raise RosterError naming the file, line and key path (or CSV column).

    ``path`` is a roster YAML (people inline, or ``people_csv: people.csv`` beside it), or a people
    CSV when ``teams`` names the YAML holding ``teams:`` (and optional ``levels:``).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        if teams is None:
            raise RosterError(
                f"roster {path} is a CSV of people, but teams live in YAML: set `roster_teams:` in "
                f"the config to a teams file, or point `roster:` at a YAML with "
                f"`people_csv: {path.name}` and `teams:` (format in docs/roster.md)"
            )
        return parse_roster(_read_text(Path(teams), "roster teams"), str(teams), people_csv=path)
    return parse_roster(_read_text(path, "roster"), str(path), base_dir=path.parent)


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError(
            f"{what} file {path} not found: create it (format in docs/roster.md; "
            f"`ladder sandbox serve --write-config` writes one for the sandbox) "
            f"or point `roster:` in the config at the right path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read {what} file {path}: {exc}; check the path and that it is UTF-8 text") from None


def parse_roster(
    text: str, source: str = "<roster>", *, base_dir: Path | None = None, people_csv: Path | None = None
) -> Roster:
    """Validate roster YAML ``text``; ``source`` names it in error messages.

    People come from its ``people:`` list, from the CSV its ``people_csv:`` names (relative to
    ``base_dir``), or from ``people_csv`` (then the YAML must list no people).
    """
    try:
        root = yaml.compose(text, Loader=yaml_strict.SafeLoader)
        data = yaml_strict.load(text)
    except yaml.YAMLError as exc:
        raise RosterError(f"{source}: not valid YAML {yaml_problem(exc)}; fix it there") from None
    if people_csv is not None and data is None:
        data = {}
    if not isinstance(data, dict):
        raise RosterError(
            f"{source}: a roster must be a mapping with `teams:` and `people:` keys, "
            f"got {type(data).__name__}; see docs/roster.md for the format"
        )
    yaml_source = source
    table, shape = _people_from_csv(data, source, root, base_dir, people_csv)
    if table is not None and shape and not table.people:
        raise RosterError(_format(source, shape))

    if table is not None:
        source = f"{source} + {table.source}"

    def where(loc: tuple, message: str) -> str:
        if table is not None and loc[:1] == ("people",) and len(loc) > 1:
            return f"{table.where(loc)}: {table.refer(message)}"
        line = _line_of(root, loc)
        return f"{yaml_source}:{line if line else '?'}: {_key_path(loc)}: {message}"

    try:
        roster = Roster.model_validate(data)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), _pydantic_problem(err)) for err in exc.errors()]
        raise RosterError(_format(source, shape + [where(loc, msg) for loc, msg in problems])) from None
    problems = check_roster(roster)
    if problems or shape:
        raise RosterError(_format(source, shape + [where(loc, msg) for loc, msg in problems]))
    return roster


def _people_from_csv(
    data: dict, source: str, root: yaml.Node | None, base_dir: Path | None, people_csv: Path | None
) -> tuple[PeopleCsv | None, list[str]]:
    """Replace ``data["people"]`` by the CSV's rows when there is a CSV; (table, shape problems)."""
    ref = data.pop("people_csv", None)
    if people_csv is None and ref is None:
        return None, []
    line = _line_of(root, ("people_csv",)) or "?"
    if people_csv is not None and (ref is not None or "people" in data):
        raise RosterError(
            f"{source}:{line}: the teams file of a CSV roster must not list people "
            f"(people: or people_csv:); remove them, the people come from {people_csv}"
        )
    if people_csv is None and "people" in data:
        raise RosterError(f"{source}:{line}: people_csv: and people: are both given; keep one")
    if people_csv is None and not isinstance(ref, str):
        raise RosterError(f"{source}:{line}: people_csv: must be a file name like people.csv (got {ref!r})")
    csv_path = people_csv if people_csv is not None else (base_dir or Path(".")) / ref
    try:
        table, shape = read_people_csv(csv_path)
    except FileNotFoundError:
        raise RosterError(
            f"{source}:{line}: people CSV {csv_path} not found; create it (columns in "
            f"docs/roster.md) or fix the path (relative to the roster file)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read people CSV {csv_path}: {exc}; check the path and that it is UTF-8") from None
    data["people"] = table.people
    return table, shape


def check_roster(roster: Roster) -> list[tuple[tuple, str]]:
    """Cross-reference checks: (key path, problem and fix) for each violation; empty when consistent."""
    problems: list[tuple[tuple, str]] = []
    teams: dict[str, int] = {}
    for i, team in enumerate(roster.teams):
        if team.id in teams:
            problems.append(
                (
                    ("teams", i, "id"),
                    f"duplicate team id {team.id!r} (also teams[{teams[team.id]}]); team ids must be unique",
                )
            )
        teams.setdefault(team.id, i)
        for j, glob in enumerate(team.repos):
            if "/" not in glob:
                problems.append(
                    (
                        ("teams", i, "repos", j),
                        f"{glob!r} is not an org/name glob; write it like 'acme/{glob}' or 'acme/*'",
                    )
                )
        for j, component in enumerate(team.jira_components):
            if "/" not in component:
                problems.append(
                    (
                        ("teams", i, "jira_components", j),
                        f"{component!r} does not name its project; write it like 'ML/{component}'",
                    )
                )
        if team.github_team is not None and "/" not in team.github_team:
            problems.append(
                (
                    ("teams", i, "github_team"),
                    f"{team.github_team!r} is not an org/slug; write it like 'acme/{team.github_team}'",
                )
            )
    known_teams = ", ".join(sorted(teams)) or "(none)"
    for i, team in enumerate(roster.teams):
        if team.parent is not None and team.parent not in teams:
            problems.append(
                (
                    ("teams", i, "parent"),
                    f"unknown parent team {team.parent!r}; use one of: {known_teams}, or add it under teams:",
                )
            )
        elif _cycles(team.id, {t.id: t.parent for t in roster.teams}):
            problems.append((("teams", i, "parent"), f"team {team.id!r} is its own ancestor; break the parent cycle"))
    if not roster.people:
        problems.append((("people",), "no people listed; add at least one person"))
    people: dict[str, int] = {}
    for i, person in enumerate(roster.people):
        if person.id in people:
            problems.append(
                (
                    ("people", i, "id"),
                    f"duplicate person id {person.id!r} (also people[{people[person.id]}]); person ids must be unique",
                )
            )
        people.setdefault(person.id, i)
    ranks = roster.level_ranks()
    managers: dict[str, str | None] = {}
    for person in roster.people:  # the first of duplicate ids counts, as in the messages
        managers.setdefault(person.id, person.manager)
    seen: dict[tuple[str, str], int] = {}
    for i, person in enumerate(roster.people):
        if person.team is not None and person.team not in teams:
            problems.append(
                (
                    ("people", i, "team"),
                    f"unknown team {person.team!r}; use one of: {known_teams}, or add it under teams:",
                )
            )
        if person.manager is not None and person.manager not in people:
            problems.append(
                (
                    ("people", i, "manager"),
                    f"unknown manager {person.manager!r}; it must be the id of a person in people:",
                )
            )
        elif person.manager is not None and _cycles(person.id, managers):
            problems.append(
                (("people", i, "manager"), f"{person.id!r} manages themself through the chain; fix the manager cycle")
            )
        if person.level is not None and person.level not in ranks:
            problems.append(
                (
                    ("people", i, "level"),
                    f"unknown level {person.level!r}; use one of: {', '.join(ranks)}, or add it under levels:",
                )
            )
        for key in ("github_logins", "jira_account_ids", "github_id"):
            values = getattr(person, key)
            for j, value in enumerate(values if isinstance(values, list) else [values]):
                if value is None:
                    continue
                ident = (key, identity_key("github", value) if key == "github_logins" else value)
                loc = ("people", i, key, j) if isinstance(values, list) else ("people", i, key)
                if ident in seen and seen[ident] != i:
                    problems.append(
                        (
                            loc,
                            f"{value!r} also belongs to people[{seen[ident]}] "
                            f"({roster.people[seen[ident]].id}); an identity maps to one person",
                        )
                    )
                seen.setdefault(ident, i)
    for i, person in enumerate(roster.people):
        for j, login in enumerate(person.github_logins):
            if not _GITHUB_LOGIN.match(login) and not _CONTROL.search(login):
                problems.append(
                    (
                        ("people", i, "github_logins", j),
                        f"{login!r} is not a GitHub login (letters, digits, hyphens and underscores, like "
                        "zoe-m); fix the value",
                    )
                )
    problems.extend(_control_characters(roster))
    problems.extend(check_history(roster, set(teams), ranks))
    problems.extend(check_ownership(roster, set(teams)))
    return problems


# GitHub: letters, digits and single hyphens (Enterprise Managed Users add "_shortcode"); "[bot]" for apps.
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}(\[bot\])?$")
# Control characters (a NUL from a CSV export, an escape sequence) and bidi embeddings / overrides / isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _control_characters(roster: Roster) -> list[tuple[tuple, str]]:
    """(key path, problem) for every roster string holding a control or bidi-control character."""
    problems: list[tuple[tuple, str]] = []

    def walk(value: object, loc: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for j, item in enumerate(value):
                walk(item, (*loc, j))
        elif isinstance(value, str) and (bad := _CONTROL.search(value)):
            problems.append((loc, f"contains a control character (U+{ord(bad.group(0)):04X}) in {value!r}; remove it"))

    for kind in ("teams", "people"):
        for i, item in enumerate(getattr(roster, kind)):
            walk(item.model_dump(mode="json", exclude_defaults=True), (kind, i))
    return problems


def _cycles(start: str, parent_of: dict[str, str | None]) -> bool:
    seen, node = set(), parent_of.get(start)
    while node is not None and node not in seen:
        if node == start:
            return True
        seen.add(node)
        node = parent_of.get(node)
    return False


def _pydantic_problem(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    if kind == "missing":
        return "required key is missing; add it"
    return f"{err['msg']} (got {err.get('input')!r}); fix the value"


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the deepest node on ``loc`` that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _format(source: str, problems: list[str]) -> str:
    """One message listing every ``file:line: where: problem`` (the first 20, then a count)."""
    lines = [f"  {p}" for p in problems[:20]]
    more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"invalid roster {source} ({len(problems)} {noun}):\n" + "\n".join(lines) + more


def roster_records(roster: Roster, fetched_at: dt.datetime) -> list[Record]:
    """TeamRecords, PersonRecords, EnrollmentRecords, then OwnershipRecords (source and partition ``roster``).

    source_id is the roster id; for an enrollment ``person:kind:valid_from``
    (``start`` for the first interval); for an owner interval
    ``kind:pattern:valid_from``.  Load them as one complete batch
    (``Batch(is_complete=True)``) so people and changes removed from the file
    leave the warehouse too.

    ``updated_at`` is None: a roster file has no per-row change time, and the
    content hash alone decides whether a row changed.
    """
    # the envelope every roster record shares (source_id and raw differ per record)
    envelope: dict[str, Any] = {
        "source": SOURCE,
        "partition": PARTITION,
        "updated_at": None,
        "fetched_at": utc(fetched_at),
    }
    ranks = roster.level_ranks()
    records: list[Record] = []
    for team in roster.teams:
        records.append(
            TeamRecord(
                **envelope,
                source_id=team.id,
                raw=team.model_dump(mode="json"),
                team_id=team.id,
                name=team.name,
                parent_id=team.parent,
                repo_globs=tuple(team.repos),
                jira_projects=tuple(team.jira_projects),
                jira_components=tuple(team.jira_components),
                github_team=team.github_team,
            )
        )
    for person in roster.people:
        records.append(
            PersonRecord(
                **envelope,
                source_id=person.id,
                raw=person.model_dump(mode="json"),
                person_id=person.id,
                name=person.name,
                emails=tuple(e.strip().lower() for e in person.emails),
                github_logins=tuple(person.github_logins),
                jira_account_ids=tuple(person.jira_account_ids),
                team_id=person.team,
                manager_id=person.manager,
                level=person.level,
                level_rank=ranks.get(person.level) if person.level else None,
                start_date=person.start_date,
                is_service_account=person.service_account,
                github_id=person.github_id,
            )
        )
    for person in roster.people:
        for e in enrollments(person):
            records.append(
                EnrollmentRecord(
                    **envelope,
                    source_id=f"{e.person_id}:{e.kind}:{e.valid_from or 'start'}",
                    raw={},
                    person_id=e.person_id,
                    kind=e.kind,
                    value=e.value,
                    level_rank=ranks.get(e.value) if e.kind == "level" else None,
                    valid_from=e.valid_from,
                    valid_to=e.valid_to,
                )
            )
    for o in owner_intervals(roster):
        records.append(
            OwnershipRecord(
                **envelope,
                source_id=f"{o.kind}:{o.pattern}:{o.valid_from or 'start'}",
                raw={},
                kind=o.kind,
                pattern=o.pattern,
                team_id=o.team_id,
                valid_from=o.valid_from,
                valid_to=o.valid_to,
            )
        )
    return records
