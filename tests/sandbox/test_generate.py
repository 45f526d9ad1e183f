"""The world generator: determinism, volume, personas, referential integrity and time order."""

from __future__ import annotations

import collections
import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import pytest

from sandbox.generate import PERSONAS, generate_world
from sandbox.world import World, dump_world, read_world, write_world


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world()


def _logins(world: World) -> set[str]:
    return {p.login for p in world.people}


def _team_of_repo(world: World) -> dict[str, str]:
    return {r.full_name: r.owner_team for r in world.repos}


# --- determinism and volume ---------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seeds_differ():
    a = dump_world(generate_world(engineers=20, months=2, seed=7))
    b = dump_world(generate_world(engineers=20, months=2, seed=7))
    c = dump_world(generate_world(engineers=20, months=2, seed=8))
    assert a == b
    assert a != c


def test_default_world_has_the_target_volume():
    world = generate_world(seed=3)
    assert 900 <= len(world.pull_requests) <= 1800
    assert 550 <= len(world.jira_issues) <= 1100
    humans = [p for p in world.people if not p.is_bot]
    assert 38 <= len(humans) <= 42
    assert world.now == world.period_end == dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    assert world.period_start == dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)


def test_org_shape(world):
    teams = {t.id: t for t in world.teams}
    roots = [t for t in world.teams if t.parent is None]
    assert [t.id for t in roots] == ["engineering"]
    sizes = collections.Counter(p.team for p in world.people if not p.is_bot and p.team != "engineering")
    assert all(5 <= n <= 8 for n in sizes.values()), sizes
    levels = collections.Counter(p.level for p in world.people if not p.is_bot)
    assert levels["M2"] == 1 and levels["M1"] == len(teams) - 1
    middle = levels["IC2"] + levels["IC3"] + levels["IC4"]
    assert middle > levels["IC1"] + levels["IC5"] + levels["IC6"]
    by_login = {p.login: p for p in world.people}
    for p in world.people:
        if p.level == "M1":
            assert by_login[p.manager].level == "M2"
        elif p.level.startswith("IC") and not p.is_bot:
            assert by_login[p.manager].level == "M1" and by_login[p.manager].team == p.team
    assert any(any(ord(ch) > 127 for ch in p.name) for p in world.people)
    assert all(len(p.emails) >= 2 for p in world.people if not p.is_bot)
    tokens = [p.token for p in world.people if p.token]
    assert len(tokens) == len(set(tokens)) and world.tokens.service not in tokens
    assert all(p.token == f"sbx-{p.login}" for p in world.people if not p.is_bot and not p.deleted)
    per_team = collections.Counter(r.owner_team for r in world.repos if not r.archived)
    assert all(2 <= n <= 3 for n in per_team.values())
    assert any(r.archived for r in world.repos)
    assert any(r.codeowners and r.codeowners.startswith("* @acme/") for r in world.repos)
    assert {p.owner_team for p in world.jira_projects} == set(teams) - {"engineering"}


# --- personas -------------------------------------------------------------------


@pytest.mark.parametrize("engineers,seed", [(20, 0), (20, 5), (40, 1), (60, 2)])
def test_every_persona_is_planted(engineers, seed):
    world = generate_world(engineers=engineers, seed=seed)
    present = {name for p in world.people for name in p.personas}
    assert present == set(PERSONAS)


def _persona(world: World, name: str):
    return [p for p in world.people if name in p.personas]


