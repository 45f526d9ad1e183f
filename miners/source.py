"""What a source is: one system the nightly flow mines (GitHub, Jira, the roster; a new one is one more).

A source says, in its ``SourceInfo``, what it mines (record types), how it
splits the work (partitions), what a partition's cursor holds, which staging
views of the warehouse read its raw tables and which identity system its
``AccountRecord``s belong to; ``mine(request)`` yields its ``Batch``es.  The
flow (``flows.sources``, ``flows.stages.sync_source``) builds each configured
source with its client, hands it the stored cursors and commits every batch
with its cursor; it knows no source by name beyond that registry.

Each source lives in its own sub-package (``miners.github.source``,
``miners.jira.source``, ``miners.people.source``) and never touches DuckDB or
Prefect: what it may ask of the warehouse while it mines is ``Stored``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from miners.base import Batch
from miners.records import Record

Progress = Callable[[str, int, "int | None"], None]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class SourceInfo:
    """What a source mines and how its work is split; static, known without a client or a config."""

    name: str  # Batch.source, the cursor namespace (``sync_cursors.source``) and the flow's task ``sync-<name>``
    partitions: tuple[str, ...]  # the partition keys it writes, as patterns: ``github:{org}/{repo}``
    cursor: str | None  # what a partition's cursor holds; None: no cursor, every run reads it whole
    record_types: tuple[type[Record], ...]  # every record type its batches hold
    staging_views: tuple[str, ...]  # the ``warehouse/sql/staging`` views over its raw tables
    account_system: str | None  # ``AccountRecord.system`` of the accounts it yields for identity; None: none
    progress_unit: str | None = None  # what a terminal progress bar counts per partition ("PRs"); None: no bar


class Stored(Protocol):
    """What a source may read back from the warehouse while it mines (read-only)."""

    def read_updated(self, record_type: type[Record], source_ids: Sequence[str]) -> dict[str, dt.datetime]:
        """``{source_id: stored updated_at (UTC)}`` for those of ``source_ids`` already stored."""
        ...

    def count_stored(self, record_type: type[Record], partition: str) -> int:
        """How many ``record_type`` records of ``partition`` are stored (a reconciliation against the source)."""
        ...

    def read_quarantined_items(self, source: str) -> list[str]:
        """The items of ``source`` in quarantine (records that could not be parsed), oldest first."""
        ...

    def read_http_cache(self) -> Mapping[str, tuple[str, str]]:
        """``{request key: (etag, body)}``: answers kept for conditional requests (``Batch.cache``)."""
        ...


@dataclass(frozen=True)
class SyncRequest:
    """One sync of one source: its stored cursors and the run's options."""

    cursors: Mapping[str, str]  # {partition: cursor} stored for this source
    since: dt.datetime | None = None  # backfill: re-read everything changed at or after this
    full: bool = False  # ignore the cursors, read everything
    now: Callable[[], dt.datetime] = utcnow  # the clock stamped on fetched_at
    progress: Progress | None = None  # ``progress(partition, done, total_or_None)``
    stored: Stored | None = None  # the warehouse's view, when the source asks it anything


class Source(Protocol):
    """A system the nightly flow mines; see the module docstring."""

    @property
    def info(self) -> SourceInfo: ...

    def mine(self, request: SyncRequest) -> Iterator[Batch]:
        """Yield batches; each commits with its cursor, in order (a crash loses and duplicates nothing)."""
        ...
