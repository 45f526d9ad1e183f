"""Real GitHub payloads (tests/fixtures/github, see its PROVENANCE.md) through the miner's REST parsers, all of them.

The miner reads pull requests, reviews, files and conversation comments over GraphQL (tested in
test_miner_github_graphql.py); over REST it reads review (line) comments, and accounts come from user
objects and commits.  The subset's other kinds (REST PRs, reviews, issue comments, repos) stay in the
fixture unchanged; nothing parses them.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest

from miners.github.accounts import AccountCollector, accounts_of
from miners.github.parse import parse_review_comment, parse_time, parse_user
from tests.support import FIXTURES

FIXTURE = FIXTURES / "github" / "recorded_subset.jsonl"
FETCHED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
GHOST = {
    "login": "ghost",
    "id": 10137,
    "node_id": "MDQ6VXNlcjEwMTM3",
    "type": "User",
    "site_admin": False,
    "url": "https://api.github.com/users/ghost",
    "html_url": "https://github.com/ghost",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _items(body):
    return body if isinstance(body, list) else [body]


def load() -> dict[str, list[tuple[str, dict]]]:
    """Payloads by kind: (repo full name, payload)."""
    kinds: dict[str, list[tuple[str, dict]]] = {}
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert record["source"] in {"apache/incubator-devlake", "dogsheep/github-to-sqlite", "octokit/fixtures"}
        path = (record["path"] or "").split("?")[0]
        match = re.match(r"^/repos/([^/]+/[^/]+)", path)
        repo = match.group(1) if match else ""
        if re.search(r"/pulls(/\d+)?$", path):
            kind = "pull"
        elif re.search(r"/pulls/\d+/reviews$", path):
            kind = "review"
        elif path.endswith("/pulls/comments"):
            kind = "review_comment"
        elif re.search(r"/issues/comments(/\d+)?$", path):
            kind = "issue_comment"
        elif path.startswith("/users/") or path.endswith("/collaborators"):
            kind = "user"
        elif "/commits" in path:
            kind = "commit"
        elif path.endswith("/jobs"):
            kind = "timestamps"
        else:
            kind = "repo"
        for item in _items(record["body"]):
            kinds.setdefault(kind, []).append((repo, item))
    return kinds


PAYLOADS = load()


def test_the_subset_holds_every_kind_the_miner_parses():
    counts = {k: len(v) for k, v in PAYLOADS.items()}
    assert counts["review_comment"] >= 16 and counts["user"] >= 17 and counts["commit"] >= 40
    assert FIXTURE.stat().st_size <= 1_000_000


def test_every_review_comment_parses_outdated_ones_too():
    outdated = 0
    for repo, payload in PAYLOADS["review_comment"]:
        comment = parse_review_comment(payload, repo=repo, fetched_at=FETCHED)
        assert comment.number > 0 and comment.comment_id == payload["id"]
        if payload.get("line") is None:
            outdated += 1
            assert comment.line == payload.get("original_line")
    assert outdated >= 5


def test_every_user_becomes_an_account():
    users = [p for _, p in PAYLOADS["user"]]
    accounts = accounts_of(users, partition="github:x", fetched_at=FETCHED)
    by_login = {a.identity: a for a in accounts if a.source_id.count(":") == 1}
    assert set(by_login) == {p["login"] for p in users}
    for payload in users:
        account = by_login[payload["login"]]
        assert account.github_id == payload["id"]
        assert account.display_name == (payload.get("name") or None)
    assert by_login["codecov[bot]"].account_type == "Bot"


def test_every_commit_gives_its_authors_account_and_email():
    collector = AccountCollector()
    for _, payload in PAYLOADS["commit"]:
        collector.add_rest_commit(payload)
    accounts = collector.records(partition="github:x", fetched_at=FETCHED)
    emails = {e for a in accounts for e in a.emails}
    linked = [p for _, p in PAYLOADS["commit"] if p.get("author")]
    assert emails == {p["commit"]["author"]["email"].lower() for p in linked}
    assert any("users.noreply.github.com" in e for e in emails)
    # a commit whose e-mail matches no account (author null) gives no account
    assert not any(a.identity == "" for a in accounts)


def test_every_timestamp_in_the_subset_parses_to_utc():
    seen = 0
    text = FIXTURE.read_text(encoding="utf-8")
    for value in set(re.findall(r'"(\d{4}-\d\d-\d\dT[^"]+)"', text)):
        if not TIMESTAMP.match(value):
            continue
        parsed = parse_time(value)
        assert parsed.utcoffset() == dt.timedelta(0)
        seen += 1
    assert seen > 100
    assert parse_time("2021-02-18T14:59:16.000+08:00") == dt.datetime(2021, 2, 18, 6, 59, 16, tzinfo=dt.timezone.utc)


# --- cases the licensed subset lacks, derived from its payloads -----------------------


@pytest.mark.parametrize("user", [None, GHOST], ids=["null-user", "ghost"])
def test_deleted_authors_parse_as_nobody(user):
    repo, payload = PAYLOADS["review_comment"][0]
    payload = {**copy.deepcopy(payload), "user": user}
    record = parse_review_comment(payload, repo=repo, fetched_at=FETCHED)
    assert (record.author_login, record.author_type) == (None, None)
    assert accounts_of([user], partition="github:x", fetched_at=FETCHED) == []
    assert parse_user(user) == (None, None)


def test_offsets_and_null_bodies_in_review_comments():
    repo, payload = PAYLOADS["review_comment"][0]
    payload = copy.deepcopy(payload)
    payload.update(created_at="2020-03-11T09:40:27.123+08:00", updated_at="2020-03-11T01:40:28-00:00", body=None)
    comment = parse_review_comment(payload, repo=repo, fetched_at=FETCHED)
    assert comment.created_at == dt.datetime(2020, 3, 11, 1, 40, 27, 123000, tzinfo=dt.timezone.utc)
    assert comment.updated_at == dt.datetime(2020, 3, 11, 1, 40, 28, tzinfo=dt.timezone.utc)
    assert comment.body is None
