"""GitHub REST reads of a repository's items, for clients other than ladder's miner (mounted under ``/api/v3``).

The miner reads pull requests over GraphQL; an established REST client —
Perceval's GitHub backend, a script on PyGithub — reads the same world over
these endpoints, shaped as GitHub's OpenAPI description says (validated in
tests/sandbox/test_sandbox_openapi.py):

- ``/repos/{o}/{r}`` (``full-repository``), ``/repos/{o}/{r}/issues`` (every
  sandbox issue is a PR, listed with its ``pull_request`` key; ``state``,
  ``sort``, ``direction``, ``since``, ``labels``, ``creator`` as GitHub),
  ``/issues/{n}/comments``, ``/pulls/{n}``, ``/pulls/{n}/reviews``,
  ``/pulls/{n}/comments``, ``/pulls/{n}/requested_reviewers``,
  ``/pulls/{n}/commits``;
- reactions of issues, issue comments and review comments (the world has none:
  empty lists, zero rollups — but the ``reactions`` keys are there);
- ``/users/{login}`` (``public-user``), ``/users/{login}/orgs`` and
  ``/user/orgs`` (``organization-simple``: a person belongs to the world's org;
  bots and the deleted user to none);
- ``/rate_limit`` (not charged, as on GitHub).

Lookups shared with ``sandbox.github.rest`` (``find_repo``, ``visible_pulls``,
``repo_json``) live here, below it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.github import payloads_items as gi
from sandbox.github.http import ApiError, Ctx, Handler, Paged, direction_param, not_found, request_token, since_param
from sandbox.world import PullRequest, Repo

__all__ = ["TABLE", "comments_paged", "find_repo", "repo_json", "visible_pulls"]


def find_repo(ctx: Ctx) -> Repo:
    """The repo named by the path's ``owner``/``repo`` (case-insensitive) that exists by now, else 404."""
    full_name = f"{ctx.path('owner')}/{ctx.path('repo')}".lower()
    for repo in ctx.world.repos:
        if repo.full_name.lower() == full_name and repo.created_at <= ctx.now:
            return repo
    raise not_found()


def visible_pulls(ctx: Ctx, repo: Repo) -> list[PullRequest]:
    return [pr for pr in ctx.side.pulls(repo.full_name) if pr.created_at <= ctx.now]


def repo_json(ctx: Ctx, repo: Repo, *, full: bool = False) -> dict:
    """``minimal-repository`` as of now (``full-repository`` with ``full``): pushed at its latest visible PR
    activity, open issues = open PRs."""
    prs = visible_pulls(ctx, repo)
    pushed = max((asof.pull_updated_at(pr, ctx.now) for pr in prs), default=None)
    out = gp.repo_payload(ctx.world, repo, ctx.links, pushed_at=pushed, open_issues=asof.open_pull_count(prs, ctx.now))
    if full:
        out.update(has_discussions=False, network_count=0, subscribers_count=0)
    return out


def find_pull(ctx: Ctx) -> PullRequest:
    """The PR named by the path's ``number`` in the path's repo, if it exists by now, else 404."""
    repo = find_repo(ctx)
    number = ctx.path("number")
    for pr in visible_pulls(ctx, repo):
        if pr.number == number:
            return pr
    raise not_found()


def comments_paged(ctx: Ctx, comments: Iterable[tuple[PullRequest, Any]], payload: Callable[..., dict]) -> Paged:
    """Filter by ``since`` (updated at or after) and order by ``sort``/``direction``, as GitHub does.

    ``comments`` are (PR, comment) pairs, ``payload(world, pr, comment, now, links)`` their JSON: only the
    page asked for is rendered.  Keys are the payload's own (``id``, ``created_at``, ``updated_at`` as
    shown now, to the second).
    """
    since = since_param(ctx)
    now = ctx.now
    rows = [
        (c.id, _second(c.created_at), _second(asof.shown_updated_at(c.created_at, c.updated_at, now)), p, c)
        for p, c in comments
    ]
    if since is not None:
        rows = [r for r in rows if r[2] >= since]
    sort = ctx.arg("sort")
    if sort not in (None, "created", "updated"):
        raise ApiError(422, f"Validation Failed: sort={sort!r} must be created or updated")
    if sort is None:  # direction is ignored without sort: ascending by id
        rows.sort(key=lambda r: r[0])
    else:
        desc = direction_param(ctx, "desc")
        at = 1 if sort == "created" else 2
        rows.sort(key=lambda r: (r[at], r[0]), reverse=desc)
    return Paged(rows, render=lambda r: payload(ctx.world, r[3], r[4], now, ctx.links))


