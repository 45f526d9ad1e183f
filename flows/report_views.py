"""What ``ladder report`` and ``ladder team`` share: the period asked for, who is asking, which report they get.

No business logic: access rules are ``rubric.access`` / ``rubric.access_teams``, who is reading
``flows.viewer``, rubrics per level are
``flows.rubrics``, the report itself is ``flows.stages`` and ``rubric``.
"""

from __future__ import annotations

import datetime as dt

from flows.config import LadderConfig, check_env_name


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


def find_person(config: LadderConfig, key: str, person: dict | None, what: str = "engineer") -> dict:
    """``person`` (the warehouse's answer for ``key``), or a message saying how to name someone."""
    if person is None:
        raise ReportRequestError(
            f"no {what} {key!r} in the warehouse {config.warehouse_path}: use a GitHub "
            "login or roster id from the roster, and run `ladder sync` first."
        )
    return person


def check_token_env(token_env: str | None) -> None:
    """Refuse a ``--viewer-token-env`` that is not an environment variable's name (a pasted token, say),
    before anything else is read."""
    if token_env is not None:
        problem = check_env_name(token_env, "--viewer-token-env")
        if problem is not None:
            raise ReportRequestError(problem + ".")


def identify_reader(wh, config: LadderConfig, token_env: str | None, today: dt.date) -> dict | None:
    """The roster person reading (who has not left by ``today``), when a viewer token is given or the
    warehouse says one is required.

    Nothing of this check comes from the reader's own config (``flows.viewer``): the policy and the GitHub
    asked are what the nightly's config recorded in the warehouse.  Callers ask this before anything says
    whether the person asked about exists."""
    from flows.viewer import check_operator_config, checked_base_url, fetch_viewer, viewer_required
    from rubric.access import identify_viewer

    settings = wh.read_settings()
    if not (token_env or viewer_required(settings, config)):
        return None
    if not token_env:
        raise ReportRequestError(
            f"reports of warehouse {config.warehouse_path} need a viewer (reports.require_viewer, as the "
            "nightly's config recorded it): pass --viewer-token-env NAME with the environment variable "
            "holding your own GitHub token."
        )
    check_operator_config(config)
    base_url = checked_base_url(settings, config, str(config.warehouse_path))
    return identify_viewer(wh, fetch_viewer(base_url, token_env, config), today=today)


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
    person was on reads only the days the person was on it (``rubric.access_teams``), and the report says
    so.  People whose level or job family has no rubric in ``reports.rubrics`` get no report."""
    from flows import stages
    from flows.rubrics import Rubrics, require_rubric
    from rubric.access_teams import report_grant
    from warehouse import open_warehouse

    since, until = resolve_period(config, since, until, now.date())
    check_token_env(viewer_token_env)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        # Who is asking comes first: nothing below says whether the engineer exists before that.
        viewer = identify_reader(wh, config, viewer_token_env, now.date())
        person = wh.query_person(engineer)
        note = None
        if viewer is not None:
            window = report_grant(wh, viewer, engineer, person, since, until).window
            if window is not None and person is not None:
                note = window.note(person.get("name") or person["person_id"], (since, until))
                since, until = window.since, window.until
        person = find_person(config, engineer, person)
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
