"""The REST reads other clients make (sandbox/github/rest_items.py), with the real PyGithub client and plain HTTP.

Each test stands for a gap an established client (Perceval's GitHub backend) crashed or stopped on:
the ``reactions`` rollup it reads on every issue, issue comment and review comment, a user's orgs,
the repo-level item endpoints, ``/rate_limit`` and a budget that resets every virtual hour.
"""

from __future__ import annotations

import pytest
import requests
from github import Auth, Github, UnknownObjectException

from sandbox.github.rest import side
from sandbox.server import SandboxServer
from tests.support.worlds import t, tiny_world

ROLLUP = {"total_count", "+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket", "url"}


@pytest.fixture(scope="module")
def running():
    with SandboxServer(tiny_world()) as srv:
        yield srv


@pytest.fixture
def server(running):
    state = running.state
    state.now = state.world.now
    with state.lock:
        state.counts.clear()
    side(state).used.clear()
    side(state).secondary_used.clear()
    side(state).rate_limit = 5000
    return running


def get(server: SandboxServer, path: str, token: str = "tok-service", **params) -> requests.Response:
    return requests.get(
        server.github_url + path, headers={"Authorization": f"token {token}"}, params=params, timeout=10
    )


def gh(server: SandboxServer) -> Github:
    return Github(base_url=server.github_url, auth=Auth.Token("tok-service"), seconds_between_requests=0, retry=None)


def test_every_comment_and_issue_carries_a_reactions_rollup(server):
    """Perceval reads ``comment['reactions']['total_count']``: a review comment without it was a KeyError."""
    review_comments = get(server, "/repos/acme/trainer/pulls/comments").json()
    per_pull = get(server, "/repos/acme/trainer/pulls/1/comments").json()
    issue_comments = get(server, "/repos/acme/trainer/issues/1/comments").json()
    issues = get(server, "/repos/acme/trainer/issues", state="all").json()
    for item in review_comments + per_pull + issue_comments + issues:
        assert set(item["reactions"]) == ROLLUP and item["reactions"]["total_count"] == 0
        assert item["reactions"]["url"] == item["url"] + "/reactions"
        assert get(server, item["reactions"]["url"][len(server.github_url) :]).json() == []
    world = server.state.world
    assert [c["id"] for c in review_comments] == [7001, 7002]
    assert len(issues) == len(
        [p for p in world.pull_requests if p.repo == "acme/trainer" and p.created_at <= world.now]
    )
    assert get(server, "/repos/acme/trainer/pulls/comments/424242/reactions").status_code == 404


def test_a_users_orgs_and_the_callers_orgs(server):
    assert [o["login"] for o in get(server, "/users/ana/orgs").json()] == ["acme"]
    assert get(server, "/users/dependabot[bot]/orgs").json() == []  # a bot belongs to no org
    assert get(server, "/users/ghost/orgs").json() == []
    assert get(server, "/users/gone/orgs").status_code == 404  # the deleted account is ghost now
    assert get(server, "/users/nobody/orgs").status_code == 404
    assert [o["login"] for o in get(server, "/user/orgs", token="tok-ana").json()] == ["acme"]
    assert [o.login for o in gh(server).get_user("ana").get_orgs()] == ["acme"]
    profile = get(server, "/users/ana").json()
    assert (profile["login"], profile["name"], profile["user_view_type"]) == ("ana", "Ana Lima", "public")


def test_pygithub_reads_a_pull_request_and_its_items_over_rest(server):
    world = server.state.world
    pr = next(p for p in world.pull_requests if p.repo == "acme/trainer" and p.number == 1)
    pull = gh(server).get_repo("acme/trainer").get_pull(1)
    assert (pull.number, pull.title, pull.merged, pull.user.login) == (1, pr.title, pr.merged_at is not None, pr.author)
    assert (pull.comments, pull.review_comments, pull.commits) == (
        len(pr.issue_comments),
        len(pr.review_comments),
        len(pr.commits) or 1,
    )
    assert [(r.id, r.state) for r in pull.get_reviews()] == [(r.id, r.state) for r in pr.reviews]
    assert [c.id for c in pull.get_review_comments()] == [c.id for c in pr.review_comments]
    assert [c.id for c in pull.get_issue_comments()] == [c.id for c in pr.issue_comments]
    assert len(list(pull.get_commits())) == (len(pr.commits) or 1)
    users, teams = pull.get_review_requests()
    assert [u.login for u in users] == [] and list(teams) == []
    assert gh(server).get_repo("acme/trainer").full_name == "acme/trainer"
    assert get(server, "/repos/acme/trainer/pulls/99").status_code == 404


def test_issues_list_as_a_client_pages_it_since_a_date_oldest_update_first(server):
    everything = get(server, "/repos/acme/trainer/issues", state="all", sort="updated", direction="asc").json()
    updated = [i["updated_at"] for i in everything]
    assert updated == sorted(updated) and all("pull_request" in i for i in everything)
    by_created = sorted((i for i in everything if i["state"] == "open"), key=lambda i: i["created_at"], reverse=True)
    default = get(server, "/repos/acme/trainer/issues").json()  # GitHub's defaults: open ones, newest first
    assert [i["number"] for i in default] == [i["number"] for i in by_created]
    later = get(server, "/repos/acme/trainer/issues", state="all", since=everything[-1]["updated_at"]).json()
    assert [i["number"] for i in later] == [everything[-1]["number"]]
    server.state.now = t(1)  # before any PR: no issues yet
    assert get(server, "/repos/acme/trainer/issues", state="all").json() == []
    assert get(server, "/repos/acme/trainer/issues", state="weird").status_code == 422


def test_rate_limit_is_free_and_the_budget_resets_every_virtual_hour(server):
    """A client that spends an hour's budget waits for ``X-RateLimit-Reset`` on the virtual clock and goes on."""
    side(server.state).rate_limit = 3
    for _ in range(3):
        assert get(server, "/repos/acme/trainer").status_code == 200
    spent = get(server, "/repos/acme/trainer")
    assert spent.status_code == 403 and spent.headers["X-RateLimit-Remaining"] == "0"
    overview = get(server, "/rate_limit")
    assert overview.status_code == 200  # /rate_limit answers (and costs nothing) when the budget is spent
    core = overview.json()["resources"]["core"]
    assert (core["limit"], core["used"], core["remaining"]) == (3, 3, 0)
    assert core["reset"] == int(spent.headers["X-RateLimit-Reset"]) == overview.json()["rate"]["reset"]
    server.state.now = server.state.now.fromtimestamp(core["reset"], server.state.now.tzinfo)  # wait for the reset
    again = get(server, "/repos/acme/trainer")
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"
    assert get(server, "/rate_limit").json()["rate"]["used"] == 1
    counts = server.state.stats()["github"]["by_endpoint"]
    assert counts["/rate_limit.200"] == 2 and server.state.stats()["github"]["rest_counted"] == 4


def test_pulls_and_issues_as_of_an_earlier_clock(server):
    server.state.now = t(2, 15)  # pr 1 is open, Bo's reply is still to come
    pull = get(server, "/repos/acme/trainer/pulls/1").json()
    assert (pull["state"], pull["merged"], pull["merged_by"], pull["review_comments"]) == ("open", False, None, 1)
    with pytest.raises(UnknownObjectException):
        gh(server).get_repo("acme/trainer").get_pull(3)
