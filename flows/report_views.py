"""What ``ladder report`` and ``ladder team`` share: the period asked for, who is asking, which report they get.

No business logic: access rules are ``flows.access`` / ``flows.access_teams``, rubrics per level are
``flows.rubrics``, the report itself is ``flows.stages`` and ``rubric``.
"""

from __future__ import annotations

import datetime as dt

from flows.config import LadderConfig


class ReportRequestError(ValueError):
    """A report request the user can fix (unknown person, bad period, missing token): exit code 2."""


def resolve_period(
    config: LadderConfig, since: dt.date | None, until: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The period asked for: both dates inclusive, one day allowed; defaults from the config."""
    from flows import stages

    default_since, default_until = stages.report_period(config, today)
    until = until or default_until
    since = since or (
        until - dt.timedelta(days=config.reports.period_days) if until != default_until else default_since
    )
    if since > until:
        raise ReportRequestError(
            f"--since ({since}) is after --until ({until}); both are inclusive, so they may be the same day."
        )
    return since, until


def find_person(wh, config: LadderConfig, key: str, what: str = "engineer") -> dict:
    person = wh.query_person(key)
    if person is None:
        raise ReportRequestError(
            f"no {what} {key!r} in the warehouse {config.warehouse_path}: use a GitHub "
            "login or roster id from the roster, and run `ladder sync` first."
        )
    return person


def viewer_login(config: LadderConfig, token_env: str | None) -> str | None:
    """The GitHub login that owns the viewer's token, when one is given or the config requires one."""
    if not (token_env or config.reports.require_viewer):
        return None
    if not token_env:
        raise ReportRequestError(
            f"{config.source_path}: reports.require_viewer is on: pass --viewer-token-env "
            "NAME with the environment variable holding your own GitHub token."
        )
    from flows.access import fetch_viewer_login

    return fetch_viewer_login(config, token_env)


def person_report(
    config: LadderConfig,
    engineer: str,
    since: dt.date | None,
    until: dt.date | None,
    *,
    viewer_token_env: str | None,
    now: dt.datetime,
) -> dict:
    """One person's report dict, after checking who may read it.

    The engineer and the managers above them read the whole period; a former manager of a team the
    person was on reads only the days the person was on it (``flows.access_teams``), and the report says
    so.  People whose level or job family has no rubric in ``reports.rubrics`` get no report."""
    from flows import stages
    from flows.access import AccessDenied, check_report_access
    from flows.access_teams import former_team_window
    from flows.rubrics import Rubrics, require_rubric
    from warehouse import open_warehouse

    since, until = resolve_period(config, since, until, now.date())
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        person = find_person(wh, config, engineer)
        login = viewer_login(config, viewer_token_env)
        note = None
        if login is not None:
            try:
                check_report_access(wh, login, person)
            except AccessDenied:
                viewer = wh.query_person(login)
                window = former_team_window(wh, viewer["person_id"], person, since, until) if viewer else None
                if window is None:
                    raise
                note = window.note(person.get("name") or person["person_id"], (since, until))
                since, until = window.since, window.until
        # Only once the viewer may read it: whether someone has a report says something about their level.
        rubric = require_rubric(Rubrics(config), person)
        return stages.render_person_report(
            wh,
            rubric,
            person,
            since=since,
            until=until,
            generated_at=now,
            history_start=wh.query_activity_span()[0],
            coverage=stages.coverage_inputs(config),
            access_note=note,
        )
