"""GitHub REST v3 (Enterprise form, mounted at ``/api/v3``) served from the sandbox world.

Handlers read the world as of ``state.now`` and return payloads built by
``sandbox.github.payloads``; ``sandbox.github.http.endpoint`` adds what GitHub
does around every response (auth, metering, per-token budget, ETag/304,
pagination with ``Link``).  Lists honour GitHub's own parameters (``state``,
``sort``, ``direction``, ``since``) and defaults.

GraphQL (``/api/graphql``) is ``sandbox.github.graphql``; fault injection and
secondary limits are ``sandbox.faults``; writes are not served.
"""

from __future__ import annotations

import datetime as dt

from starlette.routing import Route

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.github.http import (
    ApiError,
    Ctx,
    GitHubSide,
    Handler,
    Paged,
    direction_param,
    endpoint,
    not_found,
    request_token,
    side,
    since_param,
)
from sandbox.state import SandboxState
from sandbox.world import PullRequest, Repo

__all__ = ["find_pull", "find_repo", "pull_json", "repo_json", "routes", "side", "visible_pulls"]

# --- lookups (shared with sandbox.github.rest_extra) -----------------------------


def find_repo(ctx: Ctx) -> Repo:
    """The repo named by the path's ``owner``/``repo`` (case-insensitive) that exists by now, else 404."""
    full_name = f"{ctx.path('owner')}/{ctx.path('repo')}".lower()
    for repo in ctx.world.repos:
        if repo.full_name.lower() == full_name and repo.created_at <= ctx.now:
            return repo
    raise not_found()


def visible_pulls(ctx: Ctx, repo: Repo) -> list[PullRequest]:
    return [pr for pr in ctx.side.pulls(repo.full_name) if pr.created_at <= ctx.now]


def find_pull(ctx: Ctx) -> PullRequest:
    """The PR named by the path's ``number`` in the path's repo, if it exists by now, else 404."""
    repo = find_repo(ctx)
    number = ctx.path("number")
    for pr in visible_pulls(ctx, repo):
        if pr.number == number:
            return pr
    raise not_found()


def repo_json(ctx: Ctx, repo: Repo, *, full: bool = False) -> dict:
    """``repository`` as of now: pushed at its latest visible PR activity, open issues = open PRs."""
    prs = visible_pulls(ctx, repo)
    pushed = max((asof.pull_updated_at(pr, ctx.now) for pr in prs), default=None)
    return gp.repo_payload(
        ctx.world, repo, ctx.links, pushed_at=pushed, open_issues=asof.open_pull_count(prs, ctx.now), full=full
    )


def pull_json(ctx: Ctx, pr: PullRequest, *, full: bool = False, repo: dict | None = None) -> dict:
    """``pull-request-simple`` (or ``pull-request``); ``repo``: the head/base ``repository``, once per request."""
    if repo is None:
        repo = repo_json(ctx, find_repo(ctx))
    return gp.pull_payload(ctx.world, pr, ctx.now, ctx.links, full=full, repo_json=repo)


# --- handlers ----------------------------------------------------------------------


def get_user(ctx: Ctx) -> dict:
    """The caller's own profile (``private-user``, as GitHub shows a token its owner)."""
    return gp.full_user_payload(ctx.world, ctx.caller.login, ctx.links, private=True)


def get_user_by_login(ctx: Ctx) -> dict:
    login = ctx.path("login")
    if login == asof.GHOST_LOGIN:
        return gp.full_user_payload(ctx.world, None, ctx.links)
    known = {p.login: p for p in ctx.world.people}
    if login in known and not known[login].deleted or login == ctx.world.tokens.service_login:
        return gp.full_user_payload(ctx.world, login, ctx.links)
    raise not_found()


def get_org(ctx: Ctx) -> dict:
    org = gp.find_org(ctx.world, ctx.path("org"))
    if org is None:
        raise not_found()
    return gp.org_payload(ctx.world, ctx.links, org)


