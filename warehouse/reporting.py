"""Read queries the reports need beyond evidence: role history, monthly activity, load facts, team managers.

Every query reads the marts (``dim_enrollment``, ``dim_team``, ``dim_person``, ``fct_activity``) and
the review-request history; dates are UTC dates and periods are inclusive ``[since, until]``.  The
results are plain values (dicts, lists, ints): the report stage turns them into charts and facts and
never sees SQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import duckdb

ACTIVITY_SERIES = ("pull_requests", "reviews", "tickets", "incidents")
LOAD_FACTS = (
    "reviews_given",
    "reviews_received",
    "incidents_commanded",
    "incident_roles",
    "sev_high",
    "cross_team_review_requests",
    "cross_team_tickets",
)
HIGH_SEVERITIES = ("SEV1", "SEV2")


def _bounds(since: dt.date, until: dt.date) -> list[dt.datetime]:
    start = dt.datetime(since.year, since.month, since.day, tzinfo=dt.timezone.utc)
    end = dt.datetime(until.year, until.month, until.day, tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return [start, end]


def _people_filter(person_ids: Sequence[str] | None, column: str) -> tuple[str, list[Any]]:
    if person_ids is None:
        return "true", []
    if len(person_ids) == 1:  # an equality DuckDB can check against a table's zone maps
        return f"{column} = ?", [person_ids[0]]
    return f"list_contains(?::VARCHAR[], {column})", [list(person_ids)]


def query_enrollments(
    con: duckdb.DuckDBPyConnection, person_ids: Sequence[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per person (of ``person_ids``; None: everyone), their team and level intervals, oldest first: kind,
    value, name (the team's name for teams), valid_from (None: since before any record), valid_to
    (exclusive; None: still current).  A person with no interval has no key."""
    who, params = _people_filter(person_ids, "e.person_id")
    rows = con.execute(
        "SELECT e.person_id, e.kind, e.value, coalesce(t.team_name, e.value), e.valid_from, e.valid_to "
        "FROM dim_enrollment e LEFT JOIN dim_team t ON e.kind = 'team' AND t.team_id = e.value "
        f"WHERE {who} ORDER BY e.person_id, e.kind DESC, e.valid_from NULLS FIRST",
        params,
    ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for person_id, k, v, n, f, t in rows:
        out.setdefault(person_id, []).append({"kind": k, "value": v, "name": n, "valid_from": f, "valid_to": t})
    return out


def query_monthly_activity(
    con: duckdb.DuckDBPyConnection,
    since: dt.date,
    until: dt.date,
    person_ids: Sequence[str] | None = None,
    activity: str = "fct_activity",
) -> dict[str, dict[str, dict[str, int]]]:
    """``{person_id: {"YYYY-MM": {series: count}}}`` for [since, until]: pull requests authored, reviews
    submitted, tickets assigned and incidents with any role (each incident once).  ``activity``:
    ``fct_activity`` or its current materialisation ``report_activity`` (``warehouse.report_facts``)."""
    who, params = _people_filter(person_ids, "person_id")
    rows = con.execute(
        f"""
        SELECT person_id,
               strftime(CAST(timezone('UTC', occurred_at) AS DATE), '%Y-%m') AS month,
               count(*) FILTER (WHERE kind = 'pull_request'),
               count(*) FILTER (WHERE kind = 'review'),
               count(*) FILTER (WHERE kind = 'ticket'),
               count(DISTINCT split_part(activity_id, ':', 3)) FILTER (WHERE kind = 'incident')
        FROM {activity}
        WHERE person_id IS NOT NULL AND occurred_at >= ? AND occurred_at < ? AND {who}
        GROUP BY ALL
        """,
        [*_bounds(since, until), *params],
    ).fetchall()
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for person_id, month, *counts in rows:
        out[person_id][month] = dict(zip(ACTIVITY_SERIES, (int(c) for c in counts)))
    return dict(out)


def query_load_facts(
    con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date, person_ids: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """``{person_id: {fact: count}}`` over [since, until]: what a person carries for others, the facts a
    manager reads for overload (LOAD_FACTS).

    - ``reviews_given`` / ``reviews_received``: reviews submitted on others' PRs / by others on theirs;
    - ``incidents_commanded``, ``incident_roles``, ``sev_high``: incidents they commanded, held any role
      on, and held any role on at SEV1/SEV2;
    - ``cross_team_review_requests``: reviews requested of them on PRs by authors of another team (teams
      as on the day of the request and of the PR);
    - ``cross_team_tickets``: tickets assigned to them in projects another team owned that day.
    """
    bounds = _bounds(since, until)
    who_p, p_params = _people_filter(person_ids, "person_id")
    who_s, s_params = _people_filter(person_ids, "subject_person_id")
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LOAD_FACTS, 0))

    def put(fact: str, rows: list[tuple[Any, ...]]) -> None:
        for person_id, count in rows:
            if person_id is not None:
                out[person_id][fact] = int(count)

    window = "occurred_at >= ? AND occurred_at < ?"
    put(
        "reviews_given",
        con.execute(
            f"SELECT person_id, count(*) FROM fct_activity WHERE kind = 'review' AND {window} AND {who_p} "
            "AND person_id IS DISTINCT FROM subject_person_id GROUP BY 1",
            [*bounds, *p_params],
        ).fetchall(),
    )
    put(
        "reviews_received",
        con.execute(
            f"SELECT subject_person_id, count(*) FROM fct_activity WHERE kind = 'review' AND {window} AND {who_s} "
            "AND person_id IS NOT NULL AND person_id <> subject_person_id GROUP BY 1",
            [*bounds, *s_params],
        ).fetchall(),
    )
    severities = list(HIGH_SEVERITIES)
    for person_id, commanded, roles, high in con.execute(
        f"""
        SELECT person_id,
               count(DISTINCT split_part(activity_id, ':', 3)) FILTER (WHERE role = 'commander'),
               count(DISTINCT split_part(activity_id, ':', 3)),
               count(DISTINCT split_part(activity_id, ':', 3)) FILTER (WHERE list_contains(?::VARCHAR[], severity))
        FROM fct_activity WHERE kind = 'incident' AND {window} AND {who_p} GROUP BY 1
        """,
        [severities, *bounds, *p_params],
    ).fetchall():
        if person_id is not None:
            out[person_id].update(incidents_commanded=int(commanded), incident_roles=int(roles), sev_high=int(high))
    put(
        "cross_team_tickets",
        con.execute(
            f"SELECT person_id, count(*) FROM fct_activity WHERE kind = 'ticket' AND {window} AND {who_p} "
            "AND container_team_id IS NOT NULL AND person_team_id IS NOT NULL "
            "AND container_team_id <> person_team_id GROUP BY 1",
            [*bounds, *p_params],
        ).fetchall(),
    )
    who_i, i_params = _people_filter(person_ids, "i.person_id")
    put(
        "cross_team_review_requests",
        con.execute(
            f"""
            SELECT i.person_id, count(*)
            FROM stg_github_review_requests r
            JOIN dim_identity i ON i.system = 'github' AND i.identity = lower(r.reviewer_login)
            JOIN fct_activity pr ON pr.activity_id = 'gh:pr:' || r.repo || '#' || CAST(r.number AS VARCHAR)
            JOIN dim_enrollment e ON e.person_id = i.person_id AND e.kind = 'team'
             AND (e.valid_from IS NULL OR e.valid_from <= CAST(timezone('UTC', r.requested_at) AS DATE))
             AND (e.valid_to IS NULL OR CAST(timezone('UTC', r.requested_at) AS DATE) < e.valid_to)
            WHERE r.requested_at >= ? AND r.requested_at < ? AND {who_i}
              AND i.person_id IS DISTINCT FROM pr.person_id
              AND coalesce(pr.person_team_id, pr.container_team_id) IS NOT NULL
              AND coalesce(pr.person_team_id, pr.container_team_id) <> e.value
            GROUP BY 1
            """,
            [*bounds, *i_params],
        ).fetchall(),
    )
    return {k: dict(v) for k, v in out.items()}


