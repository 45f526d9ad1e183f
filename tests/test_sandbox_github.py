"""The sandbox's GitHub REST side, read with the real PyGithub client (and plain HTTP) over loopback."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from github import Auth, BadCredentialsException, Github, GithubException, UnknownObjectException

from sandbox.github.rest import side
from sandbox.server import SandboxServer
from tests.worlds import t, tiny_world

HTML = "https://github.acme.test"


@pytest.fixture(scope="module")
def running():
    with SandboxServer(tiny_world()) as srv:
        yield srv


@pytest.fixture
def server(running):
    """The module's server with a fresh clock, meter and budget (these tests never edit the world)."""
    state = running.state
    state.now = state.world.now
    with state.lock:
        state.counts.clear()
    side(state).used.clear()
    side(state).rate_limit = 5000
    return running


def client(server: SandboxServer, token: str = "tok-service", **kwargs) -> Github:
    return Github(base_url=server.github_url, auth=Auth.Token(token), seconds_between_requests=0, retry=None, **kwargs)


def get(server: SandboxServer, path: str, token: str | None = "tok-service", **headers) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"token {token}"
    return requests.get(server.github_url + path, headers=headers, timeout=10)


def endpoint_counts(server: SandboxServer) -> dict[str, int]:
    return server.state.stats()["github"].get("by_endpoint", {})


def login_of(world, login):
    """What the API must show for a world author: ghost for deleted accounts."""
    if login is None or world.person(login).deleted:
        return "ghost"
    return login


def test_pulls_reviews_comments_files_read_back_the_world(server):
    world = server.state.world
    gh = client(server)
    for repo_name in ("acme/trainer", "acme/search-api"):
        repo = gh.get_repo(repo_name)
        expected = {pr.number: pr for pr in world.pull_requests if pr.repo == repo_name and pr.created_at <= world.now}
        pulls = {p.number: p for p in repo.get_pulls(state="all")}
        assert set(pulls) == set(expected)
        for number, pr in expected.items():
            got = pulls[number]
            assert (got.title, got.user.login, got.draft) == (pr.title, login_of(world, pr.author), pr.draft)
            assert (got.created_at, got.updated_at, got.merged_at, got.closed_at) == (
                pr.created_at,
                pr.updated_at,
                pr.merged_at,
                pr.closed_at,
            )
            assert got.state == ("closed" if pr.closed_at else "open")
            assert [label.name for label in got.labels] == pr.labels
            assert [u.login for u in got.requested_reviewers] == pr.requested_reviewers
            assert [(r.id, r.user.login, r.state, r.body, r.submitted_at) for r in got.get_reviews()] == [
                (r.id, login_of(world, r.author), r.state, r.body, r.submitted_at) for r in pr.reviews
            ]
            assert [(c.id, c.user.login, c.body, c.path, c.created_at) for c in got.get_review_comments()] == [
                (c.id, login_of(world, c.author), c.body, c.path, c.created_at) for c in pr.review_comments
            ]
            assert [(c.id, c.user.login, c.body, c.created_at, c.updated_at) for c in got.get_issue_comments()] == [
                (c.id, login_of(world, c.author), c.body, c.created_at, c.updated_at) for c in pr.issue_comments
            ]
            assert [(f.filename, f.additions, f.deletions, f.status) for f in got.get_files()] == [
                (f.path, f.additions, f.deletions, f.status) for f in pr.files
            ]
            assert got.html_url == f"{HTML}/{repo_name}/pull/{number}"


def test_single_pull_has_detail_fields_and_requested_reviewers(server):
    gh = client(server)
    pr = gh.get_repo("acme/search-api").get_pull(7)
    assert (pr.additions, pr.deletions, pr.changed_files, pr.merged) == (120, 0, 1, False)
    users, teams = pr.get_review_requests()
    assert [u.login for u in users] == ["eli"] and list(teams) == []


def test_bots_have_type_bot_and_deleted_users_show_as_ghost(server):
    gh = client(server)
    bot_pr = gh.get_repo("acme/trainer").get_pull(2)
    assert (bot_pr.user.login, bot_pr.user.type) == ("dependabot[bot]", "Bot")
    reviews = {r.id: r.user for r in gh.get_repo("acme/search-api").get_pull(7).get_reviews()}
    assert (reviews[5005].login, reviews[5005].id, reviews[5005].type) == ("ghost", 10137, "User")
    assert reviews[5004].type == "User"
    assert gh.get_user("ghost").login == "ghost"
    with pytest.raises(UnknownObjectException):
        gh.get_user("gone")  # a deleted account's own page is gone


