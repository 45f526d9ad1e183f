"""What the GitHub miner must produce for a world, written from the world file, not from the API."""

from __future__ import annotations

import datetime as dt

from miners.records import (
    IssueCommentRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    ReviewCommentRecord,
    ReviewRecord,
)

HTML = "https://github.acme.test"


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
