"""The record classes split by entity stay one contract: importable from ``miners.records``, same order."""

from __future__ import annotations

import subprocess
import sys

import pytest

import miners.records as records
from miners.records import ALL_RECORD_TYPES, Record

# The warehouse's DDL follows this order; changing it changes the raw tables.
TABLES = (
    "raw_roster_people",
    "raw_roster_teams",
    "raw_roster_enrollments",
    "raw_roster_ownership",
    "raw_accounts",
    "raw_github_repos",
    "raw_github_codeowners",
    "raw_github_teams",
    "raw_github_pull_requests",
    "raw_github_pull_request_files",
    "raw_github_reviews",
    "raw_github_review_comments",
    "raw_github_issue_comments",
    "raw_github_review_requests",
    "raw_github_pull_request_commits",
    "raw_github_co_authors",
    "raw_jira_issues",
    "raw_jira_links",
    "raw_jira_comments",
    "raw_jira_changes",
    "raw_jira_incidents",
    "raw_jira_incident_roles",
)


def test_all_record_types_keep_their_order_and_each_is_exported_by_name():
    assert tuple(cls.TABLE for cls in ALL_RECORD_TYPES) == TABLES
    for cls in ALL_RECORD_TYPES:
        assert issubclass(cls, Record) and getattr(records, cls.__name__) is cls
        assert cls.__module__ in ("miners.records.roster", "miners.records.github", "miners.records.jira")
    exported = {"ALL_RECORD_TYPES", "Record", "utc", "identity_key", *(c.__name__ for c in ALL_RECORD_TYPES)}
    assert set(records.__all__) == exported


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchRecord"):
        records.NoSuchRecord  # noqa: B018


@pytest.mark.parametrize("first", ["miners.records.roster", "miners.records.github", "miners.records.jira"])
def test_each_entity_module_can_be_imported_first(first):
    code = (
        f"import {first}\nfrom miners.records import ALL_RECORD_TYPES, PersonRecord, JiraIssueRecord\n"
        "print(len(ALL_RECORD_TYPES), PersonRecord.TABLE, JiraIssueRecord.TABLE)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["22", "raw_roster_people", "raw_jira_issues"]