def list_org_repos(ctx: Ctx) -> Paged:
    org = gp.find_org(ctx.world, ctx.path("org"))
    if org is None:
        raise not_found()
    sort = ctx.arg("sort", "created")
    if sort not in ("created", "updated", "pushed", "full_name"):
        raise ApiError(422, f"Validation Failed: sort={sort!r} must be created, updated, pushed or full_name")
    desc = direction_param(ctx, "asc" if sort == "full_name" else "desc")
    repos = [repo_json(ctx, r) for r in ctx.world.repos if r.org == org and r.created_at <= ctx.now]
    key = {
        "created": lambda r: (r["created_at"], r["full_name"]),
        "updated": lambda r: (r["updated_at"], r["full_name"]),
        "pushed": lambda r: (r["pushed_at"], r["full_name"]),
        "full_name": lambda r: r["full_name"],
    }[sort]
    return Paged(sorted(repos, key=key, reverse=desc))


def get_repo(ctx: Ctx) -> dict:
    return repo_json(ctx, find_repo(ctx), full=True)


def list_pulls(ctx: Ctx) -> Paged:
    repo = find_repo(ctx)
    want = ctx.arg("state", "open")
    if want not in ("open", "closed", "all"):
        raise ApiError(422, f"Validation Failed: state={want!r} must be open, closed or all")
    sort = ctx.arg("sort", "created")
    if sort not in ("created", "updated", "popularity", "long-running"):
        raise ApiError(422, f"Validation Failed: sort={sort!r} is not a valid sort")
    desc = direction_param(ctx, "desc" if sort == "created" else "asc")
    embedded = repo_json(ctx, repo)
    payloads = [pull_json(ctx, pr, repo=embedded) for pr in visible_pulls(ctx, repo)]
    payloads = [p for p in payloads if want == "all" or p["state"] == want]
    field_name = "updated_at" if sort == "updated" else "created_at"
    payloads.sort(key=lambda p: (p[field_name], p["number"]), reverse=desc)
    return Paged(payloads)


def get_pull(ctx: Ctx) -> dict:
    return pull_json(ctx, find_pull(ctx), full=True)


