"""What ``ladder serve`` reads: the latest published snapshot, read-only, and the feedback file.

Reads never touch the live warehouse, so they never wait for the nightly's writer and never see half a
run (``flows.snapshot``).  One connection to the current snapshot is kept and swapped when ``CURRENT``
names a newer one; per snapshot, the period's calibration (everyone's norms) and everyone's monthly
activity are computed once.
Connections are not for concurrent threads, so reads of each take a lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.config import LadderConfig
from flows.snapshot import current_snapshot


class NoSnapshot(Exception):
    """No nightly has published a snapshot yet."""


class CachedReads:
    """A snapshot's warehouse with every ``query_*`` answer kept: a snapshot never changes, so an answer
    read once is right for its lifetime (the access policy asks for the same people on every request)."""

    def __init__(self, wh: Any) -> None:
        self._wh = wh
        self._answers: dict[tuple, Any] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._wh, name)
        if not name.startswith("query_") or not callable(target):
            return target

        def cached(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            try:
                hash(key)
            except TypeError:
                return target(*args, **kwargs)
            if key not in self._answers:
                self._answers[key] = target(*args, **kwargs)
            answer = self._answers[key]
            # Arrow tables are immutable; lists and dicts are copied, as callers may change what they get.
            return answer if hasattr(answer, "num_rows") else copy.deepcopy(answer)

        return cached

    def close(self) -> None:
        self._wh.close()


@dataclass
class SnapshotView:
    """The open snapshot: its warehouse, when it was published, and what was computed from it."""

    wh: Any
    path: Path
    published_at: dt.datetime
    cache: dict[str, Any] = field(default_factory=dict)


class Reader:
    """The current snapshot (``read()``) and the feedback file (``feedback()``) of one config."""

    def __init__(self, config: LadderConfig, clock: Callable[[], dt.datetime]) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.RLock()
        self._feedback_lock = threading.Lock()
        self._view: SnapshotView | None = None
        self._feedback: Any = None
        self._feedback_cm: Any = None

    def _open(self, path: Path) -> SnapshotView:
        """``path`` opened read-only, with what every report of it shares computed (the period's calibration:
        seconds on a big company, once per snapshot)."""
        from flows import stages
        from warehouse import open_warehouse

        published = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        view = SnapshotView(CachedReads(open_warehouse(path, read_only=True)), path, published)
        try:
            from flows.rubrics import Rubrics

            rubrics = Rubrics(self.config)
            period = stages.report_period(self.config, published.date())
            view.cache.update(
                rubrics=rubrics,
                period=period,
                history_start=view.wh.query_activity_span()[0],
                # every rubric's calibration for the period, keyed by rubric id (reports.rubrics)
                calibration={r.id: stages.period_calibration(view.wh, r, *period) for r in rubrics.all()},
                # everyone's monthly counts for the sparklines: one scan instead of one per report
                monthly=view.wh.query_monthly_activity(*period),
                coverage=stages.coverage_inputs(self.config),
            )
        except BaseException:
            view.wh.close()
            raise
        return view

    def _current(self) -> Path:
        path = current_snapshot(self.config)
        if path is None:
            raise NoSnapshot(
                f"no snapshot in {self.config.snapshots_dir} yet: run the nightly (`ladder sync`) once; "
                "it publishes one at the end of every run"
            )
        return path

    @contextmanager
    def read(self) -> Iterator[SnapshotView]:
        """The current snapshot, opened read-only (a newer one is switched to on the next read)."""
        with self._lock:
            path = self._current()
            if self._view is None or self._view.path != path:
                self._swap(self._open(path))
            assert self._view is not None
            yield self._view

    def _swap(self, view: SnapshotView) -> None:
        if self._view is not None:
            self._view.wh.close()
        self._view = view

    def warm(self) -> bool:
        """Open a newly published snapshot before anyone asks (outside the lock, so pages of the previous one
        are served meanwhile), then switch to it; True when it switched."""
        try:
            path = self._current()
        except NoSnapshot:
            return False
        with self._lock:
            if self._view is not None and self._view.path == path:
                return False
        view = self._open(path)
        with self._lock:
            if self._view is not None and self._view.path == path:  # a request opened it meanwhile
                view.wh.close()
                return False
            self._swap(view)
        return True

    @contextmanager
    def feedback(self) -> Iterator[Any]:
        """The feedback file (created and migrated on first use).  One connection is kept: SQLite in WAL
        mode lets the nightly and ``ladder train`` read it meanwhile (``warehouse.feedback``)."""
        from warehouse.feedback import open_feedback

        with self._feedback_lock:
            if self._feedback is None:
                self._feedback_cm = open_feedback(self.config.feedback_path, clock=self.clock)
                self._feedback = self._feedback_cm.__enter__()
            yield self._feedback

    def close(self) -> None:
        with self._lock:
            if self._view is not None:
                self._view.wh.close()
                self._view = None
        with self._feedback_lock:
            if self._feedback_cm is not None:
                self._feedback_cm.__exit__(None, None, None)
                self._feedback_cm = self._feedback = None
