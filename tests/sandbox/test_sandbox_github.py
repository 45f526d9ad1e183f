"""The sandbox's GitHub REST side, read with the real PyGithub client (and plain HTTP) over loopback.

It serves what a ladder client reads over REST (review comments, teams, ``/user``); pull requests,
reviews, files and conversation comments are GraphQL's (tests/sandbox/test_sandbox_github_graphql.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from github import Auth, BadCredentialsException, Github, UnknownObjectException

from sandbox.github.rest import side
from sandbox.server import SandboxServer
from tests.support.worlds import t, tiny_world

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


def comments(server: SandboxServer, repo: str, token: str = "tok-service", **kwargs):
    """The repo's review comments through PyGithub (a lazy repo: no request for the repo itself)."""
    return list(client(server, token, lazy=True).get_repo(repo).get_pulls_comments(**kwargs))


def test_review_comments_read_back_the_world(server):
    world = server.state.world
    for repo_name in ("acme/trainer", "acme/search-api"):
        expected = sorted(
            (
                c
                for pr in world.pull_requests
                if pr.repo == repo_name and pr.created_at <= world.now
                for c in pr.review_comments
            ),
            key=lambda c: c.id,
        )
        got = comments(server, repo_name)
        assert [(c.id, c.user.login, c.body, c.path, c.line, c.created_at, c.updated_at) for c in got] == [
            (c.id, login_of(world, c.author), c.body, c.path, c.line, c.created_at, c.updated_at) for c in expected
        ]
    reply = comments(server, "acme/trainer")[1]
    assert reply.in_reply_to_id == 7001 and reply.pull_request_review_id is None
    assert reply.html_url == f"{HTML}/acme/trainer/pull/1#discussion_r7002"
    assert reply.pull_request_url == f"{server.github_url}/repos/acme/trainer/pulls/1"


def test_comments_as_of_an_earlier_clock(server):
    server.state.now = t(2, 15)  # Ana's line comment is there, Bo's reply is still to come
    assert [c.id for c in comments(server, "acme/trainer")] == [7001]
    server.state.now = t(2, 13)
    assert comments(server, "acme/trainer") == []


def test_pagination_link_header_is_absolute_and_followed(server):
    response = get(server, "/repos/acme/search-api/pulls/comments?per_page=1")
    assert response.status_code == 200 and response.json() == []
    assert "Link" not in response.headers  # nothing: one page
    response = get(server, "/repos/acme/trainer/pulls/comments?per_page=1")
    links = response.links
    assert links["next"]["url"] == f"{server.github_url}/repos/acme/trainer/pulls/comments?per_page=1&page=2"
    assert links["last"]["url"].endswith("page=2") and "prev" not in links
    second = get(server, links["next"]["url"][len(server.github_url) :])
    assert [c["id"] for c in second.json()] == [7002]
    assert set(second.links) == {"prev", "first"}
    paged = client(server, per_page=1, lazy=True).get_repo("acme/trainer")
    assert [c.id for c in paged.get_pulls_comments()] == [7001, 7002]


def test_repo_level_comments_since_sort_and_direction(server):
    assert [c.id for c in comments(server, "acme/trainer", since=t(2, 15))] == [7002]
    assert [c.id for c in comments(server, "acme/trainer", since=t(2, 16))] == [7002]  # since is inclusive
    assert comments(server, "acme/trainer", since=t(2, 17)) == []
    assert [c.id for c in comments(server, "acme/trainer", sort="created", direction="desc")] == [7002, 7001]
    assert [c.id for c in comments(server, "acme/trainer", sort="updated", direction="asc")] == [7001, 7002]
    assert get(server, "/repos/acme/trainer/pulls/comments?since=yesterday").status_code == 422
    assert get(server, "/repos/acme/trainer/pulls/comments?sort=popularity").status_code == 422


