"""GitHub as a ``miners.source.Source``: the configured orgs, mined by ``miners.github.miner``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from miners.base import Batch
from miners.github import miner
from miners.github.client import GitHubReader
from miners.github.graphql import GraphQLReader
from miners.github.info import INFO
from miners.github.parse import partition_for
from miners.github.pool import CredentialPool, with_costs
from miners.github.ratelimit import RateLimitPolicy
from miners.records import PullRequestRecord
from miners.source import Plan, SnapshotKeys, SourceInfo, Stored, SyncRequest, Work


@dataclass(frozen=True)
class GitHubSource:
    """The orgs' repositories (globs on ``org/repo``), read with the credentials of ``pool`` (one token, an App
    installation, or several of either: ``miners.github.pool``)."""

    pool: CredentialPool
    orgs: Sequence[str]
    include: Sequence[str] = ("*",)
    exclude: Sequence[str] = ()
    include_archived: bool = False
    overlap: dt.timedelta = dt.timedelta(hours=1)

    @property
    def info(self) -> SourceInfo:
        return INFO

    def mine(self, request: SyncRequest) -> Iterator[Batch]:
        stored = request.stored
        return miner.mine_github(
            self.pool,
            self.orgs,
            request.cursors,
            include=self.include,
            exclude=self.exclude,
            include_archived=self.include_archived,
            overlap=self.overlap,
            now=request.now,
            full=request.full,
            since=request.since,
            progress=request.progress,
            # a repository with fewer PRs stored than GitHub lists is read again in full
            stored_pulls=_stored_pulls(stored),
            http_cache=_cache(stored),
        )

    # --- partitioned: the flow maps one task over the repositories (``miners.source.PartitionedSource``) ---

    def plan(self, request: SyncRequest) -> Plan:
        """List every org (its partition's batch: repos, teams, CODEOWNERS) and the repositories to mine; a
        repository whose listing shows nothing new since its cursor is settled here (``miner.needs_mining``)."""
        stored = request.stored
        with self.pool.lease(INFO.name, RateLimitPolicy()) as lease:
            plan = self._plan(request, *miner.readers(lease.client(), lease.policy, _cache(stored), lease))
            batches = tuple(with_costs(plan.batches, lease, f"{INFO.name}:{self.orgs[0]}"))
            return Plan(batches, plan.work)

    def _plan(self, request: SyncRequest, rest: GitHubReader, gql: GraphQLReader) -> Plan:
        batches: list[Batch] = []
        work: list[Work] = []
        settled: list[Batch] = []  # first: the lease's costs go on the last batch, an org listing's
        stopped = None
        stored_pulls = _stored_pulls(request.stored)
        for org in self.orgs:
            if stopped is not None:
                batches.append(Batch.failed(INFO.name, f"github:{org}", f"not synced: {stopped}"))
                continue
            batch, live, stopped = miner.list_org(
                rest,
                gql,
                org,
                request.cursors,
                include=self.include,
                exclude=self.exclude,
                include_archived=self.include_archived,
                now=request.now,
                full=request.full,
                since=request.since,
            )
            batches.append(batch)
            for repo in live:
                if stopped is not None:
                    batches.append(
                        Batch.failed(INFO.name, partition_for(repo["nameWithOwner"]), f"not synced: {stopped}")
                    )
                elif not miner.needs_mining(
                    repo, request.cursors, full=request.full, since=request.since, stored_pulls=stored_pulls
                ):  # its task would only restate the cursor: settled here, no task and no request
                    settled.extend(self._mine_listed(request, rest, gql, repo))
                else:
                    partition = partition_for(repo["nameWithOwner"])
                    keys = SnapshotKeys(
                        counts=((PullRequestRecord, partition),),
                        http_cache_containing=f"/repos/{repo['nameWithOwner']}/",
                    )
                    work.append(Work(partition, dict(repo), keys))
        return Plan(tuple(settled + batches), tuple(work))

    def mine_work(self, request: SyncRequest, work: Work) -> Iterator[Batch]:
        """One repository of ``plan``'s listing, with a client and rate-limit policy of its own, leasing the
        pool's credential with the most budget left (``work.credential``, the flow's choice, if it has some)."""
        stored = request.stored
        policy = RateLimitPolicy()
        with self.pool.lease(work.partition, policy, prefer=work.credential) as lease:
            rest, gql = miner.readers(lease.client(), policy, _cache(stored), lease)
            batches = self._mine_listed(request, rest, gql, work.item, policy)
            yield from with_costs(batches, lease, work.partition)

    def _mine_listed(
        self,
        request: SyncRequest,
        rest: GitHubReader,
        gql: GraphQLReader,
        repo: Mapping[str, Any],
        policy: RateLimitPolicy | None = None,
    ) -> Iterator[Batch]:
        """``miner.mine_listed_repo`` of one listed repository, as this request asks."""
        return miner.mine_listed_repo(
            rest,
            gql,
            repo,
            request.cursors,
            overlap=self.overlap,
            now=request.now,
            full=request.full,
            since=request.since,
            policy=policy,
            progress=request.progress,
            stored_pulls=_stored_pulls(request.stored),
        )


def _stored_pulls(stored: Stored | None) -> Callable[[str], int] | None:
    """A repository's stored PR count (``nameWithOwner`` -> rows), for reconciling it with the listing."""
    if stored is None:
        return None
    return lambda repo: stored.count_stored(PullRequestRecord, partition_for(repo))


def _cache(stored: Stored | None) -> Mapping[str, tuple[str, str]] | None:
    return stored.read_http_cache() if stored is not None else None