def test_user_org_and_repos(server):
    gh = client(server, token="tok-ana")
    me = gh.get_user()
    assert (me.login, me.name, me.email) == ("ana", "Ana Lima", "ana@acme.test")
    assert client(server).get_user().login == "ladder-sync"
    org = gh.get_organization("acme")
    assert org.login == "acme"
    repos = {r.full_name: r for r in org.get_repos()}
    assert set(repos) == {"acme/trainer", "acme/search-api", "acme/old-scripts"}
    assert repos["acme/old-scripts"].archived and not repos["acme/trainer"].archived
    assert repos["acme/trainer"].default_branch == "main"


def test_future_pull_appears_when_the_clock_moves(server):
    gh = client(server)
    repo = gh.get_repo("acme/search-api")
    assert 9 not in [p.number for p in repo.get_pulls(state="all")]
    with pytest.raises(UnknownObjectException):
        repo.get_pull(9)
    server.state.now = t(30, 12)
    assert [p.number for p in repo.get_pulls(state="all", sort="created", direction="desc")] == [9, 8, 7]
    assert repo.get_pull(9).title == "Fix timeout in ranking client"


def test_state_as_of_an_earlier_clock(server):
    server.state.now = t(3, 13)  # PR 1 is reviewed but not merged yet; Dana's comment is still to come
    pr = client(server).get_repo("acme/trainer").get_pull(1)
    assert (pr.state, pr.merged_at, pr.closed_at, pr.merged) == ("open", None, None, False)
    assert pr.updated_at == t(3, 12)  # the latest visible moment: the approval
    assert [r.id for r in pr.get_reviews()] == [5001, 5002]
    assert list(pr.get_issue_comments()) == []
    open_numbers = [p.number for p in client(server).get_repo("acme/trainer").get_pulls(state="open")]
    assert open_numbers == [1]  # PR 2 is not created yet


def test_pull_list_filters_and_sorts(server):
    repo = client(server).get_repo("acme/search-api")
    assert [p.number for p in repo.get_pulls(state="open")] == [8, 7]
    assert [p.number for p in repo.get_pulls(state="closed")] == []
    trainer = client(server).get_repo("acme/trainer")
    assert [p.number for p in trainer.get_pulls(state="all", sort="updated", direction="asc")] == [1, 2]
    assert [p.number for p in trainer.get_pulls(state="closed", sort="updated", direction="desc")] == [2, 1]


def test_pagination_link_header_is_absolute_and_followed(server):
    response = get(server, "/repos/acme/search-api/issues/comments?per_page=1")
    assert response.status_code == 200 and len(response.json()) == 1
    assert "Link" not in response.headers  # one comment: one page
    response = get(server, "/repos/acme/trainer/pulls/comments?per_page=1")
    links = response.links
    assert links["next"]["url"] == f"{server.github_url}/repos/acme/trainer/pulls/comments?per_page=1&page=2"
    assert links["last"]["url"].endswith("page=2") and "prev" not in links
    second = get(server, links["next"]["url"][len(server.github_url) :])
    assert [c["id"] for c in second.json()] == [7002]
    assert set(second.links) == {"prev", "first"}
    paged = client(server, per_page=1).get_repo("acme/trainer")
    assert [p.number for p in paged.get_pulls(state="all")] == [2, 1]
    assert [c.id for c in paged.get_pulls_comments()] == [7001, 7002]


def test_repo_level_comments_since_sort_and_direction(server):
    repo = client(server).get_repo("acme/trainer")
    assert [c.id for c in repo.get_pulls_comments(since=t(2, 15))] == [7002]
    assert [c.id for c in repo.get_pulls_comments(sort="created", direction="desc")] == [7002, 7001]
    assert [c.id for c in repo.get_issues_comments(since=t(3, 16))] == [9001]  # since is inclusive
    assert list(repo.get_issues_comments(since=t(3, 17))) == []
    search = client(server).get_repo("acme/search-api")
    assert [c.updated_at for c in search.get_issues_comments()] == [t(6)]
    assert get(server, "/repos/acme/trainer/pulls/comments?since=yesterday").status_code == 422


