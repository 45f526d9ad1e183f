"""docs/warehouse.md describes the warehouse as it is today.

A freshly migrated warehouse (the project's own ``open_warehouse``) is compared
with the page: every table and view has a ``### `name``` section with its layer,
grain and source file, and the section lists exactly the object's columns, in
order and with their DuckDB types.  Every ```sql block of the page is then run,
read-only, on a warehouse that the real stages filled from the sandbox's
tiny_world; each query must return rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.support import REPO
from warehouse import open_warehouse

DOC = REPO / "docs" / "warehouse.md"

LAYERS = {"raw", "staging", "intermediate", "mart", "judgments", "interpretation", "bookkeeping"}
LAYER_BY_PREFIX = {"raw_": "raw", "stg_": "staging", "int_": "intermediate", "dim_": "mart", "fct_": "mart"}
VIEW_FOLDERS = ("staging", "intermediate", "marts")
TYPE_ALIASES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}
ENVELOPE_HEADING = "The raw envelope"

_HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.MULTILINE)
_OBJECT_HEADING = re.compile(r"^`([a-z_][a-z0-9_]*)`$")
_COLUMN_ROW = re.compile(r"^\| `([a-z_][a-z0-9_]*)` \| ([^|]+?) \| (.*?) \|$")
_FIELD = re.compile(r"^- \*\*(Layer|Grain|Source|Envelope columns):\*\* *(.*)$")
_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class Section:
    name: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, meaning)


def parse_sections(doc: str) -> tuple[dict[str, Section], list[str], list[tuple[str, str, str]]]:
    """``({object name: Section}, duplicated names, envelope rows)`` of the page."""
    headings = list(_HEADING.finditer(doc))
    sections: dict[str, Section] = {}
    duplicates: list[str] = []
    envelope: list[tuple[str, str, str]] = []
    for i, h in enumerate(headings):
        end = len(doc)
        for later in headings[i + 1 :]:
            if len(later.group(1)) <= len(h.group(1)):
                end = later.start()
                break
        body = doc[h.end() : end]
        rows = [m.groups() for m in map(_COLUMN_ROW.match, body.splitlines()) if m]
        if h.group(2) == ENVELOPE_HEADING:
            envelope = rows
            continue
        named = _OBJECT_HEADING.match(h.group(2))
        if not named:
            continue
        section = Section(named.group(1), body, columns=rows)
        for m in map(_FIELD.match, body.splitlines()):
            if m:
                section.fields[m.group(1)] = m.group(2).strip()
        if section.name in sections:
            duplicates.append(section.name)
        sections[section.name] = section
    return sections, duplicates, envelope


def read_schema(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """``{name: ("table" | "view", [(column, type), ...])}`` of the user's tables and views."""
    objects = con.execute(
        "SELECT table_name, 'table' FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal AND NOT temporary "
        "UNION ALL "
        "SELECT view_name, 'view' FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal AND NOT temporary"
    ).fetchall()
    schema = {}
    for name, kind in objects:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        schema[name] = (kind, columns)
    return schema


def _type(doc_type: str) -> str:
    t = doc_type.strip().upper()
    return TYPE_ALIASES.get(t, t)


def _paths(source_field: str) -> list[str]:
    return [p for p in re.findall(r"`([^`]+)`", source_field) if "/" in p and p.endswith((".sql", ".py"))]


def _creates_table(path: Path, name: str) -> bool:
    text = path.read_text(encoding="utf-8")
    return re.search(rf"CREATE TABLE (IF NOT EXISTS )?{re.escape(name)}\b", text) is not None


def doc_problems(doc: str, schema: dict[str, tuple[str, list[tuple[str, str]]]]) -> list[str]:
    """Every way the page and the warehouse's schema disagree, as sentences (empty: they agree)."""
    sections, duplicates, envelope = parse_sections(doc)
    problems = [f"{name}: documented in two sections" for name in duplicates]
    envelope_types = {name: _type(t) for name, t, _ in envelope}
    if not envelope_types:
        problems.append(f"the section '{ENVELOPE_HEADING}' lists no columns")

    for name in sorted(set(schema) - set(sections)):
        problems.append(f"{name}: a {schema[name][0]} in the warehouse with no section '### `{name}`' in the doc")
    for name in sorted(set(sections) - set(schema)):
        problems.append(f"{name}: documented, but the warehouse has no such table or view")

    for name in sorted(set(sections) & set(schema)):
        kind, actual = schema[name]
        section = sections[name]
        for key in ("Layer", "Grain", "Source"):
            if not section.fields.get(key):
                problems.append(f"{name}: no '- **{key}:**' line")

        layer = section.fields.get("Layer", "")
        if layer and layer not in LAYERS:
            problems.append(f"{name}: layer {layer!r} is not one of {sorted(LAYERS)}")
        for prefix, expected in LAYER_BY_PREFIX.items():
            if name.startswith(prefix) and layer and layer != expected:
                problems.append(f"{name}: layer {layer!r}, but {prefix}* objects are {expected!r}")

        paths = _paths(section.fields.get("Source", ""))
        for p in paths:
            if not (REPO / p).is_file():
                problems.append(f"{name}: source file {p} does not exist")
        if kind == "view":
            files = [f"warehouse/sql/{folder}/{name}.sql" for folder in VIEW_FOLDERS]
            if not any(f in paths and (REPO / f).is_file() for f in files):
                problems.append(f"{name}: the Source line does not name the view's file warehouse/sql/*/{name}.sql")
        elif not any((REPO / p).is_file() and _creates_table(REPO / p, name) for p in paths):
            problems.append(f"{name}: no file on the Source line creates it (CREATE TABLE {name})")

        listed = [c for c, _, _ in section.columns]
        enveloped = re.findall(r"`([a-z_][a-z0-9_]*)`", section.fields.get("Envelope columns", ""))
        for c in sorted({c for c in listed + enveloped if (listed + enveloped).count(c) > 1}):
            problems.append(f"{name}.{c}: listed twice")
        actual_names = [c for c, _ in actual]
        actual_types = dict(actual)
        for c in actual_names:
            if c not in listed and c not in enveloped:
                problems.append(f"{name}.{c}: a column of the warehouse missing from its section")
        for c in listed + enveloped:
            if c not in actual_types:
                problems.append(f"{name}.{c}: documented, but the warehouse has no such column")
        own = [c for c in actual_names if c not in enveloped]
        if [c for c in listed if c in actual_types] != [c for c in own if c in listed]:
            problems.append(f"{name}: columns listed in another order than the warehouse's: {own}")
        for c, doc_type, meaning in section.columns:
            if c in actual_types and _type(doc_type) != actual_types[c]:
                problems.append(f"{name}.{c}: documented as {doc_type}, the warehouse says {actual_types[c]}")
            if not meaning.strip():
                problems.append(f"{name}.{c}: no meaning given")
        for c in enveloped:
            if c not in envelope_types:
                problems.append(f"{name}.{c}: named as an envelope column, but '{ENVELOPE_HEADING}' lacks it")
            elif c in actual_types and envelope_types[c] != actual_types[c]:
                problems.append(f"{name}.{c}: the envelope says {envelope_types[c]}, the warehouse {actual_types[c]}")
    return problems


