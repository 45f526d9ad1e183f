"""Jira miner: issues with links, comments and changelog, incrementally per project.

One partition per project (``jira:{KEY}``).  The cursor is the newest
``updated`` seen, at Jira's minute resolution, as ``yyyy-MM-dd HH:mm`` UTC; the
next run asks for ``updated >= cursor - overlap`` in the *caller's* time zone
(JQL reads dates in the user's profile zone), so a minute-floored watermark
never loses an issue and a quiet night costs one search request per project.

Results come oldest-first (``ORDER BY updated ASC, key ASC``), so every page is
a Batch whose cursor may be committed at once: a crash loses nothing.  Pages
are read by keyset on ``updated`` rather than by offset, so an issue edited
mid-run cannot make another one slip between two pages.
Comments and changelog ride along in the same search page (``fields=comment``,
``expand=changelog``); only issues whose embedded comments are truncated cost
an extra request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

import jira
import requests
from jira.exceptions import JIRAError

from miners.base import Batch, MinerError
from miners.records import utc
from miners.jira_parse import (
    FIELD_NAMES,
    SOURCE,
    IssueContext,
    changelog_truncated,
    comments_truncated,
    parse_issue,
    parse_jira_time,
    resolve_field_ids,
)

log = logging.getLogger(__name__)

CURSOR_FORMAT = "%Y-%m-%d %H:%M"
PAGE_SIZE = 100  # search/jql's ceiling when fields are requested
BASE_FIELDS = (
    "summary", "description", "issuetype", "project", "status", "priority", "reporter", "assignee",
    "created", "updated", "resolutiondate", "duedate", "labels", "components", "parent", "issuelinks",
    "comment",
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_cursor(cursor: str, partition: str) -> dt.datetime:
    """A stored cursor (``yyyy-MM-dd HH:mm``, UTC) as an aware datetime."""
    try:
        return dt.datetime.strptime(cursor, CURSOR_FORMAT).replace(tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        raise MinerError(
            f"stored Jira cursor {cursor!r} for {partition} is not 'yyyy-MM-dd HH:mm': "
            "run a full sync of this project to rebuild it"
        ) from None


def build_cursor(updated_at: dt.datetime) -> str:
    """The cursor for the newest ``updated`` seen: UTC, floored to the minute (Jira's resolution)."""
    return updated_at.astimezone(dt.timezone.utc).strftime(CURSOR_FORMAT)


def build_jql(project: str, since: dt.datetime | None, tz: dt.tzinfo) -> str:
    """The search for one project, oldest change first; ``since`` is rendered in the user's zone ``tz``."""
    quoted = '"' + project.replace("\\", "\\\\").replace('"', '\\"') + '"'
    clauses = [f"project = {quoted}"]
    if since is not None:
        clauses.append(f'updated >= "{since.astimezone(tz).strftime(CURSOR_FORMAT)}"')
    return " AND ".join(clauses) + " ORDER BY updated ASC, key ASC"


@dataclass
class _Session:
    """One run's settings, derived once: flavour, field ids, time zone."""

    client: jira.JIRA
    cloud: bool
    server: str
    field_ids: Mapping[str, str]
    tz: dt.tzinfo


def mine_jira(
    client: jira.JIRA,
    projects: Sequence[str],
    cursors: Mapping[str, str],
    *,
    incident_types: Sequence[str] = ("Incident",),
    incident_projects: Sequence[str] = (),
    overlap: dt.timedelta = dt.timedelta(minutes=5),
    now: Callable[[], dt.datetime] = _utcnow,
    full: bool = False,
    field_ids: Mapping[str, str] | None = None,
    since: dt.datetime | None = None,
) -> Iterator[Batch]:
    """Yield one Batch per search page of each project; the last one per project carries its final cursor.

    ``cursors`` maps partition (``jira:ML``) to a stored cursor; ``full`` ignores them.
    ``field_ids`` maps roles (severity, commander, postmortem, epic_link) to field ids.
    A backfill ``since`` replaces the window: everything updated at or after it is re-read
    (the cursor never moves backwards); ``full`` wins over both.

    Calls: GET serverInfo (only if the client skipped it), GET field (unless ``field_ids``
    names every role), GET myself (only for incremental runs: the user's time zone),
    Cloud GET /rest/api/{2,3}/search/jql or DC GET /rest/api/2/search (one request per
    page, keyset on ``updated``), GET issue/{key}/comment for issues with truncated comments.
    """
    since = None if full or since is None else utc(since)
    session = _open_session(client, field_ids or {}, needs_tz=not full and (since is not None or any(
        cursors.get(f"jira:{p}") for p in projects)))
    for project in projects:
        partition = f"jira:{project}"
        previous = None if full else cursors.get(partition)
        ctx = IssueContext(server=session.server, partition=partition, fetched_at=now(),
                           field_ids=session.field_ids, incident_types=frozenset(incident_types),
                           incident_projects=frozenset(incident_projects))
        yield from _mine_project(session, project, previous, overlap, ctx, since)


def _mine_project(session: _Session, project: str, previous: str | None, overlap: dt.timedelta,
                  ctx: IssueContext, backfill: dt.datetime | None) -> Iterator[Batch]:
    partition = ctx.partition
    newest = parse_cursor(previous, partition) if previous else None
    since = backfill if backfill is not None else newest - overlap if newest else None
    items = pages = extra = 0
    for page in _fetch_pages(session, project, since, partition):  # the first page comes even when empty
        pages += 1
        records = []
        page_extra = 0
        for issue in page:
            comments = None
            if comments_truncated(issue):
                comments = _fetch_comments(session, issue["key"])
                page_extra += 1
            if changelog_truncated(issue):
                log.warning("Jira changelog of %s is truncated in search results; older history items "
                            "are missing until bulk changelog fetching is added", issue["key"])
            parsed = parse_issue(issue, ctx, comments)
            records.extend(parsed)
            updated_at = parsed[0].updated_at
            if updated_at is not None and (newest is None or updated_at > newest):
                newest = updated_at
        items += len(page)
        extra += page_extra
        yield Batch(source=SOURCE, partition=partition, records=tuple(records),
                    cursor=build_cursor(newest) if newest else previous,
                    stats={"items": len(page), "pages": 1, "requests": 1 + page_extra})
    log.info("%s: %d issues, %d pages, %d requests, cursor %s -> %s", partition, items, pages,
             pages + extra, previous, build_cursor(newest) if newest else previous)


def _open_session(client: jira.JIRA, overrides: Mapping[str, str], needs_tz: bool) -> _Session:
    server = client.server_url
    deployment = getattr(client, "deploymentType", None)
    if deployment is None:  # the client was built with get_server_info=False
        with jira_errors(server, "serverInfo"):
            deployment = client.server_info().get("deploymentType")
        client.deploymentType = deployment  # the client's Cloud-only methods check this attribute
    ids = dict(overrides)
    if not set(FIELD_NAMES) <= set(ids):
        with jira_errors(server, "the field list (GET field)"):
            ids = resolve_field_ids(client.fields(), overrides)
    tz: dt.tzinfo = dt.timezone.utc
    if needs_tz:
        with jira_errors(server, "the current user (GET myself)"):
            zone = client.myself().get("timeZone") or "UTC"
        try:
            tz = ZoneInfo(zone)
        except (KeyError, ValueError):
            log.warning("Jira user time zone %r is unknown here; reading JQL dates as UTC", zone)
    return _Session(client=client, cloud=deployment == "Cloud", server=server, field_ids=ids, tz=tz)


def _fetch_pages(session: _Session, project: str, since: dt.datetime | None,
                 partition: str) -> Iterator[list[dict[str, Any]]]:
    """Search pages (lists of raw issues, oldest change first), read by keyset on ``updated``.

    Offsets (DC ``startAt``, and Cloud's token over the same query) skip an issue
    whenever another one is edited mid-run and jumps to the end of the order.
    So after each full page we start a new query at the minute of its last
    issue; re-read issues are dropped unless they changed.  Only when a whole
    page shares one minute (a bulk edit) do we follow the query's own paging.
    """
    window = since
    seen: dict[str, Any] = {}  # key -> updated as served, to drop re-reads of unchanged issues
    first = True
    while True:
        jql = build_jql(project, window, session.tz)
        restart = None
        for raw in _fetch_query_pages(session, jql, partition):
            fresh = [i for i in raw if seen.get(i["key"]) != (i.get("fields") or {}).get("updated")]
            seen.update((i["key"], (i.get("fields") or {}).get("updated")) for i in raw)
            if fresh or first:
                yield fresh
            first = False
            last = parse_jira_time((raw[-1].get("fields") or {}).get("updated")) if raw else None
            if len(raw) >= PAGE_SIZE and last is not None:
                minute = last.replace(second=0, microsecond=0)
                if window is None or minute > window:
                    restart = minute
                    break
        if restart is None:
            return
        window = restart


def _fetch_query_pages(session: _Session, jql: str, partition: str) -> Iterator[list[dict[str, Any]]]:
    """The pages of one query: nextPageToken on Cloud, startAt on Data Center."""
    fields = [*BASE_FIELDS, *session.field_ids.values()]
    client = session.client
    token: str | None = None
    start = 0
    while True:
        with jira_errors(session.server, f"the issue search of {partition}"):
            if session.cloud:
                page = client.enhanced_search_issues(jql, nextPageToken=token, maxResults=PAGE_SIZE,
                                                     fields=list(fields), expand="changelog", json_result=True)
            else:
                page = client.search_issues(jql, startAt=start, maxResults=PAGE_SIZE, fields=list(fields),
                                            expand="changelog", json_result=True)
        if not isinstance(page, dict):
            raise MinerError(f"Jira at {session.server} returned no search result for {partition}; "
                             "check that serverInfo reports the right deploymentType")
        issues = list(page.get("issues") or [])
        yield issues
        if session.cloud:
            token = page.get("nextPageToken")
            if not token or page.get("isLast"):
                return
        else:
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return


def _fetch_comments(session: _Session, key: str) -> list[dict[str, Any]]:
    with jira_errors(session.server, f"the comments of {key}"):
        return [c.raw for c in session.client.comments(key)]


@contextlib.contextmanager
def jira_errors(server: str, what: str) -> Iterator[None]:
    """Turn the client's errors the user must act on into MinerError with a clear message."""
    try:
        yield
    except JIRAError as exc:
        raise explain_jira_error(exc, server, what) from exc
    except requests.ConnectionError as exc:
        raise MinerError(f"cannot reach Jira at {server} while reading {what}: {exc.__class__.__name__}; "
                         "check the server URL and the network") from exc


def explain_jira_error(exc: JIRAError, server: str, what: str) -> Exception:
    """A MinerError for 400/401/403/404/410; other statuses (5xx, 429) are returned as they are."""
    status = exc.status_code
    endpoint = (exc.url or server).split("?")[0]
    detail = (exc.text or "").strip()
    if status == 401:
        return MinerError(f"Jira returned 401 for {what} at {server}: the token is invalid or expired "
                          "(Cloud: e-mail + API token as basic auth; Data Center: a personal access token)")
    if status == 403:
        return MinerError(f"Jira returned 403 for {what} at {server}: the token's user may not read it; "
                          f"grant 'Browse projects' or use the service account ({detail})")
    if status == 410:
        return MinerError(f"Jira returned 410 Gone for {endpoint} ({what}): Jira Cloud removed this search "
                          "API; use /rest/api/3/search/jql (jira>=3.10 enhanced_search_issues, chosen when "
                          "serverInfo reports deploymentType 'Cloud'), or check the server URL/flavour")
    if status in (400, 404):
        return MinerError(f"Jira returned {status} for {what} at {endpoint}: {detail or 'no detail'}; "
                          "check the project keys in the config")
    return exc
