"""Issue 15: Jira comments and changelogs past the first page are read, not dropped.

Jira Cloud embeds only the first comments of an issue (``fields.comment.total`` says how many there are),
serves ``issue/{key}/comment`` 100 at a time whatever ``maxResults`` asks, and keeps 40 histories in
``expand=changelog``; the strict sandbox does the same.  An issue with 250 comments and 150 changelog
entries must be stored whole, on Cloud and on Data Center.
"""

from __future__ import annotations

import datetime as dt

import pytest

from miners.records import JiraChangeRecord, JiraCommentRecord
from sandbox.faults import FaultProfile
from sandbox.server import SandboxServer
from sandbox.world import JiraChange, JiraComment
from tests.support.jira import flavoured_world, mine_projects, service_client
from tests.support.worlds import t


def _long(world):
    issue = next(i for i in world.jira_issues if i.key == "ML-1")
    start = issue.created
    for n in range(250):
        at = start + dt.timedelta(minutes=n + 1)
        issue.comments.append(JiraComment(id=str(90000 + n), author="ana", body=f"note {n}", created=at, updated=at))
    for n in range(150):
        at = start + dt.timedelta(minutes=n + 1, seconds=30)
        issue.changelog.append(
            JiraChange(id=str(80000 + n), author="bo", created=at, field="Rank", to_string="Ranked higher")
        )
    issue.changelog.sort(key=lambda c: c.created)
    issue.updated = max(issue.updated, start + dt.timedelta(minutes=300))
    assert issue.updated <= t(31)
    return world, issue


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_an_issue_with_250_comments_and_150_changes_is_stored_whole(flavour):
    world, issue = _long(flavoured_world(flavour))
    with SandboxServer(world) as server:
        batches = mine_projects(service_client(server))
        by_endpoint = server.state.stats()["jira"]["by_endpoint"]
    records = [r for b in batches for r in b.records]
    comments = [r for r in records if isinstance(r, JiraCommentRecord) and r.issue_key == "ML-1"]
    changes = [r for r in records if isinstance(r, JiraChangeRecord) and r.issue_key == "ML-1"]
    assert len(issue.comments) >= 250 and len(comments) == len(issue.comments)
    assert {c.source_id for c in comments} == {f"ML-1:{c.id}" for c in issue.comments}
    assert len(changes) == len(issue.changelog)
    pages = sum(v for k, v in by_endpoint.items() if k.endswith("/issue/{key}/comment.200"))
    if flavour == "cloud":
        assert pages == 3  # 100 + 100 + the rest, past the 20 embedded
    else:
        assert pages == 0  # Data Center embeds every comment


def test_the_strict_sandbox_pages_cloud_comments_at_100_whatever_is_asked():
    world, issue = _long(flavoured_world("cloud"))
    with SandboxServer(world) as server:
        client = service_client(server)
        page = client._get_json("issue/ML-1/comment", params={"maxResults": 1000})
        embedded = client._get_json("issue/ML-1", params={"fields": "comment", "expand": "changelog"})
    assert (page["maxResults"], len(page["comments"]), page["total"]) == (100, 100, len(issue.comments))
    comment = embedded["fields"]["comment"]
    assert (len(comment["comments"]), comment["total"]) == (20, len(issue.comments))
    assert (len(embedded["changelog"]["histories"]), embedded["changelog"]["total"]) == (
        40,
        len({c.id for c in issue.changelog}),
    )


def _short_changelogs(paths: list[str]) -> FaultProfile:
    rule = {"kind": "malformed", "mode": "short_changelog", "rate": 1.0, "apis": ["jira"], "paths": paths}
    return FaultProfile.model_validate({"rules": [rule]})


def test_data_center_rereads_a_truncated_changelog_issue_by_issue(caplog):
    """A Data Center search that embeds only part of a changelog (``total`` > histories): the miner reads
    the issue again with ``expand=changelog`` and stores every change; if that is short too, it says so."""
    world, issue = _long(flavoured_world("datacenter"))
    with SandboxServer(world, faults=_short_changelogs(["/jira/rest/api/2/search"])) as server:
        batches = mine_projects(service_client(server))
        by_endpoint = server.state.stats()["jira"]["by_endpoint"]
    changes = [r for b in batches for r in b.records if isinstance(r, JiraChangeRecord)]
    assert len([r for r in changes if r.issue_key == "ML-1"]) == len(issue.changelog)
    assert len(changes) == sum(len([c for c in i.changelog if c.created <= world.now]) for i in world.jira_issues)
    long_ones = sum(len([c for c in i.changelog if c.created <= world.now]) > 2 for i in world.jira_issues)
    assert by_endpoint["/rest/api/2/issue/{key}.200"] == long_ones  # one re-read per truncated issue, no more
    assert not [r for r in caplog.records if "only part of the changelog" in r.getMessage()]

    everywhere = _short_changelogs(["/jira/rest/api/2/search", "/jira/rest/api/2/issue/*"])
    with SandboxServer(world, faults=everywhere) as server:
        batches = mine_projects(service_client(server))
    changes = [r for b in batches for r in b.records if isinstance(r, JiraChangeRecord) and r.issue_key == "ML-1"]
    assert len(changes) == 2  # what Jira sent, and a warning naming the issue instead of silence
    assert any("ML-1: Jira returned only part of the changelog" in r.getMessage() for r in caplog.records)
