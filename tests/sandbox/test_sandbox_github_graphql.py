"""The sandbox's GitHub GraphQL endpoint: schema validation, GitHub's cost formula, pagination, visibility, limits."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from github import Auth, Github, GithubException

from sandbox.github.graphql_schema import check_document, pick_operation, query_cost
from sandbox.github.http import side
from sandbox.server import SandboxServer
from tests.support.worlds import history_world, t


@pytest.fixture(scope="module")
def server():
    with SandboxServer(history_world()) as srv:
        yield srv


@pytest.fixture(autouse=True)
def fresh_clock(server):
    server.state.now = server.state.world.now
    server.state.reset_stats()
    side(server.state).graphql_used.clear()
    side(server.state).graphql_limit = 5000


def post(server, query: str, variables=None, token: str = "tok-service") -> requests.Response:
    headers = {"Authorization": f"bearer {token}"} if token else {}
    return requests.post(
        f"{server.base_url}/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )


PULLS = """query($first: Int!, $after: String) { repository(owner: "acme", name: "search-api") {
  pullRequests(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount pageInfo { hasNextPage endCursor } nodes { number updatedAt state } } } }"""


def test_pygithub_posts_to_the_enterprise_graphql_path_and_the_viewer_is_the_caller(server):
    gh = Github(base_url=server.github_url, auth=Auth.Token("tok-ana"), retry=None)
    assert gh.requester.graphql_url == f"{server.base_url}/api/graphql"
    _, data = gh.requester.graphql_query("{ viewer { login } }", {})
    assert data["data"] == {"viewer": {"login": "ana"}}


def test_an_invalid_document_is_rejected_with_githubs_message_and_costs_nothing(server):
    body = post(server, "{ viewer { loginn } }").json()
    assert body["errors"][0]["message"] == "Cannot query field 'loginn' on type 'User'. Did you mean 'login'?"
    assert "data" not in body
    assert server.state.stats()["github"]["graphql_points"] == 0


def test_a_valid_field_the_sandbox_does_not_serve_is_an_explicit_error_not_a_null(server):
    body = post(server, "{ viewer { login bio } }").json()
    assert body["data"] == {"viewer": {"login": "ladder-sync", "bio": None}}
    (error,) = body["errors"]
    assert error["type"] == "SANDBOX_NOT_IMPLEMENTED" and "User.bio" in error["message"]
    assert error["path"] == ["viewer", "bio"]


def test_cost_follows_githubs_documented_example():
    # docs.github.com, "Calculating points": 1 + 100 + 5,000 connection requests -> 5,101 / 100 -> 51 points
    query = """query { viewer { login repositories(first: 100) { edges { node { id
      issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }"""
    document, errors = check_document(query)
    assert errors == []
    cost = query_cost(document, pick_operation(document, None))
    assert (cost.requests, cost.points) == (5_101, 51)


def test_rate_limit_reports_and_meters_the_cost_and_headers_name_the_graphql_budget(server):
    query = """{ rateLimit { cost limit remaining used nodeCount }
      repository(owner: "acme", name: "trainer") { pullRequests(first: 50) { nodes {
        files(first: 100) { nodes { path } } labels(first: 10) { nodes { name } }
        reviews(first: 10) { nodes { state } } } } } }"""
    response = post(server, query)
    rate = response.json()["data"]["rateLimit"]
    assert rate == {"cost": 2, "limit": 5000, "remaining": 4998, "used": 2, "nodeCount": 50 + 50 * 120}  # 151 -> 2
    assert response.headers["X-RateLimit-Resource"] == "graphql"
    assert response.headers["X-RateLimit-Remaining"] == "4998"
    stats = server.state.stats()["github"]
    assert (stats["graphql_requests"], stats["graphql_points"], stats["rest_requests"]) == (1, 2, 0)


def test_pagination_walks_every_pull_newest_updated_first(server):
    numbers, after, pages = [], None, 0
    while True:
        conn = post(server, PULLS, {"first": 1, "after": after}).json()["data"]["repository"]["pullRequests"]
        numbers += [n["number"] for n in conn["nodes"]]
        pages += 1
        assert conn["totalCount"] == 2
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert numbers == [8, 7] and pages == 2  # PR 9 is created after the clock: invisible


def test_the_clock_reveals_later_pulls_and_events(server):
    server.state.now = t(30, 12)
    nodes = post(server, PULLS, {"first": 10}).json()["data"]["repository"]["pullRequests"]["nodes"]
    assert [n["number"] for n in nodes] == [9, 8, 7]
    server.state.now = t(2, 10)  # dana's request was removed at t(2, 12): not yet
    query = """{ repository(owner: "acme", name: "trainer") { pullRequest(number: 1) {
      reviewRequests(first: 10) { nodes { requestedReviewer { ... on User { login } } } }
      timelineItems(first: 50, itemTypes: [REVIEW_REQUESTED_EVENT, REVIEW_REQUEST_REMOVED_EVENT]) { nodes {
        __typename ... on ReviewRequestedEvent { createdAt actor { login } requestedReviewer { ... on User { login } } }
        ... on ReviewRequestRemovedEvent { createdAt } } } } } }"""
    pr = post(server, query).json()["data"]["repository"]["pullRequest"]
    assert [n["requestedReviewer"]["login"] for n in pr["reviewRequests"]["nodes"]] == ["ana", "dana"]
    assert [(n["__typename"], n["requestedReviewer"]["login"]) for n in pr["timelineItems"]["nodes"]] == [
        ("ReviewRequestedEvent", "ana"),
        ("ReviewRequestedEvent", "dana"),
    ]
    server.state.now = t(25)  # ana answered (review 5001), dana was removed: only cyd is pending
    pr = post(server, query).json()["data"]["repository"]["pullRequest"]
    assert [n["requestedReviewer"]["login"] for n in pr["reviewRequests"]["nodes"]] == ["cyd"]
    assert [n["__typename"] for n in pr["timelineItems"]["nodes"]].count("ReviewRequestRemovedEvent") == 1


def test_commits_show_their_co_authors_and_bots_lose_the_bot_suffix(server):
    query = """{ repository(owner: "acme", name: "trainer") {
      a: pullRequest(number: 1) { commits(first: 10) { nodes { commit { oid
        author { email user { login } } authors(first: 10) { nodes { name email user { login } } } } } } }
      b: pullRequest(number: 2) { author { __typename login } } } }"""
    data = post(server, query).json()["data"]["repository"]
    first = data["a"]["commits"]["nodes"][0]["commit"]
    assert first["author"] == {"email": "bo@acme.test", "user": {"login": "bo"}}
    assert [(a["email"], (a["user"] or {}).get("login")) for a in first["authors"]["nodes"]] == [
        ("bo@acme.test", "bo"),
        ("ana@acme.test", "ana"),
        ("ext@example.org", None),
    ]
    assert data["b"]["author"] == {"__typename": "Bot", "login": "dependabot"}


def test_pagination_limits_are_githubs(server):
    missing = post(server, '{ repository(owner: "acme", name: "trainer") { pullRequests { totalCount } } }').json()
    assert missing["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    too_many = post(server, PULLS, {"first": 101}).json()
    assert (
        too_many["errors"][0]["type"] == "EXCESSIVE_PAGINATION" and "limit of 100" in too_many["errors"][0]["message"]
    )
    for below in (0, -1):  # GitHub wants 1..100
        none = post(server, PULLS, {"first": below}).json()
        assert "data" not in none and "between 1 and 100" in none["errors"][0]["message"], none


def test_unknown_objects_are_not_found_and_nodes_resolve_by_global_id(server):
    body = post(server, '{ repository(owner: "acme", name: "nope") { id } }').json()
    assert body["data"] == {"repository": None} and body["errors"][0]["type"] == "NOT_FOUND"
    pr_id = post(server, '{ repository(owner: "acme", name: "trainer") { pullRequest(number: 1) { id } } }').json()[
        "data"
    ]["repository"]["pullRequest"]["id"]
    node = post(
        server, "query($id: ID!) { node(id: $id) { __typename ... on PullRequest { number } } }", {"id": pr_id}
    ).json()["data"]["node"]
    assert node == {"__typename": "PullRequest", "number": 1}


def test_authentication_and_a_spent_budget(server):
    assert post(server, "{ viewer { login } }", token="").status_code == 401
    assert post(server, "{ viewer { login } }", token="tok-wrong").json()["message"] == "Bad credentials"
    side(server.state).graphql_limit = 1
    assert post(server, "{ viewer { login } }").status_code == 200
    spent = post(server, "{ viewer { login } }")
    # GitHub sends a spent GraphQL budget as a 200 with errors, not a 403
    assert spent.status_code == 200 and spent.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert spent.json()["data"] is None and spent.headers["X-RateLimit-Remaining"] == "0"
    with pytest.raises(GithubException) as err:  # PyGithub turns errors in a 200 into an exception of its own
        Github(base_url=server.github_url, auth=Auth.Token("tok-service"), retry=None).requester.graphql_query(
            "{ viewer { login } }", {}
        )
    assert "RATE_LIMITED" in str(err.value.data)
    server.state.now = server.state.now + dt.timedelta(hours=1)  # the next hour's budget
    assert post(server, "{ viewer { login } }").status_code == 200
