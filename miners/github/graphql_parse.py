"""Pure parsers: GitHub GraphQL nodes -> typed records, spelled as REST spells them.

Records look the same whichever API they came from (review comments are read
over REST); GraphQL differs from REST in ways that matter here: a deleted
account is a null ``author`` (REST: the ``ghost`` user); a bot's ``login`` has no ``[bot]``
suffix (REST has it, and so do our records); states are upper case
(``MERGED`` is REST's ``closed`` with ``merged_at``); file statuses are
``ADDED``/``MODIFIED``/``DELETED``/``RENAMED`` (REST: ``removed`` for deleted).
Review-request history is rebuilt from timeline events because GitHub's
``reviewRequests`` forgets a request once the reviewer answers it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from miners.github.parse import GHOST_LOGIN, SOURCE, parse_required_time, parse_time, partition_for
from miners.records import (
    CoAuthorRecord,
    IssueCommentRecord,
    PullRequestCommitRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    Record,
    RepoRecord,
    ReviewRecord,
    ReviewRequestRecord,
)

TRAILER_RE = re.compile(r"^Co-authored-by:\s*(.+?)\s*<([^>]+)>\s*$", re.IGNORECASE | re.MULTILINE)
_FILE_STATUS = {
    "ADDED": "added",
    "MODIFIED": "modified",
    "DELETED": "removed",
    "RENAMED": "renamed",
    "CHANGED": "changed",
    "COPIED": "copied",
}


def parse_actor(actor: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """GraphQL actor -> (login as REST spells it, type); null or ghost -> (None, None)."""
    if not actor or not actor.get("login") or actor.get("login") == GHOST_LOGIN:
        return None, None
    kind = actor.get("__typename") or "User"
    login = str(actor["login"])
    if kind == "Bot" and not login.endswith("[bot]"):
        login += "[bot]"
    if login.endswith("[bot]"):
        kind = "Bot"
    return login, kind


def _reviewer(node: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    if node and node.get("__typename") == "Team":
        return node.get("slug"), "Team"
    return parse_actor(node)


def parse_graphql_repo(node: Mapping[str, Any], *, org: str, fetched_at: dt.datetime) -> RepoRecord:
    full_name = node["nameWithOwner"]
    return RepoRecord(
        source=SOURCE,
        source_id=full_name,
        partition=f"{SOURCE}:{org}",
        updated_at=parse_time(node.get("pushedAt")),
        fetched_at=fetched_at,
        url=node.get("url"),
        raw={
            "id": node.get("databaseId"),
            "node_id": node.get("id"),
            "full_name": full_name,
            "private": node.get("isPrivate"),
            "archived": node.get("isArchived"),
            "created_at": node.get("createdAt"),
            "pushed_at": node.get("pushedAt"),
        },
        full_name=full_name,
        org=full_name.split("/", 1)[0],
        name=node.get("name") or full_name.split("/", 1)[1],
        archived=bool(node.get("isArchived")),
        default_branch=(node.get("defaultBranchRef") or {}).get("name"),
    )


def newest_pull_update(node: Mapping[str, Any]) -> dt.datetime | None:
    """The repository node's newest PR ``updatedAt`` (None: no PRs)."""
    nodes = (node.get("pullRequests") or {}).get("nodes") or []
    return parse_time(nodes[0].get("updatedAt")) if nodes else None


def _nodes(pull: Mapping[str, Any], connection: str) -> list[dict[str, Any]]:
    return [n for n in ((pull.get(connection) or {}).get("nodes") or []) if n]


