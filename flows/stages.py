"""The pipeline's stages as plain functions: build clients, call a stage package, write through the warehouse.

Prefect tasks in ``flows.nightly`` wrap these one to one (one ``sync_source``
task per source of ``flows.sources``), each given the config the flow read and
validated once; each opens the warehouse itself.  The CLI's ``report`` calls
``render_person_report`` directly.  No business logic lives here: mining is
``miners``, SQL is ``warehouse``, labels are ``classifiers``, evidence and
rendering are ``rubric``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Literal

from flows.config import ConfigError, LadderConfig, ReportFormat
from flows.progress import partition_progress
from flows.sources import build_source, configured_activity_sources, source_entry
from miners.base import Batch
from miners.source import SyncRequest
from warehouse.health import run_costs

log = logging.getLogger("ladder.stages")

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _load_batches(wh, batches: Iterable[Batch], run_id: str | None = None) -> list[dict]:
    """Commit each batch with its cursor (and its outcome and quarantine, under ``run_id``); one summary per
    partition: rows inserted / updated / unchanged, the cursor, ``quarantined`` items and the ``error`` of a
    partition that failed this run."""
    summaries: dict[str, dict] = {}
    for batch in batches:
        add_summary(summaries, batch, wh.load_batch(batch, run_id))
    return list(summaries.values())


def fold_credential_costs(into: dict, costs: dict) -> dict:
    """Add ``costs`` (``{credential name: {"requests", "budget_points", "rejected"?}}``, a batch's
    ``stats["credentials"]``) into ``into``; returns ``into``."""
    for name, cost in costs.items():
        folded = into.setdefault(name, {"requests": 0, "budget_points": 0})
        folded["requests"] += int(cost.get("requests") or 0)
        folded["budget_points"] += int(cost.get("budget_points") or 0)
        if cost.get("rejected"):
            folded.setdefault("rejected", cost["rejected"])
    return into


def add_summary(summaries: dict[str, dict], batch: Batch, result) -> None:
    """Fold a loaded batch (and its ``LoadResult``) into its partition's summary."""
    s = summaries.setdefault(
        batch.partition,
        {
            "partition": batch.partition,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "cursor": None,
            "quarantined": 0,
            "error": None,
        },
    )
    s["inserted"] += result.inserted
    s["updated"] += result.updated
    s["unchanged"] += result.unchanged
    s["quarantined"] += len(batch.quarantined)
    if batch.cursor is not None:
        s["cursor"] = batch.cursor
    if batch.error is not None:
        s["error"] = batch.error
    for key, value in batch.stats.items():
        if isinstance(value, (int, float)):
            s[key] = s.get(key, 0) + value
    if batch.stats.get("credentials"):  # a GitHub pool's, by name
        fold_credential_costs(s.setdefault("credentials", {}), batch.stats["credentials"])


