"""The GraphQL GitHub miner: review-request history, commits and co-authors, budget, rate limits and faults.

Real PyGithub against the sandbox over loopback; the only thing patched is
time: the rate-limit policy's clock and sleep are the sandbox's virtual clock.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from github import Auth, Github

from miners.github.graphql import ALL_DOCUMENTS
from miners.github.miner import mine_github
from miners.github.ratelimit import RateLimitPolicy
from miners.records import (
    CoAuthorRecord,
    IssueCommentRecord,
    PullRequestCommitRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    ReviewCommentRecord,
    ReviewRecord,
    ReviewRequestRecord,
)
from sandbox.faults import FaultProfile
from sandbox.github.graphql_schema import check_document
from sandbox.github.http import side
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.support.github import FETCHED, expected_history, expected_records
from tests.support.worlds import history_world, t

HISTORY = (ReviewRequestRecord, PullRequestCommitRecord, CoAuthorRecord)
ALL = (PullRequestRecord, PullRequestFileRecord, ReviewRecord, ReviewCommentRecord, IssueCommentRecord, *HISTORY)


def client(server: SandboxServer, token: str) -> Github:
    return Github(
        base_url=server.github_url,
        auth=Auth.Token(token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )  # GraphQL reads are POSTs: no write pacing


def virtual_policy(server: SandboxServer, **kwargs) -> RateLimitPolicy:
    """A policy whose clock is the sandbox clock and whose sleep moves it (tests never sleep)."""

    def sleep(seconds: float) -> None:
        server.state.now = server.state.now + dt.timedelta(seconds=seconds)

    return RateLimitPolicy(clock=lambda: server.state.now.timestamp(), sleep=sleep, **kwargs)


def mine(server: SandboxServer, world: World, cursors=None, **kwargs) -> list:
    return list(
        mine_github(
            client(server, world.tokens.service),
            [world.org],
            cursors or {},
            now=lambda: FETCHED,
            include_archived=True,
            **kwargs,
        )
    )


def of(batches, types=ALL) -> list:
    return [r for b in batches for r in b.records if isinstance(r, types)]


def test_every_document_the_miner_sends_validates_against_githubs_schema():
    for name, document in ALL_DOCUMENTS.items():
        _, errors = check_document(document)
        assert errors == [], name


def test_review_requests_commits_and_co_authors_equal_the_world():
    world = history_world()
    with SandboxServer(world) as server:
        batches = mine(server, world)
    got = of(batches, HISTORY)
    assert len(got) == len(set(got))
    assert set(got) == expected_history(world)
    by_id = {r.source_id: r for r in got}
    ana = by_id[f"acme/trainer#1:ana@{t(2, 9).isoformat()}"]
    assert (ana.answered_at, ana.answered_review_id, ana.removed_at) == (t(2, 14), 5001, None)
    dana = by_id[f"acme/trainer#1:dana@{t(2, 9).isoformat()}"]
    assert (dana.removed_at, dana.answered_at) == (t(2, 12), None)
    co = sorted(r.email for r in got if isinstance(r, CoAuthorRecord))
    assert co == ["ana@acme.test", "ext@example.org"]  # the repeated trailer counts once
    pr1 = next(r for r in of(batches) if r.source_id == "acme/trainer#1")
    assert pr1.requested_reviewers == ("cyd",)  # pending: GitHub forgot ana (answered) and dana (removed)


@pytest.mark.slow
def test_all_records_equal_a_generated_world_exhaustively():
    from sandbox.generate import generate_world

    world = generate_world(engineers=10, months=1, seed=3)
    with SandboxServer(world) as server:
        batches = mine(server, world)
        stats = server.state.stats()["github"]
    html = f"https://github.{world.org}.test"
    expected = expected_records(world, html=html) | expected_history(world, html=html)
    got = of(batches)
    assert len(got) == len(set(got)) and set(got) == expected
    # the budget: exactly what GitHub's formula charges for these pages, nothing per PR
    visible = [p for p in world.pull_requests if p.created_at <= world.now]
    per_repo: dict[str, list] = {}
    for p in visible:
        per_repo.setdefault(p.repo, []).append(p)
    pages = sum(math.ceil(len(prs) / 49) for prs in per_repo.values())
    assert stats["graphql_points"] == math.ceil(len(world.repos) / 100) + pages
    comments = {
        r: sum(len([c for c in p.review_comments if c.created_at <= world.now]) for p in prs)
        for r, prs in per_repo.items()
    }
    ownership = 1 + 2 * len(world.teams)  # the org's teams: list, then each one's repos and members (CODEOWNERS:
    # in the org listing, no request)
    assert stats["rest_counted"] == sum(max(1, math.ceil(n / 100)) for n in comments.values()) + ownership


def test_a_primary_budget_smaller_than_the_sync_waits_for_the_reset_and_never_overspends():
    world = history_world()
    with SandboxServer(world) as reference:
        expected = set(of(mine(reference, world)))
    with SandboxServer(history_world()) as server:
        side(server.state).graphql_limit = 2  # the sync needs 3 points
        side(server.state).rate_limit = 1  # and 2 REST requests
        policy = virtual_policy(server, reserve=0)
        got = set(of(mine(server, world, policy=policy)))
        stats = server.state.stats()["github"]
    assert got == expected
    assert policy.waited_seconds > 0 and server.state.now > world.now
    assert not any(key.endswith(".403") for key in stats["by_endpoint"])  # nothing sent on an empty budget


def test_a_reserve_is_kept_for_the_tokens_owner():
    world = history_world()
    with SandboxServer(world) as server:
        side(server.state).graphql_limit = 4
        policy = virtual_policy(server, reserve=2)
        mine(server, world, policy=policy)
        used = max(side(server.state).graphql_used.values())
    assert used <= 4 - 2 + 1  # the last query may spend one point into the reserve, never more
    assert policy.waited_seconds > 0


def test_faults_5xx_secondary_limits_and_resets_end_with_the_same_records():
    world = history_world()
    with SandboxServer(world) as reference:
        expected = set(of(mine(reference, world)))
    profile = FaultProfile.model_validate(
        {
            "seed": 3,
            "rules": [
                {"kind": "error", "rate": 0.2, "burst": 2},
                {"kind": "secondary_limit", "rate": 0.15, "retry_after_seconds": 30},
                {"kind": "reset", "rate": 0.1},
                {"kind": "truncate", "rate": 0.1},
            ],
        }
    )
    with SandboxServer(history_world(), faults=profile) as server:
        policy = virtual_policy(server)
        got = set(of(mine(server, world, policy=policy)))
        injected = server.state.stats().get("faults", {}).get("injected", {})
    assert got == expected
    assert policy.retries >= 2 and sum(injected.values()) >= 2  # faults really happened and were survived


def test_a_token_without_access_fails_clearly_without_leaking_it():
    world = history_world()
    with SandboxServer(world) as server:
        with pytest.raises(Exception) as err:
            list(mine_github(client(server, "tok-nope"), ["acme"], {}))
    assert "401" in str(err.value) and "token" in str(err.value) and "tok-nope" not in str(err.value)
