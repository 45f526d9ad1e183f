"""Process-wide settings applied before Prefect is imported: offline, quiet, no telemetry."""

from __future__ import annotations

import ctypes
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Prefect runs in its ephemeral mode (a temporary local API) unless the user
# points PREFECT_API_URL at a server; nothing here phones home.
_PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
    # Our records reach the run's logs in the Prefect API (attach_prefect_logging); outside a run, nothing is sent.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # The temporary API server can take longer than the default 20 s to start on a busy 2-core box.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure_prefect_env() -> None:
    """Set offline defaults for Prefect unless the user set them already."""
    for key, value in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # Importing Prefect warns when it cannot create its home; check_prefect_home says so once, clearly.
    warnings.filterwarnings("ignore", message="Failed to create the Prefect home directory")


def check_prefect_home() -> None:
    """Refuse, with one message, a Prefect home (or local database folder) this process cannot write.

    Prefect's temporary API server keeps its SQLite database there; unwritable, it fails with thousands of
    lines of tracebacks from the server process.  Nothing is checked when PREFECT_API_URL names a server.
    """
    from flows.config import ConfigError

    configure_prefect_env()
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url:
        return
    folders = [Path(settings.home).expanduser()]
    url = settings.server.database.connection_url
    url_text = url.get_secret_value() if url is not None and hasattr(url, "get_secret_value") else str(url or "")
    if url_text.startswith("sqlite") and ":///" in url_text:
        folders.append(Path(url_text.split(":///", 1)[1]).expanduser().parent)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as exc:
            raise ConfigError(
                f"Prefect's home {folder} is not writable ({exc.strerror or exc}): the sync runs its flow on a "
                "temporary local Prefect server that keeps its database there. Point PREFECT_HOME at a writable "
                "folder (e.g. export PREFECT_HOME=$HOME/.prefect) or fix the folder's permissions."
            ) from None


def _die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` that asks Linux to SIGTERM the child when its parent dies (PR_SET_PDEATHSIG)."""
    parent = os.getpid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # not Linux: Prefect's own atexit stop is all there is
        return lambda: None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


_PR_SET_PDEATHSIG = 1


def start_prefect_server() -> None:
    """Start Prefect's temporary API server now, as a child that dies with this process.

    Prefect starts it on first use (``SubprocessASGIServer``, one per process) and stops it at exit, but a
    killed sync never exits: the server was left running, orphaned.  Started here, from the main thread,
    its process gets a parent-death signal, so killing the sync (even with SIGKILL) ends it too.  Does
    nothing when PREFECT_API_URL names a server or when the server already runs.
    """
    configure_prefect_env()
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return  # before importing the server's code: 2-3 s of CPU a run against a Prefect server need not pay
    from prefect.server.api import server as prefect_server

    if threading.current_thread() is not threading.main_thread():
        return  # the signal follows the thread that started the child: only the main thread lives as long
    instance = prefect_server.SubprocessASGIServer()
    if instance.running:
        return
    preexec = _die_with_parent()
    # The server's own stderr goes to a file, not the user's terminal: stopped at exit while a request is in
    # flight, it prints a database driver's traceback that says nothing about the sync.  Shown if it fails to start.
    server_stderr = tempfile.TemporaryFile()

    class _Subprocess:
        """Prefect's ``subprocess`` module, with every Popen started under the parent-death signal."""

        def __getattr__(self, name: str):
            return getattr(subprocess, name)

        @staticmethod
        def Popen(*args, **kwargs):  # noqa: N802 - the name Prefect calls
            kwargs.setdefault("preexec_fn", preexec)
            kwargs.setdefault("stderr", server_stderr)
            return subprocess.Popen(*args, **kwargs)

    original = prefect_server.subprocess
    prefect_server.subprocess = _Subprocess()  # type: ignore[assignment]
    try:
        instance.start()
    except RuntimeError as exc:
        server_stderr.seek(0)
        tail = server_stderr.read().decode("utf-8", "replace")[-4000:]
        raise RuntimeError(f"{exc} Its stderr ended with:\n{tail}" if tail else str(exc)) from None
    finally:
        prefect_server.subprocess = original


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


_configured: dict[str, Any] = {}


def restore_logging() -> None:
    """Re-apply ``configure_logging`` after importing Prefect, which replaces the root handlers on import;
    and send our log records to the Prefect API of the run they belong to (``attach_prefect_logging``)."""
    if "verbose" in _configured:
        configure_logging(**_configured)
    attach_prefect_logging()


_OUR_LOGGERS = ("ladder", "miners", "warehouse", "classifiers", "rubric", "flows", "sandbox")


def configure_logging(verbose: bool = False, *, quiet: bool = False, log_format: str = "text") -> None:
    """One INFO line per partition on stderr (WARNING and up with ``quiet``), as text or one JSON object per
    line (``log_format="json"``); secrets redacted on every handler."""
    _configured.update(verbose=verbose, quiet=quiet, log_format=log_format)
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = _CurrentStderrHandler()
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        # json.dumps escapes control characters itself; the redaction filter runs before formatting.
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(_CleanFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in _OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # Prefect logs a failed task or flow run with its traceback. The CLI reports our own errors as one
    # paragraph and lets anything unexpected raise with its traceback, so these copies are noise unless
    # debugging.
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def attach_prefect_logging() -> None:
    """Send our loggers' records to the Prefect API, in the flow or task run that logged them, redacted.

    Prefect ships only its own loggers' records (``prefect.*``, a run's ``get_run_logger()``); ours went to
    stderr alone, so a Prefect server showed the runs without a line of their logs.  Its ``APILogHandler``
    on our loggers, with ``RedactSecrets``, fixes that; outside a run it sends nothing.  Idempotent.
    """
    from prefect.logging.handlers import APILogHandler

    class _RedactedAPILogHandler(APILogHandler):
        pass

    for name in _OUR_LOGGERS:
        logger = logging.getLogger(name)
        if any(type(h).__name__ == "_RedactedAPILogHandler" for h in logger.handlers):
            continue
        handler = _RedactedAPILogHandler()
        handler.addFilter(RedactSecrets())
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