def _run_source(wh, source: str, batches: Iterable[Batch]) -> list[dict]:
    """Load a source's batches as one recorded run (``sync_runs``); the run fails with the error that stops it."""
    run_id = wh.begin_run(source)
    try:
        summaries = _load_batches(wh, batches, run_id)
    except Exception as exc:
        wh.finish_run(run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    run = wh.finish_run(run_id, costs={**run_costs(summaries), "task_runner": "sequential"})
    log_outcome(source, summaries, run)
    return summaries


def log_outcome(source: str, summaries: list[dict], run: dict) -> None:
    """One line for a run with failed partitions, one for quarantined items, one for credentials GitHub rejected."""
    rejected = {n: c["rejected"] for s in summaries for n, c in s.get("credentials", {}).items() if "rejected" in c}
    if rejected:
        log.error(
            "%s sync went on without %d rejected credential%s (%s): renew or remove them (see `ladder runs`)",
            source,
            len(rejected),
            "s" if len(rejected) != 1 else "",
            "; ".join(f"{name}: {why}" for name, why in sorted(rejected.items())),
        )
    failed = [s for s in summaries if s.get("error")]
    if failed:
        log.error(
            "%s sync partial: %d partitions failed (%s); the others are up to date",
            source,
            len(failed),
            ", ".join(s["partition"] for s in failed[:5]) + (" …" if len(failed) > 5 else ""),
        )
    if run["records_quarantined"]:
        log.warning(
            "%s sync: %d items quarantined (unparseable; see quarantined_records)", source, run["records_quarantined"]
        )


def open_writer(config: LadderConfig):
    """The warehouse opened to write: operator-only files, the access policy recorded (``flows.writer``)."""
    from flows.writer import open_writer as open_secured

    return open_secured(config)


def sync_source(
    config: LadderConfig, name: str, *, since: dt.date | None = None, full: bool = False, now: Clock = utcnow
) -> list[dict]:
    """Mine source ``name`` (``flows.sources``) and commit batch by batch, as one recorded run
    (``sync_runs``); one summary per partition (a partition that failed this run has its ``error``).

    A source the config does not ask for mines nothing (the roster's absence is worth a warning).
    The source's client is built first, so a missing secret fails before the warehouse is opened.
    """
    entry = source_entry(name)
    source = build_source(config, name)
    if source is None:
        if entry.unconfigured:
            log.warning(entry.unconfigured)
        return []
    unit = source.info.progress_unit
    with open_writer(config) as wh, partition_progress(unit) if unit else nullcontext() as progress:
        request = SyncRequest(
            cursors=wh.read_cursors(source.info.name),
            since=_as_datetime(since),
            full=full,
            now=now,
            progress=progress,
            stored=wh,
        )
        return _run_source(wh, source.info.name, source.mine(request))


def sync_roster(config: LadderConfig, *, now: Clock = utcnow) -> list[dict]:
    """Load the roster file (people, teams, levels, ownership) into the warehouse."""
    return sync_source(config, "roster", now=now)


def sync_github(
    config: LadderConfig, *, since: dt.date | None = None, full: bool = False, now: Clock = utcnow
) -> list[dict]:
    """Mine every configured GitHub org and commit batch by batch."""
    return sync_source(config, "github", since=since, full=full, now=now)


def sync_jira(
    config: LadderConfig, *, since: dt.date | None = None, full: bool = False, now: Clock = utcnow
) -> list[dict]:
    """Mine every configured Jira project and commit batch by batch."""
    return sync_source(config, "jira", since=since, full=full, now=now)


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def resolve_identities(config: LadderConfig) -> dict:
    """Link every GitHub / Jira account seen to a roster person (exact ids, e-mails, overrides); nothing to do
    when nothing it reads changed since a resolution that changed no link (``sync_identities_unless_settled``)."""
    from flows.people import sync_identities_unless_settled

    summary, resolved = sync_identities_unless_settled(config)
    log.info(
        "identities: %d accounts linked, %d unmatched (see `ladder identities`), %d bots%s",
        summary["matched"],
        len(summary["unmatched"]),
        len(summary["bots"]),
        "" if resolved else "; nothing they are resolved from changed since the last run",
    )
    return summary


# stage_versions' row of the classifiers' version and the digest of the files it was computed from.
CLASSIFIER_VERSION = "classify:classifier-version"


def classify(config: LadderConfig) -> int:
    """Label the activities that are new or changed since they were labelled (every activity when the rules or
    models changed); returns the number of label rows changed."""
    from classifiers.inputs import classifier_inputs_digest
    from flows.files import file_policy, private_umask, secure, tree

    policy = file_policy(config)
    rules = config.resolve(config.classifiers.rules)

    def label(rows):
        from classifiers import classify_activities

        return classify_activities(rows, model_dir=config.model_dir, rules_path=rules)

    with open_writer(config) as wh, private_umask(policy):
        # The classifiers' version as last computed, while the files it comes from are the same (no models
        # loaded, no scikit-learn imported); computed again (models trained when missing) otherwise.
        digest = classifier_inputs_digest(model_dir=config.model_dir, rules_path=rules)
        known = (wh.read_stage_version(CLASSIFIER_VERSION) or "").split(" ")
        if len(known) == 2 and known[0] == digest:
            version = known[1]
        else:
            from classifiers import classifier_version

            version = classifier_version(model_dir=config.model_dir, rules_path=rules)
            digest = classifier_inputs_digest(model_dir=config.model_dir, rules_path=rules)  # models may be new
        result = wh.classify_changed(version, label)
        wh.write_stage_version(CLASSIFIER_VERSION, f"{digest} {version}")
    secure(tree(config.model_dir), policy)
    log.info(
        "classify: %d activities, %d new or changed re-classified (%d labels), %d label rows changed",
        result.activities,
        result.classified,
        result.labels,
        result.changed,
    )
    return result.changed


def build_evidence(config: LadderConfig) -> int:
    """Map labelled activities onto every rubric the config names, for the people whose activities, labels or
    confirmed disputes changed (everyone when a rubric did); returns the number of evidence rows changed."""
    import pyarrow as pa

    from flows.rubrics import Rubrics
    from rubric.evidence import build_evidence_sql, epics_table, evidence_version
    from rubric.feedback import confirmed_disputes, drop_confirmed
    from warehouse.downstream import EXTRA_SCHEMA
    from warehouse.feedback import read_notes

    # Items whose dispute a manager confirmed are no longer evidence (docs/web.md, "Disputes").
    confirmed = confirmed_disputes(read_notes(config.feedback_path))
    extra = pa.table(
        {"person_id": [p for p, _, _ in sorted(confirmed)], "input": [f"{a}|{b}" for _, a, b in sorted(confirmed)]},
        schema=EXTRA_SCHEMA,
    )
    changed = 0
    with open_writer(config) as wh:
        for rubric in Rubrics(config).all():
            result = wh.build_evidence_changed(
                (rubric.id, rubric.version),
                evidence_version(rubric),
                epics_table,
                lambda con, epics, people, rubric=rubric: drop_confirmed(
                    build_evidence_sql(con, rubric, people, epics), confirmed
                ),
                extra,
            )
            log.info(
                "evidence: rubric %s v%s, %d of %d people rebuilt, %d rows built, %d changed",
                rubric.id,
                rubric.version,
                result.rebuilt,
                result.people,
                result.rows,
                result.changed,
            )
            changed += result.changed
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


def period_calibration(
    wh, rubric, since: dt.date, until: dt.date, people: list[dict] | None = None, parents: dict | None = None
):
    """Cohort norms for [since, until] (inclusive) from everyone's evidence: what strength is judged against.

    The norms the nightly stored for this rubric and period (``store_period_norms``) when their fingerprint
    (``rubric.norms_store.norms_fingerprint``) is the one the warehouse gives now; computed from everyone's
    evidence rows otherwise.  ``people``: ``wh.query_people()`` when the caller has it; ``parents``: the ticket
    parents of the only threads the caller will total (one person's report: ``Warehouse.query_ticket_parents``
    of them), given to stored norms instead of everyone's."""
    stored, _ = _stored_norms(wh, rubric, since, until, people, parents)
    return stored if stored is not None else _compute_calibration(wh, rubric, since, until, people)


def _compute_calibration(wh, rubric, since: dt.date, until: dt.date, people: list[dict] | None):
    from rubric.calibration import calibrate_rubric

    rows = wh.query_calibration_rows(
        rubric.id, rubric.version, _as_datetime(since), _as_datetime(until + dt.timedelta(days=1))
    )
    return calibrate_rubric(
        rubric,
        people if people is not None else wh.query_people(),
        rows,
        since=since,
        until=until,
        parents=wh.query_ticket_parents(),
    )


def _stored_norms(
    wh, rubric, since: dt.date, until: dt.date, people: list[dict] | None, parents: dict | None = None
) -> tuple:
    """(the stored calibration, with ``parents`` (every ticket's when None), when current else None; the
    fingerprint it must have, None when the evidence has no known build state)."""
    from rubric.norms_store import load_calibration, norms_fingerprint

    state = wh.evidence_state(rubric.id, rubric.version)
    if state is None:
        return None, None
    fingerprint = norms_fingerprint(rubric, since, until, people if people is not None else wh.query_people(), state)
    stored = wh.read_period_norms(rubric.id, rubric.version, since, until)
    if stored is None or stored[0] != fingerprint:
        return None, fingerprint
    return load_calibration(stored[1], wh.query_ticket_parents() if parents is None else parents), fingerprint


def refresh_report_facts(config: LadderConfig) -> dict[str, bool]:
    """Materialise what every report reads besides evidence (``warehouse.report_facts``: the activity columns
    ordered by person, the identity suggestions) unless current, so one report reads one person's rows."""
    with open_writer(config) as wh:
        rebuilt = wh.refresh_report_facts(coverage_inputs(config)["overrides"])
    log.info(
        "reports: activity facts %s, identity suggestions %s",
        *("rebuilt" if rebuilt[name] else "current" for name in ("activity", "suggestions")),
    )
    return rebuilt


def store_period_norms(config: LadderConfig, since: dt.date, until: dt.date) -> int:
    """Compute and store every configured rubric's norms for [since, until] and, when the warehouse's history
    covers it, the period before (the trend's), unless the stored ones are current; returns how many were
    (re)computed.  What one ``ladder report`` of the configured period then reads instead of everyone's
    evidence."""
    from flows.rubrics import Rubrics
    from rubric.norms_store import dump_calibration
    from rubric.report import previous_period

    computed = 0
    with open_writer(config) as wh:
        people = wh.query_people()
        periods = [(since, until)]
        if history_covers(wh.query_activity_span()[0], since, until):
            periods.append(previous_period(since, until))
        for rubric in Rubrics(config).all():
            for start, end in periods:
                stored, fingerprint = _stored_norms(wh, rubric, start, end, people)
                if stored is not None or fingerprint is None:
                    continue
                norms = _compute_calibration(wh, rubric, start, end, people)
                wh.write_period_norms(rubric.id, rubric.version, start, end, fingerprint, dump_calibration(norms))
                computed += 1
    log.info("reports: %d period norms computed and stored", computed)
    return computed


def coverage_inputs(config: LadderConfig) -> dict:
    """What the coverage warnings need from the config: the synced sources and the identity overrides."""
    from flows.people import overrides_path
    from miners.people.overrides import read_overrides

    return {
        "sources": configured_activity_sources(config),
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


def evidence_window(
    since: dt.date, until: dt.date, history_start: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) of the evidence a report of [since, until] reads: the previous period's too
    when the warehouse's history covers it (the trend)."""
    from rubric.report import previous_period

    start = previous_period(since, until)[0] if history_covers(history_start, since, until) else since
    # The period is inclusive of both dates; the warehouse's ``until`` is an exclusive instant.
    end = until + dt.timedelta(days=1)
    return (
        dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc),
        dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc),
    )


