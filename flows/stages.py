"""The pipeline's stages as plain functions: build clients, call a stage package, write through the warehouse.

Prefect tasks in ``flows.nightly`` wrap these one to one; the CLI's ``report``
calls ``write_person_report`` directly.  No business logic lives here: mining
is ``miners``, SQL is ``warehouse``, labels are ``classifiers``, evidence and
rendering are ``rubric``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from flows.config import ConfigError, LadderConfig, ReportFormat, read_secret
from flows.progress import partition_progress
from flows.runtime import RedactSecrets
from miners.base import Batch

log = logging.getLogger("ladder.stages")

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _secret(config: LadderConfig, env_name: str, purpose: str) -> str:
    value = read_secret(env_name, purpose=purpose, config=config)
    RedactSecrets.register(value)
    return value


def _load_batches(wh, batches: Iterable[Batch]) -> list[dict]:
    """Commit each batch with its cursor; one summary per partition."""
    summaries: dict[str, dict] = {}
    for batch in batches:
        result = wh.load_batch(batch)
        s = summaries.setdefault(
            batch.partition, {"partition": batch.partition, "inserted": 0, "updated": 0, "unchanged": 0, "cursor": None}
        )
        s["inserted"] += result.inserted
        s["updated"] += result.updated
        s["unchanged"] += result.unchanged
        if batch.cursor is not None:
            s["cursor"] = batch.cursor
        for key, value in batch.stats.items():
            if isinstance(value, (int, float)):
                s[key] = s.get(key, 0) + value
    return list(summaries.values())


def open_writer(config: LadderConfig):
    from warehouse import open_warehouse

    return open_warehouse(config.warehouse_path)


def sync_roster(config: LadderConfig, *, now: Clock = utcnow) -> list[dict]:
    """Load the roster file (people, teams, levels, ownership) into the warehouse."""
    from miners.roster import roster_records

    if config.roster is None:
        log.warning("no roster configured: activity cannot be attributed to teams or levels")
        return []
    roster = config.read_roster_file()
    records = tuple(roster_records(roster, fetched_at=now()))
    with open_writer(config) as wh:
        # The roster is whole every time: people, teams and history it no longer lists leave the warehouse.
        return _load_batches(
            wh, [Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True)]
        )


def github_client(config: LadderConfig):
    """A PyGithub client for the configured server; the token comes from the environment."""
    from github import Auth, Github

    gh = config.github
    assert gh is not None
    token = _secret(config, gh.token_env, "GitHub token")
    # PyGithub otherwise sleeps 0.25 s before every request and 1 s before every POST (GraphQL
    # reads are POSTs), and retries on its own; the miner's one policy (miners.github_ratelimit)
    # paces, waits and retries from the response headers on an injectable clock instead.
    return Github(
        base_url=gh.base_url.rstrip("/"),
        auth=Auth.Token(token),
        per_page=100,
        timeout=30,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def sync_github(
    config: LadderConfig, *, since: dt.date | None = None, full: bool = False, now: Clock = utcnow
) -> list[dict]:
    """Mine every configured GitHub org and commit batch by batch."""
    from miners.github import mine_github

    gh = config.github
    if gh is None:
        return []
    client = github_client(config)
    with open_writer(config) as wh, partition_progress("PRs") as progress:
        cursors = wh.read_cursors("github")
        batches = mine_github(
            client,
            gh.orgs,
            cursors,
            include=gh.include,
            exclude=gh.exclude,
            include_archived=gh.include_archived,
            overlap=dt.timedelta(minutes=gh.overlap_minutes),
            now=now,
            full=full,
            since=_as_datetime(since),
            progress=progress,
        )
        return _load_batches(wh, batches)


def jira_client(config: LadderConfig):
    """A jira client: basic auth (Cloud e-mail + API token) or a bearer token (Data Center PAT).

    ``max_retries=0``: the miner's own retry policy (miners.jira_client) honours Retry-After on an
    injectable clock; the client's retries would stack real sleeps under it.
    """
    from miners.jira_client import connect_jira

    jc = config.jira
    assert jc is not None
    token = _secret(config, jc.token_env, "Jira token")
    common = {"options": {"rest_api_version": "2"}, "max_retries": 0, "timeout": 30}
    if jc.email_env:
        email = _secret(config, jc.email_env, "Jira account e-mail")
        return connect_jira(jc.url.rstrip("/"), basic_auth=(email, token), **common)
    return connect_jira(jc.url.rstrip("/"), token_auth=token, **common)


def sync_jira(
    config: LadderConfig, *, since: dt.date | None = None, full: bool = False, now: Clock = utcnow
) -> list[dict]:
    """Mine every configured Jira project and commit batch by batch."""
    from miners.jira import mine_jira

    jc = config.jira
    if jc is None:
        return []
    client = jira_client(config)
    with open_writer(config) as wh:
        cursors = wh.read_cursors("jira")
        batches = mine_jira(
            client,
            jc.projects,
            cursors,
            incident_types=jc.incident_types,
            incident_projects=jc.incident_projects,
            overlap=dt.timedelta(minutes=jc.overlap_minutes),
            now=now,
            full=full,
            field_ids=jc.fields or None,
            since=_as_datetime(since),
            known=wh.read_jira_updated,
            accounts=True,
        )
        return _load_batches(wh, batches)


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def resolve_identities(config: LadderConfig) -> dict:
    """Link every GitHub / Jira account seen to a roster person (exact ids, e-mails, overrides)."""
    from flows.people import sync_identities

    summary = sync_identities(config)
    log.info(
        "identities: %d accounts linked, %d unmatched (see `ladder identities`), %d bots",
        summary["matched"],
        len(summary["unmatched"]),
        len(summary["bots"]),
    )
    return summary


def classify(config: LadderConfig) -> int:
    """Label every activity (rules + models); returns the number of label rows changed."""
    from classifiers import classify_activities

    with open_writer(config) as wh:
        activities = wh.query_activities()
        labels = classify_activities(
            activities, model_dir=config.model_dir, rules_path=config.resolve(config.classifiers.rules)
        )
        changed = wh.write_labels(labels)
    log.info("classify: %d activities, %d labels, %d label rows changed", activities.num_rows, labels.num_rows, changed)
    return changed


def build_evidence(config: LadderConfig) -> int:
    """Map labelled activities onto every rubric the config names; returns the number of evidence rows changed."""
    from flows.rubrics import Rubrics
    from rubric import build_evidence as build

    changed = 0
    with open_writer(config) as wh:
        activities, labels = wh.query_activities(), wh.query_labels()
        for rubric in Rubrics(config).all():
            evidence = build(activities, labels, rubric)
            n = wh.write_evidence(evidence)
            log.info("evidence: %d rows for rubric %s v%s, %d changed", evidence.num_rows, rubric.id, rubric.version, n)
            changed += n
    return changed


def report_period(config: LadderConfig, today: dt.date) -> tuple[dt.date, dt.date]:
    """The configured period: fixed dates, or the last ``period_days`` ending today."""
    until = config.reports.until or today
    since = config.reports.since or (until - dt.timedelta(days=config.reports.period_days))
    if since > until:
        raise ConfigError(
            f"{config.source_path}: reports.since ({since}) is after reports.until ({until}); "
            "both dates are inclusive, so they may be the same day."
        )
    return since, until


def period_calibration(wh, rubric, since: dt.date, until: dt.date):
    """Cohort norms for [since, until] (inclusive) from everyone's evidence: what strength is judged against."""
    from rubric.calibration import calibrate_rubric

    rows = wh.query_calibration_rows(
        rubric.id, rubric.version, _as_datetime(since), _as_datetime(until + dt.timedelta(days=1))
    )
    return calibrate_rubric(rubric, wh.query_people(), rows, since=since, until=until)