def test_personas_behave_as_documented(world):
    prs, people = world.pull_requests, {p.login: p for p in world.people}
    repo_team = _team_of_repo(world)
    start = world.period_start.date()

    stamper = _persona(world, "rubber_stamper")[0].login
    stamps = [(pr, r) for pr in prs for r in pr.reviews if r.author == stamper]
    assert len(stamps) >= 10
    assert all(r.state == "APPROVED" and r.body == "" for _, r in stamps)
    assert all(r.submitted_at - pr.created_at <= dt.timedelta(minutes=15) for pr, r in stamps)

    mentor = _persona(world, "mentor")[0].login
    taught = [
        r
        for pr in prs
        if pr.author in people
        and (people[pr.author].level in ("IC1", "IC2") or "newcomer" in people[pr.author].personas)
        for r in pr.reviews
        if r.author == mentor and len(r.body) >= 120
    ]
    assert len(taught) >= 5

    quality = _persona(world, "quality_reviewer")[0].login
    requested = [r for pr in prs for r in pr.reviews if r.author == quality and r.state == "CHANGES_REQUESTED"]
    assert len(requested) >= 5 and all(r.body for r in requested)

    driver = _persona(world, "cross_team_driver")[0]
    away = [pr for pr in prs if pr.author == driver.login and repo_team[pr.repo] != driver.team]
    assert len(away) >= 5
    project_team = {p.key: p.owner_team for p in world.jira_projects}
    keys = {i.key: i for i in world.jira_issues}
    crossing = [
        i
        for i in world.jira_issues
        if i.assignee == driver.login
        for link in i.links
        if link.type == "Blocks" and project_team[keys[link.other].project] != project_team[i.project]
    ]
    assert len(crossing) >= 3

    keeper = _persona(world, "playbook_keeper")[0].login
    assert (
        sum(
            1
            for pr in prs
            if pr.author == keeper and any(f.path.startswith(("docs/runbooks/", "docs/playbooks/")) for f in pr.files)
        )
        >= 3
    )

    toil = _persona(world, "toil_reducer")[0].login
    assert (
        sum(1 for pr in prs if pr.author == toil and any(f.path.startswith(("scripts/", "cron/")) for f in pr.files))
        >= 3
    )

    experimenter = _persona(world, "ml_experimenter")[0].login
    assert sum(1 for pr in prs if pr.author == experimenter and "ml-experiment" in pr.labels) >= 3

    lead = _persona(world, "project_lead")[0].login
    children = collections.Counter(i.parent for i in world.jira_issues if i.parent)
    assert any(e.assignee == lead and children[e.key] >= 8 for e in world.jira_issues if e.issue_type == "Epic")

    owner = _persona(world, "sev_owner")[0].login
    commanded = [i for i in world.jira_issues if i.issue_type == "Incident" and i.commander == owner]
    assert len(commanded) >= 2 and any(i.postmortem_url for i in commanded)
    followups = [
        i for i in world.jira_issues if any(ln.type == "Causes" and ln.direction == "inward" for ln in i.links)
    ]
    assert any(i.resolved and i.changelog[-1].author == owner for i in followups)

    for newcomer in _persona(world, "newcomer"):
        assert newcomer.level in ("IC1", "IC2") and newcomer.start_date >= start
        first = dt.datetime.combine(newcomer.start_date, dt.time(), tzinfo=dt.timezone.utc)
        assert all(pr.created_at >= first for pr in prs if pr.author == newcomer.login)


@pytest.mark.parametrize("engineers,seed", [(20, 2), (20, 7), (60, 1)])
def test_personas_behave_as_documented_in_other_sizes(engineers, seed):
    test_personas_behave_as_documented(generate_world(engineers=engineers, seed=seed))


def test_bots_ghost_and_archived_repo(world):
    bots = {p.login for p in world.people if p.is_bot}
    assert bots == {"dependabot[bot]", "renovate[bot]"}
    bot_prs = [pr for pr in world.pull_requests if pr.author in bots]
    assert len(bot_prs) >= 20 and all("dependencies" in pr.labels for pr in bot_prs)
    deleted = [p for p in world.people if p.deleted]
    assert len(deleted) == 1 and deleted[0].token == ""
    assert any(pr.author == deleted[0].login for pr in world.pull_requests)
    archived = {r.full_name for r in world.repos if r.archived}
    assert not any(pr.repo in archived for pr in world.pull_requests)


def test_activity_is_heavy_tailed_and_in_working_hours(world):
    people = {p.login: p for p in world.people}
    counts = collections.Counter(pr.author for pr in world.pull_requests if not people[pr.author].is_bot)
    ics = [counts.get(p.login, 0) for p in world.people if p.level.startswith("IC") and not p.is_bot]
    assert max(ics) >= 3 * statistics.median(ics)
    inside = 0
    human = [pr for pr in world.pull_requests if not people[pr.author].is_bot]
    for pr in human:
        local = pr.created_at.astimezone(ZoneInfo(people[pr.author].timezone))
        inside += local.weekday() < 5 and 9 <= local.hour < 18
    assert inside == len(human)
    states = collections.Counter(
        "merged" if pr.merged_at else "closed" if pr.closed_at else "open" for pr in world.pull_requests
    )
    assert states["merged"] > states["open"] > 0 and states["closed"] > 0
    assert any(pr.draft for pr in world.pull_requests)
    review_counts = collections.Counter(len({r.author for r in pr.reviews}) for pr in human if pr.reviews)
    assert set(review_counts) <= {1, 2, 3} and review_counts[2] > 0