def _threads(evidence) -> set[str]:
    """The threads of evidence rows (``query_evidence``'s table): each row's ``thread_id``, else its activity."""
    threads = evidence.column("thread_id").to_pylist()
    activities = evidence.column("activity_id").to_pylist()
    return {t or a for t, a in zip(threads, activities, strict=True)}


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
    confirmed: set | None = None,
    evidence=None,
    enrollments: list[dict] | None = None,
) -> dict:
    """Build the report dict for one person from the warehouse (less the items of ``confirmed`` disputes,
    ``rubric.feedback``, when given).

    When the warehouse's history (``history_start``: its earliest activity, from
    ``Warehouse.query_activity_span``) covers the period before ``since`` (``history_covers``), each
    dimension also gets a trend against that person's own previous period (never against anyone else),
    with the strength then; with no history there, the report says so and claims no trend.
    ``monthly``: everyone's ``Warehouse.query_monthly_activity`` for the period when the caller has it;
    ``evidence``: the person's rows as ``Warehouse.query_evidence`` gives them, when the caller read them
    (``everyone_reports`` reads everyone's at once, ``evidence_window`` for the period); ``enrollments``:
    the person's ``Warehouse.query_enrollments``, likewise.
    """
    from rubric import build_report
    from rubric.report import previous_period

    prev_since, prev_until = previous_period(since, until)
    has_history = history_covers(history_start, since, until)
    if evidence is None:
        start, end = evidence_window(since, until, history_start)
        evidence = wh.query_evidence(person["person_id"], since=start, until=end, rubric_id=rubric.id)
    if confirmed:
        from rubric.feedback import drop_confirmed

        evidence = drop_confirmed(evidence, confirmed)
    parents = people = None
    if calibration is None or (has_history and previous_calibration is None):
        parents = wh.query_ticket_parents(_threads(evidence))  # the threads this report totals
        people = wh.query_people()  # what the norms' fingerprint is over, read once for both periods
    if calibration is None:
        calibration = period_calibration(wh, rubric, since, until, people, parents=parents)
    if has_history and previous_calibration is None:
        previous_calibration = period_calibration(wh, rubric, prev_since, prev_until, people, parents=parents)
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
        enrollments=wh.query_enrollments(person["person_id"]) if enrollments is None else enrollments,
        activity=monthly.get(person["person_id"], {}),
        access_note=access_note,
    )