def parse_graphql_pull(node: Mapping[str, Any], *, repo: str, fetched_at: dt.datetime) -> list[Record]:
    """One PR node (connections complete) -> its PR, file, review, comment, commit and request records."""
    login, kind = parse_actor(node.get("author"))
    number = int(node["number"])
    pull = PullRequestRecord(
        source=SOURCE,
        source_id=f"{repo}#{number}",
        partition=partition_for(repo),
        updated_at=parse_time(node.get("updatedAt")),
        fetched_at=fetched_at,
        url=node.get("url"),
        raw={
            "id": node.get("databaseId"),
            "node_id": node.get("id"),
            "number": number,
            "state": node.get("state"),
            "draft": node.get("isDraft"),
            "author_association": node.get("authorAssociation"),
            "head_ref": node.get("headRefName"),
            "base_ref": node.get("baseRefName"),
        },
        repo=repo,
        number=number,
        author_login=login,
        author_type=kind,
        title=node.get("title") or "",
        body=node.get("body") or None,
        state="open" if node.get("state") == "OPEN" else "closed",
        draft=bool(node.get("isDraft")),
        created_at=parse_required_time(node["createdAt"], f"pull request {repo}#{number}"),
        closed_at=parse_time(node.get("closedAt")),
        merged_at=parse_time(node.get("mergedAt")),
        additions=node.get("additions"),
        deletions=node.get("deletions"),
        labels=tuple(n["name"] for n in _nodes(node, "labels") if n.get("name")),
    )
    timeline = _nodes(node, "timelineItems")
    reviews = [_review(i, pull, fetched_at) for i in timeline if i.get("__typename") == "PullRequestReview"]
    history = review_request_history(timeline, reviews, pull, fetched_at)
    pull = dataclasses.replace(pull, requested_reviewers=pending_reviewers(history))
    out: list[Record] = [pull]
    out += [_file(f, pull, fetched_at) for f in _nodes(node, "files")]
    out += reviews
    out += [_comment(i, pull, fetched_at) for i in timeline if i.get("__typename") == "IssueComment"]
    for item in timeline:
        if item.get("__typename") == "PullRequestCommit":
            out += _commit(item.get("commit") or {}, pull, fetched_at)
    out += history
    return out


def pending_reviewers(history: list[ReviewRequestRecord]) -> tuple[str, ...]:
    """Who is still asked (REST's ``requested_reviewers``): each person's latest request, neither removed
    nor answered; teams and deleted accounts left out."""
    latest: dict[str, ReviewRequestRecord] = {}
    for r in sorted(history, key=lambda r: r.requested_at):
        if r.reviewer_login and r.reviewer_type != "Team":
            latest[r.reviewer_login] = r
    waiting = [(login, r) for login, r in latest.items() if r.removed_at is None and r.answered_at is None]
    return tuple(login for login, r in sorted(waiting, key=lambda w: (w[1].requested_at, w[0])))


def _env(
    pull: PullRequestRecord,
    source_id: str,
    updated_at: dt.datetime | None,
    fetched_at: dt.datetime,
    url: str | None,
    raw: dict[str, Any],
) -> dict[str, Any]:
    return dict(
        source=SOURCE,
        source_id=source_id,
        partition=pull.partition,
        updated_at=updated_at,
        fetched_at=fetched_at,
        url=url,
        raw=raw,
        repo=pull.repo,
        number=pull.number,
    )


def _file(f: Mapping[str, Any], pull: PullRequestRecord, fetched_at: dt.datetime) -> PullRequestFileRecord:
    path = f["path"]
    status = _FILE_STATUS.get(str(f.get("changeType")), str(f.get("changeType") or "").lower() or None)
    return PullRequestFileRecord(
        **_env(
            pull,
            f"{pull.repo}#{pull.number}:{path}",
            pull.updated_at,
            fetched_at,
            f"{pull.url}/files" if pull.url else None,
            {"filename": path, "status": status},
        ),
        path=path,
        additions=int(f.get("additions") or 0),
        deletions=int(f.get("deletions") or 0),
        status=status,
    )


def _review(i: Mapping[str, Any], pull: PullRequestRecord, fetched_at: dt.datetime) -> ReviewRecord:
    login, kind = parse_actor(i.get("author"))
    submitted_at = parse_time(i.get("submittedAt"))
    return ReviewRecord(
        **_env(
            pull,
            str(i["databaseId"]),
            submitted_at,
            fetched_at,
            i.get("url"),
            {
                "id": i.get("databaseId"),
                "node_id": i.get("id"),
                "state": i.get("state"),
                "author_association": i.get("authorAssociation"),
            },
        ),
        review_id=int(i["databaseId"]),
        author_login=login,
        author_type=kind,
        state=i.get("state") or "COMMENTED",
        body=i.get("body"),
        submitted_at=submitted_at,
    )


