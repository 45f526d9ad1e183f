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
from dataclasses import dataclass, field
from typing import Any, Protocol

from miners.base import Batch
from miners.records import Record

Progress = Callable[[str, int, "int | None"], None]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class SnapshotKeys:
    """What to read into a ``StoredSnapshot`` for one piece of work."""

    counts: tuple[tuple[type[Record], str], ...] = ()  # (record type, partition) pairs to count
    counts_under: tuple[tuple[type[Record], str], ...] = ()  # (type, prefix): every partition's count under it
    updated: tuple[tuple[type[Record], str], ...] = ()  # (type, partition): every stored updated_at there
    quarantined_prefixes: tuple[str, ...] = ()  # quarantined items of the source starting with one of these
    http_cache_containing: str | None = None  # kept answers whose key (path and query) contains this


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
    plan_keys: SnapshotKeys = SnapshotKeys()  # what its ``plan`` asks of ``Stored`` (a partitioned source)


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


@dataclass(frozen=True)
class Work:
    """One partition to mine on its own (a repository, a project): picklable, a task runner may ship it away."""

    partition: str  # the partition it mines (``github:org/repo``), or a name for the ones it mines together
    item: Any  # what the source needs to mine it (the org listing's repository, the project keys)
    keys: SnapshotKeys = SnapshotKeys()  # what its mining will ask of ``Stored``, read before it is handed out
    partitions: tuple[str, ...] = ()  # the partitions it mines when more than ``partition`` (Jira's projects)
    credential: str | None = None  # the pooled credential the flow picked for it (its name, never the secret)

    @property
    def covers(self) -> tuple[str, ...]:
        """Every partition this work writes a cursor or an outcome for."""
        return self.partitions or (self.partition,)


@dataclass(frozen=True)
class Plan:
    """A sync split into partitions: ``batches`` to commit first (org listings, failures found while
    planning), then each of ``work`` mined by its own task, in any order."""

    batches: tuple[Batch, ...]
    work: tuple[Work, ...]


@dataclass(frozen=True)
class StoredSnapshot:
    """``Stored`` answered from values read before the work was handed out: what one partition's task may ask,
    without a connection to the warehouse (the task may run on another thread, process or machine)."""

    counts: Mapping[str, int] = field(default_factory=dict)  # {"TABLE partition": stored rows}
    updated: Mapping[str, dt.datetime] = field(default_factory=dict)  # {source_id: stored updated_at}
    quarantined: Sequence[str] = ()
    http_cache: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def read_updated(self, record_type: type[Record], source_ids: Sequence[str]) -> dict[str, dt.datetime]:
        return {i: self.updated[i] for i in source_ids if i in self.updated}

    def count_stored(self, record_type: type[Record], partition: str) -> int:
        return self.counts.get(f"{record_type.TABLE} {partition}", 0)

    def read_quarantined_items(self, source: str) -> list[str]:
        return list(self.quarantined)

    def read_http_cache(self) -> Mapping[str, tuple[str, str]]:
        return self.http_cache


class PartitionedSource(Source, Protocol):
    """A source whose partitions can be mined apart, in parallel (``flows.nightly`` maps one task over each)."""

    def plan(self, request: SyncRequest) -> Plan:
        """What to commit first and which partitions to mine (``request.stored``: a ``StoredSnapshot``)."""
        ...

    def mine_work(self, request: SyncRequest, work: Work) -> Iterator[Batch]:
        """The batches of one partition (its last one ``done``, or failed); ``request.stored``: a snapshot of
        what ``work.keys`` names."""
        ...
