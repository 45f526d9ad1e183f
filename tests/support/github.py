"""What the GitHub miner must produce for a world, written from the world file, not from the API."""

from __future__ import annotations

import datetime as dt
import re

from miners.records import (
    CoAuthorRecord,
    IssueCommentRecord,
    PullRequestCommitRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    ReviewCommentRecord,
    ReviewRecord,
    ReviewRequestRecord,
)
from sandbox.world import ReviewRequest, World

HTML = "https://github.acme.test"
TRAILER = re.compile(r"^Co-authored-by:\s*(.+?)\s*<([^>]+)>\s*$", re.I | re.M)


FETCHED = dt.datetime(2026, 10, 25, 3, 0, tzinfo=dt.timezone.utc)


def expected_records(world, html: str = HTML) -> set:
    """What the miner must produce for ``world`` as of its clock, written from the world, not the API."""

    def who(login):
        if login is None or world.person(login).deleted:
            return None, None
        return login, "Bot" if world.person(login).is_bot else "User"

    env = dict(source="github", fetched_at=FETCHED)
    out: set = set()
    for pr in world.pull_requests:
        if pr.created_at > world.now:
            continue
        part, url = f"github:{pr.repo}", f"{html}/{pr.repo}/pull/{pr.number}"
        login, kind = who(pr.author)
        out.add(
            PullRequestRecord(
                **env,
                source_id=f"{pr.repo}#{pr.number}",
                partition=part,
                updated_at=pr.updated_at,
                url=url,
                repo=pr.repo,
                number=pr.number,
                author_login=login,
                author_type=kind,
                title=pr.title,
                body=pr.body or None,
                state="closed" if pr.closed_at else "open",
                draft=pr.draft,
                created_at=pr.created_at,
                closed_at=pr.closed_at,
                merged_at=pr.merged_at,
                additions=sum(f.additions for f in pr.files),
                deletions=sum(f.deletions for f in pr.files),
                labels=tuple(pr.labels),
                requested_reviewers=tuple(pr.requested_reviewers),
            )
        )
        for f in pr.files:
            out.add(
                PullRequestFileRecord(
                    **env,
                    source_id=f"{pr.repo}#{pr.number}:{f.path}",
                    partition=part,
                    updated_at=pr.updated_at,
                    url=f"{url}/files",
                    repo=pr.repo,
                    number=pr.number,
                    path=f.path,
                    additions=f.additions,
                    deletions=f.deletions,
                    status=f.status,
                )
            )
        for r in pr.reviews:
            login, kind = who(r.author)
            out.add(
                ReviewRecord(
                    **env,
                    source_id=str(r.id),
                    partition=part,
                    updated_at=r.submitted_at,
                    url=f"{url}#pullrequestreview-{r.id}",
                    repo=pr.repo,
                    number=pr.number,
                    review_id=r.id,
                    author_login=login,
                    author_type=kind,
                    state=r.state,
                    body=r.body,
                    submitted_at=r.submitted_at,
                )
            )
        for c in pr.review_comments:
            login, kind = who(c.author)
            out.add(
                ReviewCommentRecord(
                    **env,
                    source_id=str(c.id),
                    partition=part,
                    updated_at=c.updated_at,
                    url=f"{url}#discussion_r{c.id}",
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
            login, kind = who(c.author)
            out.add(
                IssueCommentRecord(
                    **env,
                    source_id=str(c.id),
                    partition=part,
                    updated_at=c.updated_at,
                    url=f"{url}#issuecomment-{c.id}",
                    repo=pr.repo,
                    number=pr.number,
                    comment_id=c.id,
                    author_login=login,
                    author_type=kind,
                    body=c.body,
                    created_at=c.created_at,
                )
            )
    return out


def expected_history(world: World, html: str = HTML) -> set:
    """Review requests, commits and co-authors the miner must produce, computed from the world file."""

    def who(login):
        person = next((p for p in world.people if p.login == login), None)
        if login is None or (person is not None and person.deleted):
            return None, None
        return login, "Bot" if (person is not None and person.is_bot) or login.endswith("[bot]") else "User"

    env = dict(source="github", fetched_at=FETCHED)
    out: set = set()
    now = world.now
    for pr in world.pull_requests:
        if pr.created_at > now:
            continue
        part, url = f"github:{pr.repo}", f"{html}/{pr.repo}/pull/{pr.number}"
        base = dict(env, partition=part, repo=pr.repo, number=pr.number)
        history = pr.review_requests or [  # the world convention for pending requests without a history
            ReviewRequest(reviewer=login, requested_by=pr.author or "ghost", requested_at=pr.created_at)
            for login in pr.requested_reviewers
        ]
        requests = [r for r in history if r.requested_at <= now]
        for rr in requests:
            removed = rr.removed_at if rr.removed_at and rr.removed_at <= now else None
            later = [q.requested_at for q in requests if q.reviewer == rr.reviewer and q.requested_at > rr.requested_at]
            until = min([m for m in (removed, *later) if m], default=None)
            answers = sorted(
                (
                    r
                    for r in pr.reviews
                    if r.author == rr.reviewer
                    and r.submitted_at <= now
                    and r.submitted_at >= rr.requested_at
                    and (until is None or r.submitted_at <= until)
                ),
                key=lambda r: (r.submitted_at, r.id),
            )
            login, kind = who(rr.reviewer)
            answer = answers[0] if answers and login else None  # a deleted reviewer is null on both sides
            out.add(
                ReviewRequestRecord(
                    **base,
                    source_id=f"{pr.repo}#{pr.number}:{login}@{rr.requested_at.isoformat()}",
                    url=url,
                    updated_at=max(m for m in (rr.requested_at, removed, answer and answer.submitted_at) if m),
                    reviewer_login=login,
                    reviewer_type=kind,
                    requested_by_login=who(rr.requested_by)[0],
                    requested_at=rr.requested_at,
                    removed_at=removed,
                    answered_at=answer and answer.submitted_at,
                    answered_review_id=answer and answer.id,
                )
            )
        for c in pr.commits:
            if c.committed_at > now:
                continue
            person = next((p for p in world.people if p.login == c.author), None)
            curl = f"{url}/commits/{c.sha}"
            out.add(
                PullRequestCommitRecord(
                    **base,
                    source_id=f"{pr.repo}#{pr.number}:{c.sha}",
                    updated_at=c.committed_at,
                    url=curl,
                    sha=c.sha,
                    author_login=who(c.author)[0] if who(c.author)[1] == "User" else None,
                    author_name=person.name if person else None,
                    author_email=c.author_email,
                    message=c.message,
                    committed_at=c.committed_at,
                )
            )
            seen = {c.author_email.lower()}
            for name, email in TRAILER.findall(c.message):
                if email.lower() not in seen:
                    seen.add(email.lower())
                    out.add(
                        CoAuthorRecord(
                            **base,
                            source_id=f"{pr.repo}#{pr.number}:{c.sha}:{email.lower()}",
                            updated_at=c.committed_at,
                            url=curl,
                            sha=c.sha,
                            name=name,
                            email=email,
                        )
                    )
    return out
