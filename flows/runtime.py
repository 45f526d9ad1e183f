"""Process-wide settings applied before Prefect is imported: offline, quiet, no telemetry."""

from __future__ import annotations

import logging
import os
import re
import sys

# Prefect runs in its ephemeral mode (a temporary local API) unless the user
# points PREFECT_API_URL at a server; nothing here phones home.
_PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # The temporary API server can take longer than the default 20 s to start on a busy 2-core box.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure_prefect_env() -> None:
    """Set offline defaults for Prefect unless the user set them already."""
    for key, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)


class RedactSecrets(logging.Filter):
    """Replace any registered secret value in a log record with ``***``.

    Belt and braces: our code never logs a token, but a library might echo a
    header or URL; every secret read from the environment is registered here.
    """

    _secrets: set[str] = set()

    @classmethod
    def register(cls, value: str) -> None:
        if value and len(value) >= 4:
            cls._secrets.add(value)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        pattern = "|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True))
        cleaned = re.sub(pattern, "***", message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class _CleanFormatter(logging.Formatter):
    """Log lines without control characters: logged values (names, titles, URLs) come from outside."""

    def format(self, record: logging.LogRecord) -> str:
        from flows.terminal import clean

        return clean(super().format(record))


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now, so a progress display that redirects it stays intact."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


_configured: dict[str, bool] = {}


def restore_logging() -> None:
    """Re-apply ``configure_logging`` after importing Prefect, which replaces the root handlers on import."""
    if "verbose" in _configured:
        configure_logging(_configured["verbose"])


def configure_logging(verbose: bool = False) -> None:
    """One INFO line per partition on stderr; secrets redacted on every handler."""
    _configured["verbose"] = verbose
    level = logging.DEBUG if verbose else logging.INFO
    handler = _CurrentStderrHandler()
    handler.setFormatter(_CleanFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("ladder", "miners", "warehouse", "classifiers", "rubric", "flows", "sandbox"):
        logging.getLogger(name).setLevel(level)
    # Prefect logs a failed task or flow run with its traceback. The CLI reports our own errors as one
    # paragraph and lets anything unexpected raise with its traceback, so these copies are noise unless
    # debugging.
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.CRITICAL)