def _second(moment: dt.datetime) -> dt.datetime:
    """A timestamp as a payload shows it (``payloads.iso``: whole seconds)."""
    return moment.replace(microsecond=0)


# --- handlers ----------------------------------------------------------------------


def get_user_by_login(ctx: Ctx) -> dict:
    login = ctx.path("login")
    if login == asof.GHOST_LOGIN:
        return gp.full_user_payload(ctx.world, None, ctx.links)
    person = gp.person_named(ctx.world, login)
    if (person is not None and not person.deleted) or login == ctx.world.tokens.service_login:
        return gp.full_user_payload(ctx.world, login, ctx.links)
    raise not_found()


def _orgs_of(ctx: Ctx, login: str) -> list[dict]:
    """A person's orgs: the world's org (and every org whose repos it serves) for humans; none for bots."""
    person = gp.person_named(ctx.world, login)
    if person is not None and person.is_bot:
        return []
    return [gi.org_simple_payload(ctx.world, org, ctx.links) for org in gp.org_logins(ctx.world)]


def list_user_orgs(ctx: Ctx) -> Paged:
    get_user_by_login(ctx)  # 404 for an unknown or deleted account
    if ctx.path("login") == asof.GHOST_LOGIN:
        return Paged([])
    return Paged(_orgs_of(ctx, ctx.path("login")))


def list_my_orgs(ctx: Ctx) -> Paged:
    return Paged(_orgs_of(ctx, ctx.caller.login))


def get_repo(ctx: Ctx) -> dict:
    return repo_json(ctx, find_repo(ctx), full=True)


def list_issues(ctx: Ctx) -> Paged:
    """Issues of a repo (every one a PR): GitHub's state, labels, creator, sort, direction and since."""
    repo = find_repo(ctx)
    want = ctx.arg("state", "open")
    if want not in ("open", "closed", "all"):
        raise ApiError(422, f"Validation Failed: state={want!r} must be open, closed or all")
    sort = ctx.arg("sort", "created")
    if sort not in ("created", "updated", "comments"):
        raise ApiError(422, f"Validation Failed: sort={sort!r} must be created, updated or comments")
    desc = direction_param(ctx, "desc")
    since = since_param(ctx)
    labels = {x.strip() for x in (ctx.arg("labels") or "").split(",") if x.strip()}
    creator = ctx.arg("creator")
    items = [gi.issue_payload(ctx.world, pr, ctx.now, ctx.links) for pr in visible_pulls(ctx, repo)]
    items = [i for i in items if want == "all" or i["state"] == want]
    if since is not None:
        items = [i for i in items if dt.datetime.fromisoformat(i["updated_at"]) >= since]
    if labels:
        items = [i for i in items if labels <= {label["name"] for label in i["labels"]}]
    if creator:
        items = [i for i in items if i["user"]["login"] == creator]
    key = {
        "created": lambda i: (i["created_at"], i["number"]),
        "updated": lambda i: (i["updated_at"], i["number"]),
        "comments": lambda i: (i["comments"], i["number"]),
    }[sort]
    return Paged(sorted(items, key=key, reverse=desc))


def list_issue_comments(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)  # every issue in the sandbox is a PR
    return comments_paged(ctx, ((pr, c) for c in asof.visible_issue_comments(pr, ctx.now)), gi.issue_comment_payload)


def get_pull(ctx: Ctx) -> dict:
    pr = find_pull(ctx)
    return gi.pull_payload(ctx.world, pr, ctx.now, ctx.links, repo_json=repo_json(ctx, find_repo(ctx)))


