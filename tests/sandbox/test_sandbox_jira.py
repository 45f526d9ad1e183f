"""The Jira side of the sandbox, driven by the real ``jira`` client (and plain requests) over loopback."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from jira import JIRA
from jira.exceptions import JIRAError

from sandbox.jira.jql import JqlError, parse_jql
from sandbox.server import SandboxServer
from sandbox.world import JiraChange, JiraComment
from tests.support.worlds import t, tiny_world

UTC = dt.timezone.utc


def _world(flavour: str = "cloud"):
    world = tiny_world()
    world.jira_flavour = flavour
    return world


@pytest.fixture(scope="module")
def cloud():
    with SandboxServer(_world("cloud")) as server:
        yield server


@pytest.fixture(scope="module")
def dc():
    with SandboxServer(_world("datacenter")) as server:
        yield server


def _client(server: SandboxServer, token: str = "tok-service", **options) -> JIRA:
    return JIRA(
        server=server.jira_url, basic_auth=("ladder-sync@example.com", token), options=options or None, max_retries=0
    )


def _keys(result) -> list[str]:
    return [issue["key"] for issue in result["issues"]]


def test_server_info_reports_the_flavour(cloud, dc):
    assert _client(cloud).deploymentType == "Cloud"
    dc_client = JIRA(server=dc.jira_url, token_auth="tok-ana", max_retries=0)  # DC: personal access token
    assert dc_client.deploymentType == "Server"
    assert dc_client.server_info()["versionNumbers"][0] >= 9


def test_auth_basic_bearer_and_unknown_token(cloud):
    assert _client(cloud, "tok-ana").myself()["accountId"] == "acc-ana"
    assert JIRA(server=cloud.jira_url, token_auth="tok-bo", max_retries=0).myself()["displayName"] == "Bo Chen"
    bad = _client(cloud, "not-a-token")  # serverInfo is public, as on real Jira
    with pytest.raises(JIRAError) as err:
        bad.myself()
    assert err.value.status_code == 401
    assert requests.get(f"{cloud.jira_url}/rest/api/3/field").status_code == 401


def test_users_carry_account_id_on_cloud_and_key_on_data_center(cloud, dc):
    cloud_issue = _client(cloud).issue("SRCH-1").raw["fields"]
    assert cloud_issue["assignee"]["accountId"] == "acc-ana"
    assert cloud_issue["customfield_10041"]["accountId"] == "acc-ana"  # Incident commander
    dc_issue = _client(dc).issue("SRCH-1").raw["fields"]
    assert "accountId" not in dc_issue["assignee"]
    assert (dc_issue["assignee"]["key"], dc_issue["assignee"]["name"]) == ("acc-ana", "ana")


def test_fields_list_names_the_custom_fields(cloud):
    by_name = {f["name"]: f for f in _client(cloud).fields()}
    for name in ("Severity", "Incident commander", "Postmortem link", "Story Points", "Epic Link"):
        assert by_name[name]["custom"] is True
        assert name in by_name[name]["clauseNames"]
    assert by_name["Summary"]["id"] == "summary"


def test_projects_list(cloud):
    assert [(p.key, p.name) for p in _client(cloud).projects()] == [("ML", "ML Platform"), ("SRCH", "Search")]


@pytest.mark.parametrize("use_post", [False, True])
def test_search_jql_pages_with_next_page_token(cloud, use_post):
    client = _client(cloud)
    jql = "project in (ML, SRCH) ORDER BY updated ASC, key ASC"
    keys, token, pages = [], None, 0
    while True:
        page = client.enhanced_search_issues(
            jql, nextPageToken=token, maxResults=3, fields=["updated"], json_result=True, use_post=use_post
        )
        pages += 1
        keys += _keys(page)
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            break
    # ML-4 is created after the clock: invisible
    assert keys == ["ML-1", "ML-2", "ML-3", "SRCH-2", "SRCH-1", "SRCH-4", "SRCH-3"]
    assert pages == 3


def test_search_jql_rejects_a_foreign_page_token(cloud):
    client = _client(cloud)
    first = client.enhanced_search_issues("project = ML", maxResults=1, json_result=True)
    with pytest.raises(JIRAError) as err:
        client.enhanced_search_issues("project = SRCH", nextPageToken=first["nextPageToken"], json_result=True)
    assert err.value.status_code == 400 and "nextPageToken" in err.value.text


def test_removed_cloud_search_answers_410(cloud):
    for version in ("2", "3"):
        r = requests.get(
            f"{cloud.jira_url}/rest/api/{version}/search",
            params={"jql": "project = ML"},
            auth=("x@acme.test", "tok-service"),
        )
        assert r.status_code == 410
        assert "/rest/api/3/search/jql" in r.json()["errorMessages"][0]
    assert cloud.state.stats()["jira"]["by_endpoint"]["/rest/api/3/search.410"] >= 1


@pytest.mark.parametrize("use_post", [False, True])
def test_data_center_offset_search_and_no_cloud_apis(dc, use_post):
    client = _client(dc)
    page = client.search_issues(
        "project = SRCH ORDER BY key DESC",
        startAt=1,
        maxResults=2,
        fields="summary",
        json_result=True,
        use_post=use_post,
    )
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 2, 4)
    assert _keys(page) == ["SRCH-3", "SRCH-2"]
    assert page["issues"][0]["fields"] == {"summary": "Follow-up: add timeout to ranking client"}
    assert [i.key for i in client.search_issues("project = SRCH", maxResults=0)] == [
        "SRCH-4",
        "SRCH-3",
        "SRCH-2",
        "SRCH-1",
    ]  # the client's own offset loop
    auth = ("x@acme.test", "tok-service")
    assert requests.get(f"{dc.jira_url}/rest/api/2/search/jql", params={"jql": ""}, auth=auth).status_code == 404
    assert requests.get(f"{dc.jira_url}/rest/api/3/myself", auth=auth).status_code == 404


def test_search_embeds_comments_and_changelog(cloud):
    page = _client(cloud).enhanced_search_issues(
        "project = ML ORDER BY key ASC", fields=["comment", "status"], expand="changelog", json_result=True
    )
    ml2 = next(i for i in page["issues"] if i["key"] == "ML-2")
    assert [c["id"] for c in ml2["fields"]["comment"]["comments"]] == ["40001"]
    assert ml2["fields"]["comment"]["comments"][0]["author"]["accountId"] == "acc-ana"
    items = [(h["id"], h["items"][0]["toString"]) for h in ml2["changelog"]["histories"]]
    assert items == [("30001", "In Progress"), ("30002", "Done")]
    assert set(ml2["fields"]) == {"comment", "status"}


def test_v3_renders_rich_text_as_adf_and_v2_as_plain():
    world = _world("cloud")
    issue = next(i for i in world.jira_issues if i.key == "ML-2")
    issue.description = "First line\nsecond line\n\nNew paragraph"
    with SandboxServer(world) as server:
        v2 = _client(server).issue("ML-2", fields="description").raw["fields"]["description"]
        v3 = _client(server, rest_api_version="3").issue("ML-2", fields="description").raw["fields"]["description"]
    assert v2 == "First line\nsecond line\n\nNew paragraph"
    assert v3["type"] == "doc"
    assert [p["type"] for p in v3["content"]] == ["paragraph", "paragraph"]
    assert [n["type"] for n in v3["content"][0]["content"]] == ["text", "hardBreak", "text"]


def test_epic_in_parent_on_cloud_and_in_epic_link_on_data_center(cloud, dc):
    fields = ["parent", "customfield_10014"]
    c = _client(cloud).issue("ML-2", fields=",".join(fields)).raw["fields"]
    d = _client(dc).issue("ML-2", fields=",".join(fields)).raw["fields"]
    assert (c["parent"]["key"], c["customfield_10014"]) == ("ML-1", None)
    assert (d["parent"], d["customfield_10014"]) == (None, "ML-1")
    assert _client(dc).issue("SRCH-4", fields="parent").raw["fields"]["parent"]["key"] == "SRCH-2"  # sub-task


def test_world_is_served_as_of_the_clock():
    world = _world("cloud")
    ml2 = next(i for i in world.jira_issues if i.key == "ML-2")
    ml2.comments.append(JiraComment(id="40009", author="bo", body="later", created=t(27), updated=t(27)))
    ml2.changelog.append(
        JiraChange(id="30009", author="dana", created=t(28), field="status", from_string="Done", to_string="Reopened")
    )
    ml2.status, ml2.status_category, ml2.updated = "Reopened", "new", t(28)
    with SandboxServer(world) as server:
        client = _client(server)
        with pytest.raises(JIRAError) as err:
            client.issue("ML-4")
        assert err.value.status_code == 404
        raw = client.issue("ML-2", expand="changelog").raw
        assert [c["id"] for c in raw["fields"]["comment"]["comments"]] == ["40001"]
        assert [h["id"] for h in raw["changelog"]["histories"]] == ["30001", "30002"]
        assert raw["fields"]["status"]["name"] == "Done"  # rolled back before the hidden change
        assert raw["fields"]["updated"] == "2026-10-03T16:00:00.000+0000"  # capped at the last visible event
        assert [c.id for c in client.comments("ML-2")] == ["40001"]

        server.state.now = t(29)
        raw = client.issue("ML-2", expand="changelog").raw
        assert [c["id"] for c in raw["fields"]["comment"]["comments"]] == ["40001", "40009"]
        assert raw["fields"]["status"]["name"] == "Reopened"
        assert raw["fields"]["updated"] == "2026-10-28T10:00:00.000+0000"

        server.state.now = t(31)
        assert client.issue("ML-4").key == "ML-4"


def test_dates_are_rendered_and_read_in_the_callers_time_zone():
    world = _world("cloud")
    world.person("ana").timezone = "Asia/Shanghai"
    with SandboxServer(world) as server:
        ana = _client(server, "tok-ana")
        raw = ana.issue("SRCH-1", fields="created").raw
        assert raw["fields"]["created"] == "2026-10-08T11:00:00.000+0800"
        # 2026-10-09 18:00 Shanghai is 10:00 UTC: SRCH-1 (updated 09 10:00 UTC) is included
        page = ana.enhanced_search_issues(
            'project = SRCH AND updated >= "2026-10-09 18:00" ORDER BY key', fields=["updated"], json_result=True
        )
        assert _keys(page) == ["SRCH-1", "SRCH-3", "SRCH-4"]
        page = _client(server).enhanced_search_issues(  # the service account reads the same text as UTC
            'project = SRCH AND updated >= "2026-10-09 18:00" ORDER BY key', fields=["updated"], json_result=True
        )
        assert _keys(page) == ["SRCH-3", "SRCH-4"]


@pytest.mark.parametrize(
    "jql, message",
    [
        ("summary ~ foo", "field 'summary' is not supported"),
        ('updated >= "last tuesday"', "date value 'last tuesday' is invalid"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'"),
        ("project = ML ORDER BY priority", "cannot ORDER BY 'priority'"),
        ("project = ML project = SRCH", "expected 'and' but found 'project'"),
    ],
)
def test_unsupported_jql_is_a_clear_400(cloud, jql, message):
    with pytest.raises(JIRAError) as err:
        _client(cloud).enhanced_search_issues(jql, json_result=True)
    assert err.value.status_code == 400
    assert message in err.value.text


def test_jql_subset_parses_the_miners_queries(cloud):
    q = parse_jql('project = "ML" AND updated >= "2026-10-07 09:55" ORDER BY updated ASC, key ASC', UTC)
    assert q.projects == ("ML",)
    assert q.order == (("updated", False), ("key", False))
    assert parse_jql("project in (ML, 'SRCH')", UTC).projects == ("ML", "SRCH")
    with pytest.raises(JqlError):
        parse_jql("project = ML ORDER BY key ASC extra", UTC)
    client = _client(cloud)
    both = (
        '(project = "ML" AND updated >= "2026-10-07 00:00") OR (project = "SRCH" AND updated >= "2026-10-10 00:00")'
        " ORDER BY updated ASC, key ASC"
    )
    assert _keys(client.enhanced_search_issues(both, fields=["updated"], json_result=True)) == [
        "ML-3",
        "SRCH-4",
        "SRCH-3",
    ]
    keys = client.enhanced_search_issues(
        "key in (ML-2, SRCH-1) OR id = 20003 ORDER BY key ASC", fields=["updated"], json_result=True
    )
    assert _keys(keys) == ["ML-2", "ML-3", "SRCH-1"]


def test_every_request_is_metered_by_endpoint_template():
    with SandboxServer(_world("cloud")) as server:
        client = _client(server)
        client.issue("ML-1")
        client.issue("ML-2")
        client.comments("ML-2")
        stats = server.state.stats()["jira"]
    by_endpoint = stats["by_endpoint"]
    assert by_endpoint["/rest/api/2/serverInfo.200"] == 1
    assert by_endpoint["/rest/api/2/issue/{key}.200"] == 2
    assert by_endpoint["/rest/api/2/issue/{key}/comment.200"] == 1
    assert stats["requests"] == sum(by_endpoint.values())


def test_jql_dates_in_epoch_milliseconds_mean_the_same_instant_in_any_zone(dc):
    """Perceval's Jira backend asks ``updated > <epoch ms> order by updated asc``; the sandbox rejected it."""
    since = dt.datetime(2026, 10, 7, 9, 55, tzinfo=UTC)
    millis = int(since.timestamp() * 1000)
    for zone in (UTC, dt.timezone(dt.timedelta(hours=-7))):  # epoch milliseconds carry no zone
        query = parse_jql(f"updated > {millis} order by updated asc", zone)
        assert query.order == (("updated", False),)
        assert query.where is not None
    client = _client(dc)
    as_text = client.search_issues(
        'project = ML AND updated > "2026-10-07 09:55" ORDER BY updated ASC', json_result=True, fields="updated"
    )
    as_millis = client.search_issues(
        f"project = ML AND updated > {millis} order by updated asc", json_result=True, fields="updated"
    )
    assert _keys(as_millis) == _keys(as_text) and _keys(as_millis)
    everything = client.search_issues("updated > 0 order by updated asc", json_result=True, maxResults=50)
    assert everything["total"] == len([i for i in dc.state.world.jira_issues if i.created <= dc.state.now])


