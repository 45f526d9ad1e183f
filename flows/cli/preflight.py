"""What ``ladder sync`` and ``ladder schedule`` check before any flow starts."""

from __future__ import annotations

from flows.config import ConfigError


def preflight(config) -> None:
    """Fail fast, before any flow starts, on everything a user can get wrong."""
    from flows.files import file_policy
    from flows.sources import SOURCES, configured_activity_sources
    from flows.writer import open_writer

    configured = [entry for entry in SOURCES if entry.configured(config)]
    for entry in configured:
        if entry.activity:
            entry.check(config)  # secrets set
    if not configured_activity_sources(config):
        raise ConfigError(
            f"{config.source_path}: neither github: nor jira: is configured — add at least one "
            "source (see `ladder init`)."
        )
    for entry in configured:
        if not entry.activity:
            entry.check(config)  # the roster reads and validates
    file_policy(config)
    for key, folder in (("reports.out_dir", config.reports_dir), ("classifiers.model_dir", config.model_dir)):
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"{config.source_path}: {key} is {folder}, which is a file, not a folder: point it at a folder "
                "(it is created when missing) or move the file away."
            )
    from flows.runtime import check_prefect_home

    check_prefect_home()
    with open_writer(config):
        pass
