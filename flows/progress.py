"""Progress bars for long syncs: one bar per partition on a terminal, nothing otherwise.

Miners report progress through a plain callback ``progress(partition, done,
total)`` and know nothing of terminals; this module draws it with rich when
standard error is a terminal, and is a no-op in cron logs and tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ProgressHook = Callable[[str, int, "int | None"], None]


@contextmanager
def partition_progress(label: str, *, enabled: bool | None = None) -> Iterator[ProgressHook | None]:
    """Yield a progress hook drawing one bar per partition, or None when not on a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    bars: dict[str, TaskID] = {}
    columns = (TextColumn(f"{label} {{task.description}}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:

        def update(partition: str, done: int, total: int | None) -> None:
            task = bars.get(partition)
            if task is None:
                bars[partition] = task = progress.add_task(partition, total=total)
            progress.update(task, completed=done, total=total)

        yield update
