"""The GitHub miner: organizations -> repos -> PRs, files, reviews and comments as typed records.

Partitions and cursors
    ``github:{org}`` holds the RepoRecords (no cursor).  Each repository is one
    partition ``github:{org}/{repo}`` whose cursor is the ISO-8601 UTC time of
    the newest PR or comment ``updated_at`` seen there.  Without a cursor (or
    with ``full=True``) everything is read.  With one, the window starts at
    ``cursor - overlap`` and holds what was updated strictly after that: PRs
    are listed newest-updated first and paging stops at the window's edge;
    review and issue comments come from the repo-level ``since`` endpoints.
    The overlap re-reads a little on purpose (late writes, equal timestamps);
    the warehouse's content hash makes re-reads free.  ``overlap=0`` reads
    only what is strictly newer than the cursor.  A backfill ``since``
    replaces the window: everything updated at or after ``since`` is re-read
    (the cursor still never moves backwards).

Batches
    PRs (with their files and reviews) are yielded one list page at a time
    with ``cursor=None``; the repo's last batch holds its comments and the new
    cursor, so a run killed midway re-reads the repo next time and loses
    nothing.

Budget
    Per repo: 1 request per 100 changed PRs, 2 per changed PR (reviews and
    files: an N+1 a GraphQL version will replace) and 2 for comments; a run
    where nothing changed costs 3 requests per repo plus 1 per 100 repos, plus
    2 per PR updated within ``overlap`` of the cursor (re-read on purpose).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import github

from miners.base import Batch, MinerError
from miners.github_client import GitHubReader, RepoNotFound
from miners.github_parse import (
    SOURCE,
    is_pull_request_comment,
    parse_file,
    parse_issue_comment,
    parse_pull,
    parse_repo,
    parse_review,
    parse_review_comment,
    parse_time,
    partition_for,
)
from miners.records import Record, utc

log = logging.getLogger(__name__)

UTC = dt.timezone.utc


def _utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def format_cursor(value: dt.datetime) -> str:
    """The cursor string for ``value``: ISO-8601 in UTC."""
    return utc(value).isoformat()


def parse_cursor(value: str | None) -> dt.datetime | None:
    """A stored cursor string -> aware UTC datetime; raise MinerError naming a malformed one."""
    if not value:
        return None
    try:
        return utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise MinerError(f"stored GitHub cursor {value!r} is not an ISO-8601 timestamp; "
                         "run a full sync (--full) to rebuild it") from None


def is_selected(full_name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """fnmatch globs on ``org/repo``: included by some ``include`` and by no ``exclude``."""
    name = full_name.lower()
    return any(fnmatch.fnmatchcase(name, g.lower()) for g in include) and not any(
        fnmatch.fnmatchcase(name, g.lower()) for g in exclude
    )


def mine_github(
    gh: github.Github,
    orgs: Sequence[str],
    cursors: Mapping[str, str],
    *,
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
    include_archived: bool = False,
    overlap: dt.timedelta = dt.timedelta(hours=1),
    now: Callable[[], dt.datetime] = _utcnow,
    full: bool = False,
    since: dt.datetime | None = None,
) -> Iterator[Batch]:
    """Yield record batches for every selected repository of ``orgs``.

    Calls: GET /orgs/{org}/repos, /repos/{o}/{r}/pulls, /pulls/{n}/reviews,
    /pulls/{n}/files, /repos/{o}/{r}/pulls/comments, /repos/{o}/{r}/issues/comments.
    """
    reader = GitHubReader(gh.requester)
    for org in orgs:
        repos = fetch_org_repos(reader, org)
        selected = [r for r in repos if is_selected(r["full_name"], include, exclude)]
        fetched_at = now()
        yield Batch(
            source=SOURCE,
            partition=f"{SOURCE}:{org}",
            records=tuple(parse_repo(r, org=org, fetched_at=fetched_at) for r in selected),
            cursor=None,
            stats={"items": len(selected), "repos_listed": len(repos)},
        )
        for repo in selected:
            full_name = repo["full_name"]
            if repo.get("archived") and not include_archived:
                log.info("%s: archived, skipped (include_archived is off)", partition_for(full_name))
                continue
            cursor = None if full else cursors.get(partition_for(full_name))
            try:
                yield from mine_repo(reader, full_name, cursor, overlap=overlap, now=now,
                                     since=None if full else since)
            except RepoNotFound as exc:
                log.warning("%s; skipped this repository, the others still sync", exc)


def fetch_org_repos(reader: GitHubReader, org: str) -> list[dict[str, Any]]:
    """All repositories of ``org`` as JSON.

    Calls: GET /orgs/{org}/repos
    """
    try:
        return reader.fetch_all(f"/orgs/{org}/repos", {"type": "all", "sort": "full_name"}, what=org)
    except RepoNotFound:
        raise MinerError(f"GitHub organization {org!r} was not found (404): check the org name in the "
                         "configuration and that the token's owner is a member of it") from None


def mine_repo(
    reader: GitHubReader,
    full_name: str,
    cursor: str | None,
    *,
    overlap: dt.timedelta,
    now: Callable[[], dt.datetime],
    since: dt.datetime | None = None,
) -> Iterator[Batch]:
    """Batches for one repository partition (see the module docstring for the window).

    Calls: GET /repos/{o}/{r}/pulls, /pulls/{n}/reviews, /pulls/{n}/files,
    /repos/{o}/{r}/pulls/comments, /repos/{o}/{r}/issues/comments.
    """
    partition = partition_for(full_name)
    started, requests_before, pages_before = time.monotonic(), reader.requests, reader.pages
    old = parse_cursor(cursor)
    window_start = old - overlap if old is not None else None
    if since is not None:  # the window holds what is strictly newer, and since is inclusive
        window_start = utc(since) - dt.timedelta(microseconds=1)
    newest = old
    items = 0

    def seen(moment: dt.datetime | None) -> None:
        nonlocal newest
        if moment is not None and (newest is None or moment > newest):
            newest = moment

    for records, page_newest in fetch_changed_pulls(reader, full_name, window_start, now):
        seen(page_newest)
        if records:
            items += len(records)
            yield Batch(source=SOURCE, partition=partition, records=tuple(records), cursor=None)

    comments = fetch_changed_comments(reader, full_name, window_start, now)
    for record in comments:
        seen(record.updated_at)
    items += len(comments)
    new_cursor = cursor if newest == old else format_cursor(newest) if newest else None
    stats = {
        "items": items,
        "pages": reader.pages - pages_before,
        "requests": reader.requests - requests_before,
        "seconds": round(time.monotonic() - started, 3),
        "rate_remaining": reader.rate_remaining,
    }
    log.info("%s: %d items, %d pages (%d requests) in %.1f s; budget left %s; cursor %s",
             partition, items, stats["pages"], stats["requests"], stats["seconds"],
             stats["rate_remaining"], new_cursor)
    yield Batch(source=SOURCE, partition=partition, records=tuple(comments), cursor=new_cursor, stats=stats)


def fetch_changed_pulls(
    reader: GitHubReader, full_name: str, window_start: dt.datetime | None, now: Callable[[], dt.datetime]
) -> Iterator[tuple[list[Record], dt.datetime | None]]:
    """Per list page: the records of PRs updated after ``window_start`` and the newest updated_at.

    Calls: GET /repos/{o}/{r}/pulls (sort=updated, desc), /pulls/{n}/reviews, /pulls/{n}/files
    """
    params = {"state": "all", "sort": "updated", "direction": "desc"}
    for page in reader.fetch_pages(f"/repos/{full_name}/pulls", params, what=full_name):
        records: list[Record] = []
        newest: dt.datetime | None = None
        done = False
        for payload in page:
            updated_at = parse_time(payload.get("updated_at"))
            if window_start is not None and updated_at is not None and updated_at <= window_start:
                done = True  # newest-first: everything after this is older still
                break
            fetched_at = now()
            pull = parse_pull(payload, repo=full_name, fetched_at=fetched_at)
            records.extend(fetch_pull_details(reader, pull, fetched_at))
            if updated_at is not None and (newest is None or updated_at > newest):
                newest = updated_at
        yield records, newest
        if done:
            return


def fetch_pull_details(reader: GitHubReader, pull: Any, fetched_at: dt.datetime) -> list[Record]:
    """The PR record (with additions/deletions summed from its files), its files and reviews.

    Calls: GET /repos/{o}/{r}/pulls/{n}/files, /repos/{o}/{r}/pulls/{n}/reviews
    """
    what = pull.source_id
    base = f"/repos/{pull.repo}/pulls/{pull.number}"
    files = [parse_file(f, pull=pull, fetched_at=fetched_at) for f in reader.fetch_all(f"{base}/files", what=what)]
    reviews = [parse_review(r, pull=pull, fetched_at=fetched_at)
               for r in reader.fetch_all(f"{base}/reviews", what=what)]
    pull = dataclasses.replace(
        pull, additions=sum(f.additions for f in files), deletions=sum(f.deletions for f in files)
    )
    return [pull, *files, *reviews]


def fetch_changed_comments(
    reader: GitHubReader, full_name: str, window_start: dt.datetime | None, now: Callable[[], dt.datetime]
) -> list[Record]:
    """Review comments and PR conversation comments updated after ``window_start``.

    Calls: GET /repos/{o}/{r}/pulls/comments, /repos/{o}/{r}/issues/comments (since, sort=updated)
    """
    params: dict[str, Any] = {"sort": "updated", "direction": "asc"}
    if window_start is not None:
        params["since"] = window_start.strftime("%Y-%m-%dT%H:%M:%SZ")  # floors to seconds: a superset

    def fresh(payload: Mapping[str, Any]) -> bool:
        updated_at = parse_time(payload.get("updated_at"))
        return window_start is None or updated_at is None or updated_at > window_start

    out: list[Record] = []
    for page in reader.fetch_pages(f"/repos/{full_name}/pulls/comments", params, what=full_name):
        fetched_at = now()
        out.extend(parse_review_comment(c, repo=full_name, fetched_at=fetched_at) for c in page if fresh(c))
    for page in reader.fetch_pages(f"/repos/{full_name}/issues/comments", params, what=full_name):
        fetched_at = now()
        out.extend(parse_issue_comment(c, repo=full_name, fetched_at=fetched_at)
                   for c in page if fresh(c) and is_pull_request_comment(c))
    return out
