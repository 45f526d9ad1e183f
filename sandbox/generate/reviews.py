"""Reviews, inline review comments and conversation comments of one generated PR."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Literal

from sandbox.generate import text
from sandbox.generate.org import Company
from sandbox.generate.timing import later, minutes_after
from sandbox.world import IssueComment, Person, PullRequest, Review, ReviewComment, ReviewRequest

JUNIOR_LEVELS = ("IC1", "IC2")
APPROVAL_WORDS = ("LGTM", "Looks good", "lgtm 🚀", "Ship it", "Thanks, looks good to me.", "👍")
STATUS_NOTES = (
    "Deployed to staging, dashboards look normal.",
    "Rolled out to 10% of traffic, watching error rates.",
    "Can we get this in before the freeze on Thursday?",
    "Linked the ticket in the description.",
    "Heads-up: this touches the same code as the migration PR.",
    "Backported to the release branch.",
)


class Ids:
    """Per-kind id counters so ids are unique, increasing and stable per seed."""

    _BASE = {"pr": 1_000_000, "review": 5_000_000, "comment": 7_000_000, "issue_comment": 9_000_000}

    def __init__(self) -> None:
        self._next = collections.Counter(self._BASE)

    def next(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]


def _is_junior(c: Company, person: Person, when: dt.datetime) -> bool:
    return c.level_on(person, when) in JUNIOR_LEVELS or "newcomer" in person.personas


def _reviewers(c: Company, pr: PullRequest, author: Person, people: dict[str, Person]) -> list[Person]:
    rng = c.rng
    owner = c.repo_owner(pr.repo)
    when = pr.created_at
    pool = [
        p
        for p in c.members_on(owner, when)
        if p.login != author.login and c.active_from(p) <= when <= c.active_until(p)
    ]
    if not pool:
        return []
    weights = [
        3.0
        if {"quality_reviewer", "rubber_stamper", "mentor"} & set(p.personas)
        else 0.4
        if p.level.startswith("M")
        else 1.0
        for p in pool
    ]
    wanted = 1 if author.is_bot else rng.choices((1, 2, 3), (0.5, 0.38, 0.12))[0]
    chosen: list[Person] = []
    if not author.is_bot and _is_junior(c, author, when):
        mentors = [
            p
            for p in c.with_persona("mentor")
            if p.login != author.login and c.active_from(p) <= when <= c.active_until(p)
        ]
        near = [p for p in mentors if c.team_on(p, when) in (c.team_on(author, when), owner)]
        if near and rng.random() < 0.8:
            chosen.append(rng.choice(near))
        elif mentors and rng.random() < (0.5 if "newcomer" in author.personas else 0.2):
            chosen.append(rng.choice(mentors))  # juniors get some help beyond their team too
    candidates = [(p, w) for p, w in zip(pool, weights) if p not in chosen]
    while len(chosen) < wanted and candidates:
        index = rng.choices(range(len(candidates)), [w for _, w in candidates])[0]
        chosen.append(candidates.pop(index)[0])
    return chosen


def build_conversation(c: Company, pr: PullRequest, author: Person, ids: Ids, people: dict[str, Person]) -> dt.datetime:
    """Add review requests, reviews, review comments and issue comments to ``pr``; return its last event's time.

    Every reviewer was requested before their first review (most at opening,
    by the author); some requests are withdrawn unanswered; a change request is
    sometimes followed by a re-request.  ``requested_reviewers`` ends up as the
    requests still open at the end of the period.
    """
    rng = c.rng
    last = pr.created_at
    chosen = _reviewers(c, pr, author, people)
    for reviewer in chosen:
        until = c.active_until(reviewer)
        if "rubber_stamper" in reviewer.personas:
            first = minutes_after(rng, pr.created_at, 1.5, 12, until)
        else:
            first = later(rng, reviewer.timezone, pr.created_at, 4.0 if not author.is_bot else 10.0, until, sigma=1.1)
        if first is None and reviewer.deleted:
            continue  # GitHub drops deleted accounts from pending review requests
        _request(c, pr, author, reviewer, first)
        if first is None:
            continue
        last = max(last, _review_round(c, pr, author, reviewer, first, ids))
    if not author.is_bot and chosen and rng.random() < 0.08:
        last = max(last, _withdrawn_request(c, pr, author, chosen))
    if not author.is_bot and rng.random() < 0.25:
        last = max(last, _issue_comments(c, pr, author, ids))
    _re_requests(c, pr, author)
    pr.requested_reviewers = pending_reviewers(pr)
    return last


def _request(c: Company, pr: PullRequest, author: Person, reviewer: Person, first: dt.datetime | None) -> None:
    """The request that precedes ``reviewer``'s first review (at ``first``; None: not reviewed by the end)."""
    rng = c.rng
    at = pr.created_at
    if rng.random() < 0.25:  # requested a little after opening, but always before the review
        at = minutes_after(rng, pr.created_at, 2, 180, first - dt.timedelta(seconds=30) if first else c.end) or at
    pr.review_requests.append(ReviewRequest(reviewer=reviewer.login, requested_by=author.login, requested_at=at))