def test_etag_answers_304_without_charging_the_budget(server):
    path = "/repos/acme/trainer/pulls/comments"
    first = get(server, path)
    etag = first.headers["ETag"]
    assert first.headers["X-RateLimit-Used"] == "1"
    again = get(server, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-RateLimit-Used"] == "1"
    stats = server.state.stats()["github"]
    assert (stats["requests"], stats["counted"]) == (2, 1)
    key = "/repos/{owner}/{repo}/pulls/comments"
    assert endpoint_counts(server) == {f"{key}.200": 1, f"{key}.304": 1}
    server.state.now = t(2, 15)  # an earlier clock hides Bo's reply, so the old ETag no longer matches
    changed = get(server, path, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_bad_or_missing_token_is_401_and_not_charged(server):
    with pytest.raises(BadCredentialsException) as err:
        comments(server, "acme/trainer", token="nope")
    assert err.value.status == 401 and err.value.data["message"] == "Bad credentials"
    bearer = requests.get(server.github_url + "/user", headers={"Authorization": "Bearer tok-bo"}, timeout=10)
    assert bearer.json()["login"] == "bo"
    missing = get(server, "/user", token=None)
    assert missing.status_code == 401 and missing.json()["message"] == "Requires authentication"
    stats = server.state.stats()["github"]
    assert stats["by_endpoint"]["/repos/{owner}/{repo}/pulls/comments.401"] == 1
    assert stats["by_endpoint"]["/user.401"] == 1
    assert stats["counted"] == 1  # only the good Bearer request


def test_unknown_repo_org_and_endpoint_are_404_json(server):
    with pytest.raises(UnknownObjectException):
        comments(server, "acme/nope")
    assert get(server, "/orgs/nobody/teams").status_code == 404
    assert get(server, "/orgs/acme/teams/nope/members").status_code == 404
    response = get(server, "/repos/acme/trainer/hooks")
    assert response.status_code == 404 and response.json()["message"] == "Not Found"
    # what the miner reads over GraphQL is not served over REST
    assert get(server, "/repos/acme/trainer/pulls").status_code == 404
    assert endpoint_counts(server)["unknown.404"] == 2


def test_rate_limit_headers_budget_and_exhaustion(server):
    side(server.state).rate_limit = 3
    path = "/repos/acme/trainer/pulls/comments"
    for used in (1, 2, 3):
        response = get(server, path)
        assert (response.headers["X-RateLimit-Used"], response.headers["X-RateLimit-Remaining"]) == (
            str(used),
            str(3 - used),
        )
    spent = get(server, path)
    assert spent.status_code == 403 and "rate limit exceeded" in spent.json()["message"]
    assert (spent.headers["X-RateLimit-Limit"], spent.headers["X-RateLimit-Remaining"]) == ("3", "0")
    reset = dt.datetime.fromtimestamp(int(spent.headers["X-RateLimit-Reset"]), dt.timezone.utc)
    assert reset == t(25, 1)  # the next hour of the virtual clock
    assert get(server, "/user", token="tok-ana").status_code == 200  # budgets are per token
    server.state.now = t(25, 1)  # a new hour, a new budget
    assert [c.id for c in comments(server, "acme/trainer")] == [7001, 7002]


def test_user_is_the_tokens_owner_in_the_private_view(server):
    me = client(server, token="tok-ana").get_user()
    assert (me.login, me.name, me.email) == ("ana", "Ana Lima", "ana@acme.test")
    assert me.raw_data["user_view_type"] == "private"
    assert client(server).get_user().login == "ladder-sync"
    ana = comments(server, "acme/trainer")[0].user  # one account, one id, wherever it is shown
    assert (ana.login, ana.id, ana.type) == ("ana", me.id, "User")


def test_teams_with_their_members_and_repos_as_of_now(server):
    teams = get(server, "/orgs/acme/teams").json()
    assert [(team["slug"], team["name"]) for team in teams] == [("ml-platform", "ML Platform"), ("search", "Search")]
    members = [u["login"] for u in get(server, "/orgs/acme/teams/ml-platform/members").json()]
    assert members == ["ana", "bo", "dana"]  # no bot, no deleted account
    maintainers = get(server, "/orgs/acme/teams/ml-platform/members?role=maintainer").json()
    assert [u["login"] for u in maintainers] == ["dana"]
    assert get(server, "/orgs/acme/teams/ml-platform/members?role=owner").status_code == 422
    repos = get(server, "/orgs/acme/teams/search/repos").json()
    assert [r["full_name"] for r in repos] == ["acme/old-scripts", "acme/search-api"]
    assert all(r["owner"]["login"] == "acme" and r["owner"]["type"] == "Organization" for r in repos)
    assert len({r["owner"]["id"] for r in repos}) == 1


def test_team_repos_show_the_repository_as_of_now(server):
    """``open_issues_count`` counts PRs open as of the clock; ``pushed_at`` is the latest visible activity."""
    world = server.state.world
    repo = next(r for r in get(server, "/orgs/acme/teams/search/repos").json() if r["full_name"] == "acme/search-api")
    visible = [p for p in world.pull_requests if p.repo == "acme/search-api" and p.created_at <= world.now]
    open_now = sum(1 for p in visible if not (p.closed_at and p.closed_at <= world.now))
    assert repo["open_issues_count"] == open_now == 2
    assert repo["pushed_at"] == max(p.updated_at for p in visible).isoformat().replace("+00:00", "Z")
