"""Hand-built evidence rows for the report tests (kept here, so these tests do not depend on where others live)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from rubric import load_rubric
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
    signals: tuple[str, ...] = ("delivery.merged",),
    reason: str = "merged",
) -> dict:
    """One of Ana's October evidence rows, a PR of its own thread."""
    return {
        "rubric_id": RUBRIC.id,
        "rubric_version": RUBRIC.version,
        "person_id": "ana",
        "dimension_id": dimension_id,
        "behaviour_id": behaviour_id,
        "activity_id": activity_id,
        "kind": "pull_request",
        "occurred_at": dt.datetime(2026, 10, day, 12, tzinfo=UTC),
        "url": f"https://github.test/acme/trainer/pull/{activity_id}",
        "title": f"PR {activity_id}",
        "signals": list(signals),
        "weight": weight,
        "reason": reason,
        "thread_id": activity_id,
        "activity_count": 1,
        "excerpt": None,
    }


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVIDENCE_SCHEMA)
