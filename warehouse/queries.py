"""Read queries over the marts: activities, labels, evidence, people, fingerprints, audits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from classifiers.contract import ACTIVITY_SCHEMA, LABEL_SCHEMA, SIGNALS
from miners.records import utc
from rubric.contract import EVIDENCE_SCHEMA
from warehouse.models import read_audits
from warehouse.records import RECORD_TYPES_BY_TABLE

DATA_TABLES: tuple[str, ...] = (
    *RECORD_TYPES_BY_TABLE,
    "sync_cursors",
    "activity_labels",
    "rubric_evidence",
    "identity_links",
)
"""Tables that hold data (not schema bookkeeping); what ``fingerprint`` covers."""

PERSON_KEYS = (
    "person_id",
    "name",
    "team_id",
    "team_name",
    "level",
    "job_family",
    "manager_id",
    "manager_name",
    "start_date",
    "github_logins",
    "emails",
)


def _period(column: str, since: dt.datetime | None, until: dt.datetime | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(utc(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(utc(until))
    return (" AND ".join(clauses) or "true"), params


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], schema: pa.Schema) -> pa.Table:
    table = con.sql(sql, params=params or None).to_arrow_table()
    return table.cast(schema)


def query_activities(
    con: duckdb.DuckDBPyConnection, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> pa.Table:
    """Activities with ``since <= occurred_at < until`` as an ACTIVITY_SCHEMA table, ordered by activity_id."""
    where, params = _period("occurred_at", since, until)
    sql = f"SELECT * FROM fct_activity WHERE {where} ORDER BY activity_id"
    return _arrow(con, sql, params, ACTIVITY_SCHEMA)


def query_labels(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """All activity labels as a LABEL_SCHEMA table, ordered by key."""
    cols = ", ".join(LABEL_SCHEMA.names)
    sql = f"SELECT {cols} FROM activity_labels ORDER BY activity_id, label, classifier_id"
    return _arrow(con, sql, [], LABEL_SCHEMA)


def query_evidence(
    con: duckdb.DuckDBPyConnection,
    person_id: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    rubric_id: str | None = None,
) -> pa.Table:
    """Evidence rows of one person (``since <= occurred_at < until``) as an EVIDENCE_SCHEMA table."""
    where, params = _period("occurred_at", since, until)
    cols = ", ".join(EVIDENCE_SCHEMA.names)
    sql = f"SELECT {cols} FROM rubric_evidence WHERE person_id = ? AND {where}"
    params = [person_id, *params]
    if rubric_id is not None:
        sql += " AND rubric_id = ?"
        params.append(rubric_id)
    sql += " ORDER BY rubric_id, rubric_version, occurred_at, dimension_id, activity_id"
    return _arrow(con, sql, params, EVIDENCE_SCHEMA)


def query_everyones_evidence(
    con: duckdb.DuckDBPyConnection, rubric_id: str, *, since: dt.datetime | None, until: dt.datetime | None
) -> dict[str, pa.Table]:
    """``{person_id: what query_evidence(person_id, since=, until=, rubric_id=) returns}`` for everyone with
    rows, in one read (the nightly's reports: one scan instead of one per person)."""
    where, params = _period("occurred_at", since, until)
    cols = ", ".join(EVIDENCE_SCHEMA.names)
    table = _arrow(
        con,
        f"SELECT {cols} FROM rubric_evidence WHERE rubric_id = ? AND {where} "
        "ORDER BY person_id, rubric_id, rubric_version, occurred_at, dimension_id, activity_id",
        [rubric_id, *params],
        EVIDENCE_SCHEMA,
    )
    out: dict[str, pa.Table] = {}
    people = table.column("person_id").to_pylist()
    start = 0
    for end in range(1, len(people) + 1):
        if end == len(people) or people[end] != people[start]:
            out[people[start]] = table.slice(start, end - start)
            start = end
    return out


CALIBRATION_COLUMNS = ("person_id", "behaviour_id", "kind", "thread_id", "activity_id", "weight")


def query_calibration_rows(
    con: duckdb.DuckDBPyConnection, rubric_id: str, rubric_version: str, since: dt.datetime, until: dt.datetime
) -> list[dict[str, Any]]:
    """Everyone's evidence rows of one rubric version with ``since <= occurred_at < until``, only the columns
    calibration reads (CALIBRATION_COLUMNS): the input of rubric.calibration.calibrate_rubric."""
    where, params = _period("occurred_at", since, until)
    cols = ", ".join(CALIBRATION_COLUMNS)
    rows = con.execute(
        f"SELECT {cols} FROM rubric_evidence WHERE rubric_id = ? AND rubric_version = ? AND {where}",
        [rubric_id, rubric_version, *params],
    ).fetchall()
    return [dict(zip(CALIBRATION_COLUMNS, row)) for row in rows]


_TICKET_PARENTS = (
    "SELECT c.activity_id, p.activity_id FROM fct_activity c JOIN fct_activity p "
    "ON p.kind = 'ticket' AND p.activity_id = 'jira:ticket:' || c.parent_key "
    "WHERE c.kind = 'ticket' AND c.parent_key IS NOT NULL"
)


def query_ticket_parents(con: duckdb.DuckDBPyConnection, threads: Iterable[str] | None = None) -> dict[str, str]:
    """Each ticket's activity id -> its parent ticket's (epic or parent task), where the parent is mined: the
    links calibration folds a person's tickets along (rubric.calibration.calibrate_rubric's ``parents``).

    ``threads``: only those tickets and their ancestors (one report's: a few queries, not the whole map)."""
    if threads is None:
        return dict(con.execute(_TICKET_PARENTS).fetchall())
    # Level by level: the frontier's tickets that are mined, with their parent's id; a link holds when the parent
    # turns out mined too (it is in the next level's answer).  No self-join over every activity.
    links: dict[str, str] = {}
    mined: set[str] = set()
    asked = set(threads)
    frontier = sorted(t for t in asked if t.startswith("jira:ticket:"))
    while frontier:
        rows = con.execute(
            "SELECT activity_id, CASE WHEN parent_key IS NOT NULL THEN 'jira:ticket:' || parent_key END "
            "FROM fct_activity WHERE kind = 'ticket' AND list_contains(?::VARCHAR[], activity_id)",
            [frontier],
        ).fetchall()
        mined.update(child for child, _ in rows)
        links.update((child, parent) for child, parent in rows if parent is not None)
        frontier = sorted({parent for _, parent in rows if parent is not None} - asked)
        asked.update(frontier)
    return {child: parent for child, parent in links.items() if parent in mined}


def evidence_state(con: duckdb.DuckDBPyConnection, rubric_id: str, rubric_version: str) -> str | None:
    """How and from what a rubric version's evidence rows were built: the evidence stage's version and a
    digest of every person's ``evidence_inputs`` hash (both written with the rows, ``warehouse.downstream``).
    None when the evidence stage never built them (rows written some other way have no known state)."""
    rows = con.execute(
        "SELECT version_hash FROM stage_versions WHERE stage = ?", [f"evidence:{rubric_id}:{rubric_version}"]
    ).fetchall()
    if not rows:
        return None
    [(digest,)] = con.execute(
        "SELECT md5(coalesce(string_agg(person_id || '=' || input_hash, '|' ORDER BY person_id), '')) "
        "FROM evidence_inputs WHERE rubric_id = ? AND rubric_version = ?",
        [rubric_id, rubric_version],
    ).fetchall()
    return f"{rows[0][0]}:{digest}"


def read_period_norms(
    con: duckdb.DuckDBPyConnection, rubric_id: str, rubric_version: str, since: dt.date, until: dt.date
) -> tuple[str, str] | None:
    """The stored norms of a rubric version for [since, until] (inclusive): (fingerprint, norms JSON), or None."""
    rows = con.execute(
        "SELECT fingerprint, norms FROM period_norms WHERE rubric_id = ? AND rubric_version = ? "
        "AND since = ? AND until = ?",
        [rubric_id, rubric_version, since, until],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _person_rows(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    cols = ", ".join(PERSON_KEYS)
    rows = con.execute(f"SELECT {cols} FROM dim_person WHERE {where} ORDER BY person_id", params).fetchall()
    people = []
    for row in rows:
        person = dict(zip(PERSON_KEYS, row))
        person["github_logins"] = list(person["github_logins"] or [])
        person["emails"] = list(person["emails"] or [])
        people.append(person)
    return people


def query_person(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any] | None:
    """The roster person whose person_id is ``key``, else whose GitHub login is ``key`` (any case)."""
    found = _person_rows(con, "person_id = ?", [key])
    if not found:
        found = _person_rows(
            con,
            "person_id IN (SELECT person_id FROM dim_identity "
            "WHERE system = 'github' AND identity = identity_key('github', ?))",
            [key],
        )
    return found[0] if found else None


def query_person_by_id(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    """The roster person whose person_id is ``person_id`` (never a login lookup), or None."""
    found = _person_rows(con, "person_id = ?", [person_id])
    return found[0] if found else None


def query_viewer_candidates(con: duckdb.DuckDBPyConnection, github_id: int, login: str) -> dict[str, Any]:
    """What the warehouse knows of a GitHub account (numeric id, login) that wants to read a report.

    ``by_github_id``: roster people (not service accounts) whose ``github_id`` is ``github_id``;
    ``by_current_login``: those whose *current* login (the first of ``github_logins``) is ``login``, any
    case, each with their roster ``github_id`` (former logins are never looked at);
    ``seen_ids``: the GitHub ids the miners recorded for ``login`` (``raw_accounts``), sorted.
    A roster id is never compared with the login.
    """
    humans = "SELECT person_id, github_id FROM stg_roster_people WHERE NOT is_service_account"
    by_id = _person_rows(con, f"person_id IN (SELECT person_id FROM ({humans}) WHERE github_id = ?)", [github_id])
    ids = dict(
        con.execute(
            "SELECT person_id, github_id FROM stg_roster_people WHERE NOT is_service_account "
            "AND len(github_logins) > 0 AND identity_key('github', github_logins[1]) = identity_key('github', ?)",
            [login],
        ).fetchall()
    )
    by_login = _person_rows(con, "list_contains(?::VARCHAR[], person_id)", [sorted(ids)])
    for person in by_login:
        person["github_id"] = ids[person["person_id"]]
    for person in by_id:
        person["github_id"] = github_id
    seen = con.execute(
        "SELECT DISTINCT github_id FROM raw_accounts WHERE system = 'github' "
        "AND identity_key(system, identity) = identity_key('github', ?) "
        "AND github_id IS NOT NULL ORDER BY 1",
        [login],
    ).fetchall()
    return {"by_github_id": by_id, "by_current_login": by_login, "seen_ids": [gid for (gid,) in seen]}


def query_people(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every roster person who is not a service account, ordered by person_id."""
    return _person_rows(con, "NOT is_service_account", [])


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per data table, a sha256 of its full content (row order ignored)."""
    result = {}
    for table in DATA_TABLES:
        [(digest,)] = con.execute(
            f"SELECT sha256(coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')) "
            f"FROM {table} t"
        ).fetchall()
        result[table] = digest
    return result


def run_audits(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Run every audit in ``warehouse/sql/audits``; return ``{audit name: violating rows}``."""
    vocabulary = pa.table({"label": pa.array(sorted(SIGNALS), pa.string())})
    con.register("signal_vocabulary", vocabulary)
    try:
        return {
            audit.name: con.execute(f"SELECT count(*) FROM ({audit.sql}) violations").fetchall()[0][0]
            for audit in read_audits()
        }
    finally:
        con.unregister("signal_vocabulary")


def query_audit_rows(con: duckdb.DuckDBPyConnection, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` violating rows of one audit, as dicts (for messages and reports)."""
    audits = {a.name: a for a in read_audits()}
    if name not in audits:
        from warehouse.errors import WarehouseError

        raise WarehouseError(f"no audit named {name!r}; known audits: {sorted(audits)}")
    vocabulary = pa.table({"label": pa.array(sorted(SIGNALS), pa.string())})
    con.register("signal_vocabulary", vocabulary)
    try:
        cursor = con.execute(f"SELECT * FROM ({audits[name].sql}) violations LIMIT ?", [limit])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.unregister("signal_vocabulary")
