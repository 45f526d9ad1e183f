"""Coverage facts: what the warehouse knows about how complete one person's data is for a period.

Read-only.  ``read_coverage_facts`` returns plain values (str, int, float,
bool, dates, lists, dicts) that ``rubric.coverage.coverage_warnings`` turns
into the report's coverage warnings, so the rubric never touches the
database.  What it reads:

- the person's roster row (``stg_roster_people``) and their team enrollment
  (``dim_enrollment``): start date and, when every team interval is closed, the
  last enrolled day;
- each source's sync state: partitions with a cursor (``sync_cursors``), raw
  rows (``raw_*``), and how far the data reaches (``synced_through``: the
  newest of the cursors and of the rows' ``fetched_at``), where its
  activity begins (``data_from``), and the partitions (repositories, Jira
  projects) whose latest sync failed (``sync_partitions``);
- the accounts linked to the person (``dim_identity``: roster claims and
  ``identity_links``) and the accounts identity resolution only *suggests* for
  them (``open_suggestions``: ``warehouse.identities.resolve``, the same code
  ``ladder identities`` runs, minus accounts ``dim_identity`` links to anyone),
  with how many activities of each fall in the period;
- the distinct UTC dates on which the person has activity in the period, per
  source (``read_period_activity``: one pass over ``fct_activity`` for everyone, or over the nightly's
  ``report_activity`` for the person when it is current, ``warehouse.report_facts``).

Suggestions, source status and period activity are the same for every person;
``Warehouse.query_coverage_facts`` reads them once per read-only warehouse.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import duckdb

from miners.people.identity import Resolution
from miners.records import identity_key
from warehouse.health import read_failing_partitions
from warehouse.records import RECORD_TYPES_BY_TABLE

log = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = ("github", "jira")
"""The activity sources a report can be missing data from."""


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _parse_cursor(cursor: str) -> dt.datetime | None:
    """A stored cursor as a UTC datetime: GitHub's ISO-8601, Jira's ``yyyy-MM-dd HH:mm`` (UTC); None if neither."""
    try:
        return _utc(dt.datetime.fromisoformat(cursor.strip()))
    except ValueError:
        return None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def read_source_status(
    con: duckdb.DuckDBPyConnection, sources: Sequence[str] = SOURCES, activity: str = "fct_activity"
) -> dict[str, dict[str, Any]]:
    """Per source: ``synced`` (any cursor or raw row), ``partitions`` (with a cursor), ``rows`` (raw rows),
    ``synced_through`` (UTC datetime or None: the newest cursor or ``fetched_at``), ``data_from`` (UTC date of
    the source's earliest activity, or None), ``failing`` (partitions whose latest sync failed, with
    ``partition``, ``last_success_at``, ``last_failure_at`` and ``failures`` in a row; ``warehouse.health``).
    ``activity``: ``fct_activity`` or its current materialisation ``report_activity`` (``warehouse.report_facts``)."""
    status: dict[str, dict[str, Any]] = {
        s: {"synced": False, "partitions": 0, "rows": 0, "synced_through": None, "data_from": None} for s in sources
    }
    if not status:
        return status
    cursors = con.execute('SELECT source, cursor FROM sync_cursors ORDER BY source, "partition"').fetchall()
    for source, cursor in cursors:
        if source not in status:
            continue
        entry = status[source]
        entry["partitions"] += 1
        at = _parse_cursor(cursor)
        if at is None:
            log.warning("coverage: cannot read the %s cursor %r as a time; ignored", source, cursor)
        elif entry["synced_through"] is None or at > entry["synced_through"]:
            entry["synced_through"] = at
    union = " UNION ALL ".join(
        f"SELECT source, count(*) AS n, max(fetched_at) AS fetched FROM {table} GROUP BY source"
        for table in sorted(RECORD_TYPES_BY_TABLE)
    )
    rows = con.execute(f"SELECT source, sum(n), max(fetched) FROM ({union}) GROUP BY source").fetchall()
    for source, count, fetched in rows:
        if source not in status:
            continue
        entry = status[source]
        entry["rows"] = int(count or 0)
        fetched = _utc(fetched)
        if fetched is not None and (entry["synced_through"] is None or fetched > entry["synced_through"]):
            entry["synced_through"] = fetched
    for source, first in con.execute(
        # the UTC date of the earliest instant (the date only grows with the instant): one conversion per source,
        # not one per activity (10x on 1.3M activities)
        f"SELECT source, CAST(timezone('UTC', min(occurred_at)) AS DATE) FROM {activity} GROUP BY source"
    ).fetchall():
        if source in status:
            status[source]["data_from"] = first
    for entry in status.values():
        entry["synced"] = entry["partitions"] > 0 or entry["rows"] > 0
        entry["failing"] = []
    for failing in read_failing_partitions(con, list(status)):
        status[failing["source"]]["failing"].append(
            {
                "partition": failing["partition"],
                "last_success_at": failing["last_success_at"],
                "last_failure_at": failing["last_failure_at"],
                "failures": failing["failures"],
            }
        )
    return status


def _person(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    rows = con.execute(
        "SELECT person_id, name, start_date FROM stg_roster_people WHERE person_id = ?", [person_id]
    ).fetchall()
    if not rows:
        return None
    pid, name, start = rows[0]
    [(all_closed, last_to)] = con.execute(
        "SELECT count(*) > 0 AND bool_and(valid_to IS NOT NULL), max(valid_to) "
        "FROM dim_enrollment WHERE person_id = ? AND kind = 'team'",
        [person_id],
    ).fetchall()
    end = last_to - dt.timedelta(days=1) if all_closed and last_to is not None else None
    return {"person_id": pid, "name": name, "start_date": start, "end_date": end}


def _linked(con: duckdb.DuckDBPyConnection, person_id: str) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT system, identity, method FROM dim_identity WHERE person_id = ? ORDER BY system, identity",
        [person_id],
    ).fetchall()
    return [{"system": s, "identity": i, "method": m} for s, i, m in rows]


def _key(system: str, identity: str) -> tuple[str, str]:
    return (system, identity_key(system, identity))


def open_suggestions(con: duckdb.DuckDBPyConnection, resolution: Resolution) -> list[dict[str, Any]]:
    """The resolution's suggestions for accounts nobody is linked to (``dim_identity``), best first per account.

    ``dim_identity`` is what attributes activity; an account an override accepted is linked there even
    when ``resolution`` was computed without that override.
    """
    linked_anyone = {(s, i) for s, i in con.execute("SELECT system, identity FROM dim_identity").fetchall()}
    names = {_key(a.system, a.identity): a.display_name for a in resolution.unmatched}
    out = []
    for s in resolution.suggestions:
        key = _key(s.system, s.identity)
        if key in linked_anyone:
            continue
        out.append(
            {
                "system": s.system,
                "identity": s.identity,
                "person_id": s.person_id,
                "display_name": names.get(key),
                "score": s.score,
                # the reason text may quote an e-mail address; only its kind travels on
                "basis": "shared_email" if s.reason.startswith("shares e-mail") else "name",
            }
        )
    return out


def read_period_activity(
    con: duckdb.DuckDBPyConnection,
    since: dt.date,
    until: dt.date,
    activity: str = "fct_activity",
    person_id: str | None = None,
) -> dict[str, Any]:
    """Activity in [since, until] (UTC dates, inclusive), in one pass over ``activity`` (``fct_activity`` or
    its current materialisation ``report_activity``, ``warehouse.report_facts``).

    ``person_days``: ``{person_id: {source: [distinct dates, ascending]}}`` (only ``person_id``'s when given);
    ``unattributed``: ``{(system, identity key): activities}`` of human accounts no person is linked to.
    """
    who, params = ("true", []) if person_id is None else ("(person_id IS NULL OR person_id = ?)", [person_id])
    rows = con.execute(
        "SELECT person_id, source, "
        "       CASE WHEN person_id IS NULL THEN identity_key(source, actor) END, "
        "       CAST(timezone('UTC', occurred_at) AS DATE) AS day, count(*) "
        f"FROM {activity} "
        "WHERE NOT is_bot AND (person_id IS NOT NULL OR actor IS NOT NULL) AND occurred_at >= ? AND occurred_at < ? "
        f"AND {who} GROUP BY ALL ORDER BY ALL",
        [_day_start(since), _day_start(until + dt.timedelta(days=1)), *params],
    ).fetchall()
    person_days: dict[str, dict[str, list[dt.date]]] = {}
    unattributed: dict[tuple[str, str], int] = {}
    for person_id, source, actor_key, day, count in rows:
        if person_id is not None:
            days = person_days.setdefault(person_id, {}).setdefault(source, [])
            if not days or days[-1] != day:
                days.append(day)
        else:
            unattributed[(source, actor_key)] = unattributed.get((source, actor_key), 0) + int(count)
    return {"person_days": person_days, "unattributed": unattributed}


def read_coverage_facts(
    con: duckdb.DuckDBPyConnection,
    person_id: str,
    *,
    since: dt.date,
    until: dt.date,
    suggestions: list[dict[str, Any]],
    source_status: dict[str, dict[str, Any]],
    period_activity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Plain facts about the completeness of ``person_id``'s data for [since, until] (dates, inclusive).

    ``suggestions``: ``open_suggestions(con, warehouse.identities.resolve(con, overrides))``;
    ``source_status``: ``read_source_status(con, sources)`` for the sources the deployment mines;
    ``period_activity``: ``read_period_activity(con, since, until)`` (read here when None).  The three
    are the same for every person, so a caller reporting on many people reads them once.
    """
    if since > until:
        raise ValueError(f"coverage facts: since ({since}) is after until ({until}); swap them")
    person = _person(con, person_id)
    activity = period_activity if period_activity is not None else read_period_activity(con, since, until)
    suggested = []
    for s in suggestions if person is not None else []:
        if s["person_id"] != person_id:
            continue
        item = {k: v for k, v in s.items() if k != "person_id"}
        item["activities_in_period"] = activity["unattributed"].get(_key(s["system"], s["identity"]), 0)
        suggested.append(item)
    return {
        "person_id": person_id,
        "person": person,
        "sources": {s: dict(state) for s, state in source_status.items()},
        "linked_accounts": _linked(con, person_id) if person is not None else [],
        "suggested_accounts": sorted(suggested, key=lambda a: (a["system"], -a["score"], a["identity"])),
        "activity_dates": {s: list(days) for s, days in activity["person_days"].get(person_id, {}).items()},
    }