def test_text_is_varied(world):
    titles = [pr.title for pr in world.pull_requests]
    assert len(set(titles)) >= 0.8 * len(titles)
    summaries = [i.summary for i in world.jira_issues]
    assert len(set(summaries)) >= 0.8 * len(summaries)
    bodies = {r.body for pr in world.pull_requests for r in pr.reviews if r.body}
    assert len(bodies) >= 300


# --- integrity --------------------------------------------------------------------


def _check_unique(values, what):
    dupes = [v for v, n in collections.Counter(values).items() if n > 1]
    assert not dupes, f"duplicate {what}: {dupes[:5]}"


@pytest.mark.parametrize(
    "engineers,months,seed,heavy",
    [(40, 3, 0, 0.0), (12, 1, 4, 0.0), (3, 1, 9, 0.0), (90, 2, 11, 0.0), (20, 2, 5, 0.05)],
)
def test_referential_integrity_and_time_order(engineers, months, seed, heavy):
    world = generate_world(engineers=engineers, months=months, seed=seed, heavy_tail=heavy)
    logins, teams = _logins(world), {t.id for t in world.teams}
    deleted = {p.login for p in world.people if p.deleted}
    lo, hi = world.period_start, world.period_end

    def inside(ts: dt.datetime, what: str) -> None:
        assert ts.tzinfo is not None and ts.utcoffset() == dt.timedelta(0), what
        assert lo <= ts <= hi, f"{what} {ts} outside the period"

    _check_unique([p.login for p in world.people], "logins")
    _check_unique([p.jira_account_id for p in world.people], "jira account ids")
    for p in world.people:
        assert p.team in teams and (p.manager is None or p.manager in logins)
        ZoneInfo(p.timezone)
    for t in world.teams:
        assert t.parent is None or t.parent in teams
    repos = {r.full_name for r in world.repos}
    assert all(r.owner_team in teams for r in world.repos)
    assert all(p.owner_team in teams and p.lead in logins for p in world.jira_projects)

    _check_unique([pr.id for pr in world.pull_requests], "PR ids")
    _check_unique([(pr.repo, pr.number) for pr in world.pull_requests], "PR numbers")
    _check_unique([r.id for pr in world.pull_requests for r in pr.reviews], "review ids")
    _check_unique([c.id for pr in world.pull_requests for c in pr.review_comments], "review comment ids")
    _check_unique([c.id for pr in world.pull_requests for c in pr.issue_comments], "issue comment ids")
    for pr in world.pull_requests:
        assert pr.repo in repos and pr.author in logins
        inside(pr.created_at, f"PR {pr.id} created")
        children = [pr.created_at]
        if pr.merged_at:
            assert pr.closed_at == pr.merged_at
        for ts in (pr.closed_at, pr.merged_at):
            if ts:
                inside(ts, f"PR {pr.id} closed")
                assert ts >= pr.created_at
                children.append(ts)
        assert set(pr.requested_reviewers) <= logins - deleted and pr.author not in pr.requested_reviewers
        reviews = {r.id for r in pr.reviews}
        for r in pr.reviews:
            assert r.author in logins and r.author != pr.author
            inside(r.submitted_at, f"review {r.id}")
            assert r.submitted_at >= pr.created_at
            children.append(r.submitted_at)
        comments = {c.id: c for c in pr.review_comments}
        paths = {f.path for f in pr.files}
        for c in pr.review_comments:
            assert c.author in logins and c.path in paths
            assert c.review_id is None or c.review_id in reviews
            if c.in_reply_to is not None:
                assert c.created_at >= comments[c.in_reply_to].created_at
            inside(c.created_at, "review comment")
            inside(c.updated_at, "review comment update")
            assert c.updated_at >= c.created_at >= pr.created_at
            children.append(c.updated_at)
        for c in pr.issue_comments:
            assert c.author in logins
            inside(c.updated_at, "issue comment")
            assert c.updated_at >= c.created_at >= pr.created_at
            children.append(c.updated_at)
        assert pr.updated_at == max(children) or pr.updated_at >= max(children)
        inside(pr.updated_at, "PR updated")
        _check_unique([f.path for f in pr.files], f"paths of PR {pr.id}")

    issues = {i.key: i for i in world.jira_issues}
    projects = {p.key for p in world.jira_projects}
    _check_unique([i.id for i in world.jira_issues], "issue ids")
    _check_unique([i.key for i in world.jira_issues], "issue keys")
    _check_unique([c.id for i in world.jira_issues for c in i.comments], "Jira comment ids")
    _check_unique([c.id for i in world.jira_issues for c in i.changelog], "Jira history ids")
    links = collections.defaultdict(list)
    for i in world.jira_issues:
        assert i.project in projects and i.key.startswith(i.project + "-")
        assert i.reporter in logins and (i.assignee is None or i.assignee in logins)
        inside(i.created, f"{i.key} created")
        times = [i.created]
        if i.parent:
            parent = issues[i.parent]
            assert parent.created <= i.created
            if i.issue_type == "Sub-task":
                assert parent.issue_type not in ("Epic", "Sub-task")
            else:
                assert parent.issue_type == "Epic"
        assert (i.resolved is not None) == (i.status_category == "done"), i.key
        if i.resolved:
            inside(i.resolved, f"{i.key} resolved")
            assert i.resolved >= i.created
            times.append(i.resolved)
        for ch in i.changelog:
            assert ch.author in logins
            inside(ch.created, f"{i.key} change")
            assert ch.created >= i.created
            times.append(ch.created)
        assert [ch.created for ch in i.changelog] == sorted(ch.created for ch in i.changelog)
        status_changes = [ch for ch in i.changelog if ch.field == "status"]
        if status_changes:
            assert status_changes[-1].to_string == i.status
        for cm in i.comments:
            assert cm.author in logins
            inside(cm.updated, f"{i.key} comment")
            assert cm.updated >= cm.created >= i.created
            times.append(cm.updated)
        inside(i.updated, f"{i.key} updated")
        assert i.updated >= max(times)
        if i.issue_type == "Incident":
            assert i.severity in ("SEV1", "SEV2", "SEV3", "SEV4") and i.commander in logins
        for link in i.links:
            links[link.id].append((i, link))
    for link_id, ends in links.items():
        assert len(ends) == 2, f"link {link_id} has {len(ends)} ends"
        (a, la), (b, lb) = ends
        assert a.key != b.key and la.other == b.key and lb.other == a.key and la.type == lb.type
        assert {la.direction, lb.direction} == {"outward", "inward"}
        if la.type == "Causes":
            cause = a if la.direction == "outward" else b
            assert cause.issue_type == "Incident"
    if engineers >= 20:
        assert {i.issue_type for i in world.jira_issues} == {"Story", "Task", "Bug", "Epic", "Sub-task", "Incident"}
        types = collections.Counter(link.type for i in world.jira_issues for link in i.links)
        assert types["Blocks"] > 0 and types["Causes"] > 0
        cross = [
            i
            for i in world.jira_issues
            for link in i.links
            if link.type == "Blocks" and issues[link.other].project != i.project
        ]
        assert cross


