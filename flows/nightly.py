"""The nightly Prefect flow: mine → load → resolve identities → classify → evidence → reports.

Tasks pass plain values (the config path, counts); each task opens the
warehouse itself, so there is one writer at a time and every stage can be
re-run on its own.  Network-edge retries live in the clients (PyGithub's and
jira's retry policies), so tasks are not retried again here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flows.runtime import configure_prefect_env, restore_logging

configure_prefect_env()

from prefect import flow, task  # noqa: E402  (env must be set before Prefect loads)

restore_logging()  # Prefect replaced the root log handlers (and their secret redaction) on import

from flows import stages  # noqa: E402
from flows.config import read_config  # noqa: E402


@task(name="sync-roster")
def sync_roster_task(config_path: str) -> list[dict]:
    return stages.sync_roster(read_config(config_path))


@task(name="sync-github")
def sync_github_task(config_path: str, since: dt.date | None, full: bool) -> list[dict]:
    return stages.sync_github(read_config(config_path), since=since, full=full)


@task(name="sync-jira")
def sync_jira_task(config_path: str, since: dt.date | None, full: bool) -> list[dict]:
    return stages.sync_jira(read_config(config_path), since=since, full=full)


@task(name="resolve-identities")
def identities_task(config_path: str) -> dict:
    return stages.resolve_identities(read_config(config_path))


@task(name="classify")
def classify_task(config_path: str) -> int:
    return stages.classify(read_config(config_path))


@task(name="build-evidence")
def evidence_task(config_path: str) -> int:
    return stages.build_evidence(read_config(config_path))


@task(name="write-reports")
def reports_task(config_path: str) -> list[str]:
    return [str(p) for p in stages.write_reports(read_config(config_path))]


@flow(name="nightly", log_prints=False)
def nightly(config_path: str, since: dt.date | None = None, full: bool = False, reports: bool = True) -> dict:
    """Bring the warehouse up to date and (re)write every engineer's report, prep sheet and team page."""
    roster = sync_roster_task(config_path)
    github = sync_github_task(config_path, since, full)
    jira = sync_jira_task(config_path, since, full)
    identities = identities_task(config_path)
    labels_changed = classify_task(config_path)
    evidence_changed = evidence_task(config_path)
    written = reports_task(config_path) if reports else []
    return {
        "roster": roster,
        "github": github,
        "jira": jira,
        "identities": identities,
        "labels_changed": labels_changed,
        "evidence_changed": evidence_changed,
        "reports": written,
    }


def run_nightly(config_path: Path, *, since: dt.date | None = None, full: bool = False, reports: bool = True) -> dict:
    """Run the flow now, in-process (Prefect's ephemeral mode unless PREFECT_API_URL is set)."""
    return nightly(str(config_path), since=since, full=full, reports=reports)
