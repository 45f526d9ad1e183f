"""Jira miner: issues, links, comments, changelogs and incidents, incrementally per project.

Two phases per search page, so the API budget goes to issues that changed:

1. **Walk** one search over every configured project for ids and ``updated``
   only (Cloud ``search/jql`` with ``nextPageToken``, the request
   ``enhanced_search_issues`` sends; Data Center offset ``/rest/api/2/search``),
   oldest change first.  Each project contributes
   ``project = K AND updated >= cursor - overlap`` (no date bound on a full
   sync); the clauses are OR-ed, so a quiet night costs one search request in
   all, not one per project.
2. **Fetch** the page's issues in bulk: Cloud ``issue/bulkfetch`` (100 per call,
   comments embedded) plus ``changelog/bulkfetch`` (every history, not the 40
   that ``expand=changelog`` keeps); Data Center a ``key in (...)`` search with
   ``expand=changelog`` (100 per call).  Comments only cost an extra request
   for an issue whose embedded comments are truncated.

One partition per project (``jira:KEY``).  The cursor is the newest ``updated``
seen, at Jira's minute resolution, as ``yyyy-MM-dd HH:mm`` UTC, and JQL dates
are sent in the *caller's* time zone (JQL reads them in the profile zone).
Every page becomes one Batch per project it touched, carrying that project's
cursor so far: results come oldest first, so committing a page never skips an
issue, and a crash loses nothing.  The cursor follows phase-1 ``updated``
values, so an issue edited between the phases cannot push it past unread ones.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import jira

from miners.base import Batch, MinerError
from miners.jira.client import BULKFETCH_MAX, JiraReader, RetryPolicy, explain_jira_error, jira_errors
from miners.jira.incidents import parse_incident
from miners.jira.parse import (
    FIELD_NAMES,
    SOURCE,
    IssueContext,
    comments_truncated,
    issue_users,
    parse_account,
    parse_issue,
    parse_jira_time,
    resolve_field_ids,
)
from miners.records import utc

__all__ = [
    "mine_jira",
    "build_cursor",
    "parse_cursor",
    "build_jql",
    "build_search_jql",
    "explain_jira_error",
    "jira_errors",
    "RetryPolicy",
]

log = logging.getLogger(__name__)

CURSOR_FORMAT = "%Y-%m-%d %H:%M"
ACCOUNTS_PARTITION = "jira:accounts"  # AccountRecords of the users seen (mine_jira(accounts=True))
WALK_PAGE = 1000  # phase 1 asks for this many; Cloud may answer with fewer (it pages by token)
BASE_FIELDS = (
    "summary",
    "description",
    "issuetype",
    "project",
    "status",
    "priority",
    "reporter",
    "assignee",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
    "labels",
    "components",
    "parent",
    "issuelinks",
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


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _project_clause(project: str, since: dt.datetime | None, tz: dt.tzinfo) -> str:
    clause = f"project = {_quote(project)}"
    if since is not None:
        clause += f' AND updated >= "{since.astimezone(tz).strftime(CURSOR_FORMAT)}"'
    return clause


def build_jql(project: str, since: dt.datetime | None, tz: dt.tzinfo) -> str:
    """The search for one project, oldest change first; ``since`` is rendered in the user's zone ``tz``."""
    return _project_clause(project, since, tz) + " ORDER BY updated ASC, key ASC"


def build_search_jql(windows: Mapping[str, dt.datetime | None], tz: dt.tzinfo) -> str:
    """One search over several projects, each from its own window start (None: everything)."""
    if len(windows) == 1:
        ((project, since),) = windows.items()
        return build_jql(project, since, tz)
    clauses = [
        f"({_project_clause(p, since, tz)})" if since else _project_clause(p, None, tz) for p, since in windows.items()
    ]
    return " OR ".join(clauses) + " ORDER BY updated ASC, key ASC"


