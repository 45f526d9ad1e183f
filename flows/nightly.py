"""The nightly Prefect flow: mine every source → resolve identities → classify → evidence → reports → snapshot.

The flow reads and validates the config once and hands the typed
``LadderConfig`` to every task; each task opens the warehouse itself, so there
is one writer at a time and every stage can be re-run on its own.  The sources
are ``flows.sources``'s registry, one ``sync-<source>`` task each.
Network-edge retries live in the clients (PyGithub's and jira's retry
policies), so tasks are not retried again here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flows.runtime import check_prefect_home, configure_prefect_env, restore_logging, start_prefect_server

configure_prefect_env()

from prefect import flow, task  # noqa: E402  (env must be set before Prefect loads)

restore_logging()  # Prefect replaced the root log handlers (and their secret redaction) on import

from flows import stages  # noqa: E402
from flows.config import LadderConfig, read_config  # noqa: E402
from flows.sources import source_names  # noqa: E402


@task
def sync_source_task(config: LadderConfig, source: str, since: dt.date | None, full: bool) -> list[dict]:
    return stages.sync_source(config, source, since=since, full=full)


@task(name="resolve-identities")
def identities_task(config: LadderConfig) -> dict:
    return stages.resolve_identities(config)


@task(name="classify")
def classify_task(config: LadderConfig) -> int:
    return stages.classify(config)


@task(name="build-evidence")
def evidence_task(config: LadderConfig) -> int:
    return stages.build_evidence(config)


@task(name="write-reports")
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
    for name in source_names():
        result[name] = sync_source_task.with_options(name=f"sync-{name}")(config, name, since, full)
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
