"""tiny_world as the batches the miners would make of it: for warehouse tests that load records directly."""

from __future__ import annotations

import datetime as dt

from miners.base import Batch
from miners.people.model import DEFAULT_LEVELS
from miners.records import (
    IssueCommentRecord,
    JiraChangeRecord,
    JiraCommentRecord,
    JiraIssueRecord,
    JiraLinkRecord,
    PersonRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    RepoRecord,
    ReviewCommentRecord,
    ReviewRecord,
    TeamRecord,
)
from sandbox.world import World

FETCHED_AT = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


LINK_PHRASES = {
    "Blocks": ("blocks", "is blocked by"),
    "Relates": ("relates to", "relates to"),
    "Causes": ("causes", "is caused by"),
}


def envelope(source: str, source_id: str, partition: str, updated_at: dt.datetime | None, url: str | None) -> dict:
    return dict(
        source=source,
        source_id=source_id,
        partition=partition,
        updated_at=updated_at,
        fetched_at=FETCHED_AT,
        url=url,
        raw={"id": source_id},
    )


def roster_batch(world: World) -> Batch:
    """The roster as a roster miner would emit it: person_id = login, repo globs from repo ownership."""
    records = []
    for team in world.teams:
        globs = tuple(sorted(r.full_name for r in world.repos if r.owner_team == team.id))
        projects = tuple(sorted(p.key for p in world.jira_projects if p.owner_team == team.id))
        records.append(
            TeamRecord(
                **envelope("roster", f"team:{team.id}", "roster", None, None),
                team_id=team.id,
                name=team.name,
                parent_id=team.parent,
                repo_globs=globs,
                jira_projects=projects,
            )
        )
    for p in world.people:
        records.append(
            PersonRecord(
                **envelope("roster", f"person:{p.login}", "roster", None, None),
                person_id=p.login,
                name=p.name,
                emails=tuple(p.emails),
                github_logins=(p.login,),
                jira_account_ids=(p.jira_account_id,),
                team_id=p.team,
                manager_id=p.manager,
                level=p.level,
                level_rank=DEFAULT_LEVELS[p.level],
                start_date=p.start_date,
                is_service_account=p.is_bot,
            )
        )
    return Batch(source="roster", partition="roster", records=tuple(records), cursor=None)


def _author(world: World, login: str | None) -> tuple[str | None, str | None]:
    if login is None:
        return None, None
    person = world.person(login)
    if person.deleted:
        return None, None
    return login, "Bot" if person.is_bot else "User"


def github_batches(world: World) -> list[Batch]:
    """One batch per repo with everything created by ``world.now``."""
    batches = []
    for repo in world.repos:
        part = f"github:{repo.full_name}"
        env = lambda sid, at, url: envelope("github", sid, part, at, url)  # noqa: E731, B023
        records: list = [
            RepoRecord(
                **env(repo.full_name, repo.created_at, f"https://github.test/{repo.full_name}"),
                full_name=repo.full_name,
                org=repo.org,
                name=repo.name,
                archived=repo.archived,
                default_branch=repo.default_branch,
            )
        ]
        prs = [pr for pr in world.pull_requests if pr.repo == repo.full_name and pr.created_at <= world.now]
        for pr in prs:
            url = f"https://github.test/{pr.repo}/pull/{pr.number}"
            login, kind = _author(world, pr.author)
            records.append(
                PullRequestRecord(
                    **env(f"{pr.repo}#{pr.number}", pr.updated_at, url),
                    repo=pr.repo,
                    number=pr.number,
                    author_login=login,
                    author_type=kind,
                    title=pr.title,
                    body=pr.body,
                    state="closed" if pr.closed_at else "open",
                    draft=pr.draft,
                    created_at=pr.created_at,
                    closed_at=pr.closed_at,
                    merged_at=pr.merged_at,
                    labels=tuple(pr.labels),
                    requested_reviewers=tuple(pr.requested_reviewers),
                )
            )
            for f in pr.files:
                records.append(
                    PullRequestFileRecord(
                        **env(f"{pr.repo}#{pr.number}:{f.path}", pr.updated_at, url + "/files"),
                        repo=pr.repo,
                        number=pr.number,
                        path=f.path,
                        additions=f.additions,
                        deletions=f.deletions,
                        status=f.status,
                    )
                )
            for rv in pr.reviews:
                login, kind = _author(world, rv.author)
                records.append(
                    ReviewRecord(
                        **env(str(rv.id), rv.submitted_at, f"{url}#pullrequestreview-{rv.id}"),
                        repo=pr.repo,
                        number=pr.number,
                        review_id=rv.id,
                        author_login=login,
                        author_type=kind,
                        state=rv.state,
                        body=rv.body,
                        submitted_at=rv.submitted_at,
                    )
                )
            for c in pr.review_comments:
                login, kind = _author(world, c.author)
                records.append(
                    ReviewCommentRecord(
                        **env(str(c.id), c.updated_at, f"{url}#discussion_r{c.id}"),
                        repo=pr.repo,
                        number=pr.number,
                        comment_id=c.id,
                        review_id=c.review_id,
                        author_login=login,
                        author_type=kind,
                        body=c.body,
                        path=c.path,
                        line=c.line,
                        in_reply_to_id=c.in_reply_to,
                        created_at=c.created_at,
                    )
                )
            for c in pr.issue_comments:
                login, kind = _author(world, c.author)
                records.append(
                    IssueCommentRecord(
                        **env(str(c.id), c.updated_at, f"{url}#issuecomment-{c.id}"),
                        repo=pr.repo,
                        number=pr.number,
                        comment_id=c.id,
                        author_login=login,
                        author_type=kind,
                        body=c.body,
                        created_at=c.created_at,
                    )
                )
        cursor = max((pr.updated_at for pr in prs), default=None)
        batches.append(
            Batch(
                source="github", partition=part, records=tuple(records), cursor=cursor.isoformat() if cursor else None
            )
        )
    return batches


