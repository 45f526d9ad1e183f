"""The sandbox's GitHub side: every org of the world's repos, Repository.object blobs and numeric user ids."""

from __future__ import annotations

import pytest
import requests

from miners.github.graphql import ORG_REPOS
from sandbox.github import payloads as gp
from sandbox.github.graphql_schema import check_document, pick_operation, query_cost
from sandbox.github.payloads_extra import git_blob_sha
from sandbox.server import SandboxServer
from tests.support.worlds import ANA_ID, BOT_ID, two_org_world


@pytest.fixture
def server():
    with SandboxServer(two_org_world()) as srv:
        yield srv


def rest(server, path: str) -> requests.Response:
    return requests.get(server.github_url + path, headers={"Authorization": "token tok-service"}, timeout=10)


def gql(server, query: str, variables=None) -> dict:
    response = requests.post(
        f"{server.base_url}/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": "bearer tok-service"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_every_org_that_owns_a_repo_is_served_over_rest_and_only_the_worlds_own_has_teams(server):
    assert [c["id"] for c in rest(server, "/repos/other/infra/pulls/comments").json()] == []  # served, none there
    assert rest(server, "/orgs/other/teams").json() == []  # the world's teams belong to its own org
    assert rest(server, "/orgs/OTHER/teams").json() == []  # org logins are case-insensitive
    assert [t["slug"] for t in rest(server, "/orgs/acme/teams").json()] == ["ml-platform", "search"]
    assert rest(server, "/orgs/other/teams/search/members").status_code == 404
    assert rest(server, "/orgs/nobody/teams").status_code == 404


def test_every_org_is_served_over_graphql_with_its_own_repos(server):
    query = """query($org: String!) { organization(login: $org) { login databaseId
      repositories(first: 10, orderBy: {field: NAME, direction: ASC}) { nodes { nameWithOwner owner { login } } } } }"""
    data = gql(server, query, {"org": "OTHER"})["data"]["organization"]  # logins are case-insensitive
    assert (data["login"], data["databaseId"]) == ("other", gp.stable_id("org", "other"))
    assert data["repositories"]["nodes"] == [
        {"nameWithOwner": "other/docs", "owner": {"login": "other"}},
        {"nameWithOwner": "other/infra", "owner": {"login": "other"}},
    ]
    body = gql(server, query, {"org": "nobody"})
    assert body["data"]["organization"] is None and body["errors"][0]["type"] == "NOT_FOUND"


def test_repository_object_serves_codeowners_as_a_blob_and_null_elsewhere(server):
    query = """{ repository(owner: "other", name: "docs") {
      a: object(expression: "HEAD:.github/CODEOWNERS") { __typename ... on Blob { text oid byteSize isTruncated } }
      b: object(expression: "main:.github/CODEOWNERS") { ... on Blob { abbreviatedOid } }
      c: object(expression: "HEAD:CODEOWNERS") { ... on Blob { text } } } rateLimit { cost } }"""
    data = gql(server, query)["data"]
    text = "* @eli\n"
    sha = git_blob_sha(text.encode())
    assert data["repository"] == {
        "a": {"__typename": "Blob", "text": text, "oid": sha, "byteSize": 7, "isTruncated": False},
        "b": {"abbreviatedOid": sha[:7]},
        "c": None,
    }
    assert data["rateLimit"]["cost"] == 1
    body = gql(server, '{ repository(owner: "other", name: "docs") { object(expression: "HEAD") { oid } } }')
    assert body["errors"][0]["type"] == "SANDBOX_NOT_IMPLEMENTED"


def test_the_miners_org_listing_with_codeowners_is_valid_and_costs_one_point_per_100_repos():
    document, errors = check_document(ORG_REPOS)
    assert errors == []
    assert query_cost(document, pick_operation(document, None), {"org": "acme"}).points == 1


def test_user_ids_are_the_worlds_github_ids_in_rest_and_graphql_and_survive_a_rename(server):
    world = server.state.world
    members = lambda team: {u["login"]: u["id"] for u in rest(server, f"/orgs/acme/teams/{team}/members").json()}  # noqa: E731
    assert members("ml-platform")["ana"] == ANA_ID
    assert members("search")["cyd"] == gp.stable_id("user", "cyd")  # no github_id: the hash
    query = """{ repository(owner: "acme", name: "trainer") { pullRequests(first: 5) { nodes { number
      author { login ... on User { databaseId } ... on Bot { databaseId } } } } } }"""
    authors = {n["number"]: n["author"] for n in gql(server, query)["data"]["repository"]["pullRequests"]["nodes"]}
    assert authors[2] == {"login": "dependabot", "databaseId": BOT_ID}
    ana = next(p for p in world.people if p.login == "ana")
    ana.former_logins.append("ana")
    ana.login = "ana-lima"  # a rename: a new login, the same account
    assert members("ml-platform")["ana-lima"] == ANA_ID
    viewer = gql(server, '{ user(login: "ana-lima") { login databaseId } }')["data"]["user"]
    assert viewer == {"login": "ana-lima", "databaseId": ANA_ID}
