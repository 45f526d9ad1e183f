"""A person's role history for a report: level and team changes, start and leave dates, from the roster.

Input: the person's dated enrollment intervals (``Warehouse.query_enrollments``: kind, value, name,
valid_from, valid_to exclusive, ``None`` = open) and their roster start date.  Output: plain JSON
values, dates as ISO strings; a report shows only the person's own history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def _day(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _label(kind: str, interval: dict[str, Any]) -> dict[str, Any]:
    if kind == "team":
        return {"id": interval["value"], "name": interval.get("name") or interval["value"]}
    return {"id": interval["value"], "name": interval["value"]}


def clipped_intervals(
    enrollments: list[dict[str, Any]], kind: str, since: dt.date, until: dt.date
) -> list[tuple[dict[str, Any], dt.date, dt.date]]:
    """(interval, first day, last day) of each ``kind`` interval overlapping [since, until], clipped to it
    (inclusive dates), oldest first."""
    out = []
    for e in sorted((e for e in enrollments if e["kind"] == kind), key=lambda e: _day(e["valid_from"]) or dt.date.min):
        first, end = _day(e["valid_from"]), _day(e["valid_to"])
        last = end - dt.timedelta(days=1) if end is not None else None
        lo, hi = max(first or since, since), min(last or until, until)
        if lo <= hi:
            out.append((e, lo, hi))
    return out


def last_day(enrollments: list[dict[str, Any]]) -> dt.date | None:
    """The leave date (the roster's ``end_date``): the day before the last team interval ends, when every
    team interval ends; None while employed."""
    ends = [_day(e["valid_to"]) for e in enrollments if e["kind"] == "team"]
    if not ends or any(end is None for end in ends):
        return None
    return max(end for end in ends if end is not None) - dt.timedelta(days=1)


def role_history(
    enrollments: list[dict[str, Any]], *, start_date: Any, since: dt.date, until: dt.date
) -> dict[str, Any]:
    """Changes (every level or team change on record, each flagged ``in_period``), the leave date (the day
    before the last team interval ends, when every one of them ends), and the teams and levels held during
    [since, until], clipped to it (inclusive dates)."""
    changes: list[dict[str, Any]] = []
    spans: dict[str, list[dict[str, Any]]] = {"team": [], "level": []}
    for kind in ("level", "team"):
        intervals = sorted(
            (e for e in enrollments if e["kind"] == kind), key=lambda e: _day(e["valid_from"]) or dt.date.min
        )
        for before, after in zip(intervals, intervals[1:]):
            day = _day(after["valid_from"])
            if day is None or before["value"] == after["value"]:
                continue
            changes.append(
                {
                    "date": day.isoformat(),
                    "kind": kind,
                    "from": _label(kind, before),
                    "to": _label(kind, after),
                    "in_period": since <= day <= until,
                }
            )
        spans[kind] = [
            {**_label(kind, e), "since": lo.isoformat(), "until": hi.isoformat()}
            for e, lo, hi in clipped_intervals(enrollments, kind, since, until)
        ]
    left = last_day(enrollments)
    start = _day(start_date)
    changes.sort(key=lambda c: (c["date"], c["kind"]))
    return {
        "start_date": start.isoformat() if start else None,
        "end_date": left.isoformat() if left else None,
        "started_in_period": bool(start and since <= start <= until),
        "left_in_period": bool(left and since <= left <= until),
        "changes": changes,
        "teams": spans["team"],
        "levels": spans["level"],
    }


def empty_history(start_date: Any) -> dict[str, Any]:
    """The history of a person the caller has no enrollments for: their start date only."""
    start = _day(start_date)
    return {
        "start_date": start.isoformat() if start else None,
        "end_date": None,
        "started_in_period": False,
        "left_in_period": False,
        "changes": [],
        "teams": [],
        "levels": [],
    }