def jira_batches(world: World) -> list[Batch]:
    """One batch per project with every issue created by ``world.now``."""
    acc = {p.login: p.jira_account_id for p in world.people}
    batches = []
    for project in world.jira_projects:
        part = f"jira:{project.key}"
        env = lambda sid, at, url: envelope("jira", sid, part, at, url)  # noqa: E731, B023
        records: list = []
        issues = [i for i in world.jira_issues if i.project == project.key and i.created <= world.now]
        for i in issues:
            url = f"https://jira.test/browse/{i.key}"
            records.append(
                JiraIssueRecord(
                    **env(i.key, i.updated, url),
                    key=i.key,
                    issue_id=i.id,
                    project=i.project,
                    issue_type=i.issue_type,
                    summary=i.summary,
                    description=i.description,
                    status=i.status,
                    status_category=i.status_category,
                    priority=i.priority,
                    reporter_id=acc[i.reporter],
                    assignee_id=acc.get(i.assignee),
                    created_at=i.created,
                    resolved_at=i.resolved,
                    due_date=i.due_date,
                    labels=tuple(i.labels),
                    components=tuple(i.components),
                    parent_key=i.parent,
                    is_incident=i.issue_type == "Incident",
                    severity=i.severity,
                    commander_id=acc.get(i.commander),
                    postmortem_url=i.postmortem_url,
                )
            )
            for link in i.links:
                outward, inward = LINK_PHRASES[link.type]
                records.append(
                    JiraLinkRecord(
                        **env(f"{i.key}:{link.id}", i.updated, url),
                        issue_key=i.key,
                        link_type=link.type,
                        direction=link.direction,
                        description=outward if link.direction == "outward" else inward,
                        other_key=link.other,
                    )
                )
            for c in i.comments:
                records.append(
                    JiraCommentRecord(
                        **env(f"{i.key}:{c.id}", c.updated, f"{url}?focusedCommentId={c.id}"),
                        issue_key=i.key,
                        comment_id=c.id,
                        author_id=acc[c.author],
                        body=c.body,
                        created_at=c.created,
                    )
                )
            for _n, ch in enumerate(i.changelog):
                records.append(
                    JiraChangeRecord(
                        **env(f"{i.key}:{ch.id}:0", ch.created, url),
                        issue_key=i.key,
                        history_id=ch.id,
                        item_index=0,
                        author_id=acc[ch.author],
                        changed_at=ch.created,
                        field_name=ch.field,
                        from_value=ch.from_string,
                        to_value=ch.to_string,
                    )
                )
        cursor = max((i.updated for i in issues), default=None)
        batches.append(
            Batch(source="jira", partition=part, records=tuple(records), cursor=cursor.isoformat() if cursor else None)
        )
    return batches


def world_batches(world: World) -> list[Batch]:
    """Every batch a full sync of ``world`` would load."""
    return [roster_batch(world), *github_batches(world), *jira_batches(world)]
