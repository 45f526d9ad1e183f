"""What a sandbox pull request shows as of the sandbox clock (``state.now``): the as-of-now rules.

Pure functions over world objects, shared by the REST payloads
(``sandbox.github.payloads``), the REST endpoints and the GraphQL resolvers so
every view of a PR agrees on what has happened by now:

- a review, comment or commit made after now is hidden; lists come sorted the
  way GitHub returns them;
- a review request made after now is hidden, and its removal after now has
  not happened yet (``removed_at`` shown as None);
- a comment's edit after now has not happened (``updated_at`` is its creation);
- a PR's ``updated_at`` after now is shown as the latest visible moment of the
  PR: created_at, a visible close or merge, visible reviews, comments, commits
  and review requests (or their removals);
- a PR is open as of now until a ``closed_at`` at or before now.
"""

from __future__ import annotations

import datetime as dt

from sandbox.world import Commit, IssueComment, PullRequest, Review, ReviewComment, ReviewRequest

GHOST_LOGIN = "ghost"  # GitHub's stand-in for a deleted account (also the sandbox's, see github_payloads)


def visible_reviews(pr: PullRequest, now: dt.datetime) -> list[Review]:
    """Reviews submitted by now, oldest first."""
    return sorted((r for r in pr.reviews if r.submitted_at <= now), key=lambda r: (r.submitted_at, r.id))


def visible_review_comments(pr: PullRequest, now: dt.datetime) -> list[ReviewComment]:
    """Line comments made by now, by id."""
    return sorted((c for c in pr.review_comments if c.created_at <= now), key=lambda c: c.id)


def visible_issue_comments(pr: PullRequest, now: dt.datetime) -> list[IssueComment]:
    """Conversation comments made by now, by id."""
    return sorted((c for c in pr.issue_comments if c.created_at <= now), key=lambda c: c.id)


def visible_commits(pr: PullRequest, now: dt.datetime) -> list[Commit]:
    """Commits made by now, oldest first."""
    return sorted((c for c in pr.commits if c.committed_at <= now), key=lambda c: (c.committed_at, c.sha))


def review_request_history(pr: PullRequest) -> list[ReviewRequest]:
    """The PR's review requests; a world that lists pending ``requested_reviewers`` without any history
    gets one request each, made by the author when the PR was opened (GitHub always has the event)."""
    if pr.review_requests or not pr.requested_reviewers:
        return list(pr.review_requests)
    return [
        ReviewRequest(reviewer=login, requested_by=pr.author or GHOST_LOGIN, requested_at=pr.created_at)
        for login in pr.requested_reviewers
    ]


def visible_review_requests(pr: PullRequest, now: dt.datetime) -> list[ReviewRequest]:
    """Requests made by now; a removal after now has not happened yet (``removed_at`` shown as None)."""
    out = []
    for rr in sorted(review_request_history(pr), key=lambda r: (r.requested_at, r.reviewer)):
        if rr.requested_at <= now:
            removed = rr.removed_at if rr.removed_at is not None and rr.removed_at <= now else None
            out.append(rr if removed == rr.removed_at else rr.model_copy(update={"removed_at": removed}))
    return out


def pending_reviewers(pr: PullRequest, now: dt.datetime) -> list[str]:
    """Who is still asked to review as of now: requested, not removed, not yet answered by a review.

    Worlds without a request history keep their hand-written ``requested_reviewers``.
    """
    if not pr.review_requests:
        return list(pr.requested_reviewers)
    reviews = visible_reviews(pr, now)
    pending: list[str] = []
    for rr in visible_review_requests(pr, now):
        answered = any(r.author == rr.reviewer and r.submitted_at >= rr.requested_at for r in reviews)
        if rr.removed_at is None and not answered and rr.reviewer not in pending:
            pending.append(rr.reviewer)
    return pending


def shown_updated_at(created_at: dt.datetime, updated_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A comment's updated_at as of now: an edit in the future has not happened yet."""
    return updated_at if updated_at <= now else created_at


def pull_updated_at(pr: PullRequest, now: dt.datetime) -> dt.datetime:
    """A PR's updated_at as of now (see the module docstring)."""
    if pr.updated_at <= now:
        return pr.updated_at
    moments = [pr.created_at]
    moments += [m for m in (pr.closed_at, pr.merged_at) if m is not None and m <= now]
    moments += [r.submitted_at for r in visible_reviews(pr, now)]
    moments += [shown_updated_at(c.created_at, c.updated_at, now) for c in visible_review_comments(pr, now)]
    moments += [shown_updated_at(c.created_at, c.updated_at, now) for c in visible_issue_comments(pr, now)]
    moments += [c.committed_at for c in visible_commits(pr, now)]
    for rr in visible_review_requests(pr, now):
        moments += [m for m in (rr.requested_at, rr.removed_at) if m is not None]
    return max(moments)


def open_pull_count(prs: list[PullRequest], now: dt.datetime) -> int:
    """How many of ``prs`` are open as of now (created, and not closed by now)."""
    return sum(1 for pr in prs if pr.created_at <= now and not (pr.closed_at and pr.closed_at <= now))