def coverage_inputs(config: LadderConfig) -> dict:
    """What the coverage warnings need from the config: the synced sources and the identity overrides."""
    from flows.people import overrides_path
    from miners.identity_overrides import read_overrides

    return {
        "sources": tuple(s for s in ("github", "jira") if getattr(config, s) is not None),
        "overrides": read_overrides(overrides_path(config)),
    }


def history_covers(history_start: dt.datetime | None, since: dt.date, until: dt.date) -> bool:
    """Whether the warehouse's data (its earliest activity, ``history_start``) covers the period before
    [since, until] (``rubric.report.previous_period``): it must start by the first tenth of that period, and
    at most a week into it, so that a trend never compares with a period the warehouse barely holds."""
    from rubric.report import previous_period

    if history_start is None:
        return False
    prev_since, prev_until = previous_period(since, until)
    slack = min(dt.timedelta(days=7), (prev_until - prev_since) // 10)
    return history_start.date() <= prev_since + slack


def render_person_report(
    wh,
    rubric,
    person: dict,
    *,
    since: dt.date,
    until: dt.date,
    generated_at: dt.datetime,
    history_start: dt.datetime | None,
    calibration=None,
    previous_calibration=None,
    coverage: dict | None = None,
    monthly: dict | None = None,
    access_note: str | None = None,
) -> dict:
    """Build the report dict for one person from the warehouse.

    When the warehouse's history (``history_start``: its earliest activity, from
    ``Warehouse.query_activity_span``) covers the period before ``since`` (``history_covers``), each
    dimension also gets a trend against that person's own previous period (never against anyone else),
    with the strength then; with no history there, the report says so and claims no trend.
    ``monthly``: everyone's ``Warehouse.query_monthly_activity`` for the period when the caller has it.
    """
    from rubric import build_report
    from rubric.report import previous_period

    prev_since, prev_until = previous_period(since, until)
    has_history = history_covers(history_start, since, until)
    # The period is inclusive of both dates; the warehouse's ``until`` is an exclusive instant.
    evidence = wh.query_evidence(
        person["person_id"],
        since=_as_datetime(prev_since if has_history else since),
        until=_as_datetime(until + dt.timedelta(days=1)),
        rubric_id=rubric.id,
    )
    if calibration is None:
        calibration = period_calibration(wh, rubric, since, until)
    if has_history and previous_calibration is None:
        previous_calibration = period_calibration(wh, rubric, prev_since, prev_until)
    if monthly is None:
        monthly = wh.query_monthly_activity(since, until, [person["person_id"]])
    warnings = None
    if coverage is not None:
        from rubric.coverage import coverage_warnings

        facts = wh.query_coverage_facts(person["person_id"], since=since, until=until, **coverage)
        warnings = coverage_warnings(facts, since=since, until=until)
    return build_report(
        person,
        evidence,
        rubric,
        since=since,
        until=until,
        generated_at=generated_at,
        previous_evidence=evidence if has_history else None,
        calibration=calibration,
        previous_calibration=previous_calibration if has_history else None,
        warnings=warnings,
        enrollments=wh.query_enrollments(person["person_id"]),
        activity=monthly.get(person["person_id"], {}),
        access_note=access_note,
    )


def write_report_files(report: dict, out_dir: Path, stem: str, formats: Iterable[ReportFormat]) -> dict[str, str]:
    """Write ``report`` in each format as ``out_dir/stem.<fmt>``; returns {fmt: file name}."""
    from rubric import render_report

    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        path.write_text(render_report(report, fmt), encoding="utf-8")
        written[fmt] = path.name
    return written


class PeriodNorms:
    """Per rubric, the calibration of the period and of the previous one (when the warehouse covers it),
    each computed once on first use."""

    def __init__(self, wh, since: dt.date, until: dt.date, history_start: dt.datetime | None) -> None:
        self.wh, self.since, self.until, self.history_start = wh, since, until, history_start
        self._cache: dict[tuple[str, str], tuple] = {}

    def __call__(self, rubric) -> tuple:
        from rubric.report import previous_period

        key = (rubric.id, rubric.version)
        if key not in self._cache:
            current = period_calibration(self.wh, rubric, self.since, self.until)
            covered = history_covers(self.history_start, self.since, self.until)
            before = period_calibration(self.wh, rubric, *previous_period(self.since, self.until)) if covered else None
            self._cache[key] = (current, before)
        return self._cache[key]


def everyone_reports(
    config: LadderConfig, *, since: dt.date, until: dt.date, generated_at: dt.datetime
) -> Iterator[dict]:
    """The report of every roster person whose level has a rubric (``reports.rubrics``) for [since, until],
    from one read-only session, one calibration per rubric for all."""
    from flows.rubrics import Rubrics
    from warehouse import open_warehouse

    rubrics = Rubrics(config)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        history_start, _ = wh.query_activity_span()
        norms = PeriodNorms(wh, since, until, history_start)
        monthly = wh.query_monthly_activity(since, until)
        coverage = coverage_inputs(config)
        skipped = 0
        for person in wh.query_people():
            rubric = rubrics.for_person(person)
            if rubric is None:
                skipped += 1
                continue
            calibration, previous = norms(rubric)
            yield render_person_report(
                wh,
                rubric,
                person,
                since=since,
                until=until,
                generated_at=generated_at,
                history_start=history_start,
                calibration=calibration,
                previous_calibration=previous,
                coverage=coverage,
                monthly=monthly,
            )
        if skipped:
            log.info("reports: %d people have no rubric for their level or job family (reports.rubrics)", skipped)


def write_reports(config: LadderConfig, *, now: Clock = utcnow) -> list[Path]:
    """Write a report per engineer in every configured format, a 1:1 prep sheet per report (``prep/``), a
    team page per manager (``teams/``), plus index.md / index.html."""
    from flows.team_pages import Org, team_page
    from rubric import render_index
    from rubric.render import render_prep_sheet, render_team_page
    from rubric.team import person_summary, prep_sheet
    from warehouse import open_warehouse

    generated_at = now()
    since, until = report_period(config, generated_at.date())
    days = (until - since).days + 1
    out_dir = config.reports_dir
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        org = Org.read(wh, since, until)
    entries, summaries = [], {}
    (out_dir / "prep").mkdir(parents=True, exist_ok=True)
    for report in everyone_reports(config, since=since, until=until, generated_at=generated_at):
        login = report["engineer"]["login"]
        stem = _safe_stem(login)
        files = write_report_files(report, out_dir, stem, config.reports.formats)
        facts = org.facts.get(login, {})
        sheet = prep_sheet(report, facts)
        for sheet_kind in ("html", "md"):
            link = f"../{stem}.{sheet_kind}" if sheet_kind in files else None
            (out_dir / "prep" / f"{stem}.{sheet_kind}").write_text(
                render_prep_sheet(sheet, sheet_kind, link), encoding="utf-8"
            )
        entries.append({"engineer": report["engineer"], "period": report["period"], "files": files})
        summary = person_summary(report, org.people.get(login, {"person_id": login}), facts, days)
        summary["files"] = [("report", f"../{files['html' if 'html' in files else next(iter(files))]}")] + [
            ("1:1 prep", f"../prep/{stem}.html")
        ]
        summaries[login] = summary
    (out_dir / "teams").mkdir(parents=True, exist_ok=True)
    teams = []
    for manager_id in org.managers():
        page = team_page(org, manager_id, summaries, since=since, until=until, generated_at=utc_stamp(generated_at))
        stem = _safe_stem(manager_id)
        for kind in ("html", "md", "json"):
            (out_dir / "teams" / f"{stem}.{kind}").write_text(render_team_page(page, kind), encoding="utf-8")
        teams.append({"manager": page["manager"], "files": {f: f"teams/{stem}.{f}" for f in ("html", "md", "json")}})
    paths = []
    for page_kind in ("md", "html"):
        index = out_dir / f"index.{page_kind}"
        index.write_text(render_index(entries, page_kind, teams=teams), encoding="utf-8")
        paths.append(index)
    log.info(
        "reports: %d engineers, %d team pages, period %s..%s, written to %s",
        len(entries),
        len(teams),
        since,
        until,
        out_dir,
    )
    return paths


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _safe_stem(login: str) -> str:
    """A file name for a login (logins are [A-Za-z0-9-]; anything else is replaced)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in login) or "unknown"
