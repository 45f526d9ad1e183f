"""Jira Cloud bulk endpoints, user search and the 429 hook of the sandbox, over loopback."""

from __future__ import annotations

import pytest
import requests

from sandbox.jira.bulk import throttle
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

AUTH = ("ladder-sync@example.com", "tok-service")


def _world(flavour: str):
    world = tiny_world()
    world.jira_flavour = flavour
    return world


@pytest.fixture(scope="module")
def cloud():
    with SandboxServer(_world("cloud")) as server:
        yield server


def _post(server, path: str, body: dict, version: str = "3") -> requests.Response:
    return requests.post(f"{server.jira_url}/rest/api/{version}/{path}", json=body, auth=AUTH, timeout=10)


def test_bulkfetch_returns_requested_visible_issues_in_id_order(cloud):
    answer = _post(
        cloud,
        "issue/bulkfetch",
        {
            "issueIdsOrKeys": ["SRCH-1", "20002", "ml-3", "ML-4", "NOPE-1"],
            "fields": ["summary", "comment", "customfield_10041"],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [i["key"] for i in body["issues"]] == ["ML-2", "ML-3", "SRCH-1"]  # ML-4 is after the clock
    assert body["issueErrors"] == []
    assert set(body["issues"][0]["fields"]) == {"summary", "comment", "customfield_10041"}
    assert body["issues"][0]["fields"]["comment"]["comments"][0]["body"]["type"] == "doc"  # v3: ADF
    assert body["issues"][2]["fields"]["customfield_10041"]["accountId"] == "acc-ana"


def test_bulkfetch_limits_and_data_center(cloud):
    too_many = _post(cloud, "issue/bulkfetch", {"issueIdsOrKeys": [f"ML-{n}" for n in range(101)]})
    assert too_many.status_code == 400 and "at most 100" in too_many.json()["errorMessages"][0]
    assert _post(cloud, "issue/bulkfetch", {}).status_code == 400
    with SandboxServer(_world("datacenter")) as dc:
        assert _post(dc, "issue/bulkfetch", {"issueIdsOrKeys": ["ML-1"]}, version="2").status_code == 404
        assert _post(dc, "changelog/bulkfetch", {"issueIdsOrKeys": ["ML-1"]}, version="2").status_code == 404


def test_changelog_bulkfetch_pages_over_histories(cloud):
    body = {"issueIdsOrKeys": ["ML-2", "SRCH-1", "ML-1"], "maxResults": 2}
    first = _post(cloud, "changelog/bulkfetch", body).json()
    assert [(c["issueId"], [h["id"] for h in c["changeHistories"]]) for c in first["issueChangeLogs"]] == [
        ("20002", ["30001", "30002"])
    ]
    second = _post(cloud, "changelog/bulkfetch", body | {"nextPageToken": first["nextPageToken"]}).json()
    assert [(c["issueId"], [h["id"] for h in c["changeHistories"]]) for c in second["issueChangeLogs"]] == [
        ("20004", ["30003"])
    ]
    assert second["nextPageToken"] is None
    item = second["issueChangeLogs"][0]["changeHistories"][0]["items"][0]
    assert (item["field"], item["from"], item["to"], item["toString"]) == ("assignee", None, "acc-ana", "Ana Lima")
    foreign = _post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": ["ML-1"], "nextPageToken": first["nextPageToken"]})
    assert foreign.status_code == 400
    only_status = _post(
        cloud, "changelog/bulkfetch", {"issueIdsOrKeys": ["SRCH-1", "ML-2"], "fieldIds": ["status"]}
    ).json()
    assert [c["issueId"] for c in only_status["issueChangeLogs"]] == ["20002"]


def test_user_search(cloud):
    found = requests.get(
        f"{cloud.jira_url}/rest/api/3/user/search", params={"query": "ana"}, auth=AUTH, timeout=10
    ).json()
    assert [u["accountId"] for u in found] == ["acc-dana", "acc-ana"]  # substring of name, login or e-mail
    assert requests.get(f"{cloud.jira_url}/rest/api/3/user/search", auth=AUTH, timeout=10).status_code == 400


def test_throttle_answers_429_with_retry_after_and_is_metered():
    with SandboxServer(_world("cloud")) as server:
        throttle(server.state, retry_after_seconds=7, times=2)
        url = f"{server.jira_url}/rest/api/3/myself"
        statuses = [requests.get(url, auth=AUTH, timeout=10) for _ in range(3)]
        by_endpoint = server.state.stats()["jira"]["by_endpoint"]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "7"
    assert by_endpoint == {"/rest/api/3/myself.429": 2, "/rest/api/3/myself.200": 1}
