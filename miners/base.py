"""What every miner yields: batches of records for one partition, with the cursor to store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from miners.records import Record


class MinerError(Exception):
    """A source failed in a way the user must act on; the message says what to do."""


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
