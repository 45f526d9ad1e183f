"""Issue 15: the sandbox is as strict as the real services where it matters to a miner.

GraphQL: modelled compute time (partial data with ``RESOURCE_LIMITS_EXCEEDED`` over the resource limit,
502 plus penalty points over the timeout), secondary limits per virtual minute and on concurrent requests
(403 with ``Retry-After``), a spent budget as a 200 with ``RATE_LIMITED``
(tests/sandbox/test_sandbox_github_graphql.py), ``first`` between 1 and 100.  Faults: the reshaping modes of
``malformed`` and ``poison``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest

from sandbox.faults import _RESHAPE
from sandbox.github.graphql_limits import compute_ms, limit_resources
from sandbox.github.http import side
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

REST = "/orgs/acme/teams"  # a REST endpoint the miner calls (the sandbox serves only those)

PULLS = """query($first: Int!) { repository(owner: "acme", name: "trainer") {
  pullRequests(first: $first) { nodes { number files(first: 100) { nodes { path } }
  timelineItems(first: 100) { nodes { __typename } } } } } }"""


def _post(server, query: str, variables: dict | None = None, token: str = "tok-service") -> httpx.Response:
    return httpx.post(
        server.base_url + "/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"bearer {token}"},
    )


def _pr(files: int, timeline: int) -> dict:
    return {
        "files": {"nodes": [{"path": f"f{i}"} for i in range(files)]},
        "timelineItems": {"nodes": [{"__typename": "IssueComment"}] * timeline},
    }


def test_compute_time_grows_with_what_the_answer_holds():
    light = {"repository": {"pullRequests": {"nodes": [_pr(3, 8) for _ in range(49)]}}}
    heavy = {"repository": {"pullRequests": {"nodes": [_pr(100, 100) for _ in range(5)] + [_pr(3, 8)] * 44}}}
    assert 4_000 < compute_ms(light) < 6_000  # a page of 49 ordinary PRs: about 5 s
    assert compute_ms(heavy) > 10_000  # five PRs with 100 files and 100 timeline items: past GitHub's 10 s


def test_resource_limits_drop_files_first_then_whole_pr_nodes_with_paths():
    data = {"repository": {"pullRequests": {"nodes": [_pr(100, 100), _pr(2, 2), _pr(100, 100)]}}}
    trimmed, errors = limit_resources(json.loads(json.dumps(data)), limit_ms=2_000)
    nodes = trimmed["repository"]["pullRequests"]["nodes"]
    assert nodes[0]["files"] is None and nodes[2]["files"] is None and nodes[1]["files"] is not None
    assert all(e["type"] == "RESOURCE_LIMITS_EXCEEDED" for e in errors)
    assert [e["path"][-2:] for e in errors] == [[0, "files"], [2, "files"]]
    assert compute_ms(trimmed) <= 2_000
    squeezed, errors = limit_resources(json.loads(json.dumps(data)), limit_ms=600)
    assert None in squeezed["repository"]["pullRequests"]["nodes"]
    assert any(e["path"][-1] == "timelineItems" for e in errors)


def test_a_query_over_the_timeout_is_a_502_and_charged_penalty_points():
    with SandboxServer(tiny_world()) as server:
        gh = side(server.state)
        gh.graphql_timeout_ms = 25  # the tiny world's page is over it
        answer = _post(server, PULLS, {"first": 5})
        used = max(gh.graphql_used.values())
        stats = server.state.stats()["github"]
    assert answer.status_code == 502 and "couldn't respond to your request in time" in answer.json()["message"]
    assert used == 1 + gh.graphql_timeout_penalty and stats["graphql_timeouts"] == 1


def test_a_query_over_the_resource_limit_is_a_200_with_partial_data():
    with SandboxServer(tiny_world()) as server:
        side(server.state).graphql_resource_ms = 40
        body = _post(server, PULLS, {"first": 5}).json()
    assert body["errors"] and all(e["type"] == "RESOURCE_LIMITS_EXCEEDED" for e in body["errors"])
    assert body["data"]["repository"]["pullRequests"]["nodes"]  # partial data, not an empty answer


def test_secondary_limits_per_virtual_minute_with_retry_after_to_the_next_minute():
    with SandboxServer(tiny_world(), now=dt.datetime(2026, 10, 25, 3, 0, 20, tzinfo=dt.timezone.utc)) as server:
        gh = side(server.state)
        gh.secondary_rest_per_minute = 2
        url, auth = server.github_url + REST, {"Authorization": "token tok-service"}
        codes = [httpx.get(url, headers=auth).status_code for _ in range(3)]
        refused = httpx.get(url, headers=auth)
        server.state.now = server.state.now + dt.timedelta(seconds=40)  # the next minute
        again = httpx.get(url, headers=auth)
        gh.secondary_retry_after = False
        gh.secondary_rest_per_minute = 0
        bare = httpx.get(url, headers=auth)
    assert codes == [200, 200, 403]
    assert refused.status_code == 403 and refused.headers["Retry-After"] == "40"
    assert "secondary rate limit" in refused.json()["message"] and refused.headers["X-RateLimit-Remaining"] != "0"
    assert again.status_code == 200
    assert bare.status_code == 403 and "Retry-After" not in bare.headers  # GitHub sends both kinds


def test_with_real_time_limits_the_minutes_pass_while_the_virtual_clock_stands_still():
    """``sandbox serve --real-time-limits``: the secondary limits' minutes add real seconds (here: a counter moved
    by hand) to the virtual clock, which a long bench never moves."""
    with SandboxServer(tiny_world(), now=dt.datetime(2026, 10, 25, 3, 0, 20, tzinfo=dt.timezone.utc)) as server:
        gh = side(server.state)
        gh.secondary_rest_per_minute = 1
        real = [0.0]
        gh.secondary_real_seconds = lambda: real[0]
        url, auth = server.github_url + REST, {"Authorization": "token tok-service"}
        first, refused = (httpx.get(url, headers=auth) for _ in range(2))
        real[0] = 45.0  # 45 s of real time later, the virtual clock where it was: the next minute
        again = httpx.get(url, headers=auth)
    assert (first.status_code, refused.status_code, again.status_code) == (200, 403, 200)
    assert refused.headers["Retry-After"] == "40"


def test_concurrent_requests_over_the_limit_are_refused():
    with SandboxServer(tiny_world()) as server:
        gh = side(server.state)
        gh.secondary_max_concurrent = 1
        gh.in_flight["tok-service"] = 1  # one request of this token is still being answered
        busy = httpx.get(server.github_url + REST, headers={"Authorization": "token tok-service"})
        gh.in_flight["tok-service"] = 0
        free = httpx.get(server.github_url + REST, headers={"Authorization": "token tok-service"})
    assert busy.status_code == 403 and busy.headers["Retry-After"] == "1" and free.status_code == 200


@pytest.mark.parametrize(
    "mode,before,after",
    [
        ("no_page_info", {"a": {"pageInfo": {"x": 1}, "nodes": [1]}, "nextPageToken": "t"}, {"a": {"nodes": [1]}}),
        ("null_nodes", {"a": {"nodes": [1], "pageInfo": {}}}, {"a": {"nodes": None, "pageInfo": {}}}),
        ("null_nodes", [1, 2], None),
        ("wrong_schema", [1], {"items": [1], "total_count": 1}),
        ("bad_date", {"n": [{"createdAt": "2026-01-01T00:00:00Z"}]}, {"n": [{"createdAt": "2026-02-30T10:00:00Z"}]}),
        ("null_node", {"n": [{"a": 1}, {"a": 2}]}, {"n": [None, {"a": 2}]}),
        ("lone_surrogate", {"title": "x"}, {"title": "\ud800x"}),
    ],
)
def test_fault_reshaping_modes(mode, before, after):
    assert _RESHAPE[mode](before) == after


def test_first_must_be_between_1_and_100():
    with SandboxServer(tiny_world()) as server:
        zero = _post(server, PULLS, {"first": 0}).json()
    assert "data" not in zero and zero["errors"][0]["type"] == "INVALID_PAGINATION"


def test_the_sandbox_stays_asynchronous_under_concurrent_clients():
    """The secondary-limit bookkeeping is released after every answer, also when many arrive at once."""

    async def burst(server) -> list[int]:
        async with httpx.AsyncClient(headers={"Authorization": "token tok-service"}) as client:
            answers = await asyncio.gather(*(client.get(server.github_url + REST) for _ in range(20)))
        return [a.status_code for a in answers]

    with SandboxServer(tiny_world()) as server:
        codes = asyncio.run(burst(server))
        left = side(server.state).in_flight.get("tok-service", 0)
    assert codes == [200] * 20 and left == 0
