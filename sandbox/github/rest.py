"""GitHub REST v3 (Enterprise form, mounted at ``/api/v3``) served from the sandbox world.

The endpoints a ladder client calls over REST, and no others: the repo-level
review (line) comments with ``since`` and the org's teams with their members
and repos (the miner), ``/user`` (who owns a viewer's token).  Everything else
the miner reads over GraphQL (``/api/graphql``, ``sandbox.github.graphql``);
any other path is a 404, as GitHub answers a path it does not serve.

Handlers read the world as of ``state.now`` and return payloads built by
``sandbox.github.payloads``; ``sandbox.github.http.endpoint`` adds what GitHub
does around every response (auth, metering, per-token budget, ETag/304,
pagination with ``Link``).  Lists honour GitHub's own parameters (``sort``,
``direction``, ``since``, ``role``) and defaults.  Teams come from the world's
teams: a team's slug is its id, its members are the people in it as of the
clock (``Person.team_changes``), its repos the ones it owns.  Fault injection
and secondary limits are ``sandbox.faults``; writes are not served.
"""

from __future__ import annotations

import datetime as dt

from starlette.routing import Route

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.github.http import ApiError, Ctx, GitHubSide, Handler, Paged, endpoint, not_found, side
from sandbox.github.payloads_extra import team_payload
from sandbox.github.rest_items import TABLE as ITEM_TABLE
from sandbox.github.rest_items import comments_paged, find_repo, repo_json, visible_pulls
from sandbox.state import SandboxState
from sandbox.world import Person, Team

__all__ = ["find_repo", "repo_json", "routes", "side", "visible_pulls"]

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


# --- handlers ----------------------------------------------------------------------


def get_user(ctx: Ctx) -> dict:
    """The caller's own profile (``private-user``, as GitHub shows a token its owner)."""
    return gp.full_user_payload(ctx.world, ctx.caller.login, ctx.links, private=True)


def list_repo_review_comments(ctx: Ctx) -> Paged:
    repo = find_repo(ctx)
    return comments_paged(
        ctx,
        ((pr, c) for pr in visible_pulls(ctx, repo) for c in asof.visible_review_comments(pr, ctx.now)),
        gp.review_comment_payload,
    )


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


def unknown_endpoint(ctx: Ctx) -> dict:
    raise not_found()


# --- routing ------------------------------------------------------------------------

_TABLE: list[tuple[str, str, Handler, bool]] = [
    # (route path, metered template as in GitHub's OpenAPI description, handler, charged to the budget)
    ("/user", "/user", get_user, True),
    ("/orgs/{org}/teams", "/orgs/{org}/teams", list_teams, True),
    ("/orgs/{org}/teams/{slug}/members", "/orgs/{org}/teams/{team_slug}/members", list_team_members, True),
    ("/orgs/{org}/teams/{slug}/repos", "/orgs/{org}/teams/{team_slug}/repos", list_team_repos, True),
    ("/repos/{owner}/{repo}/pulls/comments", "/repos/{owner}/{repo}/pulls/comments", list_repo_review_comments, True),
    *ITEM_TABLE,  # what other REST clients read (sandbox.github.rest_items)
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