def _withdrawn_request(c: Company, pr: PullRequest, author: Person, chosen: list[Person]) -> dt.datetime:
    """Request someone else from the owning team, then remove the request before they review."""
    rng = c.rng
    owner = c.repo_owner(pr.repo)
    taken = {p.login for p in chosen} | {author.login}
    pool = [
        p
        for p in c.members_on(owner, pr.created_at)
        if p.login not in taken and not p.deleted and c.active_from(p) <= pr.created_at <= c.active_until(p)
    ]
    if not pool:
        return pr.created_at
    who = rng.choice(pool)
    at = minutes_after(rng, pr.created_at, 0, 60, c.end) or pr.created_at
    removed = later(rng, author.timezone, at, 8.0, c.end)
    pr.review_requests.append(
        ReviewRequest(reviewer=who.login, requested_by=author.login, requested_at=at, removed_at=removed)
    )
    return removed or at


def _re_requests(c: Company, pr: PullRequest, author: Person) -> None:
    """After some change requests the author re-requests the reviewer before their next review."""
    rng = c.rng
    by_reviewer: dict[str, list[Review]] = collections.defaultdict(list)
    for review in pr.reviews:
        assert review.author is not None, "reviews generated for a conversation always have an author"
        by_reviewer[review.author].append(review)
    for login, reviews in by_reviewer.items():
        for before, after in zip(reviews, reviews[1:]):
            gap = (after.submitted_at - before.submitted_at).total_seconds()
            if before.state == "CHANGES_REQUESTED" and gap > 120 and rng.random() < 0.5:
                at = before.submitted_at + dt.timedelta(seconds=round(gap * rng.uniform(0.2, 0.9)))
                pr.review_requests.append(ReviewRequest(reviewer=login, requested_by=author.login, requested_at=at))
    pr.review_requests.sort(key=lambda r: (r.requested_at, r.reviewer))


def pending_reviewers(pr: PullRequest) -> list[str]:
    """Reviewers whose latest request is neither removed nor answered by a later review (GitHub's list)."""
    latest: dict[str, tuple[dt.datetime, bool]] = {}
    for request in sorted(pr.review_requests, key=lambda r: r.requested_at):
        latest[request.reviewer] = (request.requested_at, request.removed_at is None)
    answered = {
        login
        for login, (at, _) in latest.items()
        if any(r.author == login and r.submitted_at >= at for r in pr.reviews)
    }
    return [login for login, (_, open_) in latest.items() if open_ and login not in answered]


def _style(c: Company, reviewer: Person, author: Person, when: dt.datetime) -> str:
    rng = c.rng
    if "rubber_stamper" in reviewer.personas:
        return "stamp"
    if author.is_bot:
        return "stamp" if rng.random() < 0.7 else "approve"
    if "mentor" in reviewer.personas and _is_junior(c, author, when):
        return "teach"
    if "quality_reviewer" in reviewer.personas and rng.random() < 0.75:
        return "defect"
    roll = rng.random()
    return "approve" if roll < 0.55 else "comment" if roll < 0.85 else "defect"


