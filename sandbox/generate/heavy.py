"""The heavy tail (``generate_world(heavy_tail=share)``): a few PRs and tickets far bigger than the rest.

Real repositories have them — a vendored dependency bump touching 300 files, a long review with
150 comments, a ticket argued over for months — and they are what makes a miner's follow-up
queries run: a connection past its first page of 100 (files, timeline items, review comments,
Jira comments and changelog entries).  Without them those code paths never run against the
sandbox.

A ``share`` of the PRs (at least one in a world that has PRs) gets one or more of: 101–260
files, 101–200 more conversation comments (timeline items), 101–200 more review comments on an
existing review; the same share of Jira tickets gets 101–260 more comments and 101–160 more
changelog entries (``Rank`` moves, which change no field the sandbox rolls back).  Everything
planted lies between the item's creation and its ``updated_at`` (or close), by people who
already took part, with fresh unique ids: the world's invariants hold.

It draws from its own ``random.Random`` seeded from the world's seed, after everything else, so
``heavy_tail=0`` leaves a world byte-identical to one generated without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from sandbox.world import IssueComment, JiraChange, JiraComment, JiraIssue, PullFile, PullRequest, ReviewComment

PACKAGES = ("core", "io", "models", "serving", "features", "vendor")


def _moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A second-resolution moment in [start, end]."""
    span = max(0, int((end - start).total_seconds()))
    return start + dt.timedelta(seconds=rng.randint(0, span))


def plant_heavy_tail(seed: int, share: float, pulls: Sequence[PullRequest], issues: Sequence[JiraIssue]) -> None:
    """Grow ``share`` of ``pulls`` and ``issues`` past 100 items in their connections (in place)."""
    if share <= 0:
        return
    rng = random.Random(f"heavy-tail:{seed}")
    next_id = {
        "issue_comment": max((c.id for p in pulls for c in p.issue_comments), default=9_000_000) + 1_000_000,
        "review_comment": max((c.id for p in pulls for c in p.review_comments), default=7_000_000) + 1_000_000,
    }
    jira_comment = max((int(c.id) for i in issues for c in i.comments if c.id.isdigit()), default=10_000) + 100_000
    jira_change = max((int(c.id) for i in issues for c in i.changelog if c.id.isdigit()), default=10_000) + 100_000

    def take(kind: str) -> int:
        next_id[kind] += 1
        return next_id[kind]

    for pr in _chosen(rng, list(pulls), share):
        end = pr.closed_at or pr.updated_at
        people = [pr.author, *(r.author for r in pr.reviews if r.author)]
        people = [p for p in dict.fromkeys(people) if p]
        kinds = rng.sample(["files", "comments", "review_comments"], rng.randint(1, 3))
        if "files" in kinds:
            have = {f.path for f in pr.files}
            for i in range(rng.randint(101, 260)):
                path = f"src/{PACKAGES[i % len(PACKAGES)]}/generated_{i:03d}.py"
                if path not in have:
                    pr.files.append(PullFile(path=path, additions=rng.randint(1, 40), deletions=rng.randint(0, 20)))
        if "comments" in kinds and people:
            for n in range(rng.randint(101, 200)):
                at = _moment(rng, pr.created_at, end)
                pr.issue_comments.append(
                    IssueComment(
                        id=take("issue_comment"),
                        author=rng.choice(people),
                        body=f"Follow-up {n + 1}: checked this again against the latest run.",
                        created_at=at,
                        updated_at=at,
                    )
                )
        reviews = [r for r in pr.reviews if r.author]
        if "review_comments" in kinds and reviews and pr.files:
            review = rng.choice(reviews)
            at_least = max(pr.created_at, review.submitted_at - dt.timedelta(hours=1))
            for n in range(rng.randint(101, 200)):
                at = _moment(rng, at_least, max(at_least, review.submitted_at))
                pr.review_comments.append(
                    ReviewComment(
                        id=take("review_comment"),
                        review_id=review.id,
                        author=review.author,
                        body=f"Nit {n + 1}: naming and a missing edge case here.",
                        path=rng.choice(pr.files).path,
                        line=rng.randint(1, 400),
                        created_at=at,
                        updated_at=at,
                    )
                )
        pr.issue_comments.sort(key=lambda c: (c.created_at, c.id))
        pr.review_comments.sort(key=lambda c: (c.created_at, c.id))
        children = [c.updated_at for c in (*pr.issue_comments, *pr.review_comments)]
        pr.updated_at = max([pr.updated_at, *children])
    for issue in _chosen(rng, list(issues), share):
        end = issue.updated
        people = [issue.reporter, *(a for a in (issue.assignee,) if a), *(c.author for c in issue.comments)]
        people = list(dict.fromkeys(people))
        for n in range(rng.randint(101, 260)):
            jira_comment += 1
            at = _moment(rng, issue.created, end)
            issue.comments.append(
                JiraComment(
                    id=str(jira_comment),
                    author=rng.choice(people),
                    body=f"Update {n + 1}: still looking into it.",
                    created=at,
                    updated=at,
                )
            )
        for _ in range(rng.randint(101, 160)):
            jira_change += 1
            issue.changelog.append(
                JiraChange(
                    id=str(jira_change),
                    author=rng.choice(people),
                    created=_moment(rng, issue.created, end),
                    field="Rank",
                    to_string=rng.choice(["Ranked higher", "Ranked lower"]),
                )
            )
        issue.comments.sort(key=lambda c: (c.created, int(c.id) if c.id.isdigit() else 0))
        issue.changelog.sort(key=lambda c: c.created)


def _chosen(rng: random.Random, items: list, share: float) -> list:
    if not items:
        return []
    count = max(1, round(len(items) * share))
    return rng.sample(items, min(count, len(items)))
