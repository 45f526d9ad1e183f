"""The GitHub miner over several orgs in one sync, CODEOWNERS from the org listing and GitHub's numeric user ids."""

from __future__ import annotations

import datetime as dt

import pytest
from github import Auth, Github

from miners.github.miner import mine_github
from miners.records import (
    AccountRecord,
    CodeOwnersRecord,
    GitHubTeamRecord,
    IssueCommentRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    RepoRecord,
    ReviewRecord,
)
from sandbox.server import SandboxServer
from tests.support.worlds import ANA_ID, BOT_ID, t, two_org_world

FETCHED = dt.datetime(2026, 10, 25, 3, 0, tzinfo=dt.timezone.utc)


def client(server: SandboxServer) -> Github:
    return Github(
        base_url=server.github_url,
        auth=Auth.Token("tok-service"),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )


@pytest.fixture(scope="module")
def synced():
    with SandboxServer(two_org_world()) as server:
        both = list(mine_github(client(server), ["acme", "other"], {}, now=lambda: FETCHED))
        stats = server.state.stats()["github"]
        acme_alone = list(mine_github(client(server), ["acme"], {}, now=lambda: FETCHED))
        yield server, both, stats, acme_alone


def facts(record) -> tuple:
    """What a test checks of a record: its kind, partition, id and the fields that carry meaning."""
    kind = type(record).__name__
    extra: tuple = ()
    if isinstance(record, RepoRecord):
        extra = (record.org, record.name, record.archived)
    elif isinstance(record, CodeOwnersRecord):
        extra = (record.repo, record.path, record.text)
    elif isinstance(record, PullRequestRecord):
        extra = (record.author_login, record.state, record.created_at, record.merged_at, record.additions)
    elif isinstance(record, PullRequestFileRecord):
        extra = (record.path, record.additions, record.deletions)
    elif isinstance(record, ReviewRecord):
        extra = (record.number, record.author_login, record.state, record.submitted_at)
    elif isinstance(record, IssueCommentRecord):
        extra = (record.number, record.author_login, record.created_at)
    elif isinstance(record, AccountRecord):
        extra = (record.identity, record.github_id, record.account_type)
    return (kind, record.partition, record.source_id, *extra)


def test_two_orgs_in_one_sync_give_exactly_each_orgs_records(synced):
    _, both, _, acme_alone = synced
    other = {facts(r) for b in both for r in b.records if b.partition.startswith("github:other")}
    cyd_id, eli_id = (
        next(r.github_id for b in both for r in b.records if isinstance(r, AccountRecord) and r.identity == login)
        for login in ("cyd", "eli")
    )
    assert other == {
        ("RepoRecord", "github:other", "other/docs", "other", "docs", False),
        ("RepoRecord", "github:other", "other/infra", "other", "infra", False),
        ("CodeOwnersRecord", "github:other", "other/docs", "other/docs", ".github/CODEOWNERS", "* @eli\n"),
        ("CodeOwnersRecord", "github:other", "other/infra", "other/infra", ".github/CODEOWNERS", "* @other/infra\n"),
        ("PullRequestRecord", "github:other/infra", "other/infra#1", "eli", "closed", t(10), t(11), 3),
        ("PullRequestFileRecord", "github:other/infra", "other/infra#1:main.tf", "main.tf", 3, 1),
        ("ReviewRecord", "github:other/infra", "6001", 1, "cyd", "APPROVED", t(10, 12)),
        ("IssueCommentRecord", "github:other/infra", "9101", 1, "ana", t(10, 13)),
    }
    # the accounts other/infra's page shows commit in the accounts partition, in the batch just after the page
    page = next(i for i, b in enumerate(both) if b.partition == "github:other/infra" and b.records)
    other_accounts = both[page + 1]
    assert {facts(r) for r in other_accounts.records} == {
        ("AccountRecord", "github:accounts", "github:ana", "ana", ANA_ID, "User"),
        ("AccountRecord", "github:accounts", "github:cyd", "cyd", cyd_id, "User"),
        ("AccountRecord", "github:accounts", "github:eli", "eli", eli_id, "User"),
    }
    assert (other_accounts.partition, other_accounts.cursor) == ("github:accounts", None)
    # the acme half is exactly what a sync of acme alone gives (that one is checked exhaustively elsewhere)
    acme = sorted(
        facts(r)
        for b in both
        if b is not other_accounts and not b.partition.startswith("github:other")
        for r in b.records
    )
    assert acme == sorted(facts(r) for b in acme_alone for r in b.records)
    assert {r.org for b in both for r in b.records if isinstance(r, GitHubTeamRecord)} == {"acme"}
    cursors = {b.partition: b.cursor for b in both if b.cursor is not None}
    assert cursors["github:other/infra"] == t(11).isoformat()


def test_an_account_seen_in_two_orgs_is_one_unchanging_row(synced):
    """ana comments in acme and in other: both orgs' syncs emit her row with the same content (no rewrite)."""
    _, both, _, _ = synced
    ana = [r for b in both for r in b.records if isinstance(r, AccountRecord) and r.source_id == "github:ana"]
    seen_in = {both[i - 1].partition.split("/")[0] for i, b in enumerate(both) if any(r in ana for r in b.records)}
    assert seen_in == {"github:acme", "github:other"}
    assert len({r.content_hash() for r in ana}) == 1 and {r.partition for r in ana} == {"github:accounts"}


def test_two_orgs_cost_one_listing_each_and_one_page_per_repo_with_pulls(synced):
    _, _, stats, _ = synced
    # GraphQL: 2 org listings (CODEOWNERS inside) + trainer, search-api and infra one page each; REST: review
    # comments of those 3 repos, acme's teams (1 + 2 x 2) and other's team list (empty): no contents reads
    assert (stats["graphql_requests"], stats["graphql_points"]) == (5, 5)
    assert stats["by_endpoint"] == {
        "/graphql.200": 5,
        "/orgs/{org}/teams.200": 2,
        "/orgs/{org}/teams/{team_slug}/members.200": 2,
        "/orgs/{org}/teams/{team_slug}/repos.200": 2,
        "/repos/{owner}/{repo}/pulls/comments.200": 3,
    }


def test_accounts_carry_the_worlds_github_id_for_people_and_bots(synced):
    _, both, _, _ = synced
    ids = {r.identity: r.github_id for b in both for r in b.records if isinstance(r, AccountRecord)}
    assert ids["ana"] == ANA_ID and ids["dependabot[bot]"] == BOT_ID


def test_a_repo_without_pulls_has_its_codeowners_read_and_a_quiet_night_costs_one_point_per_org(synced):
    server, both, _, _ = synced
    cursors = {b.partition: b.cursor for b in both if b.cursor is not None}
    assert "github:other/docs" not in cursors  # no PRs: no cursor, yet its CODEOWNERS were read
    with server.state.lock:
        server.state.counts.clear()
    again = list(mine_github(client(server), ["acme", "other"], cursors, now=lambda: FETCHED))
    owners = {r.repo: r.content_hash() for b in again for r in b.records if isinstance(r, CodeOwnersRecord)}
    assert owners == {r.repo: r.content_hash() for b in both for r in b.records if isinstance(r, CodeOwnersRecord)}
    assert "other/docs" in owners
    stats = server.state.stats()["github"]
    assert (stats["graphql_points"], stats["rest_counted"]) == (2, 0)
