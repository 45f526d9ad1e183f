"""The issue timeline of a sandbox PR (``GET /repos/{o}/{r}/issues/{n}/timeline``) as GitHub renders it.

Events, oldest first, as of the clock: ``labeled`` (at creation), ``committed``,
``review_requested`` / ``review_request_removed`` (from
``PullRequest.review_requests``), ``reviewed`` (lower-case state, as the
timeline shows it), ``commented``, then ``merged`` and ``closed``.  Shapes
follow the ``timeline-*-event`` / ``*-issue-event`` schemas of GitHub's
OpenAPI description.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.github.payloads_extra import commit_payload
from sandbox.world import PullRequest, World


def _event(
    world: World, pr: PullRequest, links: gp.Links, kind: str, key: str, actor: str | None, when: dt.datetime
) -> dict[str, Any]:
    """The fields every ``*-issue-event`` has."""
    eid = gp.stable_id("event", f"{pr.repo}#{pr.number}:{kind}:{key}")
    return {
        "id": eid,
        "node_id": f"E_{eid}",
        "url": f"{links.api}/repos/{pr.repo}/issues/events/{eid}",
        "actor": gp.user_payload(world, actor, links),
        "event": kind,
        "commit_id": None,
        "commit_url": None,
        "created_at": gp.iso(when),
        "performed_via_github_app": None,
    }


def timeline_events(world: World, pr: PullRequest, now: dt.datetime, links: gp.Links) -> list[dict[str, Any]]:
    """Every timeline event of ``pr`` that has happened by ``now``, in time order."""
    timed: list[tuple[dt.datetime, int, dict[str, Any]]] = []

    def add(when: dt.datetime, payload: dict[str, Any]) -> None:
        if when <= now:
            timed.append((when, len(timed), payload))

    for name in pr.labels:
        label = {k: v for k, v in gp.label_payload(pr.repo, name, links).items() if k in ("name", "color")}
        add(pr.created_at, _event(world, pr, links, "labeled", name, pr.author, pr.created_at) | {"label": label})
    for i, c in enumerate(pr.commits):
        commit = commit_payload(world, pr, i, links)
        add(
            c.committed_at,
            {
                "event": "committed",
                "sha": c.sha,
                "node_id": commit["node_id"],
                "url": commit["commit"]["url"],
                "html_url": commit["html_url"],
                "author": commit["commit"]["author"],
                "committer": commit["commit"]["committer"],
                "tree": commit["commit"]["tree"],
                "message": c.message,
                "parents": commit["parents"],
                "verification": commit["commit"]["verification"],
            },
        )
    for r in pr.review_requests:
        base = {
            "review_requester": gp.user_payload(world, r.requested_by, links),
            "requested_reviewer": gp.user_payload(world, r.reviewer, links),
        }
        add(
            r.requested_at,
            _event(
                world, pr, links, "review_requested", f"{r.reviewer}@{r.requested_at}", r.requested_by, r.requested_at
            )
            | base,
        )
        if r.removed_at is not None:
            add(
                r.removed_at,
                _event(
                    world,
                    pr,
                    links,
                    "review_request_removed",
                    f"{r.reviewer}@{r.removed_at}",
                    r.requested_by,
                    r.removed_at,
                )
                | base,
            )
    for review in asof.visible_reviews(pr, now):
        payload = gp.review_payload(world, pr, review, links)
        add(review.submitted_at, payload | {"event": "reviewed", "state": review.state.lower()})
    for comment in asof.visible_issue_comments(pr, now):
        payload = gp.issue_comment_payload(world, pr, comment, now, links)
        add(comment.created_at, payload | {"event": "commented", "actor": payload["user"]})
    if pr.merged_at is not None:
        merged = _event(world, pr, links, "merged", "merged", pr.author, pr.merged_at)
        merge_sha = gp.fake_sha(pr.repo, pr.number, "merge")
        add(
            pr.merged_at,
            merged | {"commit_id": merge_sha, "commit_url": f"{links.api}/repos/{pr.repo}/commits/{merge_sha}"},
        )
    if pr.closed_at is not None:
        add(
            pr.closed_at, _event(world, pr, links, "closed", "closed", pr.author, pr.closed_at) | {"state_reason": None}
        )
    return [payload for _, _, payload in sorted(timed, key=lambda t: (t[0], t[1]))]
