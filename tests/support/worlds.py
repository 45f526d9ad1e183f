"""Small hand-written worlds for tests: every value here is known, so tests can be exact."""

from __future__ import annotations

import datetime as dt

from sandbox.world import (
    Commit,
    IssueComment,
    JiraChange,
    JiraComment,
    JiraIssue,
    JiraLink,
    JiraProject,
    Person,
    PullFile,
    PullRequest,
    Repo,
    Review,
    ReviewComment,
    ReviewRequest,
    Team,
    Tokens,
    World,
)

UTC = dt.timezone.utc


def t(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A timestamp in October 2026 (``day`` 1..31)."""
    return dt.datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def tiny_world() -> World:
    """Two teams, five people, a bot and a ghost; 5 PRs, 8 tickets incl. an incident."""
    people = [
        Person(
            login="dana",
            name="Dana Okafor",
            emails=["dana@acme.test"],
            jira_account_id="acc-dana",
            level="M1",
            team="ml-platform",
            manager=None,
            start_date=dt.date(2019, 3, 1),
            token="tok-dana",
        ),
        Person(
            login="ana",
            name="Ana Lima",
            emails=["ana@acme.test"],
            jira_account_id="acc-ana",
            level="IC4",
            team="ml-platform",
            manager="dana",
            start_date=dt.date(2021, 5, 3),
            token="tok-ana",
            personas=["mentor", "sev_owner"],
        ),
        Person(
            login="bo",
            name="Bo Chen",
            emails=["bo@acme.test"],
            jira_account_id="acc-bo",
            level="IC2",
            team="ml-platform",
            manager="dana",
            start_date=dt.date(2026, 8, 1),
            token="tok-bo",
            personas=["newcomer"],
        ),
        Person(
            login="cyd",
            name="Cyd Ramírez",
            emails=["cyd@acme.test"],
            jira_account_id="acc-cyd",
            level="IC3",
            team="search",
            manager="eli",
            start_date=dt.date(2022, 1, 10),
            token="tok-cyd",
            personas=["rubber_stamper"],
        ),
        Person(
            login="eli",
            name="Eli Novak",
            emails=["eli@acme.test"],
            jira_account_id="acc-eli",
            level="M1",
            team="search",
            manager=None,
            start_date=dt.date(2018, 6, 1),
            token="tok-eli",
        ),
        Person(
            login="dependabot[bot]",
            name="dependabot",
            jira_account_id="acc-dependabot",
            level="IC1",
            team="ml-platform",
            start_date=dt.date(2019, 1, 1),
            is_bot=True,
            token="",
        ),
        Person(
            login="gone",
            name="Gone Person",
            jira_account_id="acc-gone",
            level="IC3",
            team="search",
            manager="eli",
            start_date=dt.date(2020, 1, 1),
            deleted=True,
            token="",
        ),
    ]
    repos = [
        Repo(
            org="acme",
            name="trainer",
            owner_team="ml-platform",
            created_at=t(1) - dt.timedelta(days=400),
            codeowners="* @acme/ml-platform\n",
        ),
        Repo(org="acme", name="search-api", owner_team="search", created_at=t(1) - dt.timedelta(days=800)),
        Repo(
            org="acme", name="old-scripts", owner_team="search", archived=True, created_at=t(1) - dt.timedelta(days=900)
        ),
    ]
    prs = [
        PullRequest(
            id=1001,
            repo="acme/trainer",
            number=1,
            author="bo",
            title="Add early stopping to the trainer",
            body="Stops training when validation loss plateaus.\n\n<script>alert(1)</script>",
            created_at=t(2),
            updated_at=t(3, 15),
            merged_at=t(3, 15),
            closed_at=t(3, 15),
            labels=["ml-experiment"],
            files=[
                PullFile(path="trainer/loop.py", additions=40, deletions=3),
                PullFile(path="tests/test_loop.py", additions=25, deletions=0, status="added"),
            ],
            requested_reviewers=[],
            reviews=[
                Review(
                    id=5001,
                    author="ana",
                    state="CHANGES_REQUESTED",
                    body="Nice start. The patience counter resets on every epoch, which is a bug; "
                    "see how we did it in the eval loop, and consider a min_delta.",
                    submitted_at=t(2, 14),
                ),
                Review(id=5002, author="ana", state="APPROVED", body="Looks good now.", submitted_at=t(3, 12)),
            ],
            review_comments=[
                ReviewComment(
                    id=7001,
                    review_id=5001,
                    author="ana",
                    path="trainer/loop.py",
                    line=12,
                    body="This resets `patience` every epoch; move it outside the loop.",
                    created_at=t(2, 14),
                    updated_at=t(2, 14),
                ),
                ReviewComment(
                    id=7002,
                    review_id=None,
                    author="bo",
                    path="trainer/loop.py",
                    line=12,
                    in_reply_to=7001,
                    body="Good catch, fixed.",
                    created_at=t(2, 16),
                    updated_at=t(2, 16),
                ),
            ],
            issue_comments=[
                IssueComment(id=9001, author="dana", body="Thanks Bo!", created_at=t(3, 16), updated_at=t(3, 16))
            ],
        ),
        PullRequest(
            id=1002,
            repo="acme/trainer",
            number=2,
            author="dependabot[bot]",
            title="Bump numpy from 1.26 to 2.0",
            body="Bumps numpy.",
            created_at=t(4),
            updated_at=t(4, 11),
            merged_at=t(4, 11),
            closed_at=t(4, 11),
            labels=["dependencies"],
            files=[PullFile(path="requirements.txt", additions=1, deletions=1)],
            reviews=[Review(id=5003, author="cyd", state="APPROVED", body="", submitted_at=t(4, 10, 2))],
        ),
        PullRequest(
            id=1003,
            repo="acme/search-api",
            number=7,
            author="ana",
            title="Add alerting runbook for the ranking service",
            body="Playbook for the ranking latency alert.",
            created_at=t(5),
            updated_at=t(6),
            files=[PullFile(path="docs/runbooks/ranking.md", additions=120, deletions=0, status="added")],
            requested_reviewers=["eli"],
            reviews=[
                Review(id=5004, author="cyd", state="APPROVED", body="", submitted_at=t(5, 10, 3)),
                Review(id=5005, author=None, state="COMMENTED", body="old account comment", submitted_at=t(5, 11)),
            ],
            issue_comments=[
                IssueComment(
                    id=9002, author="eli", body="Could you link the dashboard?", created_at=t(5, 12), updated_at=t(6)
                )
            ],
        ),
        PullRequest(
            id=1004,
            repo="acme/search-api",
            number=8,
            author="cyd",
            title="WIP: refactor query parser",
            body="",
            created_at=t(20),
            updated_at=t(20),
            draft=True,
            files=[PullFile(path="search/parser.py", additions=10, deletions=30)],
        ),
        PullRequest(  # created after the clock: invisible until the clock moves
            id=1005,
            repo="acme/search-api",
            number=9,
            author="cyd",
            title="Fix timeout in ranking client",
            body="",
            created_at=t(30),
            updated_at=t(30),
            files=[PullFile(path="search/client.py", additions=2, deletions=1)],
        ),
    ]
    projects = [
        JiraProject(key="ML", id="10000", name="ML Platform", owner_team="ml-platform", lead="dana"),
        JiraProject(key="SRCH", id="10001", name="Search", owner_team="search", lead="eli"),
    ]
    issues = [
        JiraIssue(
            id="20001",
            key="ML-1",
            project="ML",
            issue_type="Epic",
            summary="Trainer v2",
            status="In Progress",
            status_category="indeterminate",
            reporter="dana",
            assignee="ana",
            created=t(1),
            updated=t(1),
        ),
        JiraIssue(
            id="20002",
            key="ML-2",
            project="ML",
            issue_type="Story",
            summary="Early stopping",
            status="Done",
            status_category="done",
            reporter="ana",
            assignee="bo",
            parent="ML-1",
            created=t(1, 11),
            updated=t(3, 16),
            resolved=t(3, 16),
            due_date=dt.date(2026, 10, 10),
            changelog=[
                JiraChange(
                    id="30001",
                    author="bo",
                    created=t(2, 9),
                    field="status",
                    from_string="To Do",
                    to_string="In Progress",
                ),
                JiraChange(
                    id="30002",
                    author="bo",
                    created=t(3, 16),
                    field="status",
                    from_string="In Progress",
                    to_string="Done",
                ),
            ],
            comments=[
                JiraComment(
                    id="40001", author="ana", body="Pairing on this tomorrow.", created=t(1, 12), updated=t(1, 12)
                )
            ],
        ),
        JiraIssue(
            id="20003",
            key="ML-3",
            project="ML",
            issue_type="Task",
            summary="Needs ranking features from Search",
            status="To Do",
            status_category="new",
            reporter="ana",
            assignee="ana",
            parent="ML-1",
            created=t(6),
            updated=t(7),
            links=[JiraLink(id="50001", type="Blocks", direction="inward", other="SRCH-2")],
        ),
        JiraIssue(
            id="20004",
            key="SRCH-1",
            project="SRCH",
            issue_type="Incident",
            summary="SEV2: ranking latency p99 > 2s",
            status="Resolved",
            status_category="done",
            priority="High",
            reporter="cyd",
            assignee="ana",
            created=t(8, 3),
            updated=t(9),
            resolved=t(8, 6),
            severity="SEV2",
            commander="ana",
            postmortem_url="https://wiki.acme.test/pm/srch-1",
            changelog=[
                JiraChange(
                    id="30003",
                    author="ana",
                    created=t(8, 3, 10),
                    field="assignee",
                    from_string=None,
                    to_string="Ana Lima",
                )
            ],
        ),
        JiraIssue(
            id="20005",
            key="SRCH-2",
            project="SRCH",
            issue_type="Task",
            summary="Expose ranking features for ML",
            status="In Progress",
            status_category="indeterminate",
            reporter="ana",
            assignee="cyd",
            created=t(6),
            updated=t(7),
            links=[JiraLink(id="50001", type="Blocks", direction="outward", other="ML-3")],
        ),
        JiraIssue(
            id="20006",
            key="SRCH-3",
            project="SRCH",
            issue_type="Bug",
            summary="Follow-up: add timeout to ranking client",
            status="Done",
            status_category="done",
            reporter="ana",
            assignee="ana",
            created=t(9),
            updated=t(12),
            resolved=t(12),
            links=[JiraLink(id="50002", type="Causes", direction="inward", other="SRCH-1")],
        ),
        JiraIssue(
            id="20007",
            key="SRCH-4",
            project="SRCH",
            issue_type="Sub-task",
            summary="Write test for parser",
            status="To Do",
            status_category="new",
            reporter="eli",
            assignee="gone",
            parent="SRCH-2",
            created=t(10),
            updated=t(10),
        ),
        JiraIssue(
            id="20008",
            key="ML-4",
            project="ML",
            issue_type="Bug",
            summary="Flaky eval job (future)",
            status="To Do",
            status_category="new",
            reporter="bo",
            assignee="bo",
            created=t(30),
            updated=t(30),
        ),
    ]
    return World(
        name="tiny",
        seed=None,
        org="acme",
        period_start=t(1, 0),
        period_end=t(31, 0),
        now=t(25, 0),
        tokens=Tokens(service="tok-service"),
        teams=[Team(id="ml-platform", name="ML Platform"), Team(id="search", name="Search")],
        people=people,
        repos=repos,
        pull_requests=prs,
        jira_projects=projects,
        jira_issues=issues,
    )


def history_world() -> World:
    """tiny_world plus commits with co-authors and a review-request history (answered, removed, pending)."""
    world = tiny_world()
    pr1 = next(p for p in world.pull_requests if p.number == 1)
    pr1.commits = [
        Commit(
            sha="a" * 40,
            author="bo",
            author_email="bo@acme.test",
            committed_at=t(2, 8),
            message="Add early stopping\n\nCo-authored-by: Ana Lima <ana@acme.test>\n"
            "Co-authored-by: Ext Person <ext@example.org>\nCo-authored-by: Ana Lima <ANA@acme.test>",
        ),
        Commit(sha="b" * 40, author=None, author_email="bo@laptop.local", committed_at=t(3, 9), message="fix tests"),
    ]
    pr1.review_requests = [
        ReviewRequest(reviewer="ana", requested_by="bo", requested_at=t(2, 9)),  # answered by review 5001
        ReviewRequest(reviewer="dana", requested_by="bo", requested_at=t(2, 9), removed_at=t(2, 12)),
        ReviewRequest(reviewer="cyd", requested_by="ana", requested_at=t(3, 13)),  # still pending
    ]
    pr7 = next(p for p in world.pull_requests if p.number == 7)
    pr7.review_requests = [ReviewRequest(reviewer="eli", requested_by="ana", requested_at=t(5, 9))]
    return world


ANA_ID, BOT_ID = 4242, 49699333  # the GitHub ids two_org_world gives ana and dependabot[bot]


def two_org_world() -> World:
    """tiny_world (org ``acme``) plus org ``other``: ``infra`` with one PR, ``docs`` with CODEOWNERS and no PR."""
    world = tiny_world()
    world.repos += [
        Repo(
            org="other",
            name="infra",
            owner_team="search",
            created_at=t(1) - dt.timedelta(days=300),
            codeowners="* @other/infra\n",
        ),
        Repo(
            org="other",
            name="docs",
            owner_team="search",
            created_at=t(1) - dt.timedelta(days=300),
            codeowners="* @eli\n",
        ),
    ]
    world.pull_requests.append(
        PullRequest(
            id=2001,
            repo="other/infra",
            number=1,
            author="eli",
            title="Pin provider",
            body="",
            created_at=t(10),
            updated_at=t(11),
            merged_at=t(11),
            closed_at=t(11),
            files=[PullFile(path="main.tf", additions=3, deletions=1)],
            reviews=[Review(id=6001, author="cyd", state="APPROVED", body="", submitted_at=t(10, 12))],
            issue_comments=[
                IssueComment(id=9101, author="ana", body="ship it", created_at=t(10, 13), updated_at=t(10, 13))
            ],
        )
    )
    for person in world.people:
        person.github_id = {"ana": ANA_ID, "dependabot[bot]": BOT_ID}.get(person.login)
    return world