@dataclass
class _Session:
    """One run's settings, derived once: flavour, field ids, time zone, the reader."""

    reader: JiraReader
    cloud: bool
    field_ids: Mapping[str, str]
    tz: dt.tzinfo

    @property
    def client(self) -> jira.JIRA:
        return self.reader.client


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
    retry: RetryPolicy | None = None,
    known: Callable[[Sequence[str]], Mapping[str, dt.datetime]] | None = None,
    accounts: bool = False,
) -> Iterator[Batch]:
    """Yield Batches (one per project per page) whose records and cursor commit together.

    ``cursors`` maps partition (``jira:ML``) to a stored cursor; ``full`` ignores them.
    ``field_ids`` maps roles (severity, commander, postmortem, epic_link) to field ids and
    wins over the names found through ``GET field``.  A backfill ``since`` replaces the
    window: everything updated at or after it is re-read (the cursor never moves
    backwards); ``full`` wins over both.  ``retry`` sets the 429/5xx policy (and its sleep).
    ``known(keys)`` returns the stored ``updated_at`` of those issues (the warehouse's view):
    walked issues whose ``updated`` equals it are not fetched again (ignored on ``full``).
    Every project gets at least one Batch, so its cursor is stored even when nothing matched.
    ``accounts=True`` also yields, before each page's project batches, a Batch of partition
    ``jira:accounts`` (no cursor) with an AccountRecord for every user first seen on the page
    (accountId or key, displayName, emailAddress when shown, accountType): no extra requests.

    Calls: GET serverInfo (only if the client skipped it), GET field (unless ``field_ids``
    names every role), GET myself (incremental runs: the user's time zone), then per page:
    Cloud GET search/jql + POST issue/bulkfetch + POST changelog/bulkfetch, or DC
    GET /rest/api/2/search twice (walk, then ``key in (...)`` with expand=changelog);
    GET issue/{key}/comment only for issues with truncated comments.
    """
    since = None if full or since is None else utc(since)
    reader = JiraReader(client, retry)
    previous = {p: (None if full else cursors.get(f"jira:{p}")) for p in projects}
    session = _open_session(reader, field_ids or {}, needs_tz=since is not None or any(previous.values()))
    windows: dict[str, dt.datetime | None] = {}
    newest: dict[str, dt.datetime | None] = {}
    for p in projects:
        previous_cursor = previous[p]
        cursor_at = parse_cursor(previous_cursor, f"jira:{p}") if previous_cursor else None
        newest[p] = cursor_at
        windows[p] = since if since is not None else (cursor_at - overlap if cursor_at else None)
    fetched_at = now()
    contexts = {
        p: IssueContext(
            server=reader.server,
            partition=f"jira:{p}",
            fetched_at=fetched_at,
            field_ids=session.field_ids,
            incident_types=frozenset(incident_types),
            incident_projects=frozenset(incident_projects),
        )
        for p in projects
    }
    items = dict.fromkeys(projects, 0)
    touched: set[str] = set()
    users: dict[str, Any] | None = {} if accounts else None  # identity -> AccountRecord emitted this run
    for walked in _walk(session, windows):
        by_project: dict[str, list] = {}
        seen_users: list = []
        stored = known([r.key for r in walked]) if known is not None and not full else {}
        page = [r for r in walked if stored.get(r.key) != r.updated]
        for ref in walked:  # unchanged issues still move their project's cursor
            if ref.project in newest:
                so_far = newest[ref.project]
                if so_far is None or ref.updated > so_far:
                    newest[ref.project] = ref.updated
        for i in range(0, len(page), BULKFETCH_MAX):
            chunk = page[i : i + BULKFETCH_MAX]
            details = _fetch_details(session, chunk)
            for ref in chunk:
                raw = details.get(ref.id)
                if raw is None:
                    continue  # deleted or moved out of sight between the phases
                project = ref.project if ref.project in contexts else _project_of(raw)
                if project not in contexts:
                    continue
                by_project.setdefault(project, []).extend(_records(session, raw, contexts[project], seen_users))
                items[project] += 1
                so_far = newest[project]
                if so_far is None or ref.updated > so_far:
                    newest[project] = ref.updated
        if users is not None:  # before the issues: a crash after them must not lose the accounts for good
            fresh = _new_accounts(users, seen_users, fetched_at)
            if fresh:
                yield Batch(
                    source=SOURCE,
                    partition=ACCOUNTS_PARTITION,
                    records=fresh,
                    cursor=None,
                    stats={"accounts": len(fresh)},
                )
        for project, records in by_project.items():
            touched.add(project)
            yield Batch(
                source=SOURCE,
                partition=f"jira:{project}",
                records=tuple(records),
                cursor=_cursor(newest[project], previous[project]),
                stats={"items": sum(1 for r in records if r.TABLE == "raw_jira_issues")},
            )
    for project in projects:
        if project not in touched:
            yield Batch(
                source=SOURCE,
                partition=f"jira:{project}",
                records=(),
                cursor=_cursor(newest[project], previous[project]),
                stats={"items": 0},
            )
        log.info(
            "jira:%s: %d issues, cursor %s -> %s",
            project,
            items[project],
            previous[project],
            _cursor(newest[project], previous[project]),
        )
    log.info(
        "jira: %d projects, %d issues, %d requests (%d retries)",
        len(projects),
        sum(items.values()),
        reader.requests,
        reader.retries,
    )