def test_etag_answers_304_without_charging_the_budget(server):
    first = get(server, "/repos/acme/trainer/pulls?state=all")
    etag = first.headers["ETag"]
    assert first.headers["X-RateLimit-Used"] == "1"
    again = get(server, "/repos/acme/trainer/pulls?state=all", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-RateLimit-Used"] == "1"
    stats = server.state.stats()["github"]
    assert (stats["requests"], stats["counted"]) == (2, 1)
    assert endpoint_counts(server) == {"/repos/{owner}/{repo}/pulls.200": 1, "/repos/{owner}/{repo}/pulls.304": 1}
    server.state.now = t(30, 12)  # a new PR changes the list, so the old ETag no longer matches
    changed = get(server, "/repos/acme/search-api/pulls?state=all", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_bad_or_missing_token_is_401_and_not_charged(server):
    with pytest.raises(BadCredentialsException) as err:
        client(server, token="nope").get_repo("acme/trainer")
    assert err.value.status == 401 and err.value.data["message"] == "Bad credentials"
    bearer = requests.get(server.github_url + "/user", headers={"Authorization": "Bearer tok-bo"}, timeout=10)
    assert bearer.json()["login"] == "bo"
    missing = get(server, "/user", token=None)
    assert missing.status_code == 401 and missing.json()["message"] == "Requires authentication"
    stats = server.state.stats()["github"]
    assert stats["by_endpoint"]["/repos/{owner}/{repo}.401"] == 1 and stats["by_endpoint"]["/user.401"] == 1
    assert stats["counted"] == 1  # only the good Bearer request


def test_unknown_repo_pull_and_endpoint_are_404_json(server):
    gh = client(server)
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/nope")
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/trainer").get_pull(99)
    with pytest.raises(UnknownObjectException):
        gh.get_organization("other")
    response = get(server, "/repos/acme/trainer/hooks")
    assert response.status_code == 404 and response.json()["message"] == "Not Found"
    assert endpoint_counts(server)["unknown.404"] == 1


def test_rate_limit_headers_budget_and_exhaustion(server):
    side(server.state).rate_limit = 3
    gh = client(server)
    for _ in range(3):
        gh.get_repo("acme/trainer")
    assert gh.rate_limiting == (0, 3)
    with pytest.raises(GithubException) as err:
        gh.get_repo("acme/trainer")
    assert err.value.status == 403 and "rate limit exceeded" in err.value.data["message"]
    reset = dt.datetime.fromtimestamp(int(err.value.headers["x-ratelimit-reset"]), dt.timezone.utc)
    assert reset == t(25, 1)  # the next hour of the virtual clock
    core = gh.get_rate_limit().resources.core  # /rate_limit itself is free
    assert (core.limit, core.remaining, core.used) == (3, 0, 3)
    assert get(server, "/user", token="tok-ana").status_code == 200  # budgets are per token
    server.state.now = t(25, 1)  # a new hour, a new budget
    assert gh.get_repo("acme/trainer").full_name == "acme/trainer"


def test_accounts_are_one_object_everywhere_and_their_urls_lead_back(server):
    """The org, a bot and the ghost: same id wherever embedded, and each payload's ``url`` is served."""
    gh = client(server)
    org = gh.get_organization("acme")
    repo = gh.get_repo("acme/trainer")
    bump = repo.get_pull(2)  # opened by dependabot[bot]
    assert repo.owner.id == org.id == bump.base.user.id and repo.owner.type == org.type == "Organization"
    assert bump.base.repo.full_name == "acme/trainer" and bump.base.repo.owner.login == "acme"
    bot = bump.user
    assert (bot.login, bot.type) == ("dependabot[bot]", "Bot")
    assert bot.url.endswith("/users/dependabot%5Bbot%5D") and bot.html_url == f"{HTML}/apps/dependabot"
    followed = requests.get(bot.url, headers={"Authorization": "token tok-service"}, timeout=10).json()
    assert (followed["login"], followed["id"], followed["user_view_type"]) == ("dependabot[bot]", bot.id, "public")
    ghost = get(server, "/users/ghost").json()
    assert (ghost["login"], ghost["id"], ghost["name"], ghost["email"]) == ("ghost", 10137, "ghost", None)
    me = gh.get_user()  # the caller's own profile is the private view
    assert me.login == "ladder-sync" and me.raw_data["user_view_type"] == "private"
    assert "two_factor_authentication" not in get(server, "/users/ladder-sync").json()


def test_head_and_base_embed_the_repository_as_of_now(server):
    """``open_issues_count`` counts PRs open as of the clock; ``pushed_at`` is the latest visible activity."""
    world = server.state.world
    pulls = get(server, "/repos/acme/search-api/pulls?state=all").json()
    embedded = pulls[0]["base"]["repo"]
    full = get(server, "/repos/acme/search-api").json()
    only_full = ("has_discussions", "network_count", "subscribers_count")
    assert embedded == pulls[0]["head"]["repo"] == {k: v for k, v in full.items() if k not in only_full}
    open_now = sum(
        1
        for p in world.pull_requests
        if p.repo == "acme/search-api" and p.created_at <= world.now and not (p.closed_at and p.closed_at <= world.now)
    )
    assert embedded["open_issues_count"] == open_now == len([p for p in pulls if p["state"] == "open"])
    assert embedded["pushed_at"] == max(p["updated_at"] for p in pulls)
