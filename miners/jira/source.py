"""Jira as a ``miners.source.Source``: the configured projects, mined by ``miners.jira.miner``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import jira

from miners.base import Batch
from miners.jira import miner
from miners.jira.info import INFO
from miners.records import JiraIssueRecord
from miners.source import Plan, SnapshotKeys, SourceInfo, SyncRequest, Work


@dataclass(frozen=True)
class JiraSource:
    """The projects' issues (and incidents), read through ``client`` (a ``jira.JIRA``)."""

    client: jira.JIRA
    projects: Sequence[str]
    incident_types: Sequence[str] = ("Incident",)
    incident_projects: Sequence[str] = ()
    overlap: dt.timedelta = dt.timedelta(minutes=5)
    field_ids: Mapping[str, str] = field(default_factory=dict)  # logical name -> customfield id

    @property
    def info(self) -> SourceInfo:
        return INFO

    def mine(self, request: SyncRequest) -> Iterator[Batch]:
        return self._mine(request, list(self.projects))

    # --- partitioned: the flow maps one task over the projects (``miners.source.PartitionedSource``) ---

    def plan(self, request: SyncRequest) -> Plan:
        """Nothing to commit first; one piece of work for every project together: Jira's one search across
        projects costs fewer requests than a search (and a session) per project (docs/mining-jira.md)."""
        partitions = tuple(f"jira:{p}" for p in self.projects)
        keys = SnapshotKeys(
            updated=tuple((JiraIssueRecord, p) for p in partitions),
            quarantined_prefixes=tuple(f"{p}-" for p in self.projects),
        )
        return Plan((), (Work("jira:projects", tuple(self.projects), keys, partitions),))

    def mine_work(self, request: SyncRequest, work: Work) -> Iterator[Batch]:
        """The work's projects, read as ``mine`` reads them."""
        return self._mine(request, list(work.item))

    def _mine(self, request: SyncRequest, projects: list[str]) -> Iterator[Batch]:
        stored = request.stored
        return miner.mine_jira(
            self.client,
            projects,
            request.cursors,
            incident_types=self.incident_types,
            incident_projects=self.incident_projects,
            overlap=self.overlap,
            now=request.now,
            full=request.full,
            field_ids=self.field_ids or None,
            since=request.since,
            known=(lambda keys: stored.read_updated(JiraIssueRecord, keys)) if stored is not None else None,
            accounts=True,
            # issues quarantined by earlier runs are read again first (their keys; not pages or answers)
            requeue=[k for k in stored.read_quarantined_items(INFO.name) if " " not in k] if stored is not None else (),
        )
