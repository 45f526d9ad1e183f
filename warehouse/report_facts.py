"""What every report reads besides evidence, materialised once a night so one report reads only its person's rows.

``fct_activity`` is a view over every raw table: evaluating it costs seconds per 100k activities, and the
report read it several times for everyone (the data's span, monthly activity, coverage's active days,
identity resolution for the suggested accounts).  The nightly's report stage (``refresh``) keeps

- ``report_activity``: the columns of ``fct_activity`` those queries read, one row per activity, ordered
  by person (DuckDB's zone maps then skip other people's row groups);
- the identity suggestions coverage shows (``warehouse.coverage.open_suggestions``), as JSON;

each with the ``fingerprint`` of what it was built from (``report_state``, migration 0013): per raw table
its row count and newest ``fetched_at`` (a loaded row that changed gets a new ``fetched_at``; a deleted one
changes the count), the identity links, the views' checksums and, for the suggestions, the identity
overrides.  Readers compare the fingerprint first (milliseconds: counts and maxima come from table
statistics) and read ``fct_activity`` as before when it differs, so a sync after the nightly, an identity
change or another release never reads stale facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from warehouse.records import RECORD_TYPES_BY_TABLE

ACTIVITY = "activity"
SUGGESTIONS = "suggestions"
# ``stage_versions``' row of the nightly's identity stage (``flows.people.sync_identities_unless_settled``)
IDENTITY_MEMO = "identities:resolved"
COLUMNS = ("activity_id", "kind", "source", "person_id", "actor", "is_bot", "occurred_at")


def activity_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of what ``fct_activity`` is computed from (see the module docstring)."""
    union = " UNION ALL ".join(
        f"SELECT '{table}', count(*), max(fetched_at) FROM {table}" for table in sorted(RECORD_TYPES_BY_TABLE)
    )
    digest = hashlib.sha256()
    for row in con.execute(f"SELECT * FROM ({union}) ORDER BY 1").fetchall():
        digest.update(repr(row).encode())
    for (text,) in con.execute(
        "SELECT coalesce(string_agg(system || ':' || identity || '=' || person_id, '|' ORDER BY system, identity), '') "
        "FROM identity_links UNION ALL "
        "SELECT coalesce(string_agg(name || '=' || checksum, '|' ORDER BY name), '') FROM schema_views"
    ).fetchall():
        digest.update(text.encode())
    return digest.hexdigest()


# What ``reports_fingerprint`` reads of a table, when not all of it (every other table: all of it).
# - not a report input: a run's log (its budget, durations), HTTP validators, which migrations ran, the
#   items quarantined (each night's sighting of one stamps it again);
# - only the partitions whose latest sync failed: the coverage's stale marks (``read_failing_partitions``);
# - without the time a row was written, which changes when nothing it says does;
# - the row count only: a table derived from rows hashed here (labels and evidence from the ``:input`` and
#   version rows of ``stage_versions``, ``report_activity`` from ``report_state``), so hashing its rows,
#   a million of them, would add a second of work and no information.
_REPORT_INPUT_PARTS: dict[str, str | None] = {
    "sync_runs": None,
    "sync_run_credentials": None,  # what each GitHub credential of a run cost (`ladder runs`)
    "http_cache": None,
    "schema_migrations": None,
    "quarantined_records": None,  # shown by `ladder runs` / `doctor`, not in a report
    "sync_partitions": "SELECT count(*), sum(hash(t)) FROM sync_partitions t WHERE consecutive_failures > 0",
    # the identity stage's memo is not shown: the links it stands for are hashed in full
    "stage_versions": (
        f"SELECT count(*), sum(hash(stage, version_hash)) FROM stage_versions WHERE stage <> '{IDENTITY_MEMO}'"
    ),
    "report_state": "SELECT count(*), sum(hash(name, fingerprint, value)) FROM report_state",
    "period_norms": (
        "SELECT count(*), sum(hash(rubric_id, rubric_version, since, until, fingerprint, norms)) FROM period_norms"
    ),
    "activity_labels": "SELECT count(*) FROM activity_labels",
    "activity_label_inputs": "SELECT count(*) FROM activity_label_inputs",
    "rubric_evidence": "SELECT count(*) FROM rubric_evidence",
    "evidence_inputs": "SELECT count(*) FROM evidence_inputs",
    "report_activity": "SELECT count(*) FROM report_activity",
}


