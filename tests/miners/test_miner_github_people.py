"""Issue 6 inputs from the GitHub miner against the sandbox: accounts, org teams, CODEOWNERS, progress."""

from __future__ import annotations

import datetime as dt

import pytest
from github import Auth, Github

from miners.github.miner import mine_github
from miners.records import AccountRecord, CodeOwnersRecord, GitHubTeamRecord, PullRequestRecord
from sandbox.github import payloads as gp
from sandbox.github.rest import team_as_of
from sandbox.server import SandboxServer

pytestmark = pytest.mark.slow  # a full sync of a generated world

FETCHED = dt.datetime(2026, 10, 25, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def synced():
    from sandbox.generate import generate_world

    world = generate_world(engineers=10, months=1, seed=3)
    with SandboxServer(world) as server:
        gh = Github(
            base_url=server.github_url,
            auth=Auth.Token(world.tokens.service),
            seconds_between_requests=0,
            seconds_between_writes=0,
            retry=None,
        )
        calls: list[tuple[str, int, int | None]] = []
        batches = list(
            mine_github(
                gh, [world.org], {}, now=lambda: FETCHED, include_archived=True, progress=lambda *a: calls.append(a)
            )
        )
        links = gp.Links(api=server.github_url, html=gp.html_base(world))
        ids = {}
        for login in {r.identity for b in batches for r in b.records if isinstance(r, AccountRecord)}:
            ids[login] = gp.user_payload(world, login, links)["id"]  # the id GitHub's payloads show for the account
        yield world, server, gh, batches, calls, ids


def of(batches, kind):
    return [r for b in batches for r in b.records if isinstance(r, kind)]


def test_accounts_carry_id_name_type_and_commit_emails_without_extra_requests(synced):
    world, _, _, batches, _, ids = synced
    accounts = of(batches, AccountRecord)
    profiles = {a.identity: a for a in accounts if not a.emails}
    people = {p.login: p for p in world.people}
    visible = [pr for pr in world.pull_requests if pr.created_at <= world.now]
    authors = {pr.author for pr in visible} | {r.author for pr in visible for r in pr.reviews}
    authors |= {c.author for pr in visible for c in pr.issue_comments}
    authors |= {c.author for pr in visible for c in pr.commits}
    expected = {login for login in authors if login and not people[login].deleted}
    assert expected <= set(profiles)
    for login, account in profiles.items():
        person = people[login.removesuffix("[bot]")] if login not in people else people[login]
        assert account.github_id == ids[login] == person.github_id  # the world's numeric id, bots too
        assert account.account_type == ("Bot" if person.is_bot or login.endswith("[bot]") else "User")
        if account.account_type == "User":
            assert account.display_name == person.name
    got_emails = {(a.identity, a.emails[0]) for a in accounts if a.emails}
    want_emails = {
        (c.author, c.author_email.lower())
        for pr in visible
        for c in pr.commits
        if c.author
        and not people[c.author].deleted
        and not people[c.author].is_bot
        and not c.author.endswith("[bot]")  # GraphQL's GitActor.user is a User: never a bot
        and c.committed_at <= world.now
    }
    assert got_emails == want_emails
    assert any("users.noreply.github.com" in e for _, e in got_emails)


def test_org_teams_with_owned_repos_and_members(synced):
    world, _, _, batches, _, _ = synced
    teams = {t.slug: t for t in of(batches, GitHubTeamRecord)}
    assert set(teams) == {t.id for t in world.teams}
    for team in world.teams:
        record = teams[team.id]
        assert record.partition == f"github:{world.org}" and record.source_id == f"{world.org}/{team.id}"
        assert set(record.repos) == {
            r.full_name for r in world.repos if r.owner_team == team.id and r.created_at <= world.now
        }
        assert set(record.members) == {
            p.login for p in world.people if not p.deleted and not p.is_bot and team_as_of(p, world.now) == team.id
        }


def test_codeowners_of_every_repo_with_or_without_pulls_in_the_org_batch(synced):
    world, _, _, batches, _, _ = synced
    got = {r.repo: r for r in of(batches, CodeOwnersRecord)}
    assert got and set(got) == {r.full_name for r in world.repos if r.codeowners and r.created_at <= world.now}
    for repo in world.repos:
        if repo.full_name in got:
            record = got[repo.full_name]
            assert (record.text, record.path, record.partition) == (
                repo.codeowners,
                ".github/CODEOWNERS",
                f"github:{world.org}",
            )


def test_progress_reports_each_repos_prs_up_to_the_total(synced):
    world, _, _, batches, calls, _ = synced
    pulls: dict[str, int] = {}
    for r in of(batches, PullRequestRecord):
        pulls[r.partition] = pulls.get(r.partition, 0) + 1
    last = {}
    for partition, done, total in calls:
        assert done >= last.get(partition, (0, None))[0]
        last[partition] = (done, total)
    assert {p: done for p, (done, _) in last.items()} == pulls
    assert all(total == done for done, total in last.values())  # a full read knows the total


def test_a_quiet_night_reads_no_teams_and_codeowners_cost_nothing(synced):
    world, server, gh, batches, _, _ = synced
    cursors = {b.partition: b.cursor for b in batches if b.cursor is not None}
    with server.state.lock:
        server.state.counts.clear()
    again = list(mine_github(gh, [world.org], cursors, now=lambda: FETCHED, include_archived=True))
    assert of(again, GitHubTeamRecord) == []
    first = {r.repo: r.content_hash() for r in of(batches, CodeOwnersRecord)}
    assert {r.repo: r.content_hash() for r in of(again, CodeOwnersRecord)} == first  # unchanged: no writes
    stats = server.state.stats()["github"]
    assert stats["rest_counted"] == 0 and stats["graphql_points"] == 1
