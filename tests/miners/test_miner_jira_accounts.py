"""Jira AccountRecords: the users the miner already reads, as identity evidence (issue 6).

Real ``jira`` client against the sandbox over loopback (Cloud and Data
Center), plus the parser on hand-written user objects for the variants.
"""

from __future__ import annotations

import datetime as dt

import pytest
from jira import JIRA

from miners.jira.miner import ACCOUNTS_PARTITION, mine_jira
from miners.jira.parse import issue_users, parse_account
from miners.records import AccountRecord
from sandbox.generate import generate_world
from sandbox.server import SandboxServer

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["cloud", "datacenter"], scope="module")
def server(request):
    world = generate_world(engineers=16, months=2, seed=7)
    world.jira_flavour = request.param
    with SandboxServer(world) as server:
        yield server


def _client(server) -> JIRA:
    tokens = server.state.world.tokens
    return JIRA(server=server.jira_url, basic_auth=(tokens.service_jira_email, tokens.service), max_retries=0)


def _mine(server, cursors=None, **kwargs):
    projects = [p.key for p in server.state.world.jira_projects]
    return list(mine_jira(_client(server), projects, cursors or {}, now=lambda: FETCHED, **kwargs))


def _expected(world) -> dict[str, tuple]:
    """Every person the visible issues name (reporter, assignee, commander, comment and history authors),
    as (display name, e-mails, account type) the flavour shows."""
    now = world.now
    logins: set[str] = set()
    for i in world.jira_issues:
        if i.created > now:
            continue
        logins.update(x for x in (i.reporter, i.assignee, i.commander) if x)
        logins.update(c.author for c in i.comments)
        logins.update(c.author for c in i.changelog)
    cloud = world.jira_flavour == "cloud"
    out = {}
    for login in logins:
        p = world.person(login)
        out[p.jira_account_id] = (
            "Former user" if p.deleted else p.name,
            () if cloud or not p.emails else (p.emails[0],),
            ("app" if p.is_bot else "atlassian") if cloud else None,
        )
    return out


@pytest.mark.slow
def test_accounts_are_every_user_seen_with_what_the_flavour_shows_at_no_extra_cost(server):
    world = server.state.world
    server.state.counts.clear()
    plain = _mine(server)
    plain_requests = server.state.stats()["jira"]["requests"]
    server.state.counts.clear()
    batches = _mine(server, accounts=True)
    assert server.state.stats()["jira"]["requests"] == plain_requests  # nothing extra is fetched

    account_batches = [b for b in batches if b.partition == ACCOUNTS_PARTITION]
    assert account_batches and all(b.cursor is None for b in account_batches)
    records = [r for b in account_batches for r in b.records]
    assert all(isinstance(r, AccountRecord) and r.partition == ACCOUNTS_PARTITION for r in records)
    assert len({r.identity for r in records}) == len(records)  # each account once per run
    got = {r.identity: (r.display_name, r.emails, r.account_type) for r in records}
    assert got == _expected(world)
    assert all(r.system == "jira" and r.source_id == f"jira:{r.identity}" for r in records)
    # the issue records are the same with or without accounts
    assert [b for b in batches if b.partition != ACCOUNTS_PARTITION] == plain
    # a page's accounts come before its issues, so a crash between them cannot lose accounts for good
    assert batches[0].partition == ACCOUNTS_PARTITION

    cursors = {b.partition: b.cursor for b in plain}
    stored = {r.key: r.updated_at for b in plain for r in b.records if r.TABLE == "raw_jira_issues"}
    quiet = _mine(server, cursors, accounts=True, known=lambda keys: {k: stored[k] for k in keys if k in stored})
    assert all(b.partition != ACCOUNTS_PARTITION for b in quiet)


@pytest.mark.slow
def test_accounts_load_into_the_warehouse_and_reload_unchanged(server, tmp_path):
    from warehouse import open_warehouse

    batches = [b for b in _mine(server, accounts=True) if b.partition == ACCOUNTS_PARTITION]
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        first = [wh.load_batch(b) for b in batches]
        again = [wh.load_batch(b) for b in batches]
        rows = wh.con.execute("SELECT count(*) FROM stg_accounts WHERE system = 'jira'").fetchone()[0]
    assert sum(r.inserted for r in first) == rows == len(_expected(server.state.world))
    assert sum(r.inserted + r.updated for r in again) == 0


def test_parse_account_covers_cloud_data_center_and_hidden_emails():
    cloud = {
        "accountId": "5b10ac8d",
        "displayName": "Zoë Müller",
        "emailAddress": "",
        "accountType": "atlassian",
        "avatarUrls": {"48x48": "https://x"},
    }
    dc = {
        "key": "JIRAUSER10100",
        "name": "zmueller",
        "displayName": "Zoe Mueller",
        "emailAddress": " Zoe.Mueller@acme.test ",
    }
    app = {"accountId": "557058:bot", "displayName": "Automation for Jira", "accountType": "app"}
    a = parse_account(cloud, "jira:accounts", FETCHED)
    assert (a.identity, a.display_name, a.emails, a.account_type) == ("5b10ac8d", "Zoë Müller", (), "atlassian")
    assert "avatarUrls" not in a.raw
    b = parse_account(dc, "jira:accounts", FETCHED)
    assert (b.identity, b.emails, b.account_type) == ("JIRAUSER10100", ("Zoe.Mueller@acme.test",), None)
    assert parse_account(app, "jira:accounts", FETCHED).account_type == "app"
    assert parse_account({"displayName": "nobody"}, "jira:accounts", FETCHED) is None
    assert parse_account(None, "jira:accounts", FETCHED) is None


def test_issue_users_reads_every_place_a_user_appears():
    user = lambda i: {"accountId": f"u{i}"}  # noqa: E731
    issue = {
        "key": "ML-1",
        "fields": {
            "reporter": user(1),
            "assignee": user(2),
            "customfield_1": [user(3)],
            "comment": {"total": 1, "comments": [{"id": "9", "author": user(4), "updateAuthor": user(5)}]},
        },
        "changelog": {"histories": [{"id": "1", "author": user(6), "items": []}]},
    }
    ids = [u["accountId"] for u in issue_users(issue, {"commander": "customfield_1"})]
    assert ids == ["u1", "u2", "u3", "u4", "u5", "u6"]
    fetched = [{"id": "10", "author": user(7)}]  # comments fetched separately replace the embedded ones
    assert [u["accountId"] for u in issue_users(issue, None, fetched)] == ["u1", "u2", "u7", "u6"]