def reports_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of everything in the warehouse a report is made from: equal before and after a night that
    loaded nothing, different after any change a report could show (``flows.report_manifest``).

    The raw tables as ``activity_fingerprint`` sees them (their counts and newest ``fetched_at``, the identity
    links, the views); every other table in full (an order-free sum of row hashes), except for what
    ``_REPORT_INPUT_PARTS`` says.  A table added later is therefore hashed in full: at worst the reports are
    rebuilt on a night that did not need it, never skipped on one that did."""
    digest = hashlib.sha256(activity_fingerprint(con).encode())
    tables = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        if name not in RECORD_TYPES_BY_TABLE
    ]
    for table in tables:
        sql = _REPORT_INPUT_PARTS.get(table, f'SELECT count(*), sum(hash(t)) FROM "{table}" t')
        if sql is not None:
            digest.update(f"{table}={con.execute(sql).fetchall()!r}\n".encode())
    return digest.hexdigest()


def suggestions_fingerprint(activity: str, overrides: Sequence[Any]) -> str:
    """The activity fingerprint with the identity overrides the suggestions were resolved under."""
    return hashlib.sha256(f"{activity}\n{tuple(overrides)!r}".encode()).hexdigest()


def _state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str | None] | None:
    rows = con.execute("SELECT fingerprint, value FROM report_state WHERE name = ?", [name]).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def activity_current(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether ``report_activity`` was built from the data ``fingerprint`` describes."""
    state = _state(con, ACTIVITY)
    return state is not None and state[0] == fingerprint


def stored_suggestions(con: duckdb.DuckDBPyConnection, fingerprint: str) -> list[dict[str, Any]] | None:
    """The stored open suggestions when resolved from the data and overrides ``fingerprint`` describes."""
    state = _state(con, SUGGESTIONS)
    if state is None or state[0] != fingerprint or state[1] is None:
        return None
    suggestions: list[dict[str, Any]] = json.loads(state[1])
    return suggestions


def _put_state(
    con: duckdb.DuckDBPyConnection, name: str, fingerprint: str, value: str | None, now: dt.datetime
) -> None:
    con.execute("INSERT OR REPLACE INTO report_state VALUES (?, ?, ?, ?)", [name, fingerprint, value, now])


def refresh(
    con: duckdb.DuckDBPyConnection,
    transaction: Callable[[str, Callable[[duckdb.DuckDBPyConnection], Any]], Any],
    overrides: Sequence[Any],
    suggestions: Callable[[duckdb.DuckDBPyConnection], list[dict[str, Any]]],
    now: dt.datetime,
) -> dict[str, bool]:
    """Rebuild ``report_activity`` and the stored suggestions (``suggestions(con)``: open suggestions under
    ``overrides``) unless they are current; returns which were rebuilt.  Each commits with its state row."""
    fingerprint = activity_fingerprint(con)
    rebuilt = {ACTIVITY: False, SUGGESTIONS: False}
    if not activity_current(con, fingerprint):

        def work(con: duckdb.DuckDBPyConnection) -> None:
            con.execute("DELETE FROM report_activity")
            con.execute(
                f"INSERT INTO report_activity SELECT {', '.join(COLUMNS)} FROM fct_activity "
                "ORDER BY person_id NULLS LAST, occurred_at"
            )
            _put_state(con, ACTIVITY, fingerprint, None, now)

        transaction("materialising report activity", work)
        rebuilt[ACTIVITY] = True
    key = suggestions_fingerprint(fingerprint, overrides)
    if stored_suggestions(con, key) is None:
        value = json.dumps(suggestions(con), sort_keys=True)
        transaction("storing identity suggestions", lambda con: _put_state(con, SUGGESTIONS, key, value, now))
        rebuilt[SUGGESTIONS] = True
    return rebuilt
