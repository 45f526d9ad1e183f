"""The GitHub miner with real PyGithub against the sandbox over loopback: records, cursors, budget, errors."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from github import Auth, Github
from hypothesis import given
from hypothesis import strategies as st

from miners.base import MinerError
from miners.github.client import parse_link_header
from miners.github.miner import is_selected, mine_github
from miners.github.parse import parse_number, parse_time, parse_user
from miners.records import (
    IssueCommentRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    RepoRecord,
    ReviewCommentRecord,
    ReviewRecord,
)
from sandbox.server import SandboxServer
from sandbox.world import PullFile, PullRequest
from tests.support.github import FETCHED, expected_records
from tests.support.worlds import t, tiny_world

CONTENT = (PullRequestRecord, PullRequestFileRecord, ReviewRecord, ReviewCommentRecord, IssueCommentRecord)


@pytest.fixture
def server():
    with SandboxServer(tiny_world()) as srv:
        yield srv


def client(server: SandboxServer, token: str = "tok-service") -> Github:
    return Github(
        base_url=server.github_url,
        auth=Auth.Token(token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )  # GraphQL reads are POSTs: no write pacing


def mine(server: SandboxServer, cursors=None, **kwargs) -> list:
    return list(mine_github(client(server), ["acme"], cursors or {}, now=lambda: FETCHED, **kwargs))


def records(batches) -> list:
    return [r for b in batches for r in b.records]


def content(batches) -> list:
    return [r for r in records(batches) if isinstance(r, CONTENT)]


def cursors_of(batches) -> dict[str, str]:
    return {b.partition: b.cursor for b in batches if b.cursor is not None}


def requests_seen(server: SandboxServer) -> dict[str, int]:
    return server.state.stats()["github"].get("by_endpoint", {})


def reset_meter(server: SandboxServer) -> None:
    with server.state.lock:
        server.state.counts.clear()


def test_first_run_records_equal_the_world(server):
    batches = mine(server)
    got = content(batches)
    assert len(got) == len(set(got))  # nothing twice
    assert set(got) == expected_records(server.state.world)
    repos = [r for r in records(batches) if isinstance(r, RepoRecord)]
    assert {(r.full_name, r.archived, r.partition) for r in repos} == {
        ("acme/trainer", False, "github:acme"),
        ("acme/search-api", False, "github:acme"),
        ("acme/old-scripts", True, "github:acme"),
    }
    by_partition = {r.source_id: r.partition for r in got}
    assert by_partition["acme/trainer#1"] == "github:acme/trainer" and by_partition["5004"] == "github:acme/search-api"
    assert cursors_of(batches) == {
        "github:acme/trainer": "2026-10-04T11:00:00+00:00",  # PR 2, the newest
        "github:acme/search-api": "2026-10-20T10:00:00+00:00",
    }  # PR 8
    ghost_review = next(r for r in got if r.source_id == "5005")
    assert (ghost_review.author_login, ghost_review.author_type) == (None, None)
    bot_pr = next(r for r in got if r.source_id == "acme/trainer#2")
    assert (bot_pr.author_login, bot_pr.author_type) == ("dependabot[bot]", "Bot")
    assert "user" not in bot_pr.raw and bot_pr.raw["number"] == 2  # a small subset, not the payload


@pytest.mark.slow
def test_records_equal_a_generated_world():
    from sandbox.generate import generate_world

    world = generate_world(engineers=10, months=1, seed=3)
    with SandboxServer(world) as srv:
        batches = list(
            mine_github(client(srv, world.tokens.service), [world.org], {}, now=lambda: FETCHED, include_archived=True)
        )
    expected = expected_records(world, html=f"https://github.{world.org}.test")
    assert len(expected) > 300  # a real workload: many PRs, reviews, comments, files
    assert set(content(batches)) == expected


def graphql(server: SandboxServer) -> tuple[int, int]:
    gh = server.state.stats()["github"]
    return gh["graphql_requests"], gh["graphql_points"]


def test_first_run_costs_exactly_the_documented_requests(server):
    mine(server)
    # GraphQL: 1 org listing (with each repo's newest PR) + 1 page of PRs per repo that has PRs, 1 point each;
    # REST: the repo-level review comments of each of those repos.  Nothing per PR.  Ownership: the org's
    # teams (1 list + repos and members of each of the 2 teams); CODEOWNERS came with the org listing: no request.
    assert requests_seen(server) == {
        "/graphql.200": 3,
        "/repos/{owner}/{repo}/pulls/comments.200": 2,
        "/orgs/{org}/teams.200": 1,
        "/orgs/{org}/teams/{team_slug}/members.200": 2,
        "/orgs/{org}/teams/{team_slug}/repos.200": 2,
    }
    assert graphql(server) == (3, 3)


def test_nothing_changed_costs_one_point_for_the_whole_org_and_yields_nothing(server):
    first = cursors_of(mine(server))
    reset_meter(server)
    batches = mine(server, first)  # the default overlap too: the newest-PR check skips unchanged repos
    assert content(batches) == []
    assert cursors_of(batches) == first
    assert requests_seen(server) == {"/graphql.200": 1} and graphql(server) == (1, 1)
    assert server.state.stats()["github"]["rest_counted"] == 0


def test_a_changed_repo_rereads_its_overlap_and_nothing_else(server):
    first_batches = mine(server)
    first = {r.source_id: r.content_hash() for r in content(first_batches)}
    world = server.state.world
    pr2 = next(p for p in world.pull_requests if p.number == 2)
    pr2.labels.append("security")
    pr2.updated_at = t(24)
    reset_meter(server)
    batches = mine(server, cursors_of(first_batches))
    again = content(batches)
    # only trainer changed; its window starts an hour before its cursor (PR 2 at t(4, 11)): PR 2 alone
    assert sorted(r.source_id for r in again) == ["5003", "acme/trainer#2", "acme/trainer#2:requirements.txt"]
    pr = next(r for r in again if r.source_id == "acme/trainer#2")
    assert pr.labels == ("dependencies", "security") and first[pr.source_id] != pr.content_hash()
    review = next(r for r in again if r.source_id == "5003")
    assert first[review.source_id] == review.content_hash()  # re-read, unchanged: the warehouse writes nothing
    assert cursors_of(batches) == {**cursors_of(first_batches), "github:acme/trainer": t(24).isoformat()}
    # a repo changed: the org's teams again (5 requests); CODEOWNERS rides on the org listing
    assert requests_seen(server) == {
        "/graphql.200": 2,
        "/repos/{owner}/{repo}/pulls/comments.200": 1,
        "/orgs/{org}/teams.200": 1,
        "/orgs/{org}/teams/{team_slug}/members.200": 2,
        "/orgs/{org}/teams/{team_slug}/repos.200": 2,
    }


def test_moving_the_clock_brings_the_future_pull_on_the_next_run(server):
    first = cursors_of(mine(server))
    server.state.now = t(30, 12)
    reset_meter(server)
    batches = mine(server, first, overlap=dt.timedelta(0))
    assert sorted(r.source_id for r in content(batches)) == ["acme/search-api#9", "acme/search-api#9:search/client.py"]
    pr9 = next(r for r in content(batches) if r.source_id == "acme/search-api#9")
    assert (pr9.author_login, pr9.state, pr9.additions, pr9.deletions, pr9.created_at) == ("cyd", "open", 2, 1, t(30))
    assert cursors_of(batches) == {**first, "github:acme/search-api": "2026-10-30T10:00:00+00:00"}
    assert graphql(server) == (2, 2)  # the org check and search-api's page; trainer is not read


def test_new_comment_on_an_old_pull_is_found(server):
    first = cursors_of(mine(server))
    world = server.state.world
    from sandbox.world import IssueComment, ReviewComment

    pr7 = next(p for p in world.pull_requests if p.number == 7)
    pr7.issue_comments.append(
        IssueComment(id=9100, author="ana", body="Dashboard linked.", created_at=t(24), updated_at=t(24))
    )
    pr7.review_comments.append(
        ReviewComment(
            id=7100,
            author="eli",
            body="Typo here.",
            path="docs/runbooks/ranking.md",
            line=3,
            created_at=t(24, 11),
            updated_at=t(24, 11),
        )
    )
    pr7.updated_at = t(24, 11)  # as GitHub does: new comments update the PR
    batches = mine(server, first, overlap=dt.timedelta(0))
    got = {r.source_id: r for r in content(batches)}
    assert (got["9100"].author_login, got["9100"].number, type(got["9100"])) == ("ana", 7, IssueCommentRecord)
    assert (got["7100"].author_login, got["7100"].number, type(got["7100"])) == ("eli", 7, ReviewCommentRecord)
    assert "acme/trainer#1" not in got  # the other repo did not change
    assert cursors_of(batches)["github:acme/search-api"] == "2026-10-24T11:00:00+00:00"


def test_backfill_since_rereads_from_that_moment_and_keeps_the_cursor(server):
    first = cursors_of(mine(server))
    batches = mine(server, first, since=t(6))  # inclusive: PR 7 and comment 9002 were updated exactly then
    assert sorted(r.source_id for r in content(batches)) == sorted(
        [
            "acme/search-api#7",
            "acme/search-api#7:docs/runbooks/ranking.md",
            "5004",
            "5005",
            "9002",
            "acme/search-api#8",
            "acme/search-api#8:search/parser.py",
        ]
    )
    assert cursors_of(batches) == first


def test_incremental_listing_stops_paging_at_the_window(server):
    world = server.state.world
    for n in range(100, 210):  # 110 PRs, one hour apart: with PR 1 and 2, 112 PRs = 3 pages of 49
        world.pull_requests.append(
            PullRequest(
                id=50_000 + n,
                repo="acme/trainer",
                number=n,
                author="bo",
                title=f"Change {n}",
                created_at=t(10) + dt.timedelta(hours=n - 100),
                updated_at=t(10) + dt.timedelta(hours=n - 100),
                files=[PullFile(path=f"f{n}.py", additions=1)],
            )
        )
    first = mine(server, include=["acme/trainer"])
    assert graphql(server) == (1 + 3, 1 + 3)
    assert sum(isinstance(r, PullRequestRecord) for r in records(first)) == 112
    newest = t(10) + dt.timedelta(hours=109)
    assert cursors_of(first) == {"github:acme/trainer": newest.isoformat()}
    reset_meter(server)
    # a cursor three hours back: only the three newest PRs are in the window, found on the first page
    again = mine(
        server,
        {"github:acme/trainer": (newest - dt.timedelta(hours=3)).isoformat()},
        include=["acme/trainer"],
        overlap=dt.timedelta(0),
    )
    assert [r.number for r in records(again) if isinstance(r, PullRequestRecord)] == [209, 208, 207]
    assert graphql(server) == (2, 2)
    full = mine(server, cursors_of(first), include=["acme/trainer"], full=True)
    assert sum(isinstance(r, PullRequestRecord) for r in records(full)) == 112


def test_bad_token_raises_miner_error_that_says_what_to_do(server):
    with pytest.raises(MinerError) as err:
        list(mine_github(client(server, token="tok-wrong"), ["acme"], {}))
    message = str(err.value)
    assert "GitHub returned 401 for acme" in message and "token is invalid or expired" in message
    assert "tok-wrong" not in message


def test_unknown_org_raises_miner_error(server):
    with pytest.raises(MinerError, match="organization 'nope' was not found"):
        list(mine_github(client(server), ["nope"], {}))


def test_archived_repos_are_skipped_unless_asked_for(server):
    skipped = mine(server)
    assert "github:acme/old-scripts" not in {b.partition for b in skipped}
    reset_meter(server)
    included = mine(server, include_archived=True, include=["acme/old-*"])
    assert [b.partition for b in included] == ["github:acme", "github:acme/old-scripts"]
    assert content(included) == [] and included[-1].cursor is None  # no activity: no cursor yet
    assert requests_seen(server) == {"/graphql.200": 1}  # no PRs at all: the org listing says so


def test_include_and_exclude_globs(server):
    batches = mine(server, include=["acme/*"], exclude=["*/search-*"])
    assert {b.partition for b in batches} == {"github:acme", "github:acme/trainer", "github:accounts"}
    assert {r.full_name for r in records(batches) if isinstance(r, RepoRecord)} == {"acme/trainer", "acme/old-scripts"}


def test_a_repo_that_vanishes_is_skipped_and_the_others_sync(server, caplog):
    gen = mine_github(client(server), ["acme"], {}, now=lambda: FETCHED)
    repos_batch = next(gen)  # repos are listed; now search-api disappears before it is mined
    assert repos_batch.partition == "github:acme"
    server.state.world.repos = [r for r in server.state.world.repos if r.name != "search-api"]
    with caplog.at_level(logging.INFO, logger="miners.github.miner"):
        rest = list(gen)
    account_batches = [b for b in rest if b.partition == "github:accounts"]  # the accounts trainer's PRs show
    assert account_batches and all(type(r).__name__ == "AccountRecord" for b in account_batches for r in b.records)
    assert {b.partition for b in rest} - {"github:accounts"} == {"github:acme/trainer"}
    assert any("(404) for acme/search-api" in m and "skipped" in m for m in caplog.messages)
    summary = [m for m in caplog.messages if m.startswith("github:acme/trainer:")]
    assert len(summary) == 1 and "cursor 2026-10-04T11:00:00+00:00" in summary[0] and "points" in summary[0]
    assert not any("tok-service" in m for m in caplog.messages)


# --- pure parsers ---------------------------------------------------------------------


def test_parse_user_handles_ghost_null_and_bots():
    assert parse_user(None) == (None, None)
    assert parse_user({"login": "ghost", "type": "User"}) == (None, None)
    assert parse_user({"login": "renovate[bot]", "type": "User"}) == ("renovate[bot]", "Bot")
    assert parse_user({"login": "github-actions", "type": "Bot"}) == ("github-actions", "Bot")
    assert parse_user({"login": "ana", "type": "User"}) == ("ana", "User")


def test_parse_time_and_number():
    utc = dt.timezone.utc
    assert parse_time("2020-03-11T01:40:27Z") == dt.datetime(2020, 3, 11, 1, 40, 27, tzinfo=utc)
    assert parse_time("2020-03-11T09:40:27.123+08:00") == dt.datetime(2020, 3, 11, 1, 40, 27, 123000, tzinfo=utc)
    assert parse_time(None) is None
    assert parse_number("https://api.github.com/repos/o/r/pulls/1431") == 1431
    assert parse_number("https://github.com/o/r/pull/12#issuecomment-5") == 12
    assert parse_number("https://api.github.com/repos/o/r/issues/7") == 7
    assert parse_number(None) is None


def test_is_selected_globs():
    assert is_selected("acme/api", ["*"], [])
    assert not is_selected("acme/api", ["acme/*"], ["acme/a*"])
    assert is_selected("Acme/API", ["acme/api"], [])  # GitHub names are case-insensitive


_segment = st.text("abcxyz019_-", min_size=1, max_size=8)
_url = st.builds(
    lambda parts, page: f"http://127.0.0.1:8080/api/v3/{'/'.join(parts)}?per_page=100&page={page}",
    st.lists(_segment, min_size=1, max_size=4),
    st.integers(1, 10**6),
)


@given(st.dictionaries(st.sampled_from(["next", "last", "prev", "first"]), _url, max_size=4))
def test_parse_link_header_round_trips(links):
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    assert parse_link_header(header) == links