def _review_round(
    c: Company, pr: PullRequest, author: Person, reviewer: Person, at: dt.datetime, ids: Ids
) -> dt.datetime:
    """One reviewer's reviews on ``pr`` starting at ``at`` (a change request is followed by an approval)."""
    rng = c.rng
    style = _style(c, reviewer, author, pr.created_at)
    if style == "stamp":
        pr.reviews.append(
            Review(id=ids.next("review"), author=reviewer.login, state="APPROVED", body="", submitted_at=at)
        )
        return at
    if style == "approve":
        body = (
            ""
            if rng.random() < 0.55
            else rng.choice(APPROVAL_WORDS + tuple(text.read_corpus().review_comments["Praise"][:40]))
        )
        pr.reviews.append(
            Review(id=ids.next("review"), author=reviewer.login, state="APPROVED", body=body, submitted_at=at)
        )
        return at
    state: Literal["COMMENTED", "CHANGES_REQUESTED"]
    categories: tuple[str, ...]
    if style == "teach":
        state = "COMMENTED" if rng.random() < 0.6 else "CHANGES_REQUESTED"
        body = text.pick_review_text(rng, text.TEACHING_CATEGORIES, min_chars=120)
        inline, categories = rng.randrange(2, 5), text.TEACHING_CATEGORIES
    elif style == "defect":
        state = "CHANGES_REQUESTED"
        body = text.pick_review_text(rng, text.DEFECT_CATEGORIES + text.DESIGN_CATEGORIES, min_chars=60)
        inline, categories = rng.randrange(1, 4), text.DEFECT_CATEGORIES + text.DESIGN_CATEGORIES
    else:
        state = "COMMENTED"
        body = "" if rng.random() < 0.3 else text.pick_review_text(rng, text.CASUAL_CATEGORIES)
        inline, categories = rng.randrange(0, 3), text.CASUAL_CATEGORIES
    review = Review(id=ids.next("review"), author=reviewer.login, state=state, body=body, submitted_at=at)
    pr.reviews.append(review)
    last = at
    for _ in range(inline):
        last = max(last, _inline_thread(c, pr, author, reviewer, review, categories, ids))
    if state == "CHANGES_REQUESTED" or (style == "teach" and rng.random() < 0.8):
        again = later(rng, reviewer.timezone, last, 5.0, c.active_until(reviewer))
        if again is not None:
            body = (
                rng.choice(("Thanks for the changes, looks good now.", "Much better, approving.", ""))
                if style != "teach"
                else text.pick_review_text(rng, ("Praise",))
            )
            pr.reviews.append(
                Review(id=ids.next("review"), author=reviewer.login, state="APPROVED", body=body, submitted_at=again)
            )
            last = again
    return last


def _inline_thread(
    c: Company, pr: PullRequest, author: Person, reviewer: Person, review: Review, categories: tuple[str, ...], ids: Ids
) -> dt.datetime:
    rng = c.rng
    files = [f for f in pr.files if f.status != "removed"] or pr.files
    f = rng.choice(files)
    line = rng.randrange(1, max(2, f.additions + 1)) if rng.random() < 0.93 else None  # None: outdated comment
    comment = ReviewComment(
        id=ids.next("comment"),
        review_id=review.id,
        author=reviewer.login,
        body=text.pick_review_text(rng, categories),
        path=f.path,
        line=line,
        created_at=review.submitted_at,
        updated_at=review.submitted_at,
    )
    if rng.random() < 0.08:
        edited = minutes_after(rng, comment.created_at, 1, 30, c.end)
        comment.updated_at = edited or comment.updated_at
    pr.review_comments.append(comment)
    last = comment.updated_at
    if not author.is_bot and rng.random() < 0.65:
        at = later(rng, author.timezone, comment.created_at, 2.0, c.active_until(author))
        if at is not None:
            pr.review_comments.append(
                ReviewComment(
                    id=ids.next("comment"),
                    review_id=None,
                    author=author.login,
                    body=rng.choice(text.REPLIES),
                    path=f.path,
                    line=line,
                    in_reply_to=comment.id,
                    created_at=at,
                    updated_at=at,
                )
            )
            last = max(last, at)
    return last


def _issue_comments(c: Company, pr: PullRequest, author: Person, ids: Ids) -> dt.datetime:
    rng = c.rng
    owner = c.repo_owner(pr.repo)
    team = c.team_on(author, pr.created_at)
    pool = [
        p
        for p in c.members_on(owner, pr.created_at) + c.members_on(team, pr.created_at)
        if p.login != author.login and c.active_from(p) <= pr.created_at <= c.active_until(p)
    ]
    last = pr.created_at
    if not pool:
        return last
    at = pr.created_at
    for _ in range(rng.randrange(1, 3)):
        who = rng.choice(pool)
        step = later(rng, who.timezone, at, 6.0, c.active_until(who))
        if step is None:
            break
        at = step
        body = (
            rng.choice(STATUS_NOTES)
            if rng.random() < 0.3
            else text.pick_review_text(rng, ("Question", "Praise", "Support", "Documentation"))
        )
        pr.issue_comments.append(
            IssueComment(id=ids.next("issue_comment"), author=who.login, body=body, created_at=at, updated_at=at)
        )
        last = at
        if rng.random() < 0.4:
            reply = later(rng, author.timezone, at, 2.0, c.active_until(author))
            if reply is not None:
                pr.issue_comments.append(
                    IssueComment(
                        id=ids.next("issue_comment"),
                        author=author.login,
                        body=rng.choice(text.REPLIES),
                        created_at=reply,
                        updated_at=reply,
                    )
                )
                last = at = reply
    return last
