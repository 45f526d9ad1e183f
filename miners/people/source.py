"""The roster as a ``miners.source.Source``: people, teams, dated enrollments and ownership, whole every run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from miners.base import Batch
from miners.people.model import Roster
from miners.people.roster import roster_records
from miners.records import EnrollmentRecord, OwnershipRecord, PersonRecord, TeamRecord
from miners.source import SourceInfo, SyncRequest

INFO = SourceInfo(
    name="roster",
    partitions=("roster",),
    cursor=None,
    record_types=(PersonRecord, TeamRecord, EnrollmentRecord, OwnershipRecord),
    staging_views=("stg_roster_people", "stg_roster_teams", "stg_roster_enrollments", "stg_roster_ownership"),
    account_system=None,
)


@dataclass(frozen=True)
class RosterSource:
    """A validated roster (``miners.people.roster.read_roster``)."""

    roster: Roster

    @property
    def info(self) -> SourceInfo:
        return INFO

    def mine(self, request: SyncRequest) -> Iterator[Batch]:
        # The roster is whole every time: people, teams and history it no longer lists leave the warehouse.
        records = tuple(roster_records(self.roster, fetched_at=request.now()))
        yield Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True)
