"""The GitHub miner: organizations -> repos -> PRs with reviews, comments, files, commits and review requests.

GraphQL for the bulk, REST only where it is cheaper (``miners/github/graphql.py``
has the documents and their cost):

1. One GraphQL query per 100 repositories of an org lists them with each
   repo's newest PR ``updatedAt`` (1 point): a repo whose newest PR is not
   newer than its cursor is skipped without another request.  A nightly run
   where nothing changed costs 1 point per 100 repos.
2. A changed repo's PRs are read newest-updated first, 49 per query (1 point),
   each with its timeline (reviews, conversation comments, commits with their
   ``Co-authored-by`` trailers, review requests and removals), files and
   labels; paging stops at the first PR older than the window.  A PR with more than 100 items in a
   connection gets one more query per extra 100.
3. Review comments (line comments) come from REST's repo-level
   ``/pulls/comments?since=`` (1 counted request per 100 changed comments):
   GraphQL only has them nested two connections deep, 100x the cost.
4. Ownership (``miners/github/ownership.py``): the org's teams with their repos
   and members once per org on a sync where something changed (1 + 2 x teams
   REST requests); every repo's CODEOWNERS comes with step 1's listing (no
   request of its own, also for repos without PRs) and is emitted in the org's
   batch every night (the warehouse skips unchanged rows).  Accounts
   (``miners/github/accounts.py``) come from the author objects and commits
   already read: no request.

Partitions and cursors
    ``github:{org}`` holds the RepoRecords, team and CODEOWNERS records (no cursor).  ``github:accounts``
    holds every AccountRecord, whichever org and repo showed the account (no cursor; a person active in
    two orgs is one unchanged row, not a row rewritten by each org's sync).  Each repository is one
    partition ``github:{org}/{repo}`` whose cursor is the ISO-8601 UTC time of
    the newest PR or review comment ``updated_at`` seen there.  Without a cursor
    (or with ``full=True``) everything is read.  With one, the window starts at
    ``cursor - overlap`` and holds what was updated strictly after that.  A
    backfill ``since`` replaces the window (everything updated at or after it is
    re-read; the cursor never moves backwards).  The "unchanged" shortcut of step
    1 trusts the newest PR's ``updatedAt`` (a new review or comment updates it).

Batches
    PR records are yielded one GraphQL page at a time with ``cursor=None``; the
    repo's last batch holds its review comments and the new cursor, so a run
    killed midway re-reads the repo next time and loses nothing.

Rate limits
    Every request goes through one ``RateLimitPolicy`` (``miners/github/ratelimit.py``):
    a reserve kept per resource, waits until reset on an injectable clock,
    ``Retry-After`` honoured, backoff on 5xx and dropped connections.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import github

from miners.base import Batch, MinerError, PartitionError, Quarantined, SourceStop
from miners.github.accounts import AccountCollector, html_root
from miners.github.client import GitHubReader, RepoNotFound
from miners.github.graphql import ORG_REPOS, GraphQLReader
from miners.github.graphql_parse import newest_pull_update, parse_graphql_pull, parse_graphql_repo
from miners.github.http import GitHubTransport
from miners.github.ownership import codeowners_record, fetch_org_teams
from miners.github.parse import SOURCE, parse_review_comment, parse_time, partition_for
from miners.github.pool import CredentialPool, Lease, with_costs
from miners.github.pulls import PageSize, complete_pull, pull_pages
from miners.github.ratelimit import RateLimitPolicy
from miners.poison import PARSE_ERRORS, ensure_encodable, quarantine
from miners.records import Record, utc

log = logging.getLogger(__name__)

UTC = dt.timezone.utc
ACCOUNTS_PARTITION = f"{SOURCE}:accounts"  # every GitHub AccountRecord (no cursor), see the module docstring

Progress = Callable[[str, int, "int | None"], None]


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
        raise MinerError(
            f"stored GitHub cursor {value!r} is not an ISO-8601 timestamp; run a full sync (--full) to rebuild it"
        ) from None


def is_selected(full_name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """fnmatch globs on ``org/repo``: included by some ``include`` and by no ``exclude``."""
    name = full_name.lower()
    return any(fnmatch.fnmatchcase(name, g.lower()) for g in include) and not any(
        fnmatch.fnmatchcase(name, g.lower()) for g in exclude
    )


def mine_github(
    gh: github.Github | CredentialPool,
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
    policy: RateLimitPolicy | None = None,
    progress: Progress | None = None,
    teams: bool = True,
    stored_pulls: Callable[[str], int] | None = None,
    http_cache: Mapping[str, tuple[str, str]] | None = None,
) -> Iterator[Batch]:
    """Yield record batches for every selected repository of ``orgs``.

    ``progress(partition, prs_done, prs_total_or_None)`` is called as each repo's PRs are read
    (the total is known on a full read, None on an incremental one).  The org's teams are read on a
    full sync or when some selected repo changed (a quiet night reads none); ``teams=False`` never.
    CODEOWNERS of every selected repo (archived ones only with ``include_archived``) come with the
    org listing and go in the org's batch.

    Isolation: a repository that cannot be read (``PartitionError``) ends with a failed Batch
    (``Batch.error``; its cursor stays) and the other repositories still sync; after a
    ``SourceStop`` (budget reset too far away, secondary limits that do not lift, GitHub
    unreachable, a URL off the configured host) every repository not yet done gets a failed Batch
    and nothing more is requested.  ``stored_pulls(repo)`` (optional: the warehouse's count of the
    repo's stored PRs) reconciles each repository: when fewer are stored than the org listing's
    ``totalCount``, the repository is read again in full (a targeted re-read: that repository only).

    Calls: GraphQL OrgRepos, RepoPulls, PullMore (``/api/graphql`` or ``/graphql``);
    REST GET /repos/{o}/{r}/pulls/comments, /orgs/{org}/teams (+ /repos, /members per team).

    ``gh`` may be a ``CredentialPool``: each repository is then read with the credential that has the most
    budget left, and a credential spent mid-repository hands over to one with budget (``miners.github.pool``).
    """
    policy = policy or RateLimitPolicy()
    pool = gh if isinstance(gh, CredentialPool) else None
    with pool.lease(SOURCE, policy) if pool is not None else contextlib.nullcontext(None) as lease:
        client = lease.client() if lease is not None else gh
        assert not isinstance(client, CredentialPool)
        rest, gql = readers(client, policy, http_cache, lease)
        stopped: SourceStop | None = None
        for org in orgs:
            if stopped is not None:
                yield Batch.failed(SOURCE, f"{SOURCE}:{org}", f"not synced: {stopped}")
                continue
            batch, selected, stopped = list_org(
                rest,
                gql,
                org,
                cursors,
                include=include,
                exclude=exclude,
                include_archived=include_archived,
                now=now,
                full=full,
                since=since,
                teams=teams,
            )
            yield from with_costs([batch], lease, batch.partition)
            for repo in selected:
                if stopped is not None:
                    yield Batch.failed(SOURCE, partition_for(repo["nameWithOwner"]), f"not synced: {stopped}")
                    continue
                if lease is not None:
                    lease.rebalance()  # each repository with the pool's credential that has the most budget left
                repo_batches = mine_listed_repo(
                    rest,
                    gql,
                    repo,
                    cursors,
                    overlap=overlap,
                    now=now,
                    full=full,
                    since=since,
                    policy=policy,
                    progress=progress,
                    stored_pulls=stored_pulls,
                )
                for batch in with_costs(repo_batches, lease, partition_for(repo["nameWithOwner"])):
                    if batch.stats.get("source_stop"):
                        stopped = SourceStop(batch.error or "stopped")
                    yield batch


def readers(
    gh: github.Github,
    policy: RateLimitPolicy,
    http_cache: Mapping[str, tuple[str, str]] | None = None,
    lease: Lease | None = None,
) -> tuple[GitHubReader, GraphQLReader]:
    """The REST and GraphQL readers of one client, sharing its transport and one rate-limit policy (and, with a
    pool's ``lease``, moving to another credential together when the one held is spent)."""
    transport = GitHubTransport(gh.requester)
    if lease is not None:
        lease.bind(transport)
    return GitHubReader(gh.requester, policy, transport, cache=http_cache), GraphQLReader(
        gh.requester, policy, transport
    )


def list_org(
    rest: GitHubReader,
    gql: GraphQLReader,
    org: str,
    cursors: Mapping[str, str],
    *,
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
    include_archived: bool = False,
    now: Callable[[], dt.datetime] = _utcnow,
    full: bool = False,
    since: dt.datetime | None = None,
    teams: bool = True,
) -> tuple[Batch, list[dict[str, Any]], SourceStop | None]:
    """The org's partition ``github:{org}`` (repos, teams, CODEOWNERS) as one batch, the listed repositories
    to mine (archived ones only with ``include_archived``; plain dicts of the org listing) and the
    ``SourceStop`` that ended the listing, if one did (then nothing more should be asked of GitHub)."""
    listing = (gql.requests, gql.points)
    try:
        repos = fetch_org_repos(gql, org)
    except SourceStop as exc:
        return Batch.stopped(SOURCE, f"{SOURCE}:{org}", str(exc)), [], exc
    except PartitionError as exc:
        return (
            Batch.failed(SOURCE, f"{SOURCE}:{org}", str(exc), _quarantined(f"{org} repository listing", exc)),
            [],
            None,
        )
    selected = [r for r in repos if is_selected(r["nameWithOwner"], include, exclude)]
    fetched_at = now()
    before = rest.requests
    live = [r for r in selected if include_archived or not r.get("isArchived")]
    changed = full or any(
        _changed(r, None if full else cursors.get(partition_for(r["nameWithOwner"])), since) for r in live
    )
    team_records: list = []
    team_error: str | None = None
    stopped: SourceStop | None = None
    rest.fresh.clear()
    rest.not_modified = 0
    if teams and changed:
        try:
            team_records = fetch_org_teams(rest, org, fetched_at=fetched_at)
        except SourceStop as exc:
            stopped, team_error = exc, str(exc)
        except PartitionError as exc:
            team_error = str(exc)
    owners = [o for o in (codeowners_record(r, org=org, fetched_at=fetched_at) for r in live) if o is not None]
    batch = Batch(
        source=SOURCE,
        partition=f"{SOURCE}:{org}",
        records=tuple(parse_graphql_repo(r, org=org, fetched_at=fetched_at) for r in selected)
        + tuple(team_records)
        + tuple(owners),
        cursor=None,
        stats={
            "items": len(selected) + len(team_records) + len(owners),
            "repos_listed": len(repos),
            "teams": len(team_records),
            "codeowners": len(owners),
            "rest_requests": rest.requests - before,
            "graphql_requests": gql.requests - listing[0],
            "graphql_points": gql.points - listing[1],
            "not_modified": rest.not_modified,
        },
        done=team_error is None,
        error=f"org teams not read: {team_error}" if team_error else None,
        cache=tuple(rest.fresh.values()),
    )
    for repo in selected:
        if repo.get("isArchived") and not include_archived:
            log.info("%s: archived, skipped (include_archived is off)", partition_for(repo["nameWithOwner"]))
    return batch, live, stopped


def mine_listed_repo(
    rest: GitHubReader,
    gql: GraphQLReader,
    repo: Mapping[str, Any],
    cursors: Mapping[str, str],
    *,
    overlap: dt.timedelta = dt.timedelta(hours=1),
    now: Callable[[], dt.datetime] = _utcnow,
    full: bool = False,
    since: dt.datetime | None = None,
    policy: RateLimitPolicy | None = None,
    progress: Progress | None = None,
    stored_pulls: Callable[[str], int] | None = None,
) -> Iterator[Batch]:
    """The batches of one repository of an org listing (``list_org``), its partition isolated: a failure ends
    with a failed Batch (a ``SourceStop`` one has ``stats["source_stop"]``), never an exception."""
    full_name = repo["nameWithOwner"]
    partition = partition_for(full_name)
    cursor, stored = _reconciled_cursor(repo, cursors, full, stored_pulls)
    total = (repo.get("pullRequests") or {}).get("totalCount")
    if cursor is None and stored is not None:
        log.warning(
            "%s: %d pull requests stored of the %d GitHub lists; reading the repository again in full",
            partition,
            stored,
            total,
        )
    try:
        yield from mine_repo(
            rest,
            gql,
            full_name,
            cursor,
            overlap=overlap,
            now=now,
            since=None if full else since,
            newest=newest_pull_update(repo),
            policy=policy,
            progress=progress,
            total=total,
        )
    except RepoNotFound as exc:
        log.warning("%s; skipped this repository, the others still sync", exc)
    except SourceStop as exc:
        log.error("%s: %s; the repositories not yet synced are left for the next run", partition, exc)
        yield Batch.stopped(SOURCE, partition, str(exc))
    except PartitionError as exc:
        log.error("%s: %s; the other repositories still sync", partition, exc)
        yield Batch.failed(SOURCE, partition, str(exc), _quarantined(f"{full_name} answer", exc))


def _reconciled_cursor(
    repo: Mapping[str, Any],
    cursors: Mapping[str, str],
    full: bool,
    stored_pulls: Callable[[str], int] | None,
) -> tuple[str | None, int | None]:
    """The cursor ``repo`` is mined from, and its stored PR count when that count dropped the cursor: a
    repository with fewer PRs stored than the listing's ``totalCount`` is read again in full."""
    cursor = None if full else cursors.get(partition_for(repo["nameWithOwner"]))
    total = (repo.get("pullRequests") or {}).get("totalCount")
    if cursor is not None and stored_pulls is not None and isinstance(total, int):
        stored = stored_pulls(repo["nameWithOwner"])
        if stored < total:
            return None, stored
    return cursor, None


def _unchanged(newest: dt.datetime | None, old: dt.datetime | None, since: dt.datetime | None) -> bool:
    """No PR to read: none at all, or none updated after the cursor (and no backfill window)."""
    return newest is None or (since is None and old is not None and newest <= old)


def needs_mining(
    repo: Mapping[str, Any],
    cursors: Mapping[str, str],
    *,
    full: bool = False,
    since: dt.datetime | None = None,
    stored_pulls: Callable[[str], int] | None = None,
) -> bool:
    """Whether ``mine_listed_repo`` of ``repo`` would ask GitHub anything.  When not, its only batch restates
    the cursor, made without a request: the flow's plan settles such a repository itself, with no task."""
    cursor, _ = _reconciled_cursor(repo, cursors, full, stored_pulls)
    return not _unchanged(newest_pull_update(repo), parse_cursor(cursor), None if full else since)


def _quarantined(item: str, exc: PartitionError) -> tuple[Quarantined, ...]:
    """The unusable answer behind a partition failure, kept for quarantine (when there is one)."""
    return (quarantine(item, str(exc), exc.raw, kind="answer"),) if exc.raw else ()


def _changed(repo: Mapping[str, Any], cursor: str | None, since: dt.datetime | None) -> bool:
    """Whether the org listing shows PR activity in ``repo`` the miner would read."""
    newest = newest_pull_update(repo)
    old = parse_cursor(cursor)
    return newest is not None and (since is not None or old is None or newest > old)


def fetch_org_repos(gql: GraphQLReader, org: str) -> list[dict[str, Any]]:
    """All repositories of ``org`` (GraphQL nodes, with each one's newest PR ``updatedAt``).

    Calls: GraphQL OrgRepos (1 point per 100 repositories)
    """
    try:
        nodes = [
            node
            for page in gql.pages(ORG_REPOS, {"org": org}, ("organization", "repositories"), what=org)
            for node in page
        ]
    except RepoNotFound:
        raise MinerError(
            f"GitHub organization {org!r} was not found: check the org name in the "
            "configuration and that the token's owner is a member of it"
        ) from None
    usable = [
        n
        for n in nodes
        if isinstance(n, dict) and isinstance(n.get("nameWithOwner"), str) and "/" in n["nameWithOwner"]
    ]
    if len(usable) < len(nodes):
        log.warning(
            "github:%s: %d repositories in the listing without a name were left out", org, len(nodes) - len(usable)
        )
    return usable


def mine_repo(
    rest: GitHubReader,
    gql: GraphQLReader,
    full_name: str,
    cursor: str | None,
    *,
    overlap: dt.timedelta,
    now: Callable[[], dt.datetime],
    since: dt.datetime | None = None,
    newest: dt.datetime | None = None,
    policy: RateLimitPolicy | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> Iterator[Batch]:
    """Batches for one repository partition (see the module docstring for the window and the shortcut).

    Calls: GraphQL RepoPulls, PullMore; REST GET /repos/{o}/{r}/pulls/comments (changed repo only).
    """
    partition = partition_for(full_name)
    started = time.monotonic()
    before = (rest.requests, gql.requests, gql.points, gql.followups, gql.partial_pages)
    old = parse_cursor(cursor)
    window_start = old - overlap if old is not None else None
    if since is not None:  # the window holds what is strictly newer, and since is inclusive
        window_start = utc(since) - dt.timedelta(microseconds=1)
    latest = old
    items = 0
    quarantined = 0

    def seen(moment: dt.datetime | None) -> None:
        nonlocal latest
        if moment is not None and (latest is None or moment > latest):
            latest = moment

    unchanged = _unchanged(newest, old, since)
    comments: list[Record] = []
    pulls = pages = 0
    known_total = total if window_start is None else None
    sizes = PageSize()
    if not unchanged:
        if progress:
            progress(partition, 0, known_total)
        for records, poison, page_newest, read in fetch_changed_pulls(gql, full_name, window_start, now, sizes):
            seen(page_newest)
            pages += 1
            pulls += read
            quarantined += len(poison)
            if progress:
                progress(partition, pulls, known_total)
            if records or poison:
                items += len(records)
                # Accounts are in ACCOUNTS_PARTITION (one row per account, whichever org and repo saw it):
                # they commit in their own batch, just after the page's rows.
                own = tuple(r for r in records if r.partition == partition)
                accounts = tuple(r for r in records if r.partition != partition)
                yield Batch(source=SOURCE, partition=partition, records=own, cursor=None, quarantined=tuple(poison))
                if accounts:
                    yield Batch(source=SOURCE, partition=accounts[0].partition, records=accounts, cursor=None)
        comments, poison = fetch_changed_comments(rest, full_name, window_start, now)
        quarantined += len(poison)
        for record in comments:
            seen(record.updated_at)
        items += len(comments)
    else:
        poison = []
    new_cursor = cursor if latest == old else format_cursor(latest) if latest else None
    stats = {
        "items": items,
        "rest_requests": rest.requests - before[0],
        "graphql_requests": gql.requests - before[1],
        "graphql_points": gql.points - before[2],
        "followup_queries": gql.followups - before[3],
        "page_size_reductions": sizes.reductions,
        "partial_pages": gql.partial_pages - before[4],
        "items_quarantined": quarantined,
        "pulls": pulls,
        "pages": pages,
        "seconds": round(time.monotonic() - started, 3),
    }
    left = {r: policy.remaining(r) for r in ("graphql", "core")} if policy else {}
    log.info(
        "%s: %s%d items (%d PRs in %d pages, %d page-size reductions, %d quarantined), %d GraphQL queries "
        "(%d follow-ups, %d points) and %d REST requests in %.1f s; budget left graphql %s, core %s; cursor %s",
        partition,
        "unchanged, " if unchanged else "",
        items,
        pulls,
        pages,
        sizes.reductions,
        quarantined,
        stats["graphql_requests"],
        stats["followup_queries"],
        stats["graphql_points"],
        stats["rest_requests"],
        stats["seconds"],
        left.get("graphql"),
        left.get("core"),
        new_cursor,
    )
    yield Batch(
        source=SOURCE,
        partition=partition,
        records=tuple(comments),
        cursor=new_cursor,
        stats=stats,
        done=True,
        quarantined=tuple(poison),
    )


def fetch_changed_pulls(
    gql: GraphQLReader,
    full_name: str,
    window_start: dt.datetime | None,
    now: Callable[[], dt.datetime],
    sizes: PageSize | None = None,
) -> Iterator[tuple[list[Record], list[Quarantined], dt.datetime | None, int]]:
    """Per GraphQL page: the records of PRs updated after ``window_start`` (with the AccountRecords of
    everyone they show), the PRs that could not be parsed (quarantined), the newest updated_at and
    how many PRs were read.

    Calls: GraphQL RepoPulls (1 point per 49 PRs, smaller pages when GitHub cannot finish one),
    PullMore (PRs with more than 100 items in a connection)
    """
    for page in pull_pages(gql, full_name, sizes):
        records: list[Record] = []
        poison: list[Quarantined] = []
        newest: dt.datetime | None = None
        done = False
        accounts = AccountCollector()
        read = 0
        for index, node in enumerate(page):
            named = isinstance(node, dict) and isinstance(node.get("number"), int)
            item = f"{full_name}#{node['number']}" if named else f"{full_name} PR node {index}"
            try:
                if not isinstance(node, dict):
                    raise TypeError(f"a {type(node).__name__} where a pull request node belongs")
                updated_at = parse_time(node.get("updatedAt"))
                if window_start is not None and updated_at is not None and updated_at <= window_start:
                    done = True  # newest-first: everything after this is older still
                    break
                complete_pull(gql, node, what=item)
                parsed = parse_graphql_pull(node, repo=full_name, fetched_at=now())
                ensure_encodable(parsed)
                seen_accounts = AccountCollector()
                seen_accounts.add_graphql_pull(node)
                ensure_encodable(seen_accounts.records(partition=ACCOUNTS_PARTITION, fetched_at=now(), html=None))
            except PARSE_ERRORS as exc:
                log.warning("%s: could not be read (%s); quarantined, the repository goes on", item, exc)
                poison.append(quarantine(item, exc, node, kind="record" if named else "anonymous"))
                read += 1
                continue
            records.extend(parsed)
            accounts.add_graphql_pull(node)
            read += 1
            if updated_at is not None and (newest is None or updated_at > newest):
                newest = updated_at
        if records:
            records.extend(
                accounts.records(partition=ACCOUNTS_PARTITION, fetched_at=now(), html=html_root(records[0].url))
            )
        yield records, poison, newest, read
        if done:
            return


def fetch_changed_comments(
    reader: GitHubReader, full_name: str, window_start: dt.datetime | None, now: Callable[[], dt.datetime]
) -> tuple[list[Record], list[Quarantined]]:
    """Review comments (line comments) updated after ``window_start``, and those that could not be parsed.

    Calls: GET /repos/{o}/{r}/pulls/comments (since, sort=updated)
    """
    params: dict[str, Any] = {"sort": "updated", "direction": "asc"}
    if window_start is not None:
        params["since"] = window_start.strftime("%Y-%m-%dT%H:%M:%SZ")  # floors to seconds: a superset

    def fresh(payload: Mapping[str, Any]) -> bool:
        updated_at = parse_time(payload.get("updated_at"))
        return window_start is None or updated_at is None or updated_at > window_start

    out: list[Record] = []
    poison: list[Quarantined] = []
    for page in reader.fetch_pages(f"/repos/{full_name}/pulls/comments", params, what=full_name):
        fetched_at = now()
        for c in page:
            item = f"{full_name} review comment {c.get('id') if isinstance(c, Mapping) else '?'}"
            try:
                if not isinstance(c, Mapping):
                    raise TypeError(f"a {type(c).__name__} where a review comment belongs")
                if not fresh(c):
                    continue
                record = parse_review_comment(c, repo=full_name, fetched_at=fetched_at)
                ensure_encodable([record])
            except PARSE_ERRORS as exc:
                log.warning("%s: could not be read (%s); quarantined, the repository goes on", item, exc)
                poison.append(quarantine(item, exc, c))
                continue
            out.append(record)
    return out, poison
