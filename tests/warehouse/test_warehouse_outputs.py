"""activity_labels and rubric_evidence: written as whole sets, touching only rows that differ."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from classifiers.contract import LABEL_SCHEMA
from rubric.contract import EVIDENCE_SCHEMA
from warehouse import WarehouseError, open_warehouse

UTC = dt.timezone.utc


def labels(*rows: tuple) -> pa.Table:
    """Rows of (activity_id, label, confidence, classifier_id)."""
    return pa.Table.from_pylist(
        [
            {
                "activity_id": a,
                "label": label,
                "confidence": c,
                "classifier_kind": "rule",
                "classifier_id": cid,
                "classifier_version": "1",
                "reason": f"{label} because",
            }
            for a, label, c, cid in rows
        ],
        schema=LABEL_SCHEMA,
    )


def evidence(*rows: tuple) -> pa.Table:
    """Rows of (rubric_version, person_id, dimension_id, activity_id, day, weight)."""
    return pa.Table.from_pylist(
        [
            {
                "rubric_id": "ic4_mle",
                "rubric_version": version,
                "person_id": person,
                "dimension_id": dim,
                "behaviour_id": f"{dim}.b1",
                "activity_id": act,
                "kind": "pull_request",
                "occurred_at": dt.datetime(2026, 10, day, tzinfo=UTC),
                "url": f"https://x.test/{act}",
                "title": act,
                "signals": ["work.feature"],
                "weight": weight,
                "reason": "because",
            }
            for version, person, dim, act, day, weight in rows
        ],
        schema=EVIDENCE_SCHEMA,
    )


@pytest.fixture()
def wh(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def test_write_labels_makes_the_table_equal_and_counts_changes(wh):
    first = labels(("a1", "work.feature", 1.0, "r1"), ("a1", "work.test", 0.6, "m1"), ("a2", "work.docs", 1.0, "r1"))
    assert wh.write_labels(first) == 3
    assert wh.query_labels().equals(
        first.sort_by([("activity_id", "ascending"), ("label", "ascending"), ("classifier_id", "ascending")])
    )
    before = wh.fingerprint()
    assert wh.write_labels(first) == 0
    assert wh.fingerprint() == before
    # one changed (confidence), one gone (a2), one new (a3), one the same
    second = labels(("a1", "work.feature", 1.0, "r1"), ("a1", "work.test", 0.9, "m1"), ("a3", "work.perf", 1.0, "r1"))
    assert wh.write_labels(second) == 3
    assert wh.query_labels().to_pylist() == second.to_pylist()
    assert wh.write_labels(labels()) == 3
    assert wh.query_labels().num_rows == 0


def test_write_labels_accepts_extra_columns_and_refuses_bad_tables(wh):
    extra = labels(("a1", "work.feature", 1.0, "r1")).append_column("debug", pa.array(["x"]))
    assert wh.write_labels(extra) == 1
    with pytest.raises(WarehouseError, match="lack columns \\['reason'\\]"):
        wh.write_labels(labels(("a1", "work.feature", 1.0, "r1")).drop_columns(["reason"]))
    with pytest.raises(WarehouseError, match="repeat the key"):
        wh.write_labels(labels(("a1", "work.feature", 1.0, "r1"), ("a1", "work.feature", 0.5, "r1")))
    assert wh.query_labels().num_rows == 1


def test_write_evidence_is_scoped_to_the_rubric_versions_given(wh):
    v1 = evidence(("1", "ana", "delivery", "a1", 3, 1.0), ("1", "bo", "delivery", "a2", 4, 1.0))
    v2 = evidence(("2", "ana", "delivery", "a1", 3, 2.0))
    assert wh.write_evidence(v1) == 2
    assert wh.write_evidence(v2) == 1  # writing version 2 leaves version 1 alone
    assert wh.query_evidence("ana").column("rubric_version").to_pylist() == ["1", "2"]
    assert wh.write_evidence(v2) == 0
    assert wh.write_evidence(evidence(("1", "ana", "delivery", "a1", 3, 1.0))) == 1  # bo's v1 row removed
    assert wh.query_evidence("bo").num_rows == 0


def test_query_evidence_filters(wh):
    wh.write_evidence(
        evidence(
            ("1", "ana", "delivery", "a1", 3, 1.0),
            ("1", "ana", "mentorship", "a2", 9, 1.0),
            ("1", "ana", "delivery", "a3", 20, 1.0),
            ("1", "bo", "delivery", "a4", 9, 1.0),
        )
    )
    table = wh.query_evidence(
        "ana", since=dt.datetime(2026, 10, 3, tzinfo=UTC), until=dt.datetime(2026, 10, 20, tzinfo=UTC)
    )
    assert table.schema == EVIDENCE_SCHEMA
    assert table.column("activity_id").to_pylist() == ["a1", "a2"]
    assert wh.query_evidence("ana", rubric_id="other").num_rows == 0
    assert wh.query_evidence("ana", rubric_id="ic4_mle").num_rows == 3


def test_a_failed_write_leaves_the_table_as_it_was(wh):
    wh.write_labels(labels(("a1", "work.feature", 1.0, "r1")))
    before = wh.fingerprint()
    bad = labels(("a2", "work.docs", 1.0, "r1"), (None, "work.docs", 1.0, "r1"))
    with pytest.raises(WarehouseError, match="activity_labels"):
        wh.write_labels(bad)
    assert wh.fingerprint() == before
