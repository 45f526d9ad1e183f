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
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import jira

from miners.base import Batch, MinerError, PartitionError, Quarantined, SourceStop
from miners.http_common import MalformedAnswer
from miners.jira.client import BULKFETCH_MAX, JiraReader, RetryPolicy, explain_jira_error, jira_errors
from miners.jira.incidents import parse_incident
from miners.jira.parse import (
    FIELD_NAMES,
    SOURCE,
    IssueContext,
    changelog_truncated,
    comments_truncated,
    issue_users,
    parse_account,
    parse_issue,
    parse_jira_time,
    resolve_field_ids,
)
from miners.poison import PARSE_ERRORS, ensure_encodable, quarantine
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
COMMENT_PAGE = 100  # Jira Cloud's page of issue/{key}/comment (more is not served)
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
    requeue: Sequence[str] = (),
) -> Iterator[Batch]:
    """Yield Batches (one per project per page) whose records and cursor commit together.

    ``cursors`` maps partition (``jira:ML``) to a stored cursor; ``full`` ignores them.
    ``field_ids`` maps roles (severity, commander, postmortem, epic_link) to field ids and
    wins over the names found through ``GET field``.  A backfill ``since`` replaces the
    window: everything updated at or after it is re-read (the cursor never moves
    backwards); ``full`` wins over both.  ``retry`` sets the 429/5xx policy (and its sleep).
    ``known(keys)`` returns the stored ``updated_at`` of those issues (the warehouse's view):
    walked issues whose ``updated`` equals it are not fetched again (ignored on ``full``).
    Every project gets at least one Batch, so its cursor is stored even when nothing matched;
    its last Batch is ``done``.
    ``accounts=True`` also yields, before each page's project batches, a Batch of partition
    ``jira:accounts`` (no cursor) with an AccountRecord for every user first seen on the page
    (accountId or key, displayName, emailAddress when shown, accountType): no extra requests.

    Isolation: when the search over every project fails (``PartitionError``: retries used up,
    a malformed page, a 400/403/404 that one project causes), each project not yet done is
    read again on its own, so one failing project is recorded as failed (``Batch.error``, its
    cursor where its last committed page left it) and the others finish.  After a
    ``SourceStop`` every project not yet done is recorded as failed.  An issue that cannot be
    parsed is quarantined (``Batch.quarantined``) and its project goes on; ``requeue`` (the keys
    quarantined by earlier runs) are read again first (one ``key in (...)`` search), so an issue
    that parses now is stored and leaves the quarantine.

    Calls: GET serverInfo (only if the client skipped it), GET field (unless ``field_ids``
    names every role), GET myself (incremental runs: the user's time zone), then per page:
    Cloud GET search/jql + POST issue/bulkfetch + POST changelog/bulkfetch, or DC
    GET /rest/api/2/search twice (walk, then ``key in (...)`` with expand=changelog);
    GET issue/{key}/comment (100 a page) for issues whose embedded comments are truncated;
    DC GET issue/{key}?expand=changelog for an issue whose embedded changelog is truncated.
    """
    since = None if full or since is None else utc(since)
    reader = JiraReader(client, retry)
    previous = {p: (None if full else cursors.get(f"jira:{p}")) for p in projects}
    try:
        session = _open_session(reader, field_ids or {}, needs_tz=since is not None or any(previous.values()))
    except (SourceStop, PartitionError) as exc:  # serverInfo, fields or myself unreadable: nothing synced
        log.error("jira: %s; no project was synced this run", exc)
        for p in projects:
            fail = Batch.stopped if isinstance(exc, SourceStop) else Batch.failed
            yield fail(SOURCE, f"jira:{p}", str(exc))
        return
    run = _Run(session=session, previous=previous, known=None if full else known, users={} if accounts else None)
    for p in projects:
        previous_cursor = previous[p]
        cursor_at = parse_cursor(previous_cursor, f"jira:{p}") if previous_cursor else None
        run.newest[p] = cursor_at
        run.windows[p] = since if since is not None else (cursor_at - overlap if cursor_at else None)
    fetched_at = now()
    run.fetched_at = fetched_at
    for p in projects:
        run.contexts[p] = IssueContext(
            server=reader.server,
            partition=f"jira:{p}",
            fetched_at=fetched_at,
            field_ids=session.field_ids,
            incident_types=frozenset(incident_types),
            incident_projects=frozenset(incident_projects),
        )
        run.items[p] = 0
    failed: dict[str, str] = {}
    stopped: set[str] = set()  # projects not synced because Jira as a whole stopped (SourceStop)
    again = [k for k in dict.fromkeys(requeue) if k.rpartition("-")[0] in run.contexts][:BULKFETCH_MAX]
    if again:
        try:
            yield from _mine_walk(run, {}, jql=f"key in ({', '.join(_quote(k) for k in again)}) ORDER BY updated ASC")
        except PartitionError as exc:
            log.warning(
                "jira: the %d quarantined issues could not be read again (%s); they stay quarantined", len(again), exc
            )
    try:
        yield from _mine_walk(run, run.windows)
    except SourceStop as exc:
        failed = dict.fromkeys(projects, str(exc))
        stopped.update(projects)
    except PartitionError as exc:
        log.warning("jira: the search over every project failed (%s); reading each project on its own", exc)
        stop: SourceStop | None = None
        for p in projects:
            if stop is not None:
                failed[p] = f"not synced: {stop}"
                stopped.add(p)
                continue
            try:
                yield from _mine_walk(run, {p: run.windows[p]})
            except SourceStop as inner:
                stop, failed[p] = inner, str(inner)
                stopped.add(p)
            except PartitionError as inner:
                failed[p] = str(inner)
                quarantined = (
                    (quarantine(f"jira:{p} answer", str(inner), inner.raw, kind="answer"),) if inner.raw else ()
                )
                yield Batch.failed(SOURCE, f"jira:{p}", str(inner), quarantined)
                failed[p] = ""  # already yielded
    spent = {"requests": reader.requests, "retries": reader.retries}  # the run's cost, on its first done batch
    for project in projects:
        if project in failed:
            if failed[project]:
                fail = Batch.stopped if project in stopped else Batch.failed
                yield fail(SOURCE, f"jira:{project}", failed[project])
            log.error("jira:%s: not synced this run; its cursor stays at %s", project, previous[project])
            continue
        yield Batch(
            source=SOURCE,
            partition=f"jira:{project}",
            records=(),
            cursor=_cursor(run.newest[project], previous[project]),
            stats={"items": 0, **spent},
            done=True,
        )
        log.info(
            "jira:%s: %d issues, cursor %s -> %s",
            project,
            run.items[project],
            previous[project],
            _cursor(run.newest[project], previous[project]),
        )
        spent = {}
    log.info(
        "jira: %d projects (%d failed), %d issues, %d requests (%d retries), %d issues with comments paged, "
        "%d quarantined",
        len(projects),
        len(failed),
        sum(run.items.values()),
        reader.requests,
        reader.retries,
        run.comments_paged,
        run.quarantined,
    )


