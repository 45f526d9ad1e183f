"""The Jira miner's pure cores: timestamps, cursors, JQL, rich text and payload variants (no server)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miners.base import MinerError
from miners.jira.miner import build_cursor, build_jql, parse_cursor
from miners.jira.parse import IssueContext, parse_issue, parse_jira_time, parse_rich_text
from miners.records import JiraChangeRecord

UTC = dt.timezone.utc
FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
        ),
    )
)
def test_jira_timestamps_round_trip(when):
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    text = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}" + when.strftime("%z")
    assert parse_jira_time(text) == when.astimezone(UTC)


def test_jira_timestamp_variants():
    assert parse_jira_time("2026-10-02T18:00:00.000+0800") == dt.datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert parse_jira_time("2026-10-02T10:00:00Z") == dt.datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert parse_jira_time("12/May/21 10:30 PM") == dt.datetime(2021, 5, 12, 22, 30, tzinfo=UTC)
    assert parse_jira_time(None) is None
    with pytest.raises(ValueError, match="unreadable Jira timestamp"):
        parse_jira_time("soon")


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_cursor_round_trips_at_minute_resolution(when):
    cursor = build_cursor(when)
    assert parse_cursor(cursor, "jira:ML") == when.replace(second=0, microsecond=0)
    assert build_cursor(parse_cursor(cursor, "jira:ML")) == cursor


def test_bad_stored_cursor_says_what_to_do():
    with pytest.raises(MinerError, match="jira:ML.*full sync"):
        parse_cursor("2026-10-07T10:00:00Z", "jira:ML")


def test_build_jql_renders_the_window_in_the_users_zone():
    since = dt.datetime(2026, 10, 7, 9, 55, tzinfo=UTC)
    assert build_jql("ML", None, UTC) == 'project = "ML" ORDER BY updated ASC, key ASC'
    assert build_jql("ML", since, dt.timezone(dt.timedelta(hours=-7))) == (
        'project = "ML" AND updated >= "2026-10-07 02:55" ORDER BY updated ASC, key ASC'
    )


def test_rich_text_from_adf():
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Hi "},
                    {"type": "mention", "attrs": {"id": "acc-bo", "text": "@Bo"}},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "b"}]}],
                    },
                ],
            },
        ],
    }
    assert parse_rich_text(doc) == "Hi @Bo\n\n- a\n- b"
    assert parse_rich_text("") is None and parse_rich_text(None) is None


def test_parse_issue_survives_payload_variants():
    """Shapes seen in real payloads: DC users, bare comment list, +0800, Epic Link, history without id."""
    admin = {"name": "admin", "key": "JIRAUSER10000", "displayName": "admin"}
    issue = {
        "id": "10823",
        "key": "OPS-22",
        "fields": {
            "summary": "Queue stuck",
            "issuetype": {"name": "Incident"},
            "project": {"key": "OPS"},
            "status": {"name": "处理中", "statusCategory": {"key": "indeterminate"}},
            "reporter": admin,
            "assignee": None,
            "created": "2023-05-29T11:57:49.000+0800",
            "updated": "2023-07-27T14:13:35.000+0800",
            "resolutiondate": None,
            "customfield_10014": "OPS-1",
            "customfield_10040": [{"value": "SEV1"}],
            "customfield_10041": [admin],
            "issuelinks": [
                {
                    "type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
                    "inwardIssue": {"key": "OPS-2"},
                },
                {"type": {"name": "Relates"}, "outwardIssue": {}},
            ],
            "comment": [{"id": "10516", "author": admin, "body": "looking", "created": "2023-05-29T11:57:50.332+0800"}],
        },
        "changelog": {
            "histories": [
                {
                    "created": "2023-07-27T14:13:35.548+0800",
                    "items": [
                        {"field": "Link", "fromString": None, "toString": "This issue is blocked by OPS-2"},
                        {"field": "status", "fromString": "待办", "toString": "处理中"},
                    ],
                }
            ]
        },
    }
    ctx = IssueContext(
        server="https://jira.example",
        partition="jira:OPS",
        fetched_at=FETCHED,
        field_ids={"epic_link": "customfield_10014", "severity": "customfield_10040", "commander": "customfield_10041"},
    )
    records = {r.source_id: r for r in parse_issue(issue, ctx)}
    main = records["OPS-22"]
    assert main.created_at == dt.datetime(2023, 5, 29, 3, 57, 49, tzinfo=UTC)
    assert (main.parent_key, main.severity, main.commander_id, main.is_incident) == (
        "OPS-1",
        "SEV1",
        "JIRAUSER10000",
        True,
    )
    assert (main.status, main.status_category, main.reporter_id, main.assignee_id) == (
        "处理中",
        "indeterminate",
        "JIRAUSER10000",
        None,
    )
    assert records["OPS-22:inward:Blocks:OPS-2"].description == "is blocked by"
    assert records["OPS-22:10516"].updated_at == dt.datetime(2023, 5, 29, 3, 57, 50, 332000, tzinfo=UTC)
    changes = [r for r in records.values() if isinstance(r, JiraChangeRecord)]
    assert [(c.item_index, c.field_name, c.author_id) for c in changes] == [(0, "Link", None), (1, "status", None)]
    assert len({c.history_id for c in changes}) == 1
    assert len(records) == 5  # the link without a target is skipped