def query_team_managers(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """``{team_id: [manager person_ids]}``: the managers the roster names for the team's current members
    who manage nobody themselves (a team's own manager reports to someone else; all members when every
    member manages someone).

    The roster keeps no dated manager history; a team keeps its manager when people move, so the
    manager of a team someone left is the manager of the people still on it."""
    rows = con.execute(
        """
        WITH managing AS (SELECT DISTINCT manager_id AS person_id FROM dim_person WHERE manager_id IS NOT NULL)
        SELECT DISTINCT team_id, manager_id, person_id IN (SELECT person_id FROM managing) AS manages
        FROM dim_person
        WHERE team_id IS NOT NULL AND manager_id IS NOT NULL AND NOT is_service_account
        ORDER BY 1, 2
        """
    ).fetchall()
    ics: dict[str, list[str]] = defaultdict(list)
    everyone: dict[str, list[str]] = defaultdict(list)
    for team_id, manager_id, manages in rows:
        for target in (everyone,) if manages else (everyone, ics):
            if manager_id not in target[team_id]:
                target[team_id].append(manager_id)
    return {team: ics.get(team) or managers for team, managers in everyone.items()}


def query_team_members(con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """Every team enrollment overlapping [since, until]: person_id, team_id, team_name, and the first and
    last day (inclusive, clipped to the period) the person was on the team."""
    rows = con.execute(
        """
        SELECT e.person_id, e.value, coalesce(t.team_name, e.value),
               greatest(coalesce(e.valid_from, ?::DATE), ?::DATE),
               least(coalesce(e.valid_to - INTERVAL 1 DAY, ?::DATE), ?::DATE)
        FROM dim_enrollment e
        LEFT JOIN dim_team t ON t.team_id = e.value
        JOIN dim_person p ON p.person_id = e.person_id AND NOT p.is_service_account
        WHERE e.kind = 'team'
          AND (e.valid_from IS NULL OR e.valid_from <= ?::DATE)
          AND (e.valid_to IS NULL OR e.valid_to > ?::DATE)
        ORDER BY e.person_id, e.valid_from NULLS FIRST
        """,
        [since, since, until, until, until, since],
    ).fetchall()
    return [
        {
            "person_id": p,
            "team_id": t,
            "team_name": n,
            "since": f.date() if isinstance(f, dt.datetime) else f,
            "until": u.date() if isinstance(u, dt.datetime) else u,
        }
        for p, t, n, f, u in rows
    ]
