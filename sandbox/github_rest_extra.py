"""More GitHub REST v3 endpoints for the sandbox: users, teams, PR commits, issues, timeline, contents.

Mounted under ``/api/v3`` before ``sandbox.github_api``'s routes (which end
with a catch-all 404) and wrapped by the same ``github_http.endpoint``: auth,
metering, budget, ETag/304, ``page``/``per_page`` with ``Link``.  The builders
here are for the kinds only these endpoints serve (``team``, ``commit``,
``issue``, ``content-file``); users and repos come from
``sandbox.github_payloads``, lookups from ``sandbox.github_api``, so each kind
has one builder.  tests/test_sandbox_openapi.py validates the bodies.

Teams come from the world's teams; a team's slug is its id, its members are
the people in it as of the clock (``Person.team_changes``), its repos the ones
it owns.  Every sandbox issue is a pull request (GitHub lists PRs among issues
with a ``pull_request`` key).  Contents serve ``.github/CODEOWNERS``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from starlette.routing import Route

from sandbox import github_asof as asof
from sandbox import github_payloads as gp
from sandbox.github_api import find_pull, find_repo, pull_json, repo_json, visible_pulls
from sandbox.github_http import ApiError, Ctx, Handler, Paged, direction_param, endpoint, not_found, side, since_param
from sandbox.world import Person, PullRequest, Repo, Team, World

CODEOWNERS_PATH = ".github/CODEOWNERS"
# --- payloads ---------------------------------------------------------------------


def _team_simple(world: World, team: Team, links: gp.Links) -> dict[str, Any]:
    tid = gp.stable_id("team", team.id)
    api_team = f"{links.api}/orgs/{world.org}/teams/{team.id}"
    return {
        "id": tid,
        "node_id": f"T_{tid}",
        "url": api_team,
        "members_url": f"{api_team}/members{{/member}}",
        "name": team.name,
        "description": f"The {team.name} team",
        "permission": "pull",
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "html_url": f"{links.html}/orgs/{world.org}/teams/{team.id}",
        "repositories_url": f"{api_team}/repos",
        "slug": team.id,
        "type": "organization",
    }


def team_payload(world: World, team: Team, links: gp.Links) -> dict[str, Any]:
    """``team``: a world team (slug = team id) with its parent as ``team-simple``."""
    parent = next((t for t in world.teams if t.id == team.parent), None)
    return _team_simple(world, team, links) | {"parent": _team_simple(world, parent, links) if parent else None}


def commit_payload(world: World, pr: PullRequest, index: int, links: gp.Links) -> dict[str, Any]:
    """``commit`` for the index-th commit of a PR (one made-up commit when the world lists none)."""
    if pr.commits:
        c = pr.commits[index]
        sha, message, login, email, when = c.sha, c.message, c.author, c.author_email, c.committed_at
    else:
        sha, message, login = gp.fake_sha(pr.repo, pr.number, "head"), pr.title, pr.author
        email, when = f"{login or 'ghost'}@users.noreply.github.com", pr.created_at
    person = gp._person(world, login)
    name = person.name if person else (login or "Unknown")
    git_user = {"name": name, "email": email, "date": gp.iso(when)}
    user = gp.user_payload(world, login, links) if login and person and not person.deleted else None
    api_commit = f"{links.api}/repos/{pr.repo}/commits/{sha}"
    parent = pr.commits[index - 1].sha if pr.commits and index > 0 else gp.fake_sha(pr.repo, pr.number, "base")
    return {
        "url": api_commit,
        "sha": sha,
        "node_id": f"C_{sha[:20]}",
        "html_url": f"{links.html}/{pr.repo}/commit/{sha}",
        "comments_url": f"{api_commit}/comments",
        "commit": {
            "url": f"{links.api}/repos/{pr.repo}/git/commits/{sha}",
            "author": git_user,
            "committer": git_user,
            "message": message,
            "comment_count": 0,
            "tree": {"sha": gp.fake_sha(sha, "tree"), "url": f"{links.api}/repos/{pr.repo}/git/trees/{sha}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": user,
        "committer": user,
        "parents": [
            {
                "sha": parent,
                "url": f"{links.api}/repos/{pr.repo}/commits/{parent}",
                "html_url": f"{links.html}/{pr.repo}/commit/{parent}",
            }
        ],
    }


def issue_payload(
    world: World, pr: PullRequest, pull: dict[str, Any], now: dt.datetime, links: gp.Links
) -> dict[str, Any]:
    """``issue`` for a PR as ``GET /issues`` lists it (with the ``pull_request`` key); ``pull`` is its pull payload."""
    api_issue = pull["issue_url"]
    iid = gp.stable_id("issue", f"{pr.repo}#{pr.number}")
    return {
        "id": iid,
        "node_id": f"I_{iid}",
        "url": api_issue,
        "repository_url": f"{links.api}/repos/{pr.repo}",
        "labels_url": f"{api_issue}/labels{{/name}}",
        "comments_url": f"{api_issue}/comments",
        "events_url": f"{api_issue}/events",
        "html_url": pull["html_url"],
        "number": pr.number,
        "state": pull["state"],
        "state_reason": ("completed" if pull["merged_at"] else "not_planned") if pull["state"] == "closed" else None,
        "title": pr.title,
        "body": pull["body"],
        "user": gp.user_payload(world, pr.author, links),
        "labels": pull["labels"],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(asof.visible_issue_comments(pr, now)),
        "pull_request": {
            "url": pull["url"],
            "html_url": pull["html_url"],
            "diff_url": pull["diff_url"],
            "patch_url": pull["patch_url"],
            "merged_at": pull["merged_at"],
        },
        "closed_at": pull["closed_at"],
        "created_at": pull["created_at"],
        "updated_at": pull["updated_at"],
        "closed_by": gp.user_payload(world, pr.author, links) if pull["closed_at"] else None,
        "author_association": pull["author_association"],
        "draft": pr.draft,
    }


def git_blob_sha(raw: bytes) -> str:
    """Git's object id of a blob holding ``raw`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


def content_file_payload(repo: Repo, path: str, text: str, links: gp.Links) -> dict[str, Any]:
    """``content-file``: the file base64-encoded in 60-character lines, with its git blob sha."""
    raw = text.encode("utf-8")
    sha = git_blob_sha(raw)
    encoded = base64.b64encode(raw).decode()
    api_self = f"{links.api}/repos/{repo.full_name}/contents/{path}?ref={repo.default_branch}"
    html = f"{links.html}/{repo.full_name}/blob/{repo.default_branch}/{path}"
    git = f"{links.api}/repos/{repo.full_name}/git/blobs/{sha}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(raw),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n",
        "sha": sha,
        "url": api_self,
        "git_url": git,
        "html_url": html,
        "download_url": f"{links.html}/{repo.full_name}/raw/{repo.default_branch}/{path}",
        "_links": {"self": api_self, "git": git, "html": html},
    }


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
    """The PR's timeline as of now, oldest first (see ``sandbox.github_rest_timeline``)."""
    from sandbox.github_rest_timeline import timeline_events

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
