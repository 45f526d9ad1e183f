"""Incremental downstream stages: classify only new or changed activities, rebuild only affected people's evidence.

What a stage last built from is stored next to what it built, in the same transaction
(``activity_label_inputs``, ``evidence_inputs``, ``stage_versions``; migration 0011), so a stage killed
at any moment leaves either the old rows with the old state or the new rows with the new state, and
the next run redoes exactly what is still out of date:

- **labels**: an activity is classified again when its ``fct_activity`` row (hashed) differs from the
  one its labels were made from, or when the classifiers' version (rules, models) differs;
- **evidence**: a person's evidence for a rubric version is rebuilt when the hash of their activities,
  those activities' labels and the size of the epics they lead differs from the one it was built from,
  or when the rubric or the evidence query differs.

Before any of that, each stage compares a cheap fingerprint of its inputs (``:input`` rows of
``stage_versions``: the raw tables' counts and newest ``fetched_at``, the identity links and views, for
evidence also the labels and ``extra``) with the one it last ran on: on a night where nothing was loaded
it stops there, without evaluating ``fct_activity``.

The judging itself (classifiers, rubric) is passed in as functions: the warehouse stages the inputs
and writes the outputs, and never imports the stages above it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from classifiers.contract import ACTIVITY_SCHEMA, LABEL_SCHEMA
from rubric.contract import EVIDENCE_SCHEMA
from warehouse.loading import _unregister, conform, sync_rows
from warehouse.report_facts import activity_fingerprint

LABEL_KEY = ("activity_id", "label", "classifier_id")
EVIDENCE_KEY = ("rubric_id", "rubric_version", "person_id", "dimension_id", "activity_id")
CLASSIFY_STAGE = "classify"
# What a stage's output was last made from, as a cheap fingerprint (``warehouse.report_facts``: raw tables'
# counts and newest fetched_at, identity links, views): equal on a night where nothing was loaded, so the
# stage skips evaluating and hashing fct_activity altogether.
CLASSIFY_INPUT = "classify:input"

# fct_activity once per stage run, with each row's hash and its input order (ACTIVITY_SCHEMA + ord + input_hash).
_STAGE_ACTIVITIES = """
CREATE OR REPLACE TEMP TABLE ev_activities AS
SELECT f.*, md5(CAST(f AS VARCHAR)) AS input_hash, row_number() OVER (ORDER BY f.activity_id) AS ord
FROM fct_activity f
"""
_STAGE_LABELS = "CREATE OR REPLACE TEMP VIEW ev_labels AS SELECT * FROM activity_labels"


@dataclass(frozen=True)
class ClassifyResult:
    """What the classify stage did: activities in the warehouse, re-classified, label rows changed."""

    activities: int
    classified: int
    labels: int
    changed: int


@dataclass(frozen=True)
class EvidenceResult:
    """What the evidence stage did for one rubric version: people with activities, rebuilt, rows changed."""

    people: int
    rebuilt: int
    rows: int
    changed: int


def stage_activities(con: duckdb.DuckDBPyConnection) -> int:
    """Evaluate fct_activity once into the temp table ``ev_activities`` (with ``labels`` as ``ev_labels``)."""
    con.execute(_STAGE_ACTIVITIES)
    con.execute(_STAGE_LABELS)
    [(n,)] = con.execute("SELECT count(*) FROM ev_activities").fetchall()
    return int(n)


def read_stage_version(con: duckdb.DuckDBPyConnection, stage: str) -> str | None:
    rows = con.execute("SELECT version_hash FROM stage_versions WHERE stage = ?", [stage]).fetchall()
    return rows[0][0] if rows else None


def write_stage_version(con: duckdb.DuckDBPyConnection, stage: str, version: str, now: dt.datetime) -> None:
    con.execute(
        "INSERT INTO stage_versions (stage, version_hash, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (stage) DO UPDATE SET version_hash = excluded.version_hash, updated_at = excluded.updated_at "
        "WHERE stage_versions.version_hash IS DISTINCT FROM excluded.version_hash",
        [stage, version, now],
    )


def classify_changed(
    con: duckdb.DuckDBPyConnection,
    transaction: Callable[[str, Callable[[duckdb.DuckDBPyConnection], int]], int],
    version: str,
    classify: Callable[[pa.Table], pa.Table],
    now: dt.datetime,
) -> ClassifyResult:
    """Label the activities whose row or whose classifiers' ``version`` changed since their labels were made;
    drop the labels of activities gone.  ``classify``: ACTIVITY_SCHEMA rows -> LABEL_SCHEMA rows, row by row
    (an activity's labels depend on its row alone).

    Nothing is staged when neither the classifiers' version nor the raw data's fingerprint changed since the
    last run (``CLASSIFY_INPUT``)."""
    fingerprint = activity_fingerprint(con)
    redo_all = read_stage_version(con, CLASSIFY_STAGE) != version
    if not redo_all and read_stage_version(con, CLASSIFY_INPUT) == fingerprint:
        [(total,)] = con.execute("SELECT count(*) FROM activity_label_inputs").fetchall()
        return ClassifyResult(int(total), 0, 0, 0)
    total = stage_activities(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_to_classify AS "
        "SELECT DISTINCT a.activity_id, a.input_hash FROM ev_activities a "
        "LEFT JOIN activity_label_inputs s ON s.activity_id = a.activity_id "
        "WHERE ? OR s.input_hash IS DISTINCT FROM a.input_hash",
        [redo_all],
    )
    cols = ", ".join(f'a."{name}"' for name in ACTIVITY_SCHEMA.names)
    activities = (
        con.sql(
            f"SELECT {cols} FROM ev_activities a WHERE a.activity_id IN (SELECT activity_id FROM ev_to_classify) "
            "ORDER BY a.activity_id"
        )
        .to_arrow_table()
        .cast(ACTIVITY_SCHEMA)
    )
    labels = conform(classify(activities), LABEL_SCHEMA, what="labels") if activities.num_rows else None
    incoming = labels if labels is not None else LABEL_SCHEMA.empty_table()

    def work(con: duckdb.DuckDBPyConnection) -> int:
        changed = sync_rows(
            con,
            "activity_labels",
            LABEL_SCHEMA,
            LABEL_KEY,
            incoming,
            within="t.activity_id IN (SELECT activity_id FROM ev_to_classify) "
            "OR t.activity_id NOT IN (SELECT activity_id FROM ev_activities)",
        )
        con.execute(
            "DELETE FROM activity_label_inputs WHERE activity_id NOT IN (SELECT activity_id FROM ev_activities)"
        )
        con.execute(
            "INSERT INTO activity_label_inputs SELECT activity_id, input_hash FROM ev_to_classify "
            "ON CONFLICT (activity_id) DO UPDATE SET input_hash = excluded.input_hash"
        )
        write_stage_version(con, CLASSIFY_STAGE, version, now)
        write_stage_version(con, CLASSIFY_INPUT, fingerprint, now)
        return changed

    changed = transaction("writing labels", work)
    return ClassifyResult(total, activities.num_rows, incoming.num_rows, changed)


# Per person: their activities' rows, those activities' labels, the size of the epics they lead, and the
# other inputs their evidence depends on (``ev_extra``: e.g. the disputes a manager confirmed).
_PERSON_INPUTS = """
CREATE OR REPLACE TEMP TABLE ev_person_inputs AS
WITH lab AS (
    SELECT activity_id, md5(string_agg(CAST(l AS VARCHAR), '|' ORDER BY label, classifier_id)) AS h
    FROM activity_labels l GROUP BY activity_id
),
extra AS (
    SELECT person_id, md5(string_agg(input, '|' ORDER BY input)) AS h FROM ev_extra GROUP BY person_id
),
acts AS (
    SELECT a.person_id,
           md5(string_agg(a.input_hash || ':' || coalesce(lab.h, '') || ':'
                          || coalesce(CAST(e.factor AS VARCHAR) || ':' || e.said, ''),
                          '|' ORDER BY a.activity_id, a.input_hash)) AS h
    FROM ev_activities a
    LEFT JOIN lab ON lab.activity_id = a.activity_id
    LEFT JOIN ev_epics e
        ON starts_with(a.activity_id, 'jira:ticket:') AND e.epic_key = regexp_extract(a.activity_id, '[^:]*$')
    WHERE a.person_id IS NOT NULL
    GROUP BY a.person_id
)
SELECT acts.person_id, CASE WHEN extra.h IS NULL THEN acts.h ELSE md5(acts.h || '+' || extra.h) END AS input_hash
FROM acts LEFT JOIN extra ON extra.person_id = acts.person_id
"""
EXTRA_SCHEMA = pa.schema([("person_id", pa.string()), ("input", pa.string())])


def evidence_changed(
    con: duckdb.DuckDBPyConnection,
    transaction: Callable[[str, Callable[[duckdb.DuckDBPyConnection], int]], int],
    rubric_key: tuple[str, str],
    version: str,
    epics: Callable[[duckdb.DuckDBPyConnection], pa.Table],
    build: Callable[[duckdb.DuckDBPyConnection, pa.Table, Sequence[str] | None], pa.Table],
    now: dt.datetime,
    extra: pa.Table | None = None,
) -> EvidenceResult:
    """Rebuild the evidence of rubric ``rubric_key`` (id, version) for the people whose inputs changed (all of
    them when ``version`` — the rubric's and the query's hash — did).

    ``epics(con)``: the led epics' sizes (``rubric.evidence.epics_table``) from ``ev_activities`` /
    ``ev_labels``; ``build(con, epics, people)``: EVIDENCE_SCHEMA rows of ``people`` (None: everyone);
    ``extra`` (EXTRA_SCHEMA): any other per-person input ``build`` depends on, as strings (a person whose
    strings change is rebuilt).
    """
    rubric_id, rubric_version = rubric_key
    stage = f"evidence:{rubric_id}:{rubric_version}"
    # Skipped when the evidence query, the raw data, the labels and ``extra`` are all as last time.
    key = _evidence_key(con, extra)
    if read_stage_version(con, stage) == version and read_stage_version(con, f"{stage}:input") == key:
        [(total,)] = con.execute(
            "SELECT count(*) FROM evidence_inputs WHERE rubric_id = ? AND rubric_version = ?", [*rubric_key]
        ).fetchall()
        return EvidenceResult(int(total), 0, 0, 0)
    stage_activities(con)
    epic_table = epics(con)
    con.register("ev_epics", epic_table)
    con.register("ev_extra", (extra if extra is not None else EXTRA_SCHEMA.empty_table()).select(EXTRA_SCHEMA.names))
    try:
        con.execute(_PERSON_INPUTS)
    finally:
        _unregister(con, "ev_epics")
        _unregister(con, "ev_extra")
    redo_all = read_stage_version(con, stage) != version
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_rebuild AS "
        "SELECT coalesce(p.person_id, s.person_id) AS person_id, p.input_hash FROM ev_person_inputs p "
        "FULL JOIN (SELECT person_id, input_hash FROM evidence_inputs WHERE rubric_id = ? AND rubric_version = ?) s "
        "ON s.person_id = p.person_id WHERE ? OR p.input_hash IS DISTINCT FROM s.input_hash",
        [rubric_id, rubric_version, redo_all],
    )
    people = [p for (p,) in con.execute("SELECT person_id FROM ev_rebuild ORDER BY 1").fetchall()]
    [(total,)] = con.execute("SELECT count(*) FROM ev_person_inputs").fetchall()
    if redo_all:
        evidence = build(con, epic_table, None)
    elif people:
        evidence = build(con, epic_table, people)
    else:
        evidence = EVIDENCE_SCHEMA.empty_table()
    incoming = conform(evidence, EVIDENCE_SCHEMA, what="evidence rows")
    # Everyone's rows when everything is rebuilt (people with no activities left included), else the rebuilt's.
    within = "true" if redo_all else "t.person_id IN (SELECT person_id FROM ev_rebuild)"

    def work(con: duckdb.DuckDBPyConnection) -> int:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ev_rubric AS SELECT ? AS rubric_id, ? AS rubric_version", [*rubric_key]
        )
        changed = sync_rows(
            con,
            "rubric_evidence",
            EVIDENCE_SCHEMA,
            EVIDENCE_KEY,
            incoming,
            within=f"t.rubric_id = (SELECT rubric_id FROM ev_rubric) "
            f"AND t.rubric_version = (SELECT rubric_version FROM ev_rubric) AND ({within})",
        )
        con.execute(
            "DELETE FROM evidence_inputs WHERE rubric_id = ? AND rubric_version = ? "
            "AND (? OR person_id IN (SELECT person_id FROM ev_rebuild))",
            [rubric_id, rubric_version, redo_all],
        )
        con.execute(
            "INSERT INTO evidence_inputs SELECT ?, ?, person_id, input_hash FROM ev_person_inputs "
            "WHERE ? OR person_id IN (SELECT person_id FROM ev_rebuild)",
            [rubric_id, rubric_version, redo_all],
        )
        write_stage_version(con, stage, version, now)
        write_stage_version(con, f"{stage}:input", key, now)
        return changed

    changed = transaction("writing evidence", work)
    return EvidenceResult(int(total), len(people), incoming.num_rows, changed)


def _evidence_key(con: duckdb.DuckDBPyConnection, extra: pa.Table | None) -> str:
    """A cheap digest of what every person's evidence is built from: the raw data's fingerprint, the labels
    (count and an order-free sum of row hashes, one native scan) and ``extra``."""
    [(n, total)] = con.execute(
        "SELECT count(*), coalesce(sum(hash(activity_id, label, classifier_id, confidence, reason)), 0) "
        "FROM activity_labels"
    ).fetchall()
    digest = hashlib.sha256(f"{activity_fingerprint(con)}\n{n}:{total}\n".encode())
    if extra is not None:
        for person_id, value in sorted(zip(extra.column("person_id").to_pylist(), extra.column("input").to_pylist())):
            digest.update(f"{person_id}\t{value}\n".encode())
    return digest.hexdigest()
