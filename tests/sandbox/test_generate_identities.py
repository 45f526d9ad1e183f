"""The generator's messy identities, dated careers, commits and review-request history (issues 3 and 6)."""

from __future__ import annotations

import collections
import datetime as dt
import re

import pytest

from sandbox.generate import generate_world
from sandbox.generate.people import NOREPLY_DOMAIN
from sandbox.world import World

TRAILER = re.compile(r"^Co-authored-by: (?P<name>[^<\n]+) <(?P<email>[^>\n]+)>$", re.M)
NOREPLY = re.compile(r"^(?P<id>\d+)\+(?P<login>[^@]+)@" + re.escape(NOREPLY_DOMAIN) + "$")


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(engineers=60, months=3, seed=2)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def _team_on(person, when: dt.datetime) -> str:
    team = person.team
    for change in reversed(person.team_changes):
        if when < _midnight(change.on):
            team = change.from_team
    return team


# --- identities -------------------------------------------------------------------


def test_github_ids_emails_and_renames(world):
    people = world.people
    ids = [p.github_id for p in people]
    assert None not in ids and len(set(ids)) == len(ids)
    owner = {}
    for p in people:
        for email in p.emails + p.unlinked_emails:
            assert owner.setdefault(email, p.login) == p.login, f"{email} shared by {owner[email]} and {p.login}"
    humans = [p for p in people if not p.is_bot]
    assert all(len(p.emails) >= 2 for p in humans)
    noreply_people = 0
    for p in people:
        forms = [NOREPLY.match(e) for e in p.emails if e.endswith(NOREPLY_DOMAIN)]
        for m in forms:
            assert m and int(m["id"]) == p.github_id and m["login"] in [p.login, *p.former_logins], (p.login, m)
        noreply_people += bool(forms)
    assert 0.3 * len(humans) < noreply_people < len(people)
    assert {p.login: p.emails for p in people if p.is_bot} == {
        "dependabot[bot]": [f"49699333+dependabot[bot]@{NOREPLY_DOMAIN}"],
        "renovate[bot]": [f"29139614+renovate[bot]@{NOREPLY_DOMAIN}"],
    }
    renamed = [p for p in humans if p.former_logins]
    assert renamed and not any(p.deleted for p in renamed)
    logins = {p.login for p in people}
    for p in renamed:
        assert not set(p.former_logins) & logins
        assert f"{p.github_id}+{p.former_logins[-1]}@{NOREPLY_DOMAIN}" in p.emails
    assert any(p.unlinked_emails for p in humans)
    assert sum(1 for p in people if p.deleted) == 1


# --- dated careers ----------------------------------------------------------------


def test_team_moves_and_promotions_are_dated_and_consistent(world):
    people = {p.login: p for p in world.people}
    teams = {t.id for t in world.teams}
    movers = [p for p in world.people if p.team_changes]
    promoted = [p for p in world.people if p.level_changes]
    assert movers and promoted
    for p in movers + promoted:
        assert not p.personas and not p.deleted and not p.is_bot
    start, end = world.period_start.date(), world.period_end.date()
    for p in movers:
        (change,) = p.team_changes
        assert start < change.on < end and change.to_team == p.team and change.from_team != p.team
        assert {change.from_team, change.to_team} <= teams
        manager = people[p.manager]
        assert manager.level == "M1" and manager.team == p.team
    levels = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6")
    for p in promoted:
        (change,) = p.level_changes
        assert start < change.on < end and change.to_level == p.level
        assert levels.index(change.to_level) == levels.index(change.from_level) + 1


def test_movers_work_in_the_team_they_were_in_at_the_time(world):
    repo_team = {r.full_name: r.owner_team for r in world.repos}
    project_team = {p.key: p.owner_team for p in world.jira_projects}
    for mover in [p for p in world.people if p.team_changes]:
        moved = _midnight(mover.team_changes[0].on)
        before = collections.Counter(
            repo_team[pr.repo] for pr in world.pull_requests if pr.author == mover.login and pr.created_at < moved
        )
        after = collections.Counter(
            repo_team[pr.repo] for pr in world.pull_requests if pr.author == mover.login and pr.created_at >= moved
        )
        old, new = mover.team_changes[0].from_team, mover.team
        assert before[old] >= 3 and after[new] >= 3, (before, after)
        assert before[old] > sum(before.values()) / 2 and after[new] > sum(after.values()) / 2
        assert before[new] + after[old] <= 0.25 * (sum(before.values()) + sum(after.values()))
        reviewed = [pr for pr in world.pull_requests for r in pr.reviews if r.author == mover.login]
        assert reviewed
        assert all(repo_team[pr.repo] == _team_on(mover, pr.created_at) for pr in reviewed)
        reported = [i for i in world.jira_issues if i.reporter == mover.login]
        assert {project_team[i.project] for i in reported} == {old, new}
        assert all(project_team[i.project] == _team_on(mover, i.created) for i in reported)