def write_report_files(report: dict, out_dir: Path, stem: str, formats: Iterable[ReportFormat]) -> dict[str, str]:
    """Write ``report`` in each format as ``out_dir/stem.<fmt>``; returns {fmt: file name}."""
    from rubric import render_report

    written: dict[str, str] = {}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out_dir / f"{stem}.{fmt}"
            path.write_text(render_report(report, fmt), encoding="utf-8")
            written[fmt] = path.name
    except OSError as exc:
        raise ConfigError(
            f"cannot write reports into {out_dir} ({exc.strerror or exc}): reports.out_dir must be a folder "
            "the operator can write (or a path where one can be created)."
        ) from None
    return written


class PeriodNorms:
    """Per rubric, the calibration of the period and of the previous one (when the warehouse covers it),
    each read (stored by the nightly, ``store_period_norms``) or computed once, on first use."""

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
    from rubric.contract import EVIDENCE_SCHEMA
    from warehouse import open_warehouse

    rubrics = Rubrics(config)
    empty = EVIDENCE_SCHEMA.empty_table()
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        history_start, _ = wh.query_activity_span()
        norms = PeriodNorms(wh, since, until, history_start)
        monthly = wh.query_monthly_activity(since, until)
        coverage = coverage_inputs(config)
        enrollments = wh.query_everyones_enrollments()
        start, end = evidence_window(since, until, history_start)
        evidence: dict[str, dict] = {}  # per rubric id, everyone's rows from one read
        skipped = 0
        for person in wh.query_people():
            rubric = rubrics.for_person(person)
            if rubric is None:
                skipped += 1
                continue
            if rubric.id not in evidence:
                evidence[rubric.id] = wh.query_everyones_evidence(rubric.id, since=start, until=end)
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
                evidence=evidence[rubric.id].get(person["person_id"], empty),
                enrollments=enrollments.get(person["person_id"], []),
            )
        if skipped:
            log.info("reports: %d people have no rubric for their level or job family (reports.rubrics)", skipped)


