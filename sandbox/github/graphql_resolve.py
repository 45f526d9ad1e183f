"""Resolvers of the sandbox's GitHub GraphQL API: the world as of the clock, typed for GitHub's schema.

One dispatch function (``field_resolver(FIELDS)``) serves every field: a world
object travels as ``Obj(typename, value)`` and is resolved through the field
table ``FIELDS[(typename, field)]`` (``sandbox.github.graphql_fields``, which
builds on the resolvers here; this module never imports it); small leaf
objects (files, labels, git actors, page info) are plain dicts; connections
are ``Page`` objects cut from the whole visible list by
``first``/``last``/``after``/``before``.  A field the
schema has but this table lacks is a GraphQL error naming it (type
``SANDBOX_NOT_IMPLEMENTED``), never a silent null.

As of ``now`` (the sandbox clock), exactly like the REST side: what happens
later is invisible, and ``updatedAt`` is the latest visible moment.  A deleted
account is ``author: null`` (GitHub's GraphQL does not show ``ghost``); a bot's
``login`` has no ``[bot]`` suffix (REST has it).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.github.payloads_extra import CODEOWNERS_PATH
from sandbox.world import Commit, PullRequest, Repo, World

TRAILER_RE = re.compile(r"^Co-authored-by:\s*(.+?)\s*<([^>]+)>\s*$", re.IGNORECASE | re.MULTILINE)

Resolver = Callable[[Any, Any, dict], Any]  # (value, GqlContext, field arguments) -> the field's value
FieldTable = Mapping[tuple[str, str], Resolver]  # (TypeName, field) -> resolver


@dataclass(frozen=True)
class Obj:
    """A world object with its GraphQL type name."""

    type: str
    value: Any


@dataclass
class GqlContext:
    """What resolvers read: the world as of now, link bases, the caller and the query's rate-limit view."""

    world: World
    now: dt.datetime
    links: gp.Links
    viewer: str
    rate: dict[str, Any]
    pulls: Callable[[str], list[PullRequest]]