def list_reviews(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    return Paged([gi.review_payload(ctx.world, pr, r, ctx.links) for r in asof.visible_reviews(pr, ctx.now)])


def list_pull_review_comments(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    return comments_paged(ctx, ((pr, c) for c in asof.visible_review_comments(pr, ctx.now)), gp.review_comment_payload)


def get_requested_reviewers(ctx: Ctx) -> dict:
    pr = find_pull(ctx)
    users = [gp.user_payload(ctx.world, login, ctx.links) for login in asof.pending_reviewers(pr, ctx.now)]
    return {"users": users, "teams": []}


def list_pull_commits(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    if not pr.commits:
        return Paged([gi.commit_payload(ctx.world, pr, 0, ctx.links)])
    shown = [i for i, c in enumerate(pr.commits) if c.committed_at <= ctx.now] or [0]
    return Paged([gi.commit_payload(ctx.world, pr, i, ctx.links) for i in shown])


def _no_reactions(exists: bool) -> Paged:
    if not exists:
        raise not_found()
    return Paged([])  # the world holds no reactions


def list_issue_reactions(ctx: Ctx) -> Paged:
    return _no_reactions(bool(find_pull(ctx)))


def list_issue_comment_reactions(ctx: Ctx) -> Paged:
    cid = ctx.path("comment_id")
    prs = visible_pulls(ctx, find_repo(ctx))
    return _no_reactions(any(c.id == cid for pr in prs for c in asof.visible_issue_comments(pr, ctx.now)))


def list_review_comment_reactions(ctx: Ctx) -> Paged:
    cid = ctx.path("comment_id")
    prs = visible_pulls(ctx, find_repo(ctx))
    return _no_reactions(any(c.id == cid for pr in prs for c in asof.visible_review_comments(pr, ctx.now)))


def get_rate_limit(ctx: Ctx) -> dict:
    gh = ctx.side
    start, reset = gh.window(ctx.caller.budget)
    token = request_token(ctx.request) or ""
    return gi.rate_limit_payload(
        {
            "core": (gh.rate_limit, gh.used.get((token, start), 0), reset),
            "graphql": (gh.graphql_limit, gh.graphql_used.get((token, start), 0), reset),
            "search": (30, 0, int(ctx.now.timestamp()) // 60 * 60 + 60),
        }
    )


_REPO = "/repos/{owner}/{repo}"
# (route path, metered template as in GitHub's OpenAPI description, handler, charged to the budget)
TABLE: list[tuple[str, str, Handler, bool]] = [
    ("/users/{login}", "/users/{username}", get_user_by_login, True),
    ("/users/{login}/orgs", "/users/{username}/orgs", list_user_orgs, True),
    ("/user/orgs", "/user/orgs", list_my_orgs, True),
    ("/rate_limit", "/rate_limit", get_rate_limit, False),  # GitHub does not charge /rate_limit
    (_REPO, _REPO, get_repo, True),
    (f"{_REPO}/issues", f"{_REPO}/issues", list_issues, True),
    (
        f"{_REPO}/issues/comments/{{comment_id:int}}/reactions",
        f"{_REPO}/issues/comments/{{comment_id}}/reactions",
        list_issue_comment_reactions,
        True,
    ),
    (f"{_REPO}/issues/{{number:int}}/comments", f"{_REPO}/issues/{{issue_number}}/comments", list_issue_comments, True),
    (
        f"{_REPO}/issues/{{number:int}}/reactions",
        f"{_REPO}/issues/{{issue_number}}/reactions",
        list_issue_reactions,
        True,
    ),
    (
        f"{_REPO}/pulls/comments/{{comment_id:int}}/reactions",
        f"{_REPO}/pulls/comments/{{comment_id}}/reactions",
        list_review_comment_reactions,
        True,
    ),
    (f"{_REPO}/pulls/{{number:int}}", f"{_REPO}/pulls/{{pull_number}}", get_pull, True),
    (f"{_REPO}/pulls/{{number:int}}/reviews", f"{_REPO}/pulls/{{pull_number}}/reviews", list_reviews, True),
    (
        f"{_REPO}/pulls/{{number:int}}/comments",
        f"{_REPO}/pulls/{{pull_number}}/comments",
        list_pull_review_comments,
        True,
    ),
    (
        f"{_REPO}/pulls/{{number:int}}/requested_reviewers",
        f"{_REPO}/pulls/{{pull_number}}/requested_reviewers",
        get_requested_reviewers,
        True,
    ),
    (f"{_REPO}/pulls/{{number:int}}/commits", f"{_REPO}/pulls/{{pull_number}}/commits", list_pull_commits, True),
]
