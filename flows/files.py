"""Who may read what the nightly writes: the warehouse, the reports and the models.

They hold people's evidence, so by default only the operator (the user running the sync) may read them:
files are created 0600 and folders 0700, whatever the umask.  ``files: {mode: "0640", group: NAME}`` in
the config shares them read-only with an operator group (config key documented in README.md, "Who may
read a report").  A mode that lets every user of the machine read is refused by the config itself.

Files are created under a restrictive umask (no moment at which they are readable by others) and then
chmod-ed (and chgrp-ed) explicitly, which also fixes files an older release left 0644.
"""

from __future__ import annotations

import grp
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.config import ConfigError, LadderConfig


@dataclass(frozen=True)
class FilePolicy:
    """Modes (and an optional group id) for everything the nightly writes."""

    file_mode: int = 0o600
    dir_mode: int = 0o700
    gid: int | None = None
    group: str | None = None

    @property
    def umask(self) -> int:
        return 0o777 & ~self.dir_mode


def file_policy(config: LadderConfig) -> FilePolicy:
    """The config's ``files:`` section as a FilePolicy; ConfigError for a group the machine does not know."""
    files = config.files
    gid = None
    if files.group:
        try:
            gid = grp.getgrnam(files.group).gr_gid
        except KeyError:
            raise ConfigError(
                f"{config.source_path}: files.group: no group {files.group!r} on this machine; create it "
                "(groupadd), name an existing operator group, or remove files.group to keep files to the operator"
            ) from None
    return FilePolicy(files.file_mode, files.dir_mode, gid, files.group)


@contextmanager
def private_umask(policy: FilePolicy) -> Iterator[None]:
    """Create files no more open than ``policy`` allows while the block runs (the umask is process-wide)."""
    old = os.umask(policy.umask)
    try:
        yield
    finally:
        os.umask(old)


def secure(paths: Iterable[Path], policy: FilePolicy) -> None:
    """chmod (and chgrp) each existing path: files to ``file_mode``, folders to ``dir_mode``; symlinks are left."""
    for path in paths:
        if path.is_symlink() or not path.exists():
            continue
        mode = policy.dir_mode if path.is_dir() else policy.file_mode
        try:
            if policy.gid is not None and path.stat().st_gid != policy.gid:
                os.chown(path, -1, policy.gid)
            os.chmod(path, mode)
        except PermissionError as exc:
            what = f"give {path} to group {policy.group!r}" if policy.gid is not None else f"chmod {path}"
            raise ConfigError(
                f"cannot {what} ({exc.strerror}): the operator must own it"
                + (" and be a member of that group (files.group in the config)" if policy.gid is not None else "")
            ) from None


def tree(root: Path) -> list[Path]:
    """``root`` and every file and folder below it (symlinks not followed)."""
    if not root.is_dir():
        return [root]
    found = [root]
    for folder, dirs, files in os.walk(root):
        found.extend(Path(folder) / name for name in (*dirs, *files))
    return found


def warehouse_files(path: Path) -> list[Path]:
    """The warehouse file and DuckDB's write-ahead log beside it."""
    return [path, path.with_name(path.name + ".wal")]