def list_reviews(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    return Paged([gp.review_payload(ctx.world, pr, r, ctx.links) for r in asof.visible_reviews(pr, ctx.now)])


def list_files(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    return Paged([gp.file_payload(pr, f, ctx.links) for f in pr.files])


def get_requested_reviewers(ctx: Ctx) -> dict:
    pr = find_pull(ctx)
    return {
        "users": [gp.user_payload(ctx.world, login, ctx.links) for login in asof.pending_reviewers(pr, ctx.now)],
        "teams": [],
    }


def _comments(ctx: Ctx, payloads: list[dict]) -> Paged:
    """Filter by ``since`` (updated at or after) and order by ``sort``/``direction``, as GitHub does."""
    since = since_param(ctx)
    if since is not None:
        payloads = [p for p in payloads if dt.datetime.fromisoformat(p["updated_at"]) >= since]
    sort = ctx.arg("sort")
    if sort not in (None, "created", "updated"):
        raise ApiError(422, f"Validation Failed: sort={sort!r} must be created or updated")
    if sort is None:  # direction is ignored without sort: ascending by id
        payloads.sort(key=lambda p: p["id"])
    else:
        desc = direction_param(ctx, "desc")
        payloads.sort(key=lambda p: (p[f"{sort}_at"], p["id"]), reverse=desc)
    return Paged(payloads)


def list_pull_review_comments(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    return _comments(
        ctx,
        [
            gp.review_comment_payload(ctx.world, pr, c, ctx.now, ctx.links)
            for c in asof.visible_review_comments(pr, ctx.now)
        ],
    )


def list_repo_review_comments(ctx: Ctx) -> Paged:
    repo = find_repo(ctx)
    return _comments(
        ctx,
        [
            gp.review_comment_payload(ctx.world, pr, c, ctx.now, ctx.links)
            for pr in visible_pulls(ctx, repo)
            for c in asof.visible_review_comments(pr, ctx.now)
        ],
    )


def list_issue_comments(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)  # every issue in the sandbox is a PR
    return _comments(
        ctx,
        [
            gp.issue_comment_payload(ctx.world, pr, c, ctx.now, ctx.links)
            for c in asof.visible_issue_comments(pr, ctx.now)
        ],
    )


def list_repo_issue_comments(ctx: Ctx) -> Paged:
    repo = find_repo(ctx)
    return _comments(
        ctx,
        [
            gp.issue_comment_payload(ctx.world, pr, c, ctx.now, ctx.links)
            for pr in visible_pulls(ctx, repo)
            for c in asof.visible_issue_comments(pr, ctx.now)
        ],
    )


def get_rate_limit(ctx: Ctx) -> dict:
    start, reset = ctx.side.window()
    used = ctx.side.used.get((request_token(ctx.request) or "", start), 0)
    core = {
        "limit": ctx.side.rate_limit,
        "used": used,
        "remaining": max(0, ctx.side.rate_limit - used),
        "reset": reset,
        "resource": "core",
    }
    g_used = ctx.side.graphql_used.get((request_token(ctx.request) or "", start), 0)
    graphql = {
        "limit": ctx.side.graphql_limit,
        "used": g_used,
        "remaining": max(0, ctx.side.graphql_limit - g_used),
        "reset": reset,
        "resource": "graphql",
    }
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": start + 60, "resource": "search"}
    return {"resources": {"core": core, "graphql": graphql, "search": search}, "rate": core}


def unknown_endpoint(ctx: Ctx) -> dict:
    raise not_found()


# --- routing ------------------------------------------------------------------------

_TABLE: list[tuple[str, str, Handler, bool]] = [
    # (route path, metered template, handler, charged to the budget)
    ("/user", "/user", get_user, True),
    ("/users/{login}", "/users/{username}", get_user_by_login, True),
    ("/orgs/{org}", "/orgs/{org}", get_org, True),
    ("/orgs/{org}/repos", "/orgs/{org}/repos", list_org_repos, True),
    ("/repos/{owner}/{repo}", "/repos/{owner}/{repo}", get_repo, True),
    ("/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/pulls", list_pulls, True),
    ("/repos/{owner}/{repo}/pulls/comments", "/repos/{owner}/{repo}/pulls/comments", list_repo_review_comments, True),
    ("/repos/{owner}/{repo}/issues/comments", "/repos/{owner}/{repo}/issues/comments", list_repo_issue_comments, True),
    ("/repos/{owner}/{repo}/pulls/{number:int}", "/repos/{owner}/{repo}/pulls/{pull_number}", get_pull, True),
    (
        "/repos/{owner}/{repo}/pulls/{number:int}/reviews",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        list_reviews,
        True,
    ),
    (
        "/repos/{owner}/{repo}/pulls/{number:int}/comments",
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
        list_pull_review_comments,
        True,
    ),
    (
        "/repos/{owner}/{repo}/pulls/{number:int}/files",
        "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        list_files,
        True,
    ),
    (
        "/repos/{owner}/{repo}/pulls/{number:int}/requested_reviewers",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        get_requested_reviewers,
        True,
    ),
    (
        "/repos/{owner}/{repo}/issues/{number:int}/comments",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        list_issue_comments,
        True,
    ),
    ("/rate_limit", "/rate_limit", get_rate_limit, False),  # GitHub does not charge /rate_limit
    ("/{path:path}", "unknown", unknown_endpoint, True),
]


def routes(state: SandboxState) -> list[Route]:
    """The GitHub REST routes for ``state`` (mounted at ``/api/v3`` by ``sandbox.server``)."""
    gh = GitHubSide(state)
    state.__dict__["github"] = gh  # reachable through side(state); SandboxState itself stays untouched
    return [
        Route(path, endpoint(state, gh, template, handler, budget=budget), methods=["GET", "HEAD"])
        for path, template, handler, budget in _TABLE
    ]