def example_queries(doc: str) -> list[tuple[str, str]]:
    """``(heading above it, sql)`` for every ```sql block, in page order."""
    headings = [(m.start(), m.group(2)) for m in _HEADING.finditer(doc)]
    out = []
    for block in _SQL_BLOCK.finditer(doc):
        above = [title for at, title in headings if at < block.start()]
        out.append((above[-1] if above else "(top)", block.group(1)))
    return out


def _is_query(sql: str) -> bool:
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--")).lstrip()
    return code.upper().startswith(("SELECT", "WITH", "FROM"))


# --- the schema ---------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """The tables and views of an empty warehouse, migrated by the project's own open."""
    path = tmp_path_factory.mktemp("doc-schema") / "w.duckdb"
    with open_warehouse(path) as wh:
        return read_schema(wh.con)


def test_every_table_and_view_is_documented_as_it_is(schema):
    assert len(schema) > 40 and "fct_activity" in schema and "rubric_evidence" in schema
    problems = doc_problems(DOC.read_text(encoding="utf-8"), schema)
    assert problems == [], "docs/warehouse.md disagrees with the warehouse:\n" + "\n".join(problems)


def test_a_changed_warehouse_or_doc_is_caught(tmp_path, schema):
    """The check has teeth: a renamed column, a new view, a dropped section or a wrong type each fail it."""
    doc = DOC.read_text(encoding="utf-8")
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as wh:
        wh.con.execute("ALTER TABLE activity_labels RENAME COLUMN reason TO why")
        wh.con.execute("CREATE VIEW dim_undocumented AS SELECT 1 AS x")
        drifted = read_schema(wh.con)
    problems = doc_problems(doc, drifted)
    assert "activity_labels.why: a column of the warehouse missing from its section" in problems
    assert "activity_labels.reason: documented, but the warehouse has no such column" in problems
    assert any(p.startswith("dim_undocumented: a view in the warehouse with no section") for p in problems)

    without_section = re.sub(r"### `dim_team`\n.*?(?=\n### )", "", doc, flags=re.DOTALL)
    assert "dim_team: a view in the warehouse with no section '### `dim_team`' in the doc" in doc_problems(
        without_section, schema
    )
    wrong_type = doc.replace("| `member_count` | BIGINT |", "| `member_count` | INTEGER |")
    assert "dim_team.member_count: documented as INTEGER, the warehouse says BIGINT" in doc_problems(wrong_type, schema)
    wrong_file = doc.replace("`warehouse/sql/marts/dim_team.sql`", "`warehouse/sql/marts/dim_teams.sql`")
    assert any(p.startswith("dim_team: the Source line") for p in doc_problems(wrong_file, schema))


# --- the example queries -------------------------------------------------------


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """tiny_world served by the sandbox and synced through the real stages: facts, identities, labels, evidence."""
    from flows import stages
    from flows.config import read_config
    from sandbox.config_writer import sandbox_env, write_sandbox_config
    from sandbox.server import SandboxServer
    from tests.support.worlds import tiny_world

    world = tiny_world()
    tmp = tmp_path_factory.mktemp("doc-queries")
    with SandboxServer(world) as server, pytest.MonkeyPatch.context() as mp:
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        config = read_config(write_sandbox_config(world, server, tmp / "ladder.yaml"))
        stages.sync_roster(config)
        stages.sync_github(config)
        stages.sync_jira(config)
        stages.resolve_identities(config)
        stages.classify(config)
        stages.build_evidence(config)
    return config.warehouse_path


@pytest.mark.slow
def test_the_example_queries_run_read_only_and_return_rows(synced):
    queries = example_queries(DOC.read_text(encoding="utf-8"))
    assert sum(_is_query(sql) for _, sql in queries) >= 5
    con = duckdb.connect(str(synced), read_only=True)  # as the doc says a reader opens it
    try:
        for heading, sql in queries:  # in page order: the doc's SET TimeZone comes first
            try:
                result = con.execute(sql)
                rows = result.fetchall() if _is_query(sql) else None
            except duckdb.Error as exc:
                pytest.fail(f"the example under '{heading}' fails: {exc}\n{sql}")
            if rows is not None:
                assert rows, f"the example under '{heading}' returns no rows on tiny_world:\n{sql}"
    finally:
        con.close()