# --- commits ----------------------------------------------------------------------


def test_commits_per_pull_request(world):
    people = {p.login: p for p in world.people}
    email_owner = {e: p.login for p in world.people for e in p.emails + p.unlinked_emails}
    shas = [c.sha for pr in world.pull_requests for c in pr.commits]
    assert len(set(shas)) == len(shas) and all(re.fullmatch(r"[0-9a-f]{40}", s) for s in shas)
    sizes = collections.Counter(len(pr.commits) for pr in world.pull_requests)
    assert set(sizes) == {1, 2, 3, 4, 5}
    unlinked = co_authored = 0
    for pr in world.pull_requests:
        first, *rest = pr.commits
        assert world.period_start <= first.committed_at <= pr.created_at
        assert first.message.startswith(pr.title)
        stop = pr.merged_at or pr.closed_at or pr.updated_at
        assert all(pr.created_at <= c.committed_at <= stop <= world.period_end for c in rest)
        assert [c.committed_at for c in rest] == sorted(c.committed_at for c in rest)
        for c in pr.commits:
            if c.author is None:  # an e-mail on no account: it belongs to the PR author nonetheless
                unlinked += 1
                assert c.author_email in people[pr.author].unlinked_emails and c.author_name
            else:
                assert c.author == pr.author and email_owner[c.author_email] == pr.author
            for m in TRAILER.finditer(c.message):
                co_authored += 1
                mate = email_owner[m["email"]]
                assert mate != pr.author and not people[mate].is_bot
    assert unlinked > 0 and co_authored >= 0.05 * len(world.pull_requests)
    renamed = next(p for p in world.people if p.former_logins)
    old = f"{renamed.github_id}+{renamed.former_logins[-1]}@{NOREPLY_DOMAIN}"
    new = f"{renamed.github_id}+{renamed.login}@{NOREPLY_DOMAIN}"
    used = [
        (c.committed_at, c.author_email)
        for pr in world.pull_requests
        for c in pr.commits
        if c.author == renamed.login and c.author_email in (old, new)
    ]
    assert {e for _, e in used} == {old, new}
    last_old = max(t for t, e in used if e == old)
    assert all(t > last_old for t, e in used if e == new)  # the old noreply stops at the rename


# --- review requests --------------------------------------------------------------


def _pending(pr) -> set[str]:
    out = set()
    for login in {r.reviewer for r in pr.review_requests}:
        last = max((r for r in pr.review_requests if r.reviewer == login), key=lambda r: r.requested_at)
        answered = any(v.author == login and v.submitted_at >= last.requested_at for v in pr.reviews)
        if last.removed_at is None and not answered:
            out.add(login)
    return out


def test_review_request_history(world):
    logins = {p.login for p in world.people}
    deleted = {p.login for p in world.people if p.deleted}
    withdrawn = re_requested = 0
    for pr in world.pull_requests:
        for request in pr.review_requests:
            assert request.reviewer in logins and request.reviewer != pr.author
            assert request.requested_by == pr.author
            assert pr.created_at <= request.requested_at <= world.period_end
            if request.removed_at is not None:
                assert request.requested_at < request.removed_at <= world.period_end
                assert not any(v.author == request.reviewer for v in pr.reviews)
                withdrawn += 1
        for login in {v.author for v in pr.reviews}:
            first = min(v.submitted_at for v in pr.reviews if v.author == login)
            asks = [r for r in pr.review_requests if r.reviewer == login and r.requested_at < first]
            assert asks and all(r.removed_at is None for r in asks), (pr.id, login)
        re_requested += sum(n - 1 for n in collections.Counter(r.reviewer for r in pr.review_requests).values())
        assert set(pr.requested_reviewers) == _pending(pr)
        assert len(pr.requested_reviewers) == len(set(pr.requested_reviewers))
        assert not set(pr.requested_reviewers) & deleted
        if pr.draft:
            assert not pr.review_requests
    assert withdrawn >= 20 and re_requested >= 20
    assert sum(bool(pr.requested_reviewers) for pr in world.pull_requests) >= 3