@dataclass
class _Run:
    """One mine_jira run's state, shared by the combined walk and the per-project fallback."""

    session: _Session
    previous: Mapping[str, str | None]
    known: Callable[[Sequence[str]], Mapping[str, dt.datetime]] | None
    users: dict[str, Any] | None
    windows: dict[str, dt.datetime | None] = field(default_factory=dict)
    newest: dict[str, dt.datetime | None] = field(default_factory=dict)
    contexts: dict[str, IssueContext] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    fetched_at: dt.datetime = field(default_factory=_utcnow)
    comments_paged: int = 0
    changelogs_truncated: int = 0
    quarantined: int = 0


def _mine_walk(run: _Run, windows: Mapping[str, dt.datetime | None], jql: str | None = None) -> Iterator[Batch]:
    """The pages of one walk over ``windows``' projects (or of one ``jql``), fetched and parsed, as batches."""
    session = run.session
    for walked, poison in _walk(session, windows, jql):
        by_project: dict[str, list] = {}
        quarantined: dict[str, list[Quarantined]] = {}
        for q in poison:
            quarantined.setdefault(q.item.rpartition("-")[0], []).append(q)
        seen_users: list = []
        stored = run.known([r.key for r in walked]) if run.known is not None else {}
        page = [r for r in walked if stored.get(r.key) != r.updated]
        for ref in walked:  # unchanged issues still move their project's cursor
            if ref.project in run.newest:
                so_far = run.newest[ref.project]
                if so_far is None or ref.updated > so_far:
                    run.newest[ref.project] = ref.updated
        for i in range(0, len(page), BULKFETCH_MAX):
            chunk = page[i : i + BULKFETCH_MAX]
            details = _fetch_details(session, chunk)
            for ref in chunk:
                raw = details.get(ref.id)
                if raw is None:
                    continue  # deleted or moved out of sight between the phases
                project = ref.project if ref.project in run.contexts else _project_of(raw)
                if project not in run.contexts:
                    continue
                try:
                    records, users = _records(run, raw, run.contexts[project])
                except PARSE_ERRORS as exc:
                    log.warning("%s: could not be read (%s); quarantined, jira:%s goes on", ref.key, exc, project)
                    quarantined.setdefault(project, []).append(quarantine(ref.key, exc, raw))
                    run.quarantined += 1
                    continue
                seen_users.extend(users)
                by_project.setdefault(project, []).extend(records)
                run.items[project] += 1
                so_far = run.newest[project]
                if so_far is None or ref.updated > so_far:
                    run.newest[project] = ref.updated
        if run.users is not None:  # before the issues: a crash after them must not lose the accounts for good
            fresh = _new_accounts(run.users, seen_users, run.fetched_at)
            if fresh:
                yield Batch(
                    source=SOURCE,
                    partition=ACCOUNTS_PARTITION,
                    records=fresh,
                    cursor=None,
                    stats={"accounts": len(fresh)},
                )
        for project in dict.fromkeys([*by_project, *(p for p in quarantined if p in run.contexts)]):
            records = by_project.get(project, [])
            yield Batch(
                source=SOURCE,
                partition=f"jira:{project}",
                records=tuple(records),
                cursor=_cursor(run.newest[project], run.previous[project]),
                stats={"items": sum(1 for r in records if r.TABLE == "raw_jira_issues")},
                quarantined=tuple(quarantined.get(project, ())),
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


def _records(run: _Run, raw: dict[str, Any], ctx: IssueContext) -> tuple[list, list]:
    """The issue's records and user objects, with every comment (paged past the embedded ones) and, on
    Data Center, the whole changelog when the embedded one is truncated."""
    session = run.session
    key = str(raw["key"])
    comments = None
    if comments_truncated(raw):
        comments = _all_comments(session, key)
        run.comments_paged += 1
    if changelog_truncated(raw):
        if not session.cloud:
            raw = _full_changelog(session, raw)
        if changelog_truncated(raw):
            run.changelogs_truncated += 1
            log.warning("%s: Jira returned only part of the changelog; the rest is missing this run", key)
    records = parse_issue(raw, ctx, comments)
    histories = (raw.get("changelog") or {}).get("histories") or ()
    records += parse_incident(raw, records, histories, session.field_ids.get("commander"))
    ensure_encodable(records)
    users = issue_users(raw, session.field_ids, comments) if run.users is not None else []
    return records, users


def _all_comments(session: _Session, key: str) -> list[dict[str, Any]]:
    """Every comment of ``key``, a page of ``COMMENT_PAGE`` at a time (Cloud caps a page at 100 whatever is
    asked).  Calls: GET issue/{key}/comment?startAt=&maxResults="""
    out: list[dict[str, Any]] = []
    client = session.client
    while True:
        params = {"startAt": len(out), "maxResults": COMMENT_PAGE, "orderBy": "created"}

        def check(page: Any) -> None:
            if not isinstance(page, Mapping) or not isinstance(page.get("comments"), list):
                raise MalformedAnswer("a comment page without a comments list", repr(page)[:2000])
            if not isinstance(page.get("total"), int):
                raise MalformedAnswer("a comment page without a total", repr(page)[:2000])

        page = session.reader.call(
            functools.partial(client._get_json, f"issue/{key}/comment", params=params), f"the comments of {key}", check
        )
        batch = list(page["comments"])
        out.extend(batch)
        if not batch or len(out) >= int(page["total"]):
            return out


def _full_changelog(session: _Session, raw: dict[str, Any]) -> dict[str, Any]:
    """Data Center: the issue again with ``expand=changelog`` on its own (every history).
    Calls: GET issue/{key}?expand=changelog&fields=updated"""
    key = str(raw["key"])
    client = session.client
    whole = session.reader.call(
        lambda: client._get_json(f"issue/{key}", params={"expand": "changelog", "fields": "updated"}),
        f"the changelog of {key}",
    )
    log_ = whole.get("changelog") if isinstance(whole, Mapping) else None
    if isinstance(log_, Mapping) and isinstance(log_.get("histories"), list):
        return {**raw, "changelog": log_}
    return raw


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


def _walk(
    session: _Session, windows: Mapping[str, dt.datetime | None], jql: str | None = None
) -> Iterator[tuple[list[_Ref], list[Quarantined]]]:
    """Phase 1: pages of issues changed in their project's window, oldest change first, with the
    walked issues that could not be read (no key or no ``updated``: quarantined).

    Offsets (DC ``startAt``, and Cloud's token over the same query) skip an issue
    whenever another one is edited mid-run and jumps to the end of the order.
    So after each page that is not the last we start a new query at the minute
    of its last issue; re-read issues are dropped unless they changed.  Only when
    a whole page shares one minute (a bulk edit) do we follow the query's paging.
    """
    if jql is not None:  # one query, followed by its own paging
        for refs, poison, _ in _walk_query(session, jql):
            if refs or poison:
                yield refs, poison
        return
    windows = dict(windows)
    seen: dict[str, dt.datetime] = {}
    while True:
        restart = None
        for refs, poison, is_last in _walk_query(session, build_search_jql(windows, session.tz)):
            fresh = [r for r in refs if seen.get(r.id) != r.updated]
            seen.update((r.id, r.updated) for r in refs)
            if fresh or poison:
                yield fresh, poison
            if not is_last and refs:
                minute = refs[-1].updated.replace(second=0, microsecond=0)
                if any(w is None or minute > w for w in windows.values()):
                    restart = minute
                    break
        if restart is None:
            return
        windows = {p: restart if w is None or restart > w else w for p, w in windows.items()}


def _check_walk_page(page: Any, *, cloud: bool, asked: int) -> None:
    """MalformedAnswer unless ``page`` is a search page that says where the walk goes next: Cloud needs
    ``isLast`` (or a short page) and a ``nextPageToken`` whenever it is not the last; DC needs ``total``."""
    if not isinstance(page, Mapping) or not isinstance(page.get("issues"), list):
        raise MalformedAnswer("a search page without an issues list", repr(page)[:4000])
    issues, token, is_last = page["issues"], page.get("nextPageToken"), page.get("isLast")
    if cloud:
        if is_last is False and not token:
            raise MalformedAnswer("a search page that is not the last but has no nextPageToken", repr(page)[:4000])
        if is_last is None and not token and len(issues) >= asked:
            raise MalformedAnswer("a full search page without isLast or nextPageToken", repr(page)[:4000])
        if is_last is not None and not isinstance(is_last, bool):
            raise MalformedAnswer("a search page whose isLast is not a boolean", repr(page)[:4000])
    elif not isinstance(page.get("total"), int):
        raise MalformedAnswer("a search page without a total", repr(page)[:4000])


def _walk_query(session: _Session, jql: str) -> Iterator[tuple[list[_Ref], list[Quarantined], bool]]:
    """The pages of one query as (refs, quarantined, is_last): nextPageToken on Cloud, startAt on Data Center."""
    client, token, start = session.client, None, 0
    what = "the issue search"
    while True:
        # The same requests as enhanced_search_issues / search_issues(json_result=True), minus their
        # hidden GET field (they translate field names through it on every new client).
        check = functools.partial(_check_walk_page, cloud=session.cloud, asked=WALK_PAGE)
        if session.cloud:
            params: dict[str, Any] = {"jql": jql, "maxResults": WALK_PAGE, "fields": "updated"}
            if token:
                params["nextPageToken"] = token
            page = session.reader.call(lambda: client._get_json("search/jql", params=params), what, check)  # noqa: B023
        else:
            params = {"jql": jql, "startAt": start, "maxResults": WALK_PAGE, "fields": "updated"}
            page = session.reader.call(lambda: client._get_json("search", params=params), what, check)  # noqa: B023
        issues = list(page["issues"])
        refs: list[_Ref] = []
        poison: list[Quarantined] = []
        for issue in issues:
            try:
                refs.append(_ref(issue))
            except PARSE_ERRORS as exc:
                key = str(issue.get("key")) if isinstance(issue, Mapping) else "?"
                log.warning("%s: the issue search shows it unreadably (%s); quarantined", key, exc)
                poison.append(quarantine(key if "-" in key else f"search result {key}", exc, issue))
        if session.cloud:
            token = page.get("nextPageToken")
            is_last = bool(page.get("isLast")) if page.get("isLast") is not None else not token
        else:
            start += len(issues)
            is_last = not issues or start >= int(page["total"])
        yield refs, poison, is_last
        if is_last:
            return


def _ref(issue: Mapping[str, Any]) -> _Ref:
    key = str(issue["key"])
    if "-" not in key:
        raise ValueError(f"issue key {key!r} is not PROJECT-NUMBER")
    updated = parse_jira_time((issue.get("fields") or {}).get("updated"))
    if updated is None:
        raise ValueError(
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

        def check(page: Any) -> None:
            if not isinstance(page, Mapping) or not isinstance(page.get("issues"), list):
                raise MalformedAnswer("a search page without an issues list", repr(page)[:4000])

        page = session.reader.call(lambda: client._get_json("search", params=params), what, check)  # noqa: B023
        issues = list(page["issues"])
    return {str(i.get("id")): i for i in issues if isinstance(i, Mapping)}
