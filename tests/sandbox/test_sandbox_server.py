"""The sandbox server's own surface: stats, clock, --now, and the GitHub teams endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from github import Auth, Github

from sandbox.server import SandboxServer
from sandbox.state import SandboxState
from tests.support.worlds import t, tiny_world

TOKEN = {"Authorization": "token tok-service"}


@pytest.fixture(scope="module")
def server():
    with SandboxServer(tiny_world()) as srv:
        yield srv


@pytest.fixture
def fresh(server):
    server.state.now = server.state.world.now
    server.state.reset_stats()
    return server


def gh_get(server, path: str, **headers) -> requests.Response:
    return requests.get(server.github_url + path, headers=TOKEN | headers, timeout=10)


def test_stats_keys_and_breakdown_over_http(fresh):
    first = gh_get(fresh, "/repos/acme/trainer/pulls/comments")
    again = gh_get(fresh, "/repos/acme/trainer/pulls/comments", **{"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    assert gh_get(fresh, "/nope").status_code == 404
    requests.get(fresh.jira_url + "/rest/api/3/myself", headers={"Authorization": "Bearer tok-service"}, timeout=10)
    stats = requests.get(fresh.base_url + "/_sandbox/stats", timeout=10).json()
    gh = stats["github"]
    assert (gh["rest_requests"], gh["rest_counted"], gh["not_modified"]) == (3, 2, 1)
    assert (gh["graphql_requests"], gh["graphql_points"]) == (0, 0)
    assert gh["by_endpoint"]["/repos/{owner}/{repo}/pulls/comments.200"] == 1
    assert gh["by_endpoint"]["/repos/{owner}/{repo}/pulls/comments.304"] == 1
    assert gh["by_status"] == {"200": 1, "304": 1, "404": 1}
    assert stats["jira"]["requests"] == 1 and stats["jira"]["by_status"] == {"200": 1}
    assert requests.post(fresh.base_url + "/_sandbox/stats/reset", timeout=10).json() == {"ok": True}
    zero = requests.get(fresh.base_url + "/_sandbox/stats", timeout=10).json()
    assert zero["github"]["rest_requests"] == 0 and zero["github"]["by_endpoint"] == {}


def test_count_is_backward_compatible_and_meters_graphql():
    state = SandboxState(tiny_world())
    state.count("github", "/user", 200)
    state.count("github", "/user", 304, counted=False)
    state.count("github", "/graphql", 200, graphql_points=3)
    state.count("jira", "/rest/api/3/myself", 200)
    gh = state.stats()["github"]
    assert (gh["requests"], gh["rest_requests"], gh["rest_counted"], gh["not_modified"]) == (3, 2, 1, 1)
    assert (gh["graphql_requests"], gh["graphql_points"]) == (1, 3)
    assert gh["by_endpoint"] == {"/user.200": 1, "/user.304": 1, "/graphql.200": 1}


def test_clock_moves_and_rejects_bad_bodies(fresh):
    url = fresh.base_url + "/_sandbox/clock"
    start = requests.get(url, timeout=10).json()["now"]
    assert dt.datetime.fromisoformat(start) == fresh.state.world.now
    moved = requests.post(url, json={"advance_seconds": 3600}, timeout=10).json()["now"]
    assert dt.datetime.fromisoformat(moved) == fresh.state.world.now + dt.timedelta(hours=1)
    assert (
        requests.post(url, json={"now": "2026-10-02T00:00:00"}, timeout=10).json()["now"] == "2026-10-02T00:00:00+00:00"
    )
    # at_least only moves forward: an earlier wake-up posted after a later one leaves the later one
    assert requests.post(url, json={"at_least": "2026-10-03T00:00:00Z"}, timeout=10).json()["now"] == (
        "2026-10-03T00:00:00+00:00"
    )
    assert requests.post(url, json={"at_least": "2026-10-02T12:00:00Z"}, timeout=10).json()["now"] == (
        "2026-10-03T00:00:00+00:00"
    )
    bad = requests.post(url, json={"later": 1}, timeout=10)
    assert bad.status_code == 400 and "advance_seconds" in bad.json()["error"] and "at_least" in bad.json()["error"]


def test_now_hides_later_activity():
    world = tiny_world()
    with SandboxServer(world, now=t(2, 15)) as early:
        comments = gh_get(early, "/repos/acme/trainer/pulls/comments").json()
        me = gh_get(early, "/user").json()
    created = sorted(
        c.id
        for pr in world.pull_requests
        if pr.repo == "acme/trainer"
        for c in pr.review_comments
        if c.created_at <= t(2, 15)
    )
    assert [c["id"] for c in comments] == created == [7001]  # Bo's reply comes later
    assert me["login"] == "ladder-sync"


def test_teams_members_and_repos_follow_the_world(fresh):
    world = fresh.state.world
    gh = Github(
        base_url=fresh.github_url, auth=Auth.Token("tok-service"), retry=None, seconds_between_requests=0, lazy=True
    )
    org = gh.get_organization("acme")  # lazy: the org itself is not read (the sandbox does not serve /orgs/{org})
    teams = {team.slug: team for team in org.get_teams()}
    assert set(teams) == {team.id for team in world.teams}
    for slug, team in teams.items():
        expected = sorted(p.login for p in world.people if p.team == slug and not p.deleted and not p.is_bot)
        assert sorted(m.login for m in team.get_members()) == expected
        assert sorted(r.full_name for r in team.get_repos()) == sorted(
            r.full_name for r in world.repos if r.owner_team == slug
        )