def _cursor(newest: dt.datetime | None, previous: str | None) -> str | None:
    return build_cursor(newest) if newest is not None else previous


def _project_of(raw: Mapping[str, Any]) -> str:
    project = ((raw.get("fields") or {}).get("project") or {}).get("key")
    return str(project or str(raw.get("key", "")).rpartition("-")[0])


def _new_accounts(emitted: dict[str, Any], user_objects: list, fetched_at: dt.datetime) -> tuple:
    """AccountRecords for users not yet emitted this run (or shown differently than before)."""
    fresh: dict[str, Any] = {}
    for user in user_objects:
        record = parse_account(user, ACCOUNTS_PARTITION, fetched_at)
        if record is None:
            continue
        before = emitted.get(record.identity)
        if before is None or (before.content_hash() != record.content_hash() and _richer(record, before)):
            emitted[record.identity] = fresh[record.identity] = record
    return tuple(fresh.values())


def _richer(new: Any, old: Any) -> bool:
    """A user object that shows at least as much as the one already emitted (some embeds omit fields)."""
    return bool(new.display_name or not old.display_name) and bool(new.emails or not old.emails)


def _records(session: _Session, raw: dict[str, Any], ctx: IssueContext, users: list | None = None) -> list:
    """The issue's records (fetching truncated comments); appends its user objects to ``users``."""
    comments = None
    if comments_truncated(raw):
        key = raw["key"]
        comments = session.reader.call(lambda: [c.raw for c in session.client.comments(key)], f"the comments of {key}")
    records = parse_issue(raw, ctx, comments)
    if users is not None:
        users.extend(issue_users(raw, session.field_ids, comments))
    histories = (raw.get("changelog") or {}).get("histories") or ()
    return records + parse_incident(raw, records, histories, session.field_ids.get("commander"))


def _open_session(reader: JiraReader, overrides: Mapping[str, str], needs_tz: bool) -> _Session:
    client = reader.client
    deployment = getattr(client, "deploymentType", None)
    if deployment is None:  # the client was built with get_server_info=False
        deployment = reader.call(lambda: client.server_info().get("deploymentType"), "serverInfo")
        client.deploymentType = deployment  # the client's Cloud-only methods check this attribute
    ids = dict(overrides)
    if not set(FIELD_NAMES) <= set(ids):
        ids = resolve_field_ids(reader.call(client.fields, "the field list (GET field)"), overrides)
    tz: dt.tzinfo = dt.timezone.utc
    if needs_tz:
        zone = reader.call(client.myself, "the current user (GET myself)").get("timeZone") or "UTC"
        try:
            tz = ZoneInfo(zone)
        except (KeyError, ValueError):
            log.warning("Jira user time zone %r is unknown here; reading JQL dates as UTC", zone)
    return _Session(reader=reader, cloud=deployment == "Cloud", field_ids=ids, tz=tz)


@dataclass(frozen=True)
class _Ref:
    """Phase 1's view of an issue: enough to fetch it and to move the cursor."""

    id: str
    key: str
    project: str
    updated: dt.datetime


