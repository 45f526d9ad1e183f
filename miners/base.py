"""What every miner yields: batches of records for one partition, with the cursor to store.

Errors a miner raises, by how much of the sync they stop:

- ``MinerError``: the user must act (a bad token, an unknown org); the source stops.
- ``PartitionError``: one partition (a repository, a Jira project) could not be read this run
  (retries used up on 5xx, malformed pages, …).  The miner records it as failed (a ``Batch`` with
  ``error`` set, no records, no cursor) and goes on with the other partitions.
- ``SourceStop``: nothing more can be read from the source this run (the budget resets later than
  the policy may wait, secondary limits that do not lift, the server unreachable, a URL off the
  configured host): every partition not yet done is recorded as failed with this reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from miners.records import Record


class MinerError(Exception):
    """A source failed in a way the user must act on; the message says what to do."""


class PartitionError(MinerError):
    """One partition could not be read this run; the others still sync (see the module docstring).

    ``raw`` is the answer that could not be used (a malformed page), kept for quarantine.
    """

    def __init__(self, message: str, *, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class SourceStop(MinerError):
    """Nothing more can be read from this source in this run; partitions not done are recorded as failed."""


@dataclass(frozen=True)
class Quarantined:
    """An item that could not be parsed: stored raw with the error, and the partition goes on.

    ``item`` names it (``acme/api#12``, ``ML-7``, ``page 3 of acme/api``); ``raw`` is the payload as
    JSON text (surrogates escaped), cut to a bounded size.
    """

    item: str
    error: str
    raw: str
    # record: an item named by the source_id it would have; anonymous: an item without a name (a null node);
    # answer: a whole unusable answer (behind a failed partition)
    kind: str = "record"


@dataclass(frozen=True)
class CachedAnswer:
    """A REST answer worth keeping across nights: sent again with ``If-None-Match: etag``, a 304 (free on
    GitHub) means ``body`` (JSON text) is still the answer.  ``key`` is the request's path and query."""

    key: str
    etag: str
    body: str


@dataclass(frozen=True)
class Batch:
    """Records of one partition that must commit together with ``cursor``.

    The warehouse writes ``records`` and then stores ``cursor`` for
    ``(source, partition)`` in the same transaction.  ``cursor=None`` means
    "do not move the cursor" (e.g. a page of a partition that is not finished
    yet when fetching newest-first).
    """

    source: str  # github | jira | roster
    partition: str
    records: tuple[Record, ...]
    cursor: str | None
    stats: dict[str, Any] = field(default_factory=dict)  # items, pages, requests ... for the summary line
    # True: ``records`` are the partition's complete contents (a roster file); stored rows of the
    # partition that are not among them are deleted in the same transaction.
    is_complete: bool = False
    # True: the partition was read completely this run (its last batch); recorded as synced.
    done: bool = False
    # Set: the partition failed this run (records and cursor empty); recorded with this message.
    error: str | None = None
    # Items that failed to parse: stored raw with their error, in the same transaction.
    quarantined: tuple[Quarantined, ...] = ()
    # Conditional-request cache entries to store (or refresh) with the batch.
    cache: tuple[CachedAnswer, ...] = ()

    @classmethod
    def failed(cls, source: str, partition: str, error: str, quarantined: tuple[Quarantined, ...] = ()) -> Batch:
        """The batch recording that ``partition`` failed this run (nothing written, the cursor stays)."""
        return cls(source=source, partition=partition, records=(), cursor=None, error=error, quarantined=quarantined)

    @classmethod
    def stopped(cls, source: str, partition: str, error: str) -> Batch:
        """``failed``, because the whole source stopped (``SourceStop``: unreachable, its budget or limits will
        not lift in time): ``stats["source_stop"]`` tells the flow to ask it nothing more and retry later."""
        return cls(source=source, partition=partition, records=(), cursor=None, error=error, stats={"source_stop": 1})
