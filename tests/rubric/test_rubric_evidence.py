"""build_evidence on hand-built activity and label tables: every number here is worked out by hand."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.contract import ACTIVITY_SCHEMA, LABEL_SCHEMA, SIGNALS
from rubric import build_evidence, load_rubric
from rubric.contract import EVIDENCE_SCHEMA
from rubric.evidence import EPIC_MIN_FACTOR

UTC = dt.timezone.utc
RUBRIC = load_rubric()


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, tzinfo=UTC)


def activities(*rows: dict) -> pa.Table:
    base = {name: None for name in ACTIVITY_SCHEMA.names}
    full = []
    for row in rows:
        item = dict(base, is_bot=False, source="github", kind="pull_request")
        item.update(row)
        item.setdefault("url", f"https://github.test/{item['activity_id']}")
        item.setdefault("title", f"title of {item['activity_id']}")
        full.append(item)
    return pa.Table.from_pylist(full, schema=ACTIVITY_SCHEMA)


def labels(*rows: tuple) -> pa.Table:
    """(activity_id, label, confidence, reason[, classifier_id])"""
    full = [
        {
            "activity_id": r[0],
            "label": r[1],
            "confidence": r[2],
            "reason": r[3],
            "classifier_kind": "rule",
            "classifier_id": r[4] if len(r) > 4 else "rule-x",
            "classifier_version": "1",
        }
        for r in rows
    ]
    return pa.Table.from_pylist(full, schema=LABEL_SCHEMA)


def rows_of(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def test_incident_commander_evidences_sev_urgency():
    acts = activities(
        {
            "activity_id": "jira:incident:SRCH-1:commander",
            "person_id": "ana",
            "kind": "incident",
            "occurred_at": at(5),
            "title": "SEV2: ranking latency",
        }
    )
    labs = labels(("jira:incident:SRCH-1:commander", "incident.commander", 1.0, "commander of SEV2 SRCH-1"))
    out = build_evidence(acts, labs, RUBRIC)
    assert out.schema == EVIDENCE_SCHEMA
    rows = rows_of(out)
    # incident.commander appears in exactly one behaviour of the packaged rubric.
    assert [(r["dimension_id"], r["behaviour_id"], r["weight"]) for r in rows] == [
        ("results.ownership", "results.ownership.sev-urgency", 1.0)
    ]
    row = rows[0]
    assert (row["rubric_id"], row["rubric_version"], row["person_id"]) == ("ic4-mle", "2", "ana")
    assert row["signals"] == ["incident.commander"]
    assert row["reason"] == "commander of SEV2 SRCH-1"
    assert row["title"] == "SEV2: ranking latency" and row["occurred_at"] == at(5)


def test_weights_combine_as_noisy_or_times_confidence():
    # quality-bar-reviews: review.defect 1.0, review.suggestion 0.5; constructive-feedback: suggestion 0.8,
    # substantive 0.6 (generic substance alone does not set the quality bar).
    acts = activities({"activity_id": "gh:review:1", "person_id": "ana", "kind": "review", "occurred_at": at(2)})
    labs = labels(
        ("gh:review:1", "review.defect", 0.9, "points at a reset bug"),
        ("gh:review:1", "review.suggestion", 0.5, "proposes a guard"),
        ("gh:review:1", "review.substantive", 1.0, "three sentences of substance"),
    )
    rows = {r["dimension_id"]: r for r in rows_of(build_evidence(acts, labs, RUBRIC))}
    team = rows["talent.team-development"]
    assert team["behaviour_id"] == "talent.team-development.quality-bar-reviews"
    assert team["weight"] == pytest.approx(1 - (1 - 1.0 * 0.9) * (1 - 0.5 * 0.5))  # 0.925
    assert team["signals"] == ["review.defect", "review.suggestion"]
    assert team["reason"] == "1 review on the PR: points at a reset bug; proposes a guard"
    labs = labels(
        ("gh:review:1", "review.defect", 0.5, "points at a reset bug"),
        ("gh:review:1", "review.substantive", 1.0, "three sentences of substance"),
    )
    rows = {r["dimension_id"]: r for r in rows_of(build_evidence(acts, labs, RUBRIC))}
    # ML Design lifecycle-feedback: defect 0.8*0.5, substantive 0.5*1.0 -> 1 - 0.6*0.5 = 0.7
    assert rows["craft.ml-design"]["weight"] == pytest.approx(0.7)
    # Code Fluency technical-risks: defect 0.5 * 0.5
    assert rows["craft.code-fluency"]["weight"] == pytest.approx(0.25)
    assert set(rows) == {"talent.team-development", "craft.ml-design", "craft.code-fluency"}


def test_best_behaviour_wins_within_a_dimension_and_ties_go_to_document_order():
    # results.ownership: toil_automation -> reduce-toil (1.0); playbook -> playbooks (1.0). Tie: reduce-toil
    # comes first in the document.
    acts = activities({"activity_id": "gh:pr:a#1", "person_id": "ana", "occurred_at": at(3)})
    labs = labels(
        ("gh:pr:a#1", "work.playbook", 1.0, "adds docs/runbooks/x.md"),
        ("gh:pr:a#1", "work.toil_automation", 1.0, "automates a manual step"),
    )
    rows = {r["dimension_id"]: r for r in rows_of(build_evidence(acts, labs, RUBRIC))}
    assert rows["results.ownership"]["behaviour_id"] == "results.ownership.reduce-toil"
    assert rows["results.ownership"]["signals"] == ["work.toil_automation"]
    # scope.ownership-autonomy level-up-solutions: 1 - (1-1.0)(1-0.8) = 1.0
    assert rows["scope.ownership-autonomy"]["weight"] == pytest.approx(1.0)
    labs = labels(
        ("gh:pr:a#1", "work.playbook", 1.0, "adds a runbook"),
        ("gh:pr:a#1", "work.toil_automation", 0.5, "maybe automation"),
    )
    rows = {r["dimension_id"]: r for r in rows_of(build_evidence(acts, labs, RUBRIC))}
    assert rows["results.ownership"]["behaviour_id"] == "results.ownership.playbooks"


def test_bots_unresolved_people_and_unlabelled_activities_give_no_evidence():
    acts = activities(
        {"activity_id": "gh:pr:a#2", "person_id": None, "actor": "ghost", "occurred_at": at(4)},
        {"activity_id": "gh:pr:a#3", "person_id": "dependabot[bot]", "is_bot": True, "occurred_at": at(4)},
        {"activity_id": "gh:pr:a#4", "person_id": "bo", "occurred_at": at(4)},
        {"activity_id": "gh:pr:a#5", "person_id": "bo", "occurred_at": at(4)},
    )
    labs = labels(
        *[(f"gh:pr:a#{n}", "delivery.merged", 1.0, "merged") for n in (2, 3, 5)],
        ("gh:pr:a#5", "work.chore", 1.0, "chore"),
    )  # work.chore evidences nothing
    rows = rows_of(build_evidence(acts, labs, RUBRIC))
    assert {r["activity_id"] for r in rows} == {"gh:pr:a#5"}
    assert {r["dimension_id"] for r in rows} == {"results.impact", "craft.code-fluency"}
    assert all(r["signals"] == ["delivery.merged"] for r in rows)


def test_unknown_labels_are_ignored_and_duplicates_take_the_best_confidence(caplog):
    acts = activities({"activity_id": "gh:pr:a#6", "person_id": "cyd", "occurred_at": at(6)})
    labs = labels(
        ("gh:pr:a#6", "made.up", 1.0, "nonsense"),
        ("gh:pr:a#6", "work.playbook", 0.4, "model thinks runbook", "model-1"),
        ("gh:pr:a#6", "work.playbook", 0.9, "path docs/runbooks", "rule-runbook"),
    )
    rows = {r["dimension_id"]: r for r in rows_of(build_evidence(acts, labs, RUBRIC))}
    assert rows["results.ownership"]["weight"] == pytest.approx(0.9)
    assert rows["results.ownership"]["reason"] == "path docs/runbooks; model thinks runbook"
    assert "made.up" in caplog.text


def test_empty_inputs_give_an_empty_table_with_the_schema():
    out = build_evidence(activities(), labels(), RUBRIC)
    assert out.num_rows == 0 and out.schema == EVIDENCE_SCHEMA


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"activities table lacks columns \['is_bot'\]"):
        build_evidence(activities().drop_columns(["is_bot"]), labels(), RUBRIC)


def test_order_is_person_then_rubric_dimension_then_time():
    acts = activities(
        {"activity_id": "i2", "person_id": "bo", "kind": "incident", "occurred_at": at(9)},
        {"activity_id": "i1", "person_id": "bo", "kind": "incident", "occurred_at": at(8)},
        {"activity_id": "p1", "person_id": "ana", "occurred_at": at(7)},
    )
    labs = labels(
        ("i2", "incident.responder", 1.0, "r"),
        ("i1", "incident.responder", 1.0, "r"),
        ("p1", "project.epic_lead", 1.0, "leads ML-1"),
    )
    got = [(r["person_id"], r["dimension_id"], r["activity_id"]) for r in rows_of(build_evidence(acts, labs, RUBRIC))]
    assert got == [
        ("ana", "scope.ownership-autonomy", "p1"),
        ("ana", "scope.impact-levers", "p1"),
        ("ana", "direction.strategy", "p1"),
        ("bo", "results.ownership", "i1"),
        ("bo", "results.ownership", "i2"),
        ("bo", "craft.software-design", "i1"),
        ("bo", "craft.software-design", "i2"),
    ]


EVIDENCING = sorted({s.signal for _, b in RUBRIC.behaviours() for s in b.signals})


@settings(max_examples=20, deadline=None)  # each example runs a DuckDB query: kept small for CI
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(sorted(SIGNALS)), st.floats(0.05, 1.0)), min_size=1, max_size=30
    ),
    st.randoms(use_true_random=False),
)
def test_properties_weight_range_and_input_order_does_not_matter(label_rows, rnd):
    acts = activities(*[{"activity_id": f"a{n}", "person_id": f"p{n % 2}", "occurred_at": at(n + 1)} for n in range(6)])
    labs = [(f"a{n}", sig, conf, f"reason {sig}") for n, sig, conf in label_rows]
    out = rows_of(build_evidence(acts, labels(*labs), RUBRIC))
    shuffled_acts = acts.take(rnd.sample(range(acts.num_rows), acts.num_rows))
    shuffled_labs = labels(*rnd.sample(labs, len(labs)))
    assert rows_of(build_evidence(shuffled_acts, shuffled_labs, RUBRIC)) == out
    assert all(0 < r["weight"] <= 1 for r in out)
    keys = [(r["person_id"], r["dimension_id"], r["activity_id"]) for r in out]
    assert len(keys) == len(set(keys))  # at most one row per person, dimension and activity
    labelled = {(f"a{n}", sig) for n, sig, _ in label_rows}
    for r in out:
        assert all((r["activity_id"], s) in labelled for s in r["signals"])
    evidenced = {f"a{n}" for n, sig, _ in label_rows if sig in EVIDENCING}
    assert {r["activity_id"] for r in out} == evidenced


def test_twenty_thousand_activities_all_evidenced():
    # Speed is measured in bench/ (docs/benchmarks.md), never asserted as a timing here.
    n = 20_000
    acts = activities(
        *[{"activity_id": f"gh:pr:x#{i}", "person_id": f"p{i % 300}", "occurred_at": at(1 + i % 28)} for i in range(n)]
    )
    sigs = EVIDENCING
    labs = labels(*[(f"gh:pr:x#{i}", sigs[(i * k) % len(sigs)], 1.0, "r") for i in range(n) for k in (1, 7, 13)])
    out = build_evidence(acts, labs, RUBRIC)
    assert out.num_rows > n
    assert set(out.column("person_id").to_pylist()) == {f"p{i}" for i in range(300)}


# --- threads: quality over volume (issue 10) ---------------------------------------------------------------

PR = "gh:pr:acme/trainer#7"


def _feedback(activity_id: str, kind: str, person: str, body: str, day: int = 3, **extra) -> dict:
    return {
        "activity_id": activity_id,
        "kind": kind,
        "person_id": person,
        "occurred_at": at(day),
        "body": body,
        "subject_activity_id": PR,
        "subject_person_id": "bo",
        "title": "Retry the upload",
        **extra,
    }


def test_thirty_inline_comments_by_one_reviewer_are_one_evidence_item_per_dimension():
    acts = [
        _feedback(
            "gh:review:1",
            "review",
            "ana",
            "Two problems with the retry path, see inline.",
            state="CHANGES_REQUESTED",
            comment_count=30,
        )
    ]
    labs = [("gh:review:1", "review.substantive", 1.0, "changes_requested with 30 inline comments")]
    for i in range(30):
        acts.append(
            _feedback(
                f"gh:review_comment:{100 + i}",
                "review_comment",
                "ana",
                f"This loop never backs off when attempt {i} fails; add a test for it.",
                day=3 + i % 5,
            )
        )
        labs.append((f"gh:review_comment:{100 + i}", "review.defect", 0.9, "review-comment model: a defect"))
    rows = rows_of(build_evidence(activities(*acts), labels(*labs), RUBRIC))
    per_dim = {}
    for r in rows:
        per_dim.setdefault(r["dimension_id"], []).append(r)
    assert per_dim and all(len(v) == 1 for v in per_dim.values()), {k: len(v) for k, v in per_dim.items()}
    team = per_dim["talent.team-development"][0]
    assert team["thread_id"] == PR and team["activity_count"] == 31
    assert team["reason"].startswith("1 review, 30 inline comments on someone else's PR: ")
    # The item's excerpt is what was said (a comment that carries the defect), not the PR's title.
    assert team["excerpt"].startswith("This loop never backs off") and team["title"] == "Retry the upload"
    assert team["weight"] == pytest.approx(0.9)  # review.defect 1.0 x 0.9; substantive is not a quality-bar signal


def test_a_reply_on_ones_own_pr_is_no_evidence():
    reply = _feedback(
        "gh:review_comment:9",
        "review_comment",
        "bo",
        "Good point, I changed the loop and added a test.",
        subject_person_id="bo",
    )
    labs = labels(
        ("gh:review_comment:9", "review.suggestion", 0.9, "model"),
        ("gh:review_comment:9", "cross_team", 1.0, "actor is on team search"),
    )
    assert build_evidence(activities(reply), labs, RUBRIC).num_rows == 0


def test_a_rubber_stamp_counts_for_no_review_mentorship_or_cross_team_behaviour():
    stamp = _feedback("gh:review:2", "review", "cyd", "LGTM", state="APPROVED", comment_count=0)
    labs = labels(
        ("gh:review:2", "review.approval_only", 1.0, "approved with only 'LGTM'"),
        ("gh:review:2", "mentorship", 1.0, "review on bo's PR: level below"),
        ("gh:review:2", "cross_team", 1.0, "actor is on team search"),
    )
    assert build_evidence(activities(stamp), labs, RUBRIC).num_rows == 0


def test_mentorship_needs_explanatory_feedback_not_just_a_junior_author():
    short = _feedback("gh:review:3", "review", "ana", "Off by one here.", state="CHANGES_REQUESTED")
    teach = _feedback(
        "gh:review:4",
        "review",
        "eli",
        "We pin the seed here because the sampler is not reentrant; see docs/sampling.md for the history.",
        subject_activity_id="gh:pr:acme/trainer#8",
    )
    labs = labels(
        ("gh:review:3", "review.defect", 1.0, "a defect"),
        ("gh:review:3", "mentorship", 1.0, "review on bo's PR: bo's level rank 2 is below 4"),
        ("gh:review:4", "review.knowledge_transfer", 1.0, "links docs/sampling.md for context"),
        ("gh:review:4", "mentorship", 1.0, "review on bo's PR: bo's level rank 2 is below 4"),
    )
    rows = rows_of(build_evidence(activities(short, teach), labs, RUBRIC))
    mentoring = {r["person_id"] for r in rows if "mentorship" in r["signals"]}
    assert mentoring == {"eli"}
    assert any(
        r["person_id"] == "ana" and r["behaviour_id"] == "talent.team-development.quality-bar-reviews" for r in rows
    )


def test_leading_a_large_epic_counts_more_than_leading_a_small_one():
    acts = [
        {
            "activity_id": "jira:ticket:ML-1",
            "kind": "ticket",
            "person_id": "ana",
            "issue_type": "Epic",
            "occurred_at": at(1),
            "source": "jira",
        },
        {
            "activity_id": "jira:ticket:ML-2",
            "kind": "ticket",
            "person_id": "eli",
            "issue_type": "Epic",
            "occurred_at": at(1),
            "source": "jira",
        },
    ]
    people = ["bo", "cyd", "dana", "fay"]
    acts += [
        {
            "activity_id": f"jira:ticket:ML-{10 + i}",
            "kind": "ticket",
            "person_id": people[i % 4],
            "parent_key": "ML-1",
            "occurred_at": at(2 + i % 20),
            "source": "jira",
        }
        for i in range(12)
    ]
    acts += [
        {
            "activity_id": f"jira:ticket:ML-{40 + i}",
            "kind": "ticket",
            "person_id": "bo",
            "parent_key": "ML-2",
            "occurred_at": at(3),
            "source": "jira",
        }
        for i in range(3)
    ]
    labs = labels(
        ("jira:ticket:ML-1", "project.epic_lead", 1.0, "assigned the epic (issue type Epic)"),
        ("jira:ticket:ML-2", "project.epic_lead", 1.0, "assigned the epic (issue type Epic)"),
    )
    rows = {(r["person_id"], r["behaviour_id"]): r for r in rows_of(build_evidence(activities(*acts), labs, RUBRIC))}
    big = rows[("ana", "scope.impact-levers.project-leadership")]
    small = rows[("eli", "scope.impact-levers.project-leadership")]
    # two epics: the typical size is their median (7.5); the larger is the size that counts in full
    assert big["weight"] == 1.0 and small["weight"] == pytest.approx(EPIC_MIN_FACTOR)
    assert "the epic has 12 child tickets worked by 4 people (a typical epic here: 7.5)" in big["reason"]
