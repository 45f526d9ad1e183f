"""More GitHub REST v3 endpoints for the sandbox: users, teams, PR commits, issues, timeline, contents.

Mounted under ``/api/v3`` before ``sandbox.github.rest``'s routes (which end
with a catch-all 404) and wrapped by the same ``github_http.endpoint``: auth,
metering, budget, ETag/304, ``page``/``per_page`` with ``Link``.  The builders
for the kinds only these endpoints serve (``team``, ``commit``, ``issue``,
``content-file``) are in ``sandbox.github.payloads_extra``; users and repos come
from ``sandbox.github.payloads``, lookups from ``sandbox.github.rest``, so each
kind has one builder.  tests/test_sandbox_openapi.py validates the bodies.

Teams come from the world's teams; a team's slug is its id, its members are
the people in it as of the clock (``Person.team_changes``), its repos the ones
it owns.  Every sandbox issue is a pull request (GitHub lists PRs among issues
with a ``pull_request`` key).  Contents serve ``.github/CODEOWNERS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.routing import Route

from sandbox.github import payloads as gp
from sandbox.github.http import ApiError, Ctx, Handler, Paged, direction_param, endpoint, not_found, side, since_param
from sandbox.github.payloads_extra import (
    CODEOWNERS_PATH,
    commit_payload,
    content_file_payload,
    issue_payload,
    team_payload,
)
from sandbox.github.rest import find_pull, find_repo, pull_json, repo_json, visible_pulls
from sandbox.github.rest_timeline import timeline_events
from sandbox.world import Person, Team

# --- lookups ------------------------------------------------------------------------


def _org(ctx: Ctx) -> bool:
    """Whether the path's org is the world's own (True) or another org it serves (False: no teams); 404 else."""
    org = gp.find_org(ctx.world, ctx.path("org"))
    if org is None:
        raise not_found()
    return org == ctx.world.org


def _team(ctx: Ctx) -> Team:
    if not _org(ctx):
        raise not_found()
    slug = ctx.path("slug")
    team = next((t for t in ctx.world.teams if t.id == slug), None)
    if team is None:
        raise not_found()
    return team


def team_as_of(person: Person, now: dt.datetime) -> str:
    """The person's team on ``now``'s date (``team_changes`` are dated; ``team`` is the current one)."""
    changes = sorted(person.team_changes, key=lambda c: c.on)
    past = [c for c in changes if c.on <= now.date()]
    if past:
        return past[-1].to_team
    return changes[0].from_team if changes else person.team


# --- handlers -------------------------------------------------------------------------


def list_users(ctx: Ctx) -> Paged:
    """All accounts that can be seen (not deleted), by id, after ``since`` (a user id)."""
    try:
        since = int(ctx.arg("since", "0") or 0)
    except ValueError:
        raise ApiError(422, "Validation Failed: since must be a user id (an integer)") from None
    users = [gp.user_payload(ctx.world, p.login, ctx.links) for p in ctx.world.people if not p.deleted]
    return Paged(sorted((u for u in users if u["id"] > since), key=lambda u: u["id"]))


def list_teams(ctx: Ctx) -> Paged:
    if not _org(ctx):  # the world's teams belong to its own org
        return Paged([])
    return Paged([team_payload(ctx.world, t, ctx.links) for t in sorted(ctx.world.teams, key=lambda t: t.id)])


def list_team_members(ctx: Ctx) -> Paged:
    team = _team(ctx)
    role = ctx.arg("role", "all")
    if role not in ("all", "member", "maintainer"):
        raise ApiError(422, f"Validation Failed: role={role!r} must be all, member or maintainer")
    members = [p for p in ctx.world.people if not p.deleted and not p.is_bot and team_as_of(p, ctx.now) == team.id]
    if role != "all":
        members = [p for p in members if (p.level.startswith("M")) == (role == "maintainer")]
    return Paged([gp.user_payload(ctx.world, p.login, ctx.links) for p in sorted(members, key=lambda p: p.login)])


def list_team_repos(ctx: Ctx) -> Paged:
    team = _team(ctx)
    repos = sorted(
        (r for r in ctx.world.repos if r.owner_team == team.id and r.org == ctx.world.org and r.created_at <= ctx.now),
        key=lambda r: r.full_name,
    )
    return Paged([repo_json(ctx, repo) for repo in repos])


def list_pull_commits(ctx: Ctx) -> Paged:
    pr = find_pull(ctx)
    count = len(pr.commits) or 1
    payloads = [commit_payload(ctx.world, pr, i, ctx.links) for i in range(count)]
    if pr.commits:
        payloads = [p for p, c in zip(payloads, pr.commits) if c.committed_at <= ctx.now] or payloads[:1]
    return Paged(payloads)


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
    embedded = repo_json(ctx, repo)
    items = [
        issue_payload(ctx.world, pr, pull_json(ctx, pr, repo=embedded), ctx.now, ctx.links)
        for pr in visible_pulls(ctx, repo)
    ]
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


def list_timeline(ctx: Ctx) -> Paged:
    """The PR's timeline as of now, oldest first (see ``sandbox.github.rest_timeline``)."""
    return Paged(timeline_events(ctx.world, find_pull(ctx), ctx.now, ctx.links))


def get_contents(ctx: Ctx) -> dict:
    repo = find_repo(ctx)
    path = ctx.path("path").strip("/")
    if path == CODEOWNERS_PATH and repo.codeowners is not None:
        return content_file_payload(repo, path, repo.codeowners, ctx.links)
    raise not_found()


# --- routing --------------------------------------------------------------------------

_TABLE: list[tuple[str, str, Handler]] = [
    # (route path, metered template as in GitHub's OpenAPI description, handler)
    ("/users", "/users", list_users),
    ("/orgs/{org}/teams", "/orgs/{org}/teams", list_teams),
    ("/orgs/{org}/teams/{slug}/members", "/orgs/{org}/teams/{team_slug}/members", list_team_members),
    ("/orgs/{org}/teams/{slug}/repos", "/orgs/{org}/teams/{team_slug}/repos", list_team_repos),
    (
        "/repos/{owner}/{repo}/pulls/{number:int}/commits",
        "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
        list_pull_commits,
    ),
    ("/repos/{owner}/{repo}/issues", "/repos/{owner}/{repo}/issues", list_issues),
    (
        "/repos/{owner}/{repo}/issues/{number:int}/timeline",
        "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
        list_timeline,
    ),
    ("/repos/{owner}/{repo}/contents/{path:path}", "/repos/{owner}/{repo}/contents/{path}", get_contents),
]


def routes(state: Any) -> list[Route]:
    """The extra GitHub REST routes; call after ``github_api.routes(state)`` (they share its budget)."""
    gh = side(state)
    return [
        Route(path, endpoint(state, gh, template, handler), methods=["GET", "HEAD"])
        for path, template, handler in _TABLE
    ]
