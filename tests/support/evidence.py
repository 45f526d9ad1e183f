"""A small, known evidence table for one engineer (Ana) and the report built from it, for the report tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from rubric import build_report, load_rubric
from rubric.contract import EVIDENCE_SCHEMA

UTC = dt.timezone.utc


RUBRIC = load_rubric()


SINCE, UNTIL = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
GENERATED_AT = dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


ANA = {
    "person_id": "ana",
    "name": "Ana Lima",
    "team_id": "ml-platform",
    "team_name": "ML Platform",
    "level": "IC4",
    "manager_id": "dana",
    "manager_name": "Dana Okafor",
    "start_date": dt.date(2021, 5, 3),
}


def ev(
    activity_id: str,
    dimension_id: str,
    behaviour_id: str,
    day: int,
    weight: float,
    *,
    person: str = "ana",
    kind: str = "pull_request",
    title: str | None = None,
    url: str | None = None,
    signals: tuple[str, ...] = ("delivery.merged",),
    reason: str = "merged",
    month: int = 10,
) -> dict:
    return {
        "rubric_id": "ic4-mle",
        "rubric_version": "2",
        "person_id": person,
        "dimension_id": dimension_id,
        "behaviour_id": behaviour_id,
        "activity_id": activity_id,
        "kind": kind,
        "occurred_at": dt.datetime(2026, month, day, 12, tzinfo=UTC),
        "url": url if url is not None else f"https://github.test/acme/trainer/pull/{activity_id}",
        "title": title if title is not None else f"PR {activity_id}",
        "signals": list(signals),
        "weight": weight,
        "reason": reason,
        "thread_id": activity_id,
        "activity_count": 1,
        "excerpt": None,
    }


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVIDENCE_SCHEMA)


def small_evidence() -> pa.Table:
    """Ana's October: a SEV she commanded, a runbook, a mentoring review with hostile text, one stale row."""
    return table(
        [
            ev(
                "jira:incident:SRCH-1:commander",
                "results.ownership",
                "results.ownership.sev-urgency",
                5,
                1.0,
                kind="incident",
                title="SEV2: ranking latency p99 > 2s",
                url="https://acme.atlassian.test/browse/SRCH-1",
                signals=("incident.commander",),
                reason="commanded SEV2 SRCH-1 until resolved",
            ),
            ev(
                "gh:pr:acme/search-api#7",
                "results.ownership",
                "results.ownership.playbooks",
                6,
                1.0,
                title="Add alerting runbook for the ranking service",
                signals=("work.playbook",),
                reason="adds docs/runbooks/ranking.md",
            ),
            ev(
                "gh:review:5001",
                "scope.impact-levers",
                "scope.impact-levers.mentorship",
                2,
                0.8,
                kind="review",
                title="Review of <script>alert(1)</script> [click](javascript:alert(1)) *early* stopping",
                url="https://github.test/acme/trainer/pull/1#pullrequestreview-5001",
                signals=("mentorship", "review.knowledge_transfer"),
                reason="substantive review of bo's (IC2, joined 2026-08) PR; links the eval loop <b>pattern</b>",
            ),
            ev(
                "gh:review:5002",
                "scope.impact-levers",
                "scope.impact-levers.mentorship",
                3,
                0.25,
                kind="review",
                title="Review: looks good now",
                url="javascript:alert(document.cookie)",
                signals=("mentorship",),
                reason="follow-up review",
            ),
            ev(
                "gh:pr:acme/trainer#0",
                "results.ownership",
                "results.ownership.playbooks",
                20,
                1.0,
                month=9,
                title="Outside the period",
                signals=("work.playbook",),
                reason="September",
            ),
        ]
    )


def small_report() -> dict:
    return build_report(ANA, small_evidence(), RUBRIC, since=SINCE, until=UNTIL, generated_at=GENERATED_AT)
