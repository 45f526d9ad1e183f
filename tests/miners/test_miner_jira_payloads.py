"""Real recorded Jira payloads (vendored subset, see tests/fixtures/jira/PROVENANCE.md) parse into records."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from miners.jira.incidents import parse_incident
from miners.jira.parse import IssueContext, parse_issue
from miners.records import JiraChangeRecord, JiraCommentRecord, JiraIncidentRecord, JiraIssueRecord
from tests.support import FIXTURES

FIXTURE = FIXTURES / "jira" / "recorded_subset.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
FETCHED = dt.datetime(2026, 10, 25, tzinfo=dt.timezone.utc)


def _ctx(issue_type: str) -> IssueContext:
    ids = {"epic_link": "customfield_10014", "severity": "customfield_10040", "commander": "customfield_10041"}
    return IssueContext(
        server="https://jira.example",
        partition="jira:X",
        fetched_at=FETCHED,
        field_ids=ids,
        incident_types=frozenset({issue_type}),
    )  # every issue counts as an incident here


def _issues() -> list[dict]:
    out = [r["body"] for r in ROWS if r["kind"] == "issue"]
    out += [i for r in ROWS if r["kind"] == "search" for i in r["body"]["issues"]]
    return out


def test_the_subset_covers_the_documented_variants():
    assert {r["licence"] for r in ROWS} <= {"MIT", "Apache-2.0"}
    fields = [i["fields"] for i in _issues()]
    assert any(isinstance(f.get("comment"), list) for f in fields)  # a bare comment list
    assert any("+0800" in str(f.get("created")) for f in fields)  # offsets without a colon
    assert any(not str((f.get("status") or {}).get("name", "")).isascii() for f in fields)  # localized names
    users = [f.get("reporter") or {} for f in fields]
    assert any(u.get("accountId") and not u.get("name") for u in users)  # Cloud users with only accountId
    assert len(_issues()) >= 25 and sum(r["kind"] == "history" for r in ROWS) >= 40


@pytest.mark.parametrize("issue", _issues(), ids=lambda i: str(i.get("key")))
def test_every_recorded_issue_parses(issue):
    issue_type = ((issue.get("fields") or {}).get("issuetype") or {}).get("name") or "Unknown"
    records = parse_issue(issue, _ctx(issue_type))
    main = records[0]
    assert isinstance(main, JiraIssueRecord) and main.key == issue["key"]
    assert main.created_at.tzinfo is not None and main.updated_at >= main.created_at - dt.timedelta(seconds=1)
    if not issue["fields"].get("created"):  # a hand-made mock without it: the last change stands in
        assert main.created_at == main.updated_at
    histories = (issue.get("changelog") or {}).get("histories") or []
    changes = [r for r in records if isinstance(r, JiraChangeRecord)]
    assert len(changes) == sum(len(h.get("items") or []) for h in histories)
    comments = issue["fields"].get("comment") or {}
    listed = comments if isinstance(comments, list) else comments.get("comments") or []
    assert sum(isinstance(r, JiraCommentRecord) for r in records) == sum(1 for c in listed if c.get("id"))
    incident = parse_incident(issue, records, histories, "customfield_10041")
    assert isinstance(incident[0], JiraIncidentRecord) and incident[0].opened_at == main.created_at


def test_every_recorded_changelog_history_parses():
    histories = [r["body"] for r in ROWS if r["kind"] == "history"]
    issue = {
        "id": "1",
        "key": "X-1",
        "fields": {
            "created": "2021-01-01T00:00:00.000+0000",
            "updated": "2024-01-01T00:00:00.000+0000",
            "issuetype": {"name": "Incident"},
        },
        "changelog": {"histories": histories},
    }
    records = parse_issue(issue, _ctx("Incident"))
    changes = [r for r in records if isinstance(r, JiraChangeRecord)]
    assert len(changes) == sum(len(h["items"]) for h in histories) > 0
    assert all(c.changed_at.tzinfo is not None and c.field_name for c in changes)
    assert len({c.source_id for c in changes}) == len(changes)
    roles = parse_incident(issue, records, histories, None)
    assert roles[0].issue_key == "X-1"


def test_recorded_comment_pages_parse():
    pages = [r["body"] for r in ROWS if r["kind"] == "comments"]
    assert pages
    for page in pages:
        listed = page["comments"] if "comments" in page else [page]  # a page, or one created comment
        issue = {"id": "1", "key": "X-2", "fields": {"created": "2021-01-01T00:00:00.000+0000"}}
        records = parse_issue(issue, _ctx("Task"), listed)
        got = [r for r in records if isinstance(r, JiraCommentRecord)]
        assert [c.comment_id for c in got] == [str(c["id"]) for c in listed if c.get("id")]