def write_reports(config: LadderConfig, *, now: Clock = utcnow) -> list[Path]:
    """Write a report per engineer in every configured format, a 1:1 prep sheet per report (``prep/``), a
    team page per manager (``teams/``), plus index.md / index.html.

    Only reports whose content changed (or whose files are missing) are written (``flows.report_manifest``);
    an unchanged report keeps its files and the ``generated_at`` of the run that wrote them.  When nothing
    the reports are made from changed since the last run (``report_manifest.inputs_key``) and their files
    are all there, none is even built.
    Files are named by ``report_stem(person_id)`` (distinct people never share a file) and created 0600
    in a 0700 folder unless the config's ``files:`` shares them with a group (``flows.files``).
    """
    from flows.files import file_policy, private_umask, secure
    from flows.report_manifest import ReportManifest, inputs_key, render_version, report_digest, write_if_changed
    from flows.team_pages import Org, team_page
    from rubric import render_index
    from rubric.render import render_prep_sheet, render_team_page
    from rubric.team import person_summary, prep_sheet
    from warehouse import open_warehouse

    generated_at = now()
    since, until = report_period(config, generated_at.date())
    refresh_report_facts(config)
    store_period_norms(config, since, until)
    days = (until - since).days + 1
    out_dir = config.reports_dir
    policy = file_policy(config)
    rendering = render_version(config.reports.formats)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        key = inputs_key(config, since, until, wh.reports_fingerprint(), rendering)
        manifest = ReportManifest(out_dir)
        if manifest.unchanged(key, config.reports.formats):
            log.info(
                "reports: nothing they are made from changed since the last run (period %s..%s): "
                "0 built, 0 rewritten, in %s",
                since,
                until,
                out_dir,
            )
            return [out_dir / "index.md", out_dir / "index.html"]
        org = Org.read(wh, since, until)
    entries, summaries = [], {}
    stems: dict[str, str] = {}
    prep_dir, teams_dir = out_dir / "prep", out_dir / "teams"
    written: list[Path] = [out_dir, prep_dir, teams_dir]
    rewritten = 0
    with private_umask(policy):
        prep_dir.mkdir(parents=True, exist_ok=True)
        for report in everyone_reports(config, since=since, until=until, generated_at=generated_at):
            person_id = report["engineer"]["login"]
            stem = report_stem(person_id)
            if stems.setdefault(stem, person_id) != person_id:  # report_stem is injective; never overwrite anyway
                raise ConfigError(f"report file name {stem} would serve both {stems[stem]!r} and {person_id!r}")
            files: dict[str, str] = {fmt: f"{stem}.{fmt}" for fmt in config.reports.formats}
            facts = org.facts.get(person_id, {})
            sheets: dict[Literal["html", "md"], Path] = {
                "html": prep_dir / f"{stem}.html",
                "md": prep_dir / f"{stem}.md",
            }
            # The prep sheet is made from the report and the person's roster facts: one digest for both.
            digest = report_digest({**report, "prep_facts": facts}, rendering)
            targets = [*(out_dir / name for name in files.values()), *sheets.values()]
            if not manifest.is_current(stem, digest, targets):
                manifest.will_write()
                files = write_report_files(report, out_dir, stem, config.reports.formats)
                written.extend(out_dir / name for name in files.values())
                sheet = prep_sheet(report, facts)
                for sheet_kind, sheet_path in sheets.items():
                    link = f"../{stem}.{sheet_kind}" if sheet_kind in files else None
                    sheet_path.write_text(render_prep_sheet(sheet, sheet_kind, link), encoding="utf-8")
                    written.append(sheet_path)
                rewritten += 1
            entries.append({"engineer": report["engineer"], "period": report["period"], "files": files})
            summary = person_summary(report, org.people.get(person_id, {"person_id": person_id}), facts, days)
            summary["files"] = [("report", f"../{files['html' if 'html' in files else next(iter(files))]}")] + [
                ("1:1 prep", f"../prep/{stem}.html")
            ]
            summaries[person_id] = summary
        teams_dir.mkdir(parents=True, exist_ok=True)
        teams = []
        for manager_id in org.managers():
            page = team_page(org, manager_id, summaries, since=since, until=until, generated_at=utc_stamp(generated_at))
            stem = report_stem(manager_id)
            pages: dict[Literal["html", "md", "json"], Path] = {
                "html": teams_dir / f"{stem}.html",
                "md": teams_dir / f"{stem}.md",
                "json": teams_dir / f"{stem}.json",
            }
            if not manifest.is_current(f"teams/{stem}", report_digest(page, rendering), pages.values()):
                manifest.will_write()
                for kind, page_path in pages.items():
                    page_path.write_text(render_team_page(page, kind), encoding="utf-8")
                    written.append(page_path)
            teams.append(
                {"manager": page["manager"], "files": {f: f"teams/{stem}.{f}" for f in ("html", "md", "json")}}
            )
        paths = []
        for fmt in ("md", "html"):
            index = out_dir / f"index.{fmt}"
            try:
                if write_if_changed(index, render_index(entries, fmt, teams=teams)):
                    written.append(index)
            except OSError as exc:
                raise ConfigError(f"cannot write {index} ({exc.strerror or exc}); check reports.out_dir.") from None
            paths.append(index)
        written.append(manifest.save())
    secure(written, policy)
    log.info(
        "reports: %d engineers (%d rewritten), %d team pages, period %s..%s, in %s",
        len(entries),
        rewritten,
        len(teams),
        since,
        until,
        out_dir,
    )
    return paths


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_PLAIN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# "index" would overwrite the index; the others are device names on Windows file systems.
_RESERVED_STEMS = frozenset(
    {"index", "con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in range(10)}
)


def report_stem(person_id: str) -> str:
    """The file name (without extension) of ``person_id``'s report: unique per person id, safe on any disk.

    A plain id (lower-case letters, digits, ``-``, ``_``; not a reserved name) is its own name.  Any
    other id (``a@b``, ``Ana``, ``../x``, ``index``) becomes a readable slug, ``~`` and 16 hex digits of
    the id's sha256: ``~`` never occurs in a plain id, so two ids share a name only if their hashes
    collide.  Lower-case plain names also cannot collide on case-insensitive file systems.
    """
    if _PLAIN_ID.fullmatch(person_id) and person_id not in _RESERVED_STEMS:
        return person_id
    slug = re.sub(r"[^a-z0-9_-]+", "_", person_id.lower()).strip("_")[:40] or "person"
    return f"{slug}~{hashlib.sha256(person_id.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
