"""The read-only snapshot ``ladder serve`` reads: a copy of the warehouse the nightly publishes at the end.

The nightly's last task copies the warehouse, while it holds the write lock and after a checkpoint, to
``<snapshots>/<time>-<random>.duckdb`` and then names it in ``<snapshots>/CURRENT`` with an atomic
rename.  A reader opens whatever ``CURRENT`` names, read-only: it never waits for the nightly's
writer and never sees half a run.  Older snapshots but the previous one are removed (a reader that
still has one open keeps reading it: removing an open file does not disturb it).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
from pathlib import Path

from flows.config import ConfigError, LadderConfig

log = logging.getLogger("ladder.snapshot")

CURRENT = "CURRENT"
KEEP = 2  # the current snapshot and the one before it


def publish_snapshot(config: LadderConfig, *, now: dt.datetime | None = None) -> Path:
    """Copy the warehouse into a new snapshot and make it current; returns its path."""
    from flows.files import file_policy, private_umask, secure
    from flows.writer import open_writer

    folder = config.snapshots_dir
    policy = file_policy(config)
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stamp}-{secrets.token_hex(4)}.duckdb"
    with private_umask(policy):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the snapshots folder {folder} ({exc.strerror}); set web.snapshots."
            ) from None
        with open_writer(config) as wh:  # the write lock: no other writer while the file is copied
            wh.con.execute("CHECKPOINT")
            partial = target.with_suffix(".partial")
            shutil.copyfile(config.warehouse_path, partial)
            os.replace(partial, target)
        pointer = folder / f"{CURRENT}.partial"
        pointer.write_text(target.name + "\n", encoding="utf-8")
        secure([folder, target, pointer], policy)
        os.replace(pointer, folder / CURRENT)
    for old in sorted(folder.glob("*.duckdb"))[:-KEEP]:
        if old != target:
            old.unlink(missing_ok=True)
    log.info("snapshot published: %s", target)
    return target


def current_snapshot(config: LadderConfig) -> Path | None:
    """The snapshot ``CURRENT`` names, or None before the first nightly has published one."""
    pointer = config.snapshots_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"{pointer} names no snapshot file ({name!r}); run the nightly again to publish one.")
    path = config.snapshots_dir / name
    return path if path.is_file() else None