def test_round_trips_through_a_world_file(tmp_path, world):
    path = tmp_path / "world.json"
    write_world(world, path)
    again = read_world(path)
    assert again == world
    assert dump_world(again) == path.read_text(encoding="utf-8")


def test_end_argument_and_bad_sizes():
    world = generate_world(engineers=8, months=1, seed=1, end=dt.datetime(2025, 3, 31, 12, 30))
    assert world.period_end == world.now == dt.datetime(2025, 3, 31, 12, 30, tzinfo=dt.timezone.utc)
    assert world.period_start == dt.datetime(2025, 2, 28, 12, 30, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError, match="engineers=2"):
        generate_world(engineers=2)
    with pytest.raises(ValueError, match="months=0"):
        generate_world(months=0)


def test_the_heavy_tail_grows_a_few_items_past_a_page_and_leaves_the_rest_alone():
    plain = generate_world(engineers=20, months=2, seed=5)
    heavy = generate_world(engineers=20, months=2, seed=5, heavy_tail=0.03)
    assert dump_world(generate_world(engineers=20, months=2, seed=5, heavy_tail=0.0)) == dump_world(plain)
    grown = [
        (a, b)
        for a, b in zip(plain.pull_requests, heavy.pull_requests, strict=True)
        if (len(a.files), len(a.issue_comments), len(a.review_comments))
        != (len(b.files), len(b.issue_comments), len(b.review_comments))
    ]
    assert 0.02 * len(plain.pull_requests) <= len(grown) <= 0.04 * len(plain.pull_requests)
    assert all(len(b.files) > 100 or len(b.issue_comments) > 100 or len(b.review_comments) > 100 for _, b in grown)
    assert max(len(p.files) for p in plain.pull_requests) < 30  # without it, nothing needs a second page
    tickets = [i for i in heavy.jira_issues if len(i.comments) > 100]
    assert tickets and all(len(i.changelog) > 100 for i in tickets)
    assert not [i for i in plain.jira_issues if len(i.comments) > 100 or len(i.changelog) > 100]
