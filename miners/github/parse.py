"""Pure parsers: GitHub REST JSON payloads -> typed records (no network, no clock).

Robust to what real payloads hold: ``user: null`` and the ``ghost`` user for
deleted accounts (both -> ``author_login=None``), bots (type ``Bot`` or a login
ending in ``[bot]``), null bodies, timestamps with ``Z``, offsets or
milliseconds, review comments without ``line`` (outdated).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from miners.records import (
    IssueCommentRecord,
    PullRequestFileRecord,
    PullRequestRecord,
    RepoRecord,
    ReviewCommentRecord,
    ReviewRecord,
    utc,
)

SOURCE = "github"
GHOST_LOGIN = "ghost"

_NUMBER_RE = re.compile(r"/(?:pulls|issues|pull)/(\d+)(?:[/#?]|$)")


def parse_time(value: str | None) -> dt.datetime | None:
    """GitHub timestamp -> aware UTC datetime (``None`` stays ``None``)."""
    if not value:
        return None
    return utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))


def parse_required_time(value: str | None, what: str) -> dt.datetime:
    """``parse_time`` of a timestamp GitHub always sends (a ``created_at``); ``what`` names the object.

    The record field is not optional (its warehouse column is NOT NULL), so a payload
    without it fails here, naming the object, instead of at load time.
    """
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"{what} has no creation time; the payload is incomplete")
    return parsed


def parse_user(user: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """User object -> (login, type); deleted accounts (null or ``ghost``) -> (None, None)."""
    if not user or not user.get("login") or user.get("login") == GHOST_LOGIN:
        return None, None
    login = str(user["login"])
    kind = user.get("type") or "User"
    if login.endswith("[bot]"):
        kind = "Bot"
    return login, kind


def parse_number(url: str | None) -> int | None:
    """The PR/issue number at the end of an API or HTML URL (``…/pulls/12``, ``…/issues/12``)."""
    match = _NUMBER_RE.search(url or "")
    return int(match.group(1)) if match else None


def _pick(payload: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: payload[k] for k in keys if k in payload}


def partition_for(full_name: str) -> str:
    return f"{SOURCE}:{full_name}"


def parse_repo(payload: Mapping[str, Any], *, org: str, fetched_at: dt.datetime) -> RepoRecord:
    full_name = payload["full_name"]
    return RepoRecord(
        source=SOURCE,
        source_id=full_name,
        partition=f"{SOURCE}:{org}",
        updated_at=parse_time(payload.get("updated_at")),
        fetched_at=fetched_at,
        url=payload.get("html_url"),
        raw=_pick(
            payload,
            "id",
            "node_id",
            "full_name",
            "private",
            "archived",
            "default_branch",
            "visibility",
            "created_at",
            "pushed_at",
        ),
        full_name=full_name,
        org=full_name.split("/", 1)[0],
        name=payload.get("name") or full_name.split("/", 1)[1],
        archived=bool(payload.get("archived")),
        default_branch=payload.get("default_branch"),
    )


def parse_pull(payload: Mapping[str, Any], *, repo: str, fetched_at: dt.datetime) -> PullRequestRecord:
    """A listed PR; additions/deletions stay None (the list payload lacks them)."""
    login, kind = parse_user(payload.get("user"))
    number = int(payload["number"])
    reviewers = tuple(login for login, _ in (parse_user(u) for u in payload.get("requested_reviewers") or []) if login)
    raw = _pick(payload, "id", "node_id", "number", "state", "draft", "author_association", "merge_commit_sha")
    raw["head_ref"] = (payload.get("head") or {}).get("ref")
    raw["base_ref"] = (payload.get("base") or {}).get("ref")
    raw["requested_teams"] = [t.get("slug") for t in payload.get("requested_teams") or []]
    return PullRequestRecord(
        source=SOURCE,
        source_id=f"{repo}#{number}",
        partition=partition_for(repo),
        updated_at=parse_time(payload.get("updated_at")),
        fetched_at=fetched_at,
        url=payload.get("html_url"),
        raw=raw,
        repo=repo,
        number=number,
        author_login=login,
        author_type=kind,
        title=payload.get("title") or "",
        body=payload.get("body"),
        state="closed" if str(payload.get("state") or "open").lower() != "open" else "open",
        draft=bool(payload.get("draft")),
        created_at=parse_required_time(payload["created_at"], f"pull request {repo}#{number}"),
        closed_at=parse_time(payload.get("closed_at")),
        merged_at=parse_time(payload.get("merged_at")),
        additions=payload.get("additions"),
        deletions=payload.get("deletions"),
        labels=tuple(label["name"] for label in payload.get("labels") or [] if label.get("name")),
        requested_reviewers=reviewers,
    )


def parse_file(
    payload: Mapping[str, Any], *, pull: PullRequestRecord, fetched_at: dt.datetime
) -> PullRequestFileRecord:
    path = payload["filename"]
    return PullRequestFileRecord(
        source=SOURCE,
        source_id=f"{pull.repo}#{pull.number}:{path}",
        partition=pull.partition,
        updated_at=pull.updated_at,
        fetched_at=fetched_at,
        url=f"{pull.url}/files" if pull.url else None,
        raw=_pick(payload, "sha", "filename", "status", "changes", "previous_filename"),
        repo=pull.repo,
        number=pull.number,
        path=path,
        additions=int(payload.get("additions") or 0),
        deletions=int(payload.get("deletions") or 0),
        status=payload.get("status"),
    )


def parse_review(payload: Mapping[str, Any], *, pull: PullRequestRecord, fetched_at: dt.datetime) -> ReviewRecord:
    login, kind = parse_user(payload.get("user"))
    submitted_at = parse_time(payload.get("submitted_at"))
    return ReviewRecord(
        source=SOURCE,
        source_id=str(payload["id"]),
        partition=pull.partition,
        updated_at=submitted_at,
        fetched_at=fetched_at,
        url=payload.get("html_url"),
        raw=_pick(payload, "id", "node_id", "state", "author_association", "commit_id"),
        repo=pull.repo,
        number=pull.number,
        review_id=int(payload["id"]),
        author_login=login,
        author_type=kind,
        state=payload.get("state") or "COMMENTED",
        body=payload.get("body"),
        submitted_at=submitted_at,
    )


def parse_review_comment(payload: Mapping[str, Any], *, repo: str, fetched_at: dt.datetime) -> ReviewCommentRecord:
    login, kind = parse_user(payload.get("user"))
    number = parse_number(payload.get("pull_request_url")) or parse_number(payload.get("html_url"))
    if number is None:
        raise ValueError(f"review comment {payload.get('id')} in {repo} names no pull request")
    line = payload.get("line")
    if line is None:
        line = payload.get("original_line")
    return ReviewCommentRecord(
        source=SOURCE,
        source_id=str(payload["id"]),
        partition=partition_for(repo),
        updated_at=parse_time(payload.get("updated_at")),
        fetched_at=fetched_at,
        url=payload.get("html_url"),
        raw=_pick(
            payload,
            "id",
            "node_id",
            "pull_request_review_id",
            "in_reply_to_id",
            "path",
            "line",
            "original_line",
            "side",
            "commit_id",
            "author_association",
            "subject_type",
        ),
        repo=repo,
        number=number,
        comment_id=int(payload["id"]),
        review_id=payload.get("pull_request_review_id"),
        author_login=login,
        author_type=kind,
        body=payload.get("body"),
        path=payload.get("path"),
        line=line,
        in_reply_to_id=payload.get("in_reply_to_id"),
        created_at=parse_required_time(payload["created_at"], f"review comment {payload.get('id')} in {repo}"),
    )


def is_pull_request_comment(payload: Mapping[str, Any]) -> bool:
    """An issue comment made on a PR's conversation (GitHub links those to ``/pull/N``)."""
    return "/pull/" in (payload.get("html_url") or "")


def parse_issue_comment(payload: Mapping[str, Any], *, repo: str, fetched_at: dt.datetime) -> IssueCommentRecord:
    login, kind = parse_user(payload.get("user"))
    number = parse_number(payload.get("issue_url")) or parse_number(payload.get("html_url"))
    if number is None:
        raise ValueError(f"issue comment {payload.get('id')} in {repo} names no issue")
    return IssueCommentRecord(
        source=SOURCE,
        source_id=str(payload["id"]),
        partition=partition_for(repo),
        updated_at=parse_time(payload.get("updated_at")),
        fetched_at=fetched_at,
        url=payload.get("html_url"),
        raw=_pick(payload, "id", "node_id", "author_association"),
        repo=repo,
        number=number,
        comment_id=int(payload["id"]),
        author_login=login,
        author_type=kind,
        body=payload.get("body"),
        created_at=parse_required_time(payload["created_at"], f"issue comment {payload.get('id')} in {repo}"),
    )
