"""Pure parsers for what the miner reads over REST: review (line) comments, user objects, timestamps.

The miner reads everything else over GraphQL (``miners.github.graphql_parse``);
the one REST list it reads is ``/repos/{o}/{r}/pulls/comments?since=``
(docs/mining-github.md says why).  No network, no clock.  Robust to what real
payloads hold: ``user: null`` and the ``ghost`` user for deleted accounts
(both -> ``author_login=None``), bots (type ``Bot`` or a login ending in
``[bot]``), null bodies, timestamps with ``Z``, offsets or milliseconds,
review comments without ``line`` (outdated).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from miners.records import (
    ReviewCommentRecord,
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