def _walk(session: _Session, windows: Mapping[str, dt.datetime | None]) -> Iterator[list[_Ref]]:
    """Phase 1: pages of issues changed in their project's window, oldest change first.

    Offsets (DC ``startAt``, and Cloud's token over the same query) skip an issue
    whenever another one is edited mid-run and jumps to the end of the order.
    So after each page that is not the last we start a new query at the minute
    of its last issue; re-read issues are dropped unless they changed.  Only when
    a whole page shares one minute (a bulk edit) do we follow the query's paging.
    """
    windows = dict(windows)
    seen: dict[str, dt.datetime] = {}
    while True:
        restart = None
        for refs, is_last in _walk_query(session, build_search_jql(windows, session.tz)):
            fresh = [r for r in refs if seen.get(r.id) != r.updated]
            seen.update((r.id, r.updated) for r in refs)
            if fresh:
                yield fresh
            if not is_last and refs:
                minute = refs[-1].updated.replace(second=0, microsecond=0)
                if any(w is None or minute > w for w in windows.values()):
                    restart = minute
                    break
        if restart is None:
            return
        windows = {p: restart if w is None or restart > w else w for p, w in windows.items()}


def _walk_query(session: _Session, jql: str) -> Iterator[tuple[list[_Ref], bool]]:
    """The pages of one query as (refs, is_last): nextPageToken on Cloud, startAt on Data Center."""
    client, token, start = session.client, None, 0
    what = "the issue search"
    while True:
        # The same requests as enhanced_search_issues / search_issues(json_result=True), minus their
        # hidden GET field (they translate field names through it on every new client).
        if session.cloud:
            params: dict[str, Any] = {"jql": jql, "maxResults": WALK_PAGE, "fields": "updated"}
            if token:
                params["nextPageToken"] = token
            page = session.reader.call(lambda: client._get_json("search/jql", params=params), what)  # noqa: B023
        else:
            params = {"jql": jql, "startAt": start, "maxResults": WALK_PAGE, "fields": "updated"}
            page = session.reader.call(lambda: client._get_json("search", params=params), what)  # noqa: B023
        if not isinstance(page, dict):
            raise MinerError(
                f"Jira at {session.reader.server} returned no search result for {what}; "
                "check that serverInfo reports the right deploymentType"
            )
        issues = list(page.get("issues") or [])
        refs = [_ref(i) for i in issues]
        if session.cloud:
            token = page.get("nextPageToken")
            is_last = bool(page.get("isLast", not token)) or not token
        else:
            start += len(issues)
            is_last = not issues or start >= int(page.get("total", 0))
        yield refs, is_last
        if is_last:
            return


def _ref(issue: Mapping[str, Any]) -> _Ref:
    key = str(issue["key"])
    updated = parse_jira_time((issue.get("fields") or {}).get("updated"))
    if updated is None:
        raise MinerError(
            f"Jira returned {key} without 'updated' in the issue search; the search must "
            "return the updated field for incremental sync (check field-level security)"
        )
    return _Ref(id=str(issue.get("id") or key), key=key, project=key.rpartition("-")[0], updated=updated)


def _fetch_details(session: _Session, refs: list[_Ref]) -> dict[str, dict[str, Any]]:
    """Phase 2: full issues with every changelog history, by issue id."""
    fields = [*BASE_FIELDS, *dict.fromkeys(session.field_ids.values())]
    ids = [r.id for r in refs]
    what = f"the details of {len(refs)} issues ({refs[0].key}…)"
    if session.cloud:
        issues = session.reader.bulkfetch(ids, fields, what)
        histories = session.reader.changelogs([str(i["id"]) for i in issues], f"the changelogs of {what[16:]}")
        for issue in issues:
            found = histories.get(str(issue["id"]), [])
            issue["changelog"] = {"startAt": 0, "maxResults": len(found), "total": len(found), "histories": found}
    else:
        jql = f"key in ({', '.join(_quote(r.key) for r in refs)})"
        client = session.client
        params = {"jql": jql, "startAt": 0, "maxResults": len(refs), "fields": ",".join(fields), "expand": "changelog"}
        page = session.reader.call(lambda: client._get_json("search", params=params), what)  # noqa: B023
        issues = list(page.get("issues") or []) if isinstance(page, dict) else []
    return {str(i.get("id")): i for i in issues}