def test_data_center_answers_percevals_requests(dc):
    """What Perceval 1.6.1's Jira backend sends, as plain HTTP: offset search with its expand list, the field
    list (every field says whether it is custom), comments paged with a ``jql`` the endpoint ignores."""
    auth = {"Authorization": "Bearer tok-service"}
    base = f"{dc.jira_url}/rest/api/2"
    page = requests.get(
        f"{base}/search",
        params={
            "jql": "project = SRCH AND updated > 0 order by updated asc",
            "startAt": 0,
            "expand": "renderedFields,transitions,operations,changelog",
            "maxResults": 2,
        },
        headers=auth,
        timeout=10,
    ).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (0, 2, 4)
    assert all("histories" in issue["changelog"] for issue in page["issues"])
    fields = requests.get(f"{base}/field", headers=auth, timeout=10).json()
    assert all(isinstance(f["custom"], bool) for f in fields) and any(f["custom"] for f in fields)
    issue = page["issues"][0]
    comments = requests.get(
        f"{base}/issue/{issue['id']}/comment",
        params={"jql": "updated > 0 order by updated asc", "startAt": 0, "maxResults": 1},
        headers=auth,
        timeout=10,
    ).json()
    world_issue = next(i for i in dc.state.world.jira_issues if i.key == issue["key"])
    assert comments["total"] == len([c for c in world_issue.comments if c.created <= dc.state.world.now])
    assert (comments["startAt"], comments["maxResults"]) == (0, 1)