def _comment(i: Mapping[str, Any], pull: PullRequestRecord, fetched_at: dt.datetime) -> IssueCommentRecord:
    login, kind = parse_actor(i.get("author"))
    return IssueCommentRecord(
        **_env(
            pull,
            str(i["databaseId"]),
            parse_time(i.get("updatedAt")),
            fetched_at,
            i.get("url"),
            {"id": i.get("databaseId"), "node_id": i.get("id"), "author_association": i.get("authorAssociation")},
        ),
        comment_id=int(i["databaseId"]),
        author_login=login,
        author_type=kind,
        body=i.get("body"),
        created_at=parse_required_time(i["createdAt"], f"comment {i.get('databaseId')} on {pull.source_id}"),
    )


def _commit(c: Mapping[str, Any], pull: PullRequestRecord, fetched_at: dt.datetime) -> list[Record]:
    sha = c["oid"]
    author = c.get("author") or {}
    user = author.get("user") or {}
    committed_at = parse_time(c.get("committedDate"))
    message = c.get("message") or ""
    url = f"{pull.url}/commits/{sha}" if pull.url else None
    out: list[Record] = [
        PullRequestCommitRecord(
            **_env(pull, f"{pull.repo}#{pull.number}:{sha}", committed_at, fetched_at, url, {"oid": sha}),
            sha=sha,
            author_login=user.get("login") if user.get("login") != GHOST_LOGIN else None,
            author_name=author.get("name"),
            author_email=author.get("email"),
            message=message,
            committed_at=committed_at,
        )
    ]
    seen = {str(author.get("email") or "").lower()}
    for name, email in TRAILER_RE.findall(message):
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        out.append(
            CoAuthorRecord(
                **_env(pull, f"{pull.repo}#{pull.number}:{sha}:{email.lower()}", committed_at, fetched_at, url, {}),
                sha=sha,
                name=name or None,
                email=email,
            )
        )
    return out


def review_request_history(
    timeline: Sequence[Mapping[str, Any]], reviews: list[ReviewRecord], pull: PullRequestRecord, fetched_at: dt.datetime
) -> list[ReviewRequestRecord]:
    """One record per REVIEW_REQUESTED event; a later REMOVED event of that reviewer closes the oldest open
    request; the answer is the reviewer's first review at or after the request, before its removal and
    before the next request of the same reviewer."""
    events = sorted(
        (
            (parse_time(i.get("createdAt")), i)
            for i in timeline
            if i.get("__typename") in ("ReviewRequestedEvent", "ReviewRequestRemovedEvent")
        ),
        key=lambda e: (e[0], e[1].get("__typename") == "ReviewRequestRemovedEvent"),
    )
    requests: list[dict[str, Any]] = []
    for when, item in events:
        reviewer = _reviewer(item.get("requestedReviewer"))
        if item["__typename"] == "ReviewRequestedEvent":
            by, _ = parse_actor(item.get("actor"))
            requests.append({"reviewer": reviewer, "by": by, "at": when, "removed": None, "id": item.get("id")})
        else:
            match = next((r for r in requests if r["reviewer"] == reviewer and r["removed"] is None), None)
            if match is not None:
                match["removed"] = when
    ordered = sorted(reviews, key=lambda v: (v.submitted_at is None, v.submitted_at, v.review_id))
    out = []
    for r in requests:
        (login, kind), at, removed = r["reviewer"], r["at"], r["removed"]
        later = [q["at"] for q in requests if q["reviewer"] == r["reviewer"] and q["at"] > at]
        until = min([m for m in (removed, *later) if m is not None], default=None)
        answer = next(
            (
                v
                for v in ordered
                if login
                and v.author_login == login
                and v.submitted_at is not None
                and v.submitted_at >= at
                and (until is None or v.submitted_at <= until)
            ),
            None,
        )
        moments = [m for m in (at, removed, answer.submitted_at if answer else None) if m is not None]
        out.append(
            ReviewRequestRecord(
                **_env(
                    pull,
                    f"{pull.repo}#{pull.number}:{login}@{at.isoformat()}",
                    max(moments),
                    fetched_at,
                    pull.url,
                    {"event_id": r["id"]},
                ),
                reviewer_login=login,
                reviewer_type=kind,
                requested_by_login=r["by"],
                requested_at=at,
                removed_at=removed,
                answered_at=answer.submitted_at if answer else None,
                answered_review_id=answer.review_id if answer else None,
            )
        )
    return out
