"""People from a CSV file (an HR export), shaped like the roster YAML's ``people:`` list.

One row per person; the header names the columns (any order, ``id`` and
``name`` required).  List cells are ``;``-separated; dated changes are
``DATE:FROM>TO`` entries, oldest first, e.g. ``2026-08-01:search>ml-platform``.
Empty cells mean "not given".  Values are checked by ``miners.people.roster`` like
YAML ones; this module only reads the shape and remembers each row's line so
messages can name ``people.csv:LINE: column NAME``.  Format: docs/roster.md.

Calls: none (reads a local file).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIST_COLUMNS = ("emails", "github_logins", "jira_account_ids")
CHANGE_COLUMNS = {"team_changes": "team", "level_changes": "level"}
SCALAR_COLUMNS = (
    "id",
    "name",
    "team",
    "manager",
    "level",
    "job_family",
    "start_date",
    "end_date",
    "service_account",
    "github_id",
)
COLUMNS = (*SCALAR_COLUMNS[:2], *LIST_COLUMNS, *SCALAR_COLUMNS[2:], *CHANGE_COLUMNS)
REQUIRED = ("id", "name")


@dataclass(frozen=True)
class PeopleCsv:
    """The people of a CSV file, as roster ``people:`` entries, and the line each row starts on."""

    source: str
    people: list[dict[str, Any]]
    lines: list[int]  # 1-based line of people[i]

    def refer(self, message: str) -> str:
        """``message`` with ``people[i]`` references (from the roster checks) rewritten as CSV lines."""
        return re.sub(
            r"people\[(\d+)\]",
            lambda m: f"line {self.lines[int(m[1])]}" if int(m[1]) < len(self.lines) else m[0],
            message,
        )

    def where(self, loc: tuple) -> str:
        """``people.csv:LINE: column NAME[, entry N][ (part)]`` for a key path ``("people", i, column, ...)``."""
        if len(loc) < 2 or not isinstance(loc[1], int) or loc[1] >= len(self.lines):
            return f"{self.source}:?: people"
        out = f"{self.source}:{self.lines[loc[1]]}"
        if len(loc) >= 3:
            out += f": column {loc[2]}"
        if len(loc) >= 4 and isinstance(loc[3], int):
            out += f", entry {loc[3] + 1}"
        if len(loc) >= 5:
            out += f" ({loc[4]})"
        return out


def read_people_csv(path: Path) -> tuple[PeopleCsv, list[str]]:
    """The people in ``path`` and every shape problem found (``file:line: ...``), all at once.

    Raises OSError / UnicodeDecodeError for an unreadable file; the caller words those.
    """
    text = Path(path).read_text(encoding="utf-8-sig")  # utf-8-sig: spreadsheets write a BOM
    return parse_people_csv(text, str(path))


def parse_people_csv(text: str, source: str = "<people.csv>") -> tuple[PeopleCsv, list[str]]:
    """Parse CSV ``text``; ``source`` names it in messages."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return PeopleCsv(source, [], []), [f"{source}:1: not valid CSV: {exc}; fix the header line"]
    if header is None or not any(h.strip() for h in header):
        return PeopleCsv(source, [], []), [
            f"{source}:1: no header line; start the file with the column names, e.g. {','.join(COLUMNS[:6])}"
        ]
    names = [h.strip() for h in header]
    for index, name in enumerate(names):
        if name not in COLUMNS:
            problems.append(f"{source}:1: unknown column {name!r} (column {index + 1}); use only: {', '.join(COLUMNS)}")
        elif names.index(name) != index:
            problems.append(f"{source}:1: column {name!r} appears twice; keep one")
    for name in REQUIRED:
        if name not in names:
            problems.append(f"{source}:1: required column {name!r} is missing; add it to the header")
    if problems:
        return PeopleCsv(source, [], []), problems
    people: list[dict[str, Any]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{source}:{start}: not valid CSV: {exc}; fix the quoting there")
            break
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) > len(names):
            problems.append(
                f"{source}:{line}: {len(row)} cells but the header has {len(names)} columns; "
                f"quote cells that contain a comma"
            )
            continue
        entry: dict[str, Any] = {}
        for name, cell in zip(names, row):
            value = cell.strip()
            if not value:
                continue
            if name in LIST_COLUMNS:
                entry[name] = [part.strip() for part in value.split(";") if part.strip()]
            elif name in CHANGE_COLUMNS:
                entry[name] = _changes(value, CHANGE_COLUMNS[name], f"{source}:{line}: column {name}", problems)
            else:
                entry[name] = value
        people.append(entry)
        lines.append(line)
    return PeopleCsv(source, people, lines), problems


def _changes(cell: str, what: str, where: str, problems: list[str]) -> list[dict[str, str]]:
    """``DATE:FROM>TO;...`` as roster change entries; malformed entries are reported and skipped."""
    out = []
    for number, part in enumerate((p.strip() for p in cell.split(";") if p.strip()), start=1):
        date, colon, rest = part.partition(":")
        before, arrow, after = rest.partition(">")
        if not (colon and arrow and date.strip() and before.strip() and after.strip()):
            problems.append(
                f"{where}, entry {number}: {part!r} is not DATE:FROM>TO; "
                f"write it like 2026-08-01:{'search>ml-platform' if what == 'team' else 'IC3>IC4'}"
            )
            continue
        out.append({"date": date.strip(), f"from_{what}": before.strip(), f"to_{what}": after.strip()})
    return out


def people_to_csv(people: list[dict[str, Any]]) -> str:
    """The CSV text of roster ``people:`` entries (the inverse of ``parse_people_csv``), for exports and tests."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for person in people:
        row = []
        for name in COLUMNS:
            value = person.get(name)
            if name in LIST_COLUMNS:
                row.append(";".join(str(v) for v in value or ()))
            elif name in CHANGE_COLUMNS:
                what = CHANGE_COLUMNS[name]
                row.append(";".join(f"{c['date']}:{c[f'from_{what}']}>{c[f'to_{what}']}" for c in value or ()))
            elif isinstance(value, bool):
                row.append("true" if value else "false")
            else:
                row.append("" if value is None else str(value))
        writer.writerow(row)
    return buffer.getvalue()
