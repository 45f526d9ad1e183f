"""The set-wise SQL evidence build gives exactly the rows of the per-activity loop it replaced (the oracle in
tests/support/evidence_loop.py): on a world synced through the sandbox and on generated edge cases."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.contract import ACTIVITY_SCHEMA, LABEL_SCHEMA, SIGNALS
from flows.config import read_config
from rubric import build_evidence, load_rubric
from rubric.evidence import EXCERPT_CHARS
from tests.support import evidence_loop
from warehouse import open_warehouse

RUBRIC = load_rubric()
UTC = dt.timezone.utc


def assert_same(activities: pa.Table, labels: pa.Table) -> pa.Table:
    new = build_evidence(activities, labels, RUBRIC)
    old = evidence_loop.build_evidence(activities, labels, RUBRIC)
    assert new.schema == old.schema
    assert new.to_pylist() == old.to_pylist()
    return new


@pytest.mark.slow  # shares the end-to-end tier's synced world
def test_synced_world_evidence_is_identical_to_the_loop(synced_tiny):
    _, _, config_path = synced_tiny
    config = read_config(config_path)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        activities, labels = wh.query_activities(), wh.query_labels()
        stored = wh.con.execute("SELECT count(*) FROM rubric_evidence").fetchall()[0][0]
    out = assert_same(activities, labels)
    assert out.num_rows == stored > 20  # what the nightly stored is this same build
    assert {"review", "pull_request", "ticket"} <= set(out.column("kind").to_pylist())


# Bodies that exercise the word count, stock phrases, Unicode whitespace and the excerpt's cut.
BODIES = [
    None,
    "",
    "LGTM",
    "  looks good to me!! ",
    "👍",
    "thanks you",
    "Why not cache this? The retry path reads the config on every call, which is slow.",
    "a\u00a0b\u2003c\u3000d  e\tf\ng",
    ("word " * 70).strip(),
    "x" * (EXCERPT_CHARS + 5),
    "see https://docs.test/a: context, then; more.: " + "filler " * 40,
    "Ünïcödé ßtraße " * 30,
]
KINDS = ["pull_request", "review", "review_comment", "issue_comment", "ticket", "ticket_comment", "incident"]
PEOPLE = ["ana", "bo", "cy", None]

activity_rows = st.lists(
    st.tuples(
        st.integers(0, 11),  # activity number (repeats make duplicates)
        st.sampled_from(KINDS),
        st.sampled_from(PEOPLE),
        st.sampled_from(PEOPLE),  # subject person
        st.integers(0, 3),  # subject activity (a PR / ticket number)
        st.sampled_from(BODIES),
        st.one_of(st.none(), st.integers(1, 28)),
        st.sampled_from([None, "Epic", " epic ", "Story"]),
        st.sampled_from([None, "", "E-1", "E-2"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)
label_rows = st.lists(
    st.tuples(
        st.integers(0, 11),
        st.sampled_from(sorted(SIGNALS) + ["made.up"]),
        st.one_of(st.none(), st.floats(-0.2, 1.2)),
        st.sampled_from(["", "r1", "r2", "rule x: on bo's PR", "other: on bo's PR", None]),
        st.sampled_from(["rule-a", "model-b"]),
    ),
    max_size=40,
)


def _activity_id(n: int, kind: str) -> str:
    return f"jira:ticket:E-{n % 3}" if kind == "ticket" and n % 2 else f"gh:{kind}:{n}"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activity_rows, label_rows)
def test_generated_inputs_give_identical_rows(acts, labs):
    rows, ids = [], []
    for n, kind, person, subject, subject_n, body, day, issue_type, parent, bot in acts:
        activity_id = _activity_id(n, kind)
        ids.append(activity_id)
        rows.append(
            {
                "activity_id": activity_id,
                "kind": kind,
                "person_id": person,
                "actor": person or "ghost",
                "is_bot": bot and n % 5 == 0,
                "occurred_at": dt.datetime(2026, 10, day, 9, tzinfo=UTC) if day else None,
                "url": f"https://x.test/{n}",
                "title": f"t{n}",
                "body": body,
                "subject_activity_id": f"gh:pull_request:{subject_n}" if kind in ("review", "review_comment") else None,
                "subject_person_id": subject,
                "issue_type": issue_type,
                "parent_key": parent,
            }
        )
    activities = pa.Table.from_pylist(rows, schema=ACTIVITY_SCHEMA)
    label_table = pa.Table.from_pylist(
        [
            {
                "activity_id": _activity_id(n, KINDS[n % len(KINDS)]) if n >= len(ids) else ids[n],
                "label": label,
                "confidence": confidence,
                "reason": reason,
                "classifier_id": classifier,
            }
            for n, label, confidence, reason, classifier in labs
        ],
        schema=LABEL_SCHEMA,
    )
    assert_same(activities, label_table)
