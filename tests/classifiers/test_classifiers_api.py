"""classify_activities end to end on Arrow tables: exact labels, provenance, ordering, scale, properties."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers import ActivityTableError, classify_activities
from classifiers.contract import ACTIVITY_KINDS, ACTIVITY_SCHEMA, LABEL_SCHEMA, SIGNALS
from classifiers.models import MODEL_MIN_CONFIDENCE, MODEL_SILENT_LABELS, save_model, train_in_memory

UTC = dt.timezone.utc


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, tzinfo=UTC)


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=ACTIVITY_SCHEMA)


GH = dict(source="github", container="acme/trainer", container_team_id="ml-platform")
ANA = dict(
    person_id="ana",
    actor="ana",
    person_team_id="ml-platform",
    person_level_rank=4,
    person_start_date=dt.date(2021, 5, 3),
)
BO_SUBJECT = dict(
    subject_person_id="bo",
    subject_team_id="ml-platform",
    subject_level_rank=2,
    subject_start_date=dt.date(2026, 8, 1),
    subject_activity_id="gh:pr:acme/trainer#1",
)

ROWS = [
    dict(
        activity_id="gh:pr:acme/trainer#1",
        kind="pull_request",
        **GH,
        person_id="bo",
        person_team_id="ml-platform",
        occurred_at=at(2),
        title="Add early stopping to the trainer",
        body="Stops training when loss plateaus.",
        state="merged",
        labels=["ml-experiment"],
        paths=["trainer/loop.py", "tests/test_loop.py"],
    ),
    dict(
        activity_id="gh:review:5001",
        kind="review",
        **GH,
        **ANA,
        **BO_SUBJECT,
        occurred_at=at(2, 14),
        state="CHANGES_REQUESTED",
        comment_count=1,
        body="Nice start. The patience counter resets on every epoch, which is a bug; see how we did it "
        "in the eval loop, and consider a min_delta.",
    ),
    dict(
        activity_id="gh:comment:5002",
        kind="review_comment",
        **GH,
        **ANA,
        **BO_SUBJECT,
        occurred_at=at(2, 15),
        body="Great, thanks for adding the test!",
        paths=["tests/test_loop.py"],
    ),
    dict(
        activity_id="gh:review:5003",
        kind="review",
        **GH,
        person_id="cyd",
        person_team_id="search",
        person_level_rank=3,
        subject_person_id=None,
        occurred_at=at(4, 10),
        state="APPROVED",
        body="",
        comment_count=0,
    ),
    dict(
        activity_id="gh:pr:acme/search-api#7",
        kind="pull_request",
        source="github",
        container="acme/search-api",
        container_team_id="search",
        **ANA,
        occurred_at=at(5),
        title="Add alerting runbook for the ranking service",
        body="Playbook for the ranking latency alert.",
        state="open",
        paths=["docs/runbooks/ranking.md"],
    ),
    dict(
        activity_id="jira:ticket:ML-2",
        kind="ticket",
        source="jira",
        container="ML",
        container_team_id="ml-platform",
        person_id="bo",
        person_team_id="ml-platform",
        occurred_at=at(3, 16),
        title="Early stopping",
        issue_type="Story",
        state="done",
        resolved_at=at(3, 16),
        due_date=dt.date(2026, 10, 10),
    ),
    dict(
        activity_id="jira:incident:SRCH-1:commander",
        kind="incident",
        source="jira",
        container="SRCH",
        container_team_id="search",
        **ANA,
        occurred_at=at(8, 3),
        role="commander",
        severity="SEV2",
        postmortem_url="https://wiki.acme.test/pm/srch-1",
    ),
]


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return classify_activities(table(ROWS)).to_pylist()


def by_activity(rows: list[dict]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r["activity_id"], set()).add((r["label"], r["classifier_kind"]))
    return out


def test_rule_labels_on_a_small_table(labelled):
    got = by_activity(labelled)
    rules = {a: {label for label, kind in pairs if kind == "rule"} for a, pairs in got.items()}
    assert rules["gh:pr:acme/trainer#1"] == {"delivery.merged", "work.ml_experiment"}
    assert rules["gh:review:5001"] == {
        "review.substantive",
        "review.changes_requested",
        "mentorship",
        "review.knowledge_transfer",
    }
    assert rules["gh:comment:5002"] == {"review.praise", "mentorship"}
    assert rules["gh:review:5003"] == {"review.approval_only", "cross_team.feedback"}
    assert rules["gh:pr:acme/search-api#7"] == {"cross_team", "work.docs", "work.playbook", "work.monitoring"}
    assert rules["jira:ticket:ML-2"] == {"work.feature", "delivery.resolved", "delivery.on_time"}
    assert rules["jira:incident:SRCH-1:commander"] == {"incident.commander", "incident.postmortem", "cross_team"}


def test_model_labels_only_where_rules_left_work_type_open_and_the_model_is_sure(labelled):
    models = [r for r in labelled if r["classifier_kind"] == "model"]
    work = {r["activity_id"] for r in models if r["classifier_id"] == "work-type"}
    # trainer#1 has no work-type rule hit (ml_experiment is a facet, not a work type); #7 has work.docs
    assert work <= {"gh:pr:acme/trainer#1"}
    review = {r["activity_id"]: r["label"] for r in models if r["classifier_id"] == "review-substance"}
    assert review == {"gh:comment:5002": "review.praise"}  # 5001 is unsure (p < 0.8); approvals get none
    for r in models:
        assert r["classifier_version"] == "3"
        assert MODEL_MIN_CONFIDENCE[r["classifier_id"]] <= r["confidence"] <= 1.0
        assert r["label"] not in MODEL_SILENT_LABELS[r["classifier_id"]]
        assert r["reason"].startswith(f"{r['classifier_id']} model v3: reads as ")
        assert "low confidence" not in r["reason"]


def test_output_schema_order_and_provenance(labelled):
    out = classify_activities(table(ROWS))
    assert out.schema == LABEL_SCHEMA
    keys = [(r["activity_id"], r["label"], r["classifier_id"]) for r in labelled]
    assert keys == sorted(keys) and len(keys) == len(set(keys))
    assert all(r["reason"] and r["classifier_version"] for r in labelled)
    assert all(r["confidence"] == 1.0 for r in labelled if r["classifier_kind"] == "rule")
    assert classify_activities(table(list(reversed(ROWS)))).equals(out)


def test_rules_only_and_user_rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 2\nrules:\n  - name: early-stopping\n    label: work.ml_experiment\n"
        "    kinds: [ticket]\n    keywords: [early stopping]\n",
        encoding="utf-8",
    )
    out = classify_activities(table(ROWS), rules_path=path, use_models=False).to_pylist()
    assert {r["classifier_kind"] for r in out} == {"rule"}
    hit = [r for r in out if r["classifier_id"] == "early-stopping"]
    assert [(r["activity_id"], r["classifier_version"]) for r in hit] == [("jira:ticket:ML-2", "yaml-2")]


def test_model_dir_models_are_used(tmp_path, labelled):
    models = train_in_memory()
    save_model(models.work_type, tmp_path)
    save_model(models.review_substance, tmp_path)
    out = classify_activities(table(ROWS), model_dir=tmp_path).to_pylist()
    assert out == labelled  # same artifacts, same labels; training-when-missing is in test_classifiers_models


def test_empty_table_and_missing_columns():
    empty = classify_activities(table([]))
    assert empty.num_rows == 0 and empty.schema == LABEL_SCHEMA
    with pytest.raises(ActivityTableError, match="lacks column.*kind"):
        classify_activities(pa.table({"activity_id": ["x"]}))


def test_twenty_thousand_activities_each_keep_their_labels():
    """Volume, not speed (speed: bench/bench_classify.py): every copy of a row gets the same labels."""
    train_in_memory()  # training is measured elsewhere; this measures classification
    rows = []
    copies = 20_000 // len(ROWS) + 1
    for i in range(copies * len(ROWS)):
        template = dict(ROWS[i % len(ROWS)])
        template["activity_id"] = f"{template['activity_id']}-{i:05d}"
        rows.append(template)
    out = classify_activities(table(rows)).to_pylist()
    single = classify_activities(table(ROWS)).to_pylist()
    assert len(out) == len(single) * copies
    per_copy = {(r["activity_id"].rsplit("-", 1)[0], r["label"], r["classifier_id"]) for r in out}
    assert per_copy == {(r["activity_id"], r["label"], r["classifier_id"]) for r in single}


# --- properties ---------------------------------------------------------------------

words = st.sampled_from(
    [
        "fix",
        "feat:",
        "docs:",
        'Revert "x"',
        "Bump numpy from 1 to 2",
        "runbook",
        "train",
        "alert",
        "cleanup",
        "LGTM",
        "see https://x.test/a",
        "for context",
        "model",
        "",
        "é ü 🚀",
    ]
)
text = st.lists(words, max_size=6).map(" ".join) | st.text(max_size=40)
maybe = lambda s: st.none() | s  # noqa: E731
activity_rows = st.fixed_dictionaries(
    {
        "activity_id": st.text(min_size=1, max_size=8),
        "kind": st.sampled_from(ACTIVITY_KINDS),
        "source": st.sampled_from(["github", "jira"]),
        "person_id": maybe(st.sampled_from(["ana", "bo"])),
        "subject_person_id": maybe(st.sampled_from(["ana", "bo"])),
        "person_team_id": maybe(st.sampled_from(["t1", "t2"])),
        "container_team_id": maybe(st.sampled_from(["t1", "t2"])),
        "person_level_rank": maybe(st.integers(1, 6)),
        "subject_level_rank": maybe(st.integers(1, 6)),
        "subject_start_date": maybe(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        "occurred_at": maybe(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC))),
        "title": maybe(text),
        "body": maybe(text),
        "state": maybe(st.sampled_from(["merged", "open", "APPROVED", "COMMENTED", "done", "new"])),
        "role": maybe(st.sampled_from(["declared", "commander", "assignee", "other"])),
        "labels": maybe(st.lists(st.sampled_from(["bug", "dependencies", "Story", "toil"]), max_size=3)),
        "paths": maybe(
            st.lists(
                st.sampled_from(
                    ["docs/a.md", "tests/test_a.py", ".github/workflows/ci.yml", "src/x.py", "runbooks/r.md", "", "/"]
                ),
                max_size=4,
            )
        ),
        "issue_type": maybe(st.sampled_from(["Epic", "Bug", "Task"])),
        "comment_count": maybe(st.integers(0, 3)),
        "cross_team_links": maybe(st.integers(0, 2)),
        "is_incident_followup": maybe(st.booleans()),
        "postmortem_url": maybe(st.sampled_from(["", "https://pm"])),
        "due_date": maybe(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        "resolved_at": maybe(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC))),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(activity_rows, max_size=12))
def test_every_label_is_a_signal_with_a_reason(rows):
    out = classify_activities(table(rows)).to_pylist()
    ids = {r["activity_id"] for r in rows}
    for r in out:
        assert r["label"] in SIGNALS
        assert r["reason"] and r["reason"].strip()
        assert r["activity_id"] in ids
        assert 0.0 <= r["confidence"] <= 1.0
        assert r["classifier_kind"] in ("rule", "model")
    keys = [(r["activity_id"], r["label"], r["classifier_id"]) for r in out]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_dependency_bump_rule_leaves_no_room_for_a_model_work_type():
    bump = dict(
        activity_id="gh:pr:acme/trainer#2",
        kind="pull_request",
        source="github",
        state="merged",
        title="Bump numpy from 1.26 to 2.0",
        body="Bumps numpy.",
        paths=["requirements.txt"],
    )
    plain = dict(
        bump,
        activity_id="gh:pr:acme/trainer#3",
        title="Handle crash when the index is empty",
        body="Throws on startup.",
        paths=["src/index.ts"],
    )
    out = classify_activities(table([bump, plain])).to_pylist()
    models = {r["activity_id"] for r in out if r["classifier_kind"] == "model"}
    assert models == {"gh:pr:acme/trainer#3"}