class Page:
    """One page of a connection."""

    def __init__(self, items: list[Any], args: dict[str, Any], field: str) -> None:
        start, end = 0, len(items)
        if args.get("after") is not None:
            start = max(start, _offset(args["after"], field) + 1)
        if args.get("before") is not None:
            end = min(end, _offset(args["before"], field))
        first, last = args.get("first"), args.get("last")
        if first is not None:
            end = min(end, start + first)
        if last is not None:
            start = max(start, end - last)
        self.items = items[start:end]
        self.start, self.end, self.total = start, end, len(items)

    def resolve(self, name: str) -> Any:
        cursors = [_cursor(i) for i in range(self.start, self.end)]
        if name == "nodes":
            return self.items
        if name == "edges":
            return [{"cursor": c, "node": n} for c, n in zip(cursors, self.items)]
        if name == "totalCount":
            return self.total
        if name == "pageInfo":
            return {
                "hasNextPage": self.end < self.total,
                "hasPreviousPage": self.start > 0,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            }
        raise not_implemented("Connection", name)


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _offset(cursor: str, field: str) -> int:
    try:
        return int(base64.b64decode(cursor.encode()).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise GraphQLError(
            f"`{cursor}` does not appear to be a valid cursor for `{field}`.",
            extensions={"type": "INVALID_CURSOR_ARGUMENTS"},
        ) from None


def not_implemented(type_name: str, field: str) -> GraphQLError:
    return GraphQLError(
        f"The sandbox does not implement {type_name}.{field} (it is valid on GitHub); "
        "ask only for the fields docs/sandbox.md lists, or add a resolver in "
        "sandbox/github/graphql_resolve.py",
        extensions={"type": "SANDBOX_NOT_IMPLEMENTED"},
    )


def not_found(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": "NOT_FOUND"})


# --- dispatch -----------------------------------------------------------------------


def field_resolver(fields: FieldTable) -> Callable[..., Any]:
    """graphql-core's field resolver for every field of every type, dispatching through ``fields``.

    ``fields`` is the field table (``sandbox.github.graphql_fields.FIELDS``);
    ``sandbox.github.graphql`` builds the resolver once and passes it to ``execute``.
    """

    def resolve_field(source: Any, info: Any, **args: Any) -> Any:
        name = info.field_name
        parent = info.parent_type.name
        if isinstance(source, Page):
            return source.resolve(name)
        if isinstance(source, Obj):
            fn = fields.get((source.type, name))
            if fn is None:
                raise not_implemented(source.type, name)
            return fn(source.value, info.context, args)
        if isinstance(source, dict):
            if name in source:
                return source[name]
            raise not_implemented(parent, name)
        if parent in ("Query", "Mutation"):
            fn = fields.get((parent, name))
            if fn is None:
                raise not_implemented(parent, name)
            return fn(None, info.context, args)
        raise not_implemented(parent, name)

    return resolve_field


def resolve_type(value: Any, info: Any, abstract_type: Any) -> str | None:
    """Concrete type of an interface or union value."""
    return value.type if isinstance(value, Obj) else value.get("__typename")


# --- people -------------------------------------------------------------------------


def actor(world: World, login: str | None) -> Obj | None:
    """A login as GraphQL shows it: User or Bot; deleted accounts are null."""
    if login is None:
        return None
    person = gp.person_named(world, login)
    if person is not None and person.deleted:
        return None
    is_bot = gp.is_bot_login(login) or (person is not None and person.is_bot)
    return Obj("Bot" if is_bot else "User", login)


def user_by_email(world: World, email: str) -> str | None:
    person = gp.person_by_email(world, email)
    return person.login if person is not None else None


# --- org, repos, pulls --------------------------------------------------------------


def visible_repos(c: GqlContext) -> list[Repo]:
    return [r for r in c.world.repos if r.created_at <= c.now]


def find_repo(c: GqlContext, owner: str, name: str) -> Repo | None:
    wanted = f"{owner}/{name}".lower()
    return next((r for r in visible_repos(c) if r.full_name.lower() == wanted), None)


def visible_pulls(c: GqlContext, repo: Repo) -> list[PullRequest]:
    return [pr for pr in c.pulls(repo.full_name) if pr.created_at <= c.now]


def pushed_at(c: GqlContext, repo: Repo) -> dt.datetime:
    moments = [asof.pull_updated_at(pr, c.now) for pr in visible_pulls(c, repo)]
    return max(moments, default=repo.created_at)


def _order(items: list, key_of: dict[str, Callable], order: dict | None, default: str) -> list:
    field = (order or {}).get("field", default)
    desc = (order or {}).get("direction", "ASC") == "DESC"
    return sorted(items, key=key_of[field], reverse=desc)


def q_repositories(org: str, c: GqlContext, a: dict) -> Page:
    repos = [r for r in visible_repos(c) if r.org == org]
    if a.get("isArchived") is not None:
        repos = [r for r in repos if r.archived == a["isArchived"]]
    keys = {
        "CREATED_AT": lambda r: (r.created_at, r.full_name),
        "NAME": lambda r: r.name.lower(),
        "UPDATED_AT": lambda r: (pushed_at(c, r), r.full_name),
        "PUSHED_AT": lambda r: (pushed_at(c, r), r.full_name),
        "STARGAZERS": lambda r: r.full_name,
    }
    return Page([Obj("Repository", r) for r in _order(repos, keys, a.get("orderBy"), "CREATED_AT")], a, "repositories")


def pull_state(pr: PullRequest, now: dt.datetime) -> str:
    if pr.merged_at is not None and pr.merged_at <= now:
        return "MERGED"
    if pr.closed_at is not None and pr.closed_at <= now:
        return "CLOSED"
    return "OPEN"


def q_pull_requests(repo: Repo, c: GqlContext, a: dict) -> Page:
    pulls = visible_pulls(c, repo)
    if a.get("states"):
        pulls = [pr for pr in pulls if pull_state(pr, c.now) in a["states"]]
    if a.get("labels"):
        pulls = [pr for pr in pulls if set(pr.labels) & set(a["labels"])]
    keys = {
        "CREATED_AT": lambda p: (p.created_at, p.number),
        "UPDATED_AT": lambda p: (asof.pull_updated_at(p, c.now), p.number),
    }
    return Page(
        [Obj("PullRequest", pr) for pr in _order(pulls, keys, a.get("orderBy"), "CREATED_AT")], a, "pullRequests"
    )


def q_pull_request(repo: Repo, c: GqlContext, a: dict) -> Obj:
    pr = next((p for p in visible_pulls(c, repo) if p.number == a["number"]), None)
    if pr is None:
        raise not_found(f"Could not resolve to a PullRequest with the number of {a['number']}.")
    return Obj("PullRequest", pr)


def q_object(repo: Repo, c: GqlContext, a: dict) -> Obj | None:
    """``Repository.object(expression: "HEAD:path")``: the CODEOWNERS blob, null for any other path.

    The sandbox's repos hold one file, ``.github/CODEOWNERS`` (``Repo.codeowners``), on their default branch;
    a revision other than ``HEAD`` or the default branch, a bare revision or an ``oid`` is not served.
    """
    rev, sep, path = (a.get("expression") or "").partition(":")
    if a.get("oid") is not None or not sep or rev not in ("HEAD", repo.default_branch):
        raise GraphQLError(
            'The sandbox\'s Repository.object serves only expression: "HEAD:<path>" (or the default '
            f"branch instead of HEAD), not {a!r}",
            extensions={"type": "SANDBOX_NOT_IMPLEMENTED"},
        )
    if path == CODEOWNERS_PATH and repo.codeowners is not None:
        return Obj("Blob", (repo, path, repo.codeowners))
    return None


# --- inside a pull request ------------------------------------------------------------


def pr_repo(c: GqlContext, pr: PullRequest) -> Repo:
    repo = gp.repo_named(c.world, pr.repo)
    assert repo is not None, pr.repo
    return repo


def commit_obj(pr: PullRequest, commit: Commit) -> Obj:
    return Obj("Commit", (pr, commit))


def git_actor(c: GqlContext, name: str | None, email: str, when: dt.datetime | None, login: str | None) -> dict:
    user = actor(c.world, login) if login else None
    return {
        "name": name,
        "email": email,
        "date": gp.iso(when),
        "user": user if user is not None and user.type == "User" else None,
    }  # GitActor.user is a User: bots are null


def commit_authors(c: GqlContext, commit: Commit) -> list[dict]:
    """The commit's author, then each distinct Co-authored-by trailer (users matched by e-mail)."""
    person = gp.person_named(c.world, commit.author) if commit.author else None
    out = [git_actor(c, person.name if person else None, commit.author_email, commit.committed_at, commit.author)]
    seen = {commit.author_email.lower()}
    for name, email in TRAILER_RE.findall(commit.message):
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append(git_actor(c, name, email, commit.committed_at, user_by_email(c.world, email)))
    return out


def review_request_events(pr: PullRequest, now: dt.datetime) -> list[tuple[dt.datetime, Obj]]:
    events = []
    for rr in asof.visible_review_requests(pr, now):
        events.append((rr.requested_at, Obj("ReviewRequestedEvent", (pr, rr, "requested"))))
        if rr.removed_at is not None:
            events.append((rr.removed_at, Obj("ReviewRequestRemovedEvent", (pr, rr, "removed"))))
    return events


ITEM_TYPES = {
    "PullRequestReview": "PULL_REQUEST_REVIEW",
    "IssueComment": "ISSUE_COMMENT",
    "PullRequestCommit": "PULL_REQUEST_COMMIT",
    "ReviewRequestedEvent": "REVIEW_REQUESTED_EVENT",
    "ReviewRequestRemovedEvent": "REVIEW_REQUEST_REMOVED_EVENT",
}


def q_timeline(pr: PullRequest, c: GqlContext, a: dict) -> Page:
    """Reviews, conversation comments, commits and review-request events, oldest first."""
    items: list[tuple[dt.datetime, Obj]] = review_request_events(pr, c.now)
    items += [(r.submitted_at, Obj("PullRequestReview", (pr, r))) for r in asof.visible_reviews(pr, c.now)]
    items += [(m.created_at, Obj("IssueComment", (pr, m))) for m in asof.visible_issue_comments(pr, c.now)]
    items += [(k.committed_at, Obj("PullRequestCommit", (pr, k))) for k in asof.visible_commits(pr, c.now)]
    items.sort(key=lambda it: (it[0], list(ITEM_TYPES).index(it[1].type)))
    if a.get("itemTypes"):
        unknown = set(a["itemTypes"]) - set(ITEM_TYPES.values())
        if unknown:
            raise GraphQLError(
                f"The sandbox's timeline holds only {sorted(ITEM_TYPES.values())}; it does not serve {sorted(unknown)}",
                extensions={"type": "SANDBOX_NOT_IMPLEMENTED"},
            )
        items = [it for it in items if ITEM_TYPES[it[1].type] in a["itemTypes"]]
    if a.get("since"):
        since = dt.datetime.fromisoformat(a["since"].replace("Z", "+00:00"))
        items = [it for it in items if it[0] >= since]
    return Page([obj for _, obj in items], a, "timelineItems")


def q_review_requests(pr: PullRequest, c: GqlContext, a: dict) -> Page:
    pending = asof.pending_reviewers(pr, c.now)
    return Page([Obj("ReviewRequest", (pr, login)) for login in pending], a, "reviewRequests")


_PATCH = {"added": "ADDED", "modified": "MODIFIED", "removed": "DELETED", "renamed": "RENAMED"}


def file_dict(f: Any) -> dict:
    return {"path": f.path, "additions": f.additions, "deletions": f.deletions, "changeType": _PATCH[f.status]}


def label_dict(c: GqlContext, pr: PullRequest, name: str) -> dict:
    lid = gp.stable_id("label", f"{pr.repo}:{name}")
    return {
        "__typename": "Label",
        "id": f"LA_{lid}",
        "name": name,
        "color": f"{lid % 0xFFFFFF:06x}",
        "description": None,
        "isDefault": False,
        "url": f"{c.links.html}/{pr.repo}/labels/{name}",
    }
