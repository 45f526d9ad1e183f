"""The nightly Prefect flow: mine every source → resolve identities → classify → evidence → reports → snapshot.

The flow reads and validates the config once and hands the typed
``LadderConfig`` to every task.  Mining is the sub-flow ``mine``: the roster
first, then one ``plan-<source>`` task per activity source (GitHub lists its
orgs, and settles the repositories with nothing new without a task) and one
``mine-<source>`` task per partition to mine (a repository, Jira's projects),
mapped on the configured task runner (``run.task_runner``: threads, or a Dask
cluster through prefect-dask), GitHub and Jira at once.  Mining tasks return
batches; the flow alone loads them, a task's batches in one transaction, each
batch with its cursor (one writer, crash-safe as before).  A partition that
failed transiently is retried by Prefect (``run.retries``), and what its failed
attempts cost each credential is still recorded; its tags (``source:``,
``host:``, ``token:``) let a Prefect server cap concurrent tasks per host and
per token.
``run.task_runner: sequential`` runs one ``sync-<source>`` task per source,
one after the other (the flow before issue 13; the benchmarks' baseline).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.runtime import check_prefect_home, configure_prefect_env, restore_logging, start_prefect_server

configure_prefect_env()

from prefect import flow, task  # noqa: E402  (env must be set before Prefect loads)
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.futures import as_completed  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

restore_logging()  # Prefect replaced the root log handlers (and their secret redaction) on import

from flows import stages  # noqa: E402
from flows.config import ConfigError, LadderConfig, read_config  # noqa: E402
from flows.sources import build_source, github_pool, source_entry, source_names  # noqa: E402
from miners.base import Batch  # noqa: E402
from miners.source import Plan, SyncRequest, Work  # noqa: E402
from warehouse.health import run_costs  # noqa: E402

log = logging.getLogger("ladder.nightly")


class PartitionFailed(Exception):
    """A partition not mined because its source stopped (``Batch.stopped``): worth a Prefect retry."""

    def __init__(self, error: str, stop: bool, costs: dict | None = None) -> None:
        super().__init__(error)
        self.stop = stop  # the source as a whole stopped (unreachable, budget gone): ask it nothing more
        self.costs = costs or {}  # what this attempt and the earlier ones cost each credential (stats["credentials"])


# What the failed attempts of a task run still in progress cost each credential, by task run id: Prefect retries
# a task in the same process, and the attempt that ends it (a success or the last failure) carries them on.
_FAILED_ATTEMPTS: dict[str, dict] = {}
_FAILED_ATTEMPTS_LOCK = threading.Lock()


def _attempt_costs(batches: list[Batch]) -> dict:
    costs: dict = {}
    for batch in batches:
        stages.fold_credential_costs(costs, batch.stats.get("credentials") or {})
    return costs


def _settle_attempts(batches: list[Batch], failed: bool) -> dict:
    """Carry the credential costs of the task run's earlier failed attempts: when this attempt failed too, they
    are kept with its own for the next attempt (and returned, for the exception); else they go on its last batch."""
    from prefect.runtime import task_run

    key = str(task_run.id or "")
    with _FAILED_ATTEMPTS_LOCK:
        earlier = _FAILED_ATTEMPTS.pop(key, {})
        if failed:
            costs = stages.fold_credential_costs(stages.fold_credential_costs({}, earlier), _attempt_costs(batches))
            if key:
                _FAILED_ATTEMPTS[key] = costs
            return costs
    if earlier and batches:
        last = batches[-1]
        own = last.stats.get("credentials") or {}
        batches[-1] = dataclasses.replace(
            last,
            stats={
                **last.stats,
                "credentials": stages.fold_credential_costs(stages.fold_credential_costs({}, earlier), own),
            },
        )
    return earlier


def _retry_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's retry_condition_fn signature
    """Prefect retries a mining task only when it raised ``PartitionFailed``."""
    try:
        state.result()
    except PartitionFailed:
        return True
    except Exception:
        return False
    return False


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


@task(cache_policy=NO_CACHE)
def sync_source_task(config: LadderConfig, source: str, since: dt.date | None, full: bool) -> list[dict]:
    return stages.sync_source(config, source, since=since, full=full)


@task(cache_policy=NO_CACHE, retry_condition_fn=_retry_transient)
def plan_task(config: LadderConfig, source: str, cursors: dict, since: dt.date | None, full: bool, stored) -> Plan:
    built = build_source(config, source)
    assert built is not None
    request = SyncRequest(cursors=cursors, since=_as_datetime(since), full=full, stored=stored)
    plan: Plan = built.plan(request)  # type: ignore[attr-defined]
    # the source stopped while listing (unreachable, no budget): Prefect retries
    stopped = next((b for b in plan.batches if b.stats.get("source_stop")), None)
    batches = list(plan.batches)
    costs = _settle_attempts(batches, stopped is not None)
    if stopped is not None:
        raise PartitionFailed(f"{stopped.partition}: {stopped.error}", stop=True, costs=costs)
    return Plan(tuple(batches), plan.work)


@task(cache_policy=NO_CACHE, retry_condition_fn=_retry_transient)
def mine_task(
    config: LadderConfig, source: str, work: Work, cursors: dict, since: dt.date | None, full: bool, stored
) -> list[Batch]:
    """One partition's batches; raises ``PartitionFailed`` (Prefect retries) when the source as a whole stopped
    (unreachable, its budget or secondary limits not lifting in time).  A partition that failed on its own
    (a 403, an unparseable answer, 5xx after the client policy's retries) is recorded as failed and retried
    by the next run, as before."""
    built = build_source(config, source)
    assert built is not None
    request = SyncRequest(cursors=cursors, since=_as_datetime(since), full=full, stored=stored)
    batches = list(built.mine_work(request, work))  # type: ignore[attr-defined]
    last = batches[-1] if batches else None
    failed = last is not None and last.error is not None and bool(last.stats.get("source_stop"))
    costs = _settle_attempts(batches, failed)
    if failed:
        assert last is not None and last.error is not None
        raise PartitionFailed(last.error, stop=True, costs=costs)
    return batches


def _tags(config: LadderConfig, source: str, credential: str | None = None) -> list[str]:
    """``source:NAME``, ``host:HOST`` and ``token:ENV_NAME`` (the variable's name, never its value; a GitHub
    pool's credential picked for the task, ``app-<installation id>`` for an App): a Prefect server's tag
    concurrency limits cap mining tasks per source, per host and per token."""
    if source == "github" and config.github is not None:
        token = credential or config.github.pool[0].name
        host = urlsplit(config.github.base_url).hostname or ""
    elif source == "jira" and config.jira is not None:
        host, token = urlsplit(config.jira.url).hostname or "", config.jira.token_env
    else:
        return [f"source:{source}"]
    return [f"source:{source}", f"host:{host}", f"token:{token}"]


def _with_credential(config: LadderConfig, source: str, work: Work) -> Work:
    """``work`` with the GitHub pool's credential that has the most budget left as its preference (a pool of
    several credentials only): its ``token:`` tag, and the one its task leases unless it is spent by then."""
    if source != "github" or config.github is None or len(config.github.pool) < 2:
        return work
    return dataclasses.replace(work, credential=github_pool(config).assign(time.time()))


def _top(config: LadderConfig, source: str) -> list[str]:
    """The partitions a source's plan covers, from the config: GitHub's orgs, Jira's projects."""
    if source == "github" and config.github is not None:
        return [f"github:{org}" for org in config.github.orgs]
    if source == "jira" and config.jira is not None:
        return [f"jira:{key}" for key in config.jira.projects]
    return [source]


class _SourceRun:
    """One activity source's run while its tasks are in flight: queued work, summaries, its recorded run."""

    def __init__(self, name: str, run_id: str, cursors: dict[str, str]) -> None:
        self.name, self.run_id, self.cursors = name, run_id, cursors
        self.queue: collections.deque[Work] = collections.deque()
        self.in_flight = 0
        self.summaries: dict[str, dict] = {}
        self.stopped: str | None = None
        self.started = time.monotonic()


def task_runner_for(config: LadderConfig):
    """The task runner ``run.task_runner`` names: Prefect's thread pool, or prefect-dask's ``DaskTaskRunner``."""
    run = config.run
    if run.task_runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise ConfigError(
                f"{config.source_path}: run.task_runner is dask, but prefect-dask is not installed: install it "
                "(pip install 'ladder-signals[dask]') or use task_runner: threads."
            ) from None
        if run.dask_address:
            return DaskTaskRunner(address=run.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": run.dask_workers, "threads_per_worker": 1})
    return ThreadPoolTaskRunner(max_workers=max(2, 2 * run.concurrency))


@flow(name="mine", log_prints=False)
def mine(config: LadderConfig, since: dt.date | None = None, full: bool = False) -> dict[str, list[dict]]:
    """Sync the roster, then every configured activity source partition by partition (see the module docstring)."""
    result: dict[str, list[dict]] = {"roster": stages.sync_source(config, "roster")}
    names = [n for n in source_names() if source_entry(n).info.name != "roster"]
    live: dict[str, _SourceRun] = {}
    pending: dict[Any, tuple[_SourceRun, Work | None]] = {}
    runner_name = config.run.task_runner
    with stages.open_writer(config) as wh:

        def load(run: _SourceRun, batches: list[Batch] | tuple[Batch, ...]) -> None:
            """One task's (or plan's) batches in one transaction, each batch's rows with its cursor."""
            for batch, result in zip(batches, wh.load_batches(batches, run.run_id), strict=True):
                stages.add_summary(run.summaries, batch, result)

        def submit_more(run: _SourceRun) -> None:
            while run.queue and run.in_flight < config.run.concurrency and run.stopped is None:
                work = _with_credential(config, run.name, run.queue.popleft())
                cursors = {p: run.cursors[p] for p in work.covers if p in run.cursors}
                stored = wh.snapshot(run.name, work.keys)
                future = mine_task.with_options(
                    name=f"mine-{run.name}",
                    task_run_name=f"mine-{work.partition}",
                    tags=_tags(config, run.name, work.credential),
                    retries=config.run.retries,
                    retry_delay_seconds=config.run.retry_delay_seconds,
                ).submit(config, run.name, work, cursors, since, full, stored)
                pending[future] = (run, work)
                run.in_flight += 1
            if run.stopped is not None:
                while run.queue:
                    work = run.queue.popleft()
                    load(run, [Batch.failed(run.name, p, f"not synced: {run.stopped}") for p in work.covers])

        for name in names:
            entry = source_entry(name)
            if not entry.configured(config):
                if entry.unconfigured:
                    log.warning(entry.unconfigured)
                continue
            run = live[name] = _SourceRun(name, wh.begin_run(name), wh.read_cursors(name))
            stored = wh.snapshot(name, entry.info.plan_keys)
            future = plan_task.with_options(
                name=f"plan-{name}",
                tags=_tags(config, name),
                retries=config.run.retries,
                retry_delay_seconds=config.run.retry_delay_seconds,
            ).submit(config, name, run.cursors, since, full, stored)
            pending[future] = (run, None)

        try:
            _drain(pending, config, load, submit_more)
        except Exception as exc:  # a bad token, a bug: each open run ends failed with it, then the sync stops
            for run in live.values():
                wh.finish_run(run.run_id, error=f"{type(exc).__name__}: {exc}")
            raise

        for name, run in live.items():
            summaries = list(run.summaries.values())
            record = wh.finish_run(run.run_id, costs={**run_costs(summaries), "task_runner": runner_name})
            stages.log_outcome(name, summaries, record)
            log.info("%s: %d partitions in %.1f s", name, len(summaries), time.monotonic() - run.started)
            result[name] = summaries
    for name in names:
        result.setdefault(name, [])
    return result


def _drain(pending: dict, config: LadderConfig, load, submit_more) -> None:
    """Load each mining task's outcome as it completes and hand out more work, until none is in flight."""
    while pending:
        future = next(iter(as_completed(list(pending))))
        run, work = pending.pop(future)
        outcome: Any = future.result(raise_on_failure=False)
        if work is None:  # the source's plan
            if isinstance(outcome, BaseException):
                _raise_unless_transient(outcome)
                run.stopped = str(outcome)
                load(
                    run,
                    _with_costs(
                        [Batch.failed(run.name, p, f"not synced: {outcome}") for p in _top(config, run.name)], outcome
                    ),
                )
                continue
            load(run, outcome.batches)
            run.queue.extend(outcome.work)
        else:
            run.in_flight -= 1
            if work.credential is not None:
                github_pool(config).unassign(work.credential)
            if isinstance(outcome, BaseException):
                _raise_unless_transient(outcome)
                if getattr(outcome, "stop", False):
                    run.stopped = str(outcome)
                log.error("%s: not synced after %d retries: %s", work.partition, config.run.retries, outcome)
                load(run, _with_costs([Batch.failed(run.name, p, str(outcome)) for p in work.covers], outcome))
            else:
                load(run, outcome)
        submit_more(run)


def _with_costs(failed: list[Batch], outcome: BaseException) -> list[Batch]:
    """The failure's batches, the first carrying what the task's attempts cost each credential."""
    costs = getattr(outcome, "costs", None)
    if costs and failed:
        failed[0] = dataclasses.replace(failed[0], stats={**failed[0].stats, "credentials": costs})
    return failed


def _raise_unless_transient(outcome: BaseException) -> None:
    """A failed mining task: a partition failure is recorded and the others go on; anything else (a bad token,
    a bug) stops the sync as it always did."""
    if not isinstance(outcome, PartitionFailed):
        raise outcome


@task(name="resolve-identities", cache_policy=NO_CACHE)
def identities_task(config: LadderConfig) -> dict:
    return stages.resolve_identities(config)


@task(name="classify", cache_policy=NO_CACHE)
def classify_task(config: LadderConfig) -> int:
    return stages.classify(config)


@task(name="build-evidence", cache_policy=NO_CACHE)
def evidence_task(config: LadderConfig) -> int:
    return stages.build_evidence(config)


@task(name="write-reports", cache_policy=NO_CACHE)
def reports_task(config: LadderConfig) -> list[str]:
    return [str(p) for p in stages.write_reports(config)]


@task(name="publish-snapshot")
def snapshot_task(config: LadderConfig) -> str:
    from flows.snapshot import publish_snapshot

    return str(publish_snapshot(config))


@flow(name="nightly", log_prints=False)
def nightly(
    config_path: str,
    since: dt.date | None = None,
    full: bool = False,
    reports: bool = True,
    config: LadderConfig | None = None,
) -> dict:
    """Bring the warehouse up to date and (re)write every engineer's report, prep sheet and team page.

    ``config``: ``config_path`` already read and validated (the CLI's preflight did); without it the
    flow reads it here.  Either way it is read once per run.
    """
    config = config if config is not None else read_config(config_path)
    result: dict = {}
    if config.run.task_runner == "sequential":
        for name in source_names():
            result[name] = sync_source_task.with_options(name=f"sync-{name}")(config, name, since, full)
    else:
        result.update(mine.with_options(task_runner=task_runner_for(config))(config, since, full))
    result["identities"] = identities_task(config)
    result["labels_changed"] = classify_task(config)
    result["evidence_changed"] = evidence_task(config)
    result["reports"] = reports_task(config) if reports else []
    result["snapshot"] = snapshot_task(config)  # last: `ladder serve` switches to it atomically
    return result


def run_nightly(
    config_path: Path,
    *,
    since: dt.date | None = None,
    full: bool = False,
    reports: bool = True,
    config: LadderConfig | None = None,
) -> dict:
    """Run the flow now, in-process (Prefect's ephemeral mode unless PREFECT_API_URL is set).

    The temporary Prefect server is started first, as a child process that dies with this one.
    """
    check_prefect_home()
    start_prefect_server()
    return nightly(str(config_path), since=since, full=full, reports=reports, config=config)
