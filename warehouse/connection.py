"""Opening the DuckDB file: the project's only ``duckdb.connect``.

DuckDB lets one process write a file; a second process gets a lock error.
We retry a few times with short, growing waits (a nightly load's transactions
are short) and then say plainly that a sync is running.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

MEMORY = ":memory:"
LOCK_ATTEMPTS = 5
FIRST_WAIT_SECONDS = 0.2


def utc_now() -> dt.datetime:
    """The default clock: now, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def check_path(path: Path, *, read_only: bool) -> None:
    """Raise WarehouseError when ``path`` cannot hold (or, read-only, does not hold) a warehouse."""
    if path.is_dir():
        raise WarehouseError(f"warehouse path {path} is a directory; give a file path such as {path / 'ladder.duckdb'}")
    if read_only:
        if not path.is_file():
            raise WarehouseError(f"warehouse {path} does not exist; run a sync first to create it, or check the path")
        if not os.access(path, os.R_OK):
            raise WarehouseError(f"warehouse {path} is not readable; fix its permissions (chmod u+r)")
        return
    parent = path.parent
    if not parent.is_dir():
        raise WarehouseError(
            f"cannot create warehouse {path}: directory {parent} does not exist; create it (mkdir -p {parent}) "
            "or choose another path"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WarehouseError(
            f"cannot write warehouse {path}: directory {parent} is not writable; fix its permissions "
            "or choose another path"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise WarehouseError(f"warehouse {path} is not writable; fix its permissions or open it read-only")


def connect(
    path: str | Path,
    *,
    read_only: bool,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = LOCK_ATTEMPTS,
) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse file, retrying while another process holds its lock."""
    target = str(path)
    if target != MEMORY:
        check_path(Path(path), read_only=read_only)
    wait = FIRST_WAIT_SECONDS
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(target, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(
                    f"cannot open warehouse {target}: {exc}. Is it a DuckDB file written by ladder-signals? "
                    "Move it aside or choose another path"
                ) from exc
            last = exc
            log.info("warehouse %s is locked (attempt %d of %d); waiting %.1fs", target, attempt, attempts, wait)
            if attempt < attempts:
                sleep(wait)
                wait *= 2
            continue
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot open warehouse {target}: {exc}. If this process already has it open with another "
                "mode (read-only vs writable), reuse that Warehouse instead"
            ) from exc
        con.execute("SET TimeZone = 'UTC'")
        return con
    raise WarehouseError(
        f"warehouse {target} is locked by another process: a sync is probably running. Retry when it has "
        f"finished ({last})"
    )
