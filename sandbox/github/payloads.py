"""GitHub REST payload builders for the sandbox: world objects as of the clock -> JSON dicts.

Pure functions, no HTTP (that is ``sandbox.github.rest``).  One builder per GitHub
object kind the REST side serves, named by the OpenAPI component it produces:
``user_payload`` (``simple-user``), ``full_user_payload`` (``private-user``, for
``/user``), ``repo_payload`` (``repository``, a team's repos),
``review_comment_payload`` (``pull-request-review-comment``); teams are in
``sandbox.github.payloads_extra``.  Every required field is sent
(tests/sandbox/test_sandbox_openapi.py validates the served bodies).  The GraphQL side
(``sandbox.github.graphql_resolve``) shares the ids, links and accounts built here.

Conventions worth knowing:

- API links (``url``, ``*_url``) are absolute and point at the serving sandbox
  (``Links.api``), so PyGithub can follow them; ``html_url`` links use a stable
  host ``https://github.<org>.test`` so evidence links and content hashes do not
  change with the server's port.  URL templates are suffix joins, cached per
  (server, account) and (server, repo).
- A deleted account (``Person.deleted`` or a ``None`` author) is served as real
  GitHub serves it: the ``ghost`` user (login ``ghost``, id 10137, type User).
- Bots (``Person.is_bot`` or a login ending in ``[bot]``) have type ``Bot``; the
  org's login is the org account (type ``Organization``).
- Numeric ids for people, repos and the org are derived from a hash of their
  name, so they are stable across runs and world edits.
- As-of-now rules (``state.now``) are ``sandbox.github.asof``'s: a PR, review or
  comment created after now is hidden; a PR's ``closed_at`` / ``merged_at``
  after now are null (it is open); an ``updated_at`` after now is shown as the
  latest visible moment of the object.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sandbox.github.asof import (
    GHOST_LOGIN,
    shown_updated_at,
)
from sandbox.world import Person, PullRequest, Repo, ReviewComment, World

GHOST_ID = 10137
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")  # reaction-rollup's counters


def stable_id(kind: str, key: str) -> int:
    """A stable positive id for ``key`` (people, repos, orgs have no id in the world)."""
    digest = hashlib.sha256(f"{kind}:{key}".encode()).digest()
    return 1_000_000 + int.from_bytes(digest[:4], "big") % 900_000_000


def iso(value: dt.datetime | None) -> str | None:
    """GitHub's timestamp form: UTC, seconds, trailing ``Z``."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(*parts: object) -> str:
    return hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()


@dataclass(frozen=True)
class Links:
    """Where API links point (the serving sandbox) and where human links point."""

    api: str  # e.g. http://127.0.0.1:5123/api/v3
    html: str  # e.g. https://github.acme.test


def html_base(world: World) -> str:
    return f"https://github.{world.org}.test"


# --- people ---------------------------------------------------------------------

# simple-user's URL templates, as suffixes of the user's API url
_USER_URLS = (
    ("events_url", "/events{/privacy}"),
    ("followers_url", "/followers"),
    ("following_url", "/following{/other_user}"),
    ("gists_url", "/gists{/gist_id}"),
    ("organizations_url", "/orgs"),
    ("received_events_url", "/received_events"),
    ("repos_url", "/repos"),
    ("starred_url", "/starred{/owner}{/repo}"),
    ("subscriptions_url", "/subscriptions"),
)


def is_bot_login(login: str) -> bool:
    return login.endswith("[bot]")


@functools.lru_cache(maxsize=4096)
def _account(api: str, html: str, login: str, uid: int, kind: str) -> dict[str, Any]:
    """``simple-user`` for an account; cached (callers get a copy), the URL templates are string joins."""
    api_user = f"{api}/users/{quote(login)}"  # as GitHub: users/dependabot%5Bbot%5D
    profile = f"{html}/apps/{login[:-5]}" if kind == "Bot" and is_bot_login(login) else f"{html}/{quote(login)}"
    out: dict[str, Any] = {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"{html}/avatars/u/{uid}",
        "gravatar_id": "",
        "url": api_user,
        "html_url": profile,
    }
    out.update((key, api_user + suffix) for key, suffix in _USER_URLS)
    out.update(type=kind, site_admin=False, user_view_type="public")
    return out


def user_payload(world: World, login: str | None, links: Links) -> dict[str, Any]:
    """``simple-user``: the account object embedded everywhere.

    ``ghost`` for a deleted or missing author, type ``Bot`` for bots, and the org itself (its own id, type
    ``Organization``) when ``login`` is the org's login (repo owners, a PR base's user).
    """
    person = person_named(world, login)
    if login is None or (person is not None and person.deleted):
        login, uid, kind = GHOST_LOGIN, GHOST_ID, "User"
    elif person is None and (org := find_org(world, login)) is not None:
        login = org
        uid, kind = stable_id("org", login), "Organization"
    else:
        is_bot = is_bot_login(login) or (person is not None and person.is_bot)
        uid, kind = user_id(person, login), "Bot" if is_bot else "User"
    return dict(_account(links.api, links.html, login, uid, kind))


def user_id(person: Person | None, login: str) -> int:
    """The account's numeric id: the person's ``github_id`` (stable across renames), else a hash of the login."""
    return person.github_id if person is not None and person.github_id is not None else stable_id("user", login)


def full_user_payload(world: World, login: str | None, links: Links, *, private: bool = False) -> dict[str, Any]:
    """``GET /users/{login}`` (``public-user``) and, with ``private=True``, ``GET /user`` (``private-user``).

    The profile is the person's: name, first e-mail, joined on their start date; the service account and
    ``ghost`` (``login=None``) date from the world's start.  Counters are zero: the sandbox has no gists,
    followers or public repos.
    """
    person = person_named(world, login)
    out = user_payload(world, login, links)
    ghost = out["login"] == GHOST_LOGIN
    since = iso(
        dt.datetime.combine(person.start_date, dt.time(), dt.timezone.utc)
        if person and not ghost
        else world.period_start
    )
    out.update(
        name=person.name if person and not ghost else out["login"],
        company=None,
        blog="",
        location=None,
        email=person.emails[0] if person and person.emails and not ghost else None,
        hireable=None,
        bio=None,
        twitter_username=None,
        public_repos=0,
        public_gists=0,
        followers=0,
        following=0,
        created_at=since,
        updated_at=since,
    )
    if private:
        out.update(
            user_view_type="private",
            private_gists=0,
            total_private_repos=0,
            owned_private_repos=0,
            disk_usage=0,
            collaborators=0,
            two_factor_authentication=True,
        )
    return out


def author_association(world: World, login: str | None) -> str:
    person = person_named(world, login)
    if person is None or person.deleted or person.is_bot:
        return "NONE"
    return "MEMBER"


def person_named(world: World, login: str | None) -> Person | None:
    """The world's person with ``login`` (the first, as the list is read), or None."""
    return _find(world, "logins", world.people, lambda p: [p.login], login) if login is not None else None


def person_by_email(world: World, email: str) -> Person | None:
    """The first of the world's people listing ``email`` (case-insensitive), or None."""
    return _find(world, "emails", world.people, lambda p: [e.lower() for e in p.emails], email.lower())


def repo_named(world: World, full_name: str) -> Repo | None:
    """The world's repository ``full_name``, or None."""
    return _find(world, "repos", world.repos, lambda r: [r.full_name], full_name)


# Every actor field of every answer looks a person up: a scan of 2,000 people each time made the 2,000-engineer
# world's GraphQL pages slower than everything else together.  (id(world), what) -> (the list indexed, its
# length, key -> first item with it): checked against the world's current list object and length, and each hit
# against the item itself (tests edit worlds being served, e.g. rename a login).
_LOOKUPS: dict[tuple[int, str], tuple[list, int, dict]] = {}


def _find(world: World, what: str, items: list, keys: Callable[[Any], list[str]], wanted: str) -> Any:
    """The first of ``items`` whose ``keys`` include ``wanted``, through an index of them (or None)."""
    hit = _lookup(world, what, items, keys).get(wanted)
    if hit is not None and wanted in keys(hit):
        return hit
    found = next((item for item in items if wanted in keys(item)), None)
    if found is not None or hit is not None:  # edited since indexed: index again next time
        _LOOKUPS.pop((id(world), what), None)
    return found


def _lookup(world: World, what: str, items: list, keys: Callable[[Any], list[str]]) -> dict:
    cached = _LOOKUPS.get((id(world), what))
    if cached is not None and cached[0] is items and cached[1] == len(items):
        return cached[2]
    index: dict = {}
    for item in items:
        for key in keys(item):
            index.setdefault(key, item)
    if len(_LOOKUPS) >= 12:
        _LOOKUPS.pop(next(iter(_LOOKUPS)))
    _LOOKUPS[(id(world), what)] = (items, len(items), index)
    return index


# --- org and repos ----------------------------------------------------------------


def org_logins(world: World) -> list[str]:
    """Every org the sandbox serves: the world's own and each one that owns a repo (sorted, no repeats)."""
    return sorted({world.org, *(r.org for r in world.repos)}, key=str.lower)


def find_org(world: World, login: str) -> str | None:
    """The org named ``login`` (case-insensitive) as the world spells it, or None."""
    return next((o for o in org_logins(world) if o.lower() == login.lower()), None)


# ``repository``'s URL templates, as suffixes of the repo's API url
_REPO_URLS = tuple(
    pair.split(" ", 1)
    for pair in (
        "archive_url /{archive_format}{/ref}",
        "assignees_url /assignees{/user}",
        "blobs_url /git/blobs{/sha}",
        "branches_url /branches{/branch}",
        "collaborators_url /collaborators{/collaborator}",
        "comments_url /comments{/number}",
        "commits_url /commits{/sha}",
        "compare_url /compare/{base}...{head}",
        "contents_url /contents/{+path}",
        "contributors_url /contributors",
        "deployments_url /deployments",
        "downloads_url /downloads",
        "events_url /events",
        "forks_url /forks",
        "git_commits_url /git/commits{/sha}",
        "git_refs_url /git/refs{/sha}",
        "git_tags_url /git/tags{/sha}",
        "hooks_url /hooks",
        "issue_comment_url /issues/comments{/number}",
        "issue_events_url /issues/events{/number}",
        "issues_url /issues{/number}",
        "keys_url /keys{/key_id}",
        "labels_url /labels{/name}",
        "languages_url /languages",
        "merges_url /merges",
        "milestones_url /milestones{/number}",
        "notifications_url /notifications{?since,all,participating}",
        "pulls_url /pulls{/number}",
        "releases_url /releases{/id}",
        "stargazers_url /stargazers",
        "statuses_url /statuses/{sha}",
        "subscribers_url /subscribers",
        "subscription_url /subscription",
        "tags_url /tags",
        "teams_url /teams",
        "trees_url /git/trees{/sha}",
    )
)


@functools.lru_cache(maxsize=1024)
def _repo_urls(api_repo: str, html_repo: str, git_host: str, full_name: str) -> tuple[tuple[str, str], ...]:
    """Every URL of a repo (templates and clone URLs), built once per (server, repo)."""
    return (
        ("url", api_repo),
        *((key, api_repo + suffix) for key, suffix in _REPO_URLS),
        ("git_url", f"git://{git_host}/{full_name}.git"),
        ("ssh_url", f"git@{git_host}:{full_name}.git"),
        ("clone_url", f"{html_repo}.git"),
        ("svn_url", html_repo),
        ("html_url", html_repo),
    )


def repo_payload(
    world: World,
    repo: Repo,
    links: Links,
    *,
    pushed_at: dt.datetime | None = None,
    open_issues: int = 0,
) -> dict[str, Any]:
    """``repository`` (also valid as ``minimal-repository``, as a team's repos list it).

    ``pushed_at`` is the latest visible activity (None: the creation time); ``open_issues`` the open PRs as of
    now (every sandbox issue is a PR).  The repo is private, unforked, unstarred and has no licence.
    """
    rid = stable_id("repo", repo.full_name)
    html_repo = f"{links.html}/{repo.full_name}"
    pushed = iso(pushed_at or repo.created_at)
    out: dict[str, Any] = {
        "id": rid,
        "node_id": f"R_{rid}",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": True,
        "owner": user_payload(world, repo.org, links),
        "description": None,
        "fork": False,
    }
    out.update(
        _repo_urls(f"{links.api}/repos/{repo.full_name}", html_repo, links.html.split("://", 1)[-1], repo.full_name)
    )
    out.update(
        homepage=None,
        language=None,
        size=0,
        mirror_url=None,
        license=None,
        topics=[],
        visibility="private",
        default_branch=repo.default_branch,
        archived=repo.archived,
        disabled=False,
        is_template=False,
        has_issues=True,
        has_projects=False,
        has_wiki=False,
        has_pages=False,
        has_downloads=True,
        forks=0,
        forks_count=0,
        stargazers_count=0,
        watchers=0,
        watchers_count=0,
        open_issues=open_issues,
        open_issues_count=open_issues,
        allow_forking=False,
        web_commit_signoff_required=False,
        created_at=iso(repo.created_at),
        updated_at=pushed,
        pushed_at=pushed,
    )
    return out


def reactions_rollup(api_url: str) -> dict[str, Any]:
    """``reaction-rollup`` of an issue or comment at ``api_url`` (the world has no reactions: all zero)."""
    return {"url": f"{api_url}/reactions", "total_count": 0} | dict.fromkeys(REACTIONS, 0)


# --- review comments --------------------------------------------------------------


def review_comment_payload(
    world: World, pr: PullRequest, c: ReviewComment, now: dt.datetime, links: Links
) -> dict[str, Any]:
    """``pull-request-review-comment`` (single-line, on the PR's head commit)."""
    api_pull = f"{links.api}/repos/{pr.repo}/pulls/{pr.number}"
    api_self = f"{links.api}/repos/{pr.repo}/pulls/comments/{c.id}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}#discussion_r{c.id}"
    head = fake_sha(pr.repo, pr.number, "head")
    out: dict[str, Any] = {
        "url": api_self,
        "pull_request_review_id": c.review_id,
        "id": c.id,
        "node_id": f"PRRC_{c.id}",
        "diff_hunk": f"@@ -1,1 +1,1 @@ {c.path}",
        "path": c.path,
        "position": c.line,
        "original_position": c.line,
        "commit_id": head,
        "original_commit_id": head,
        "user": user_payload(world, c.author, links),
        "body": c.body,
        "created_at": iso(c.created_at),
        "updated_at": iso(shown_updated_at(c.created_at, c.updated_at, now)),
        "html_url": html,
        "pull_request_url": api_pull,
        "author_association": author_association(world, c.author),
        "_links": {"self": {"href": api_self}, "html": {"href": html}, "pull_request": {"href": api_pull}},
        "line": c.line,
        "original_line": c.line,
        "side": "RIGHT",
        "start_line": None,
        "original_start_line": None,
        "start_side": None,
        "subject_type": "line",
        # GitHub sends the rollup on every review comment (the world has no reactions: all zero)
        "reactions": reactions_rollup(api_self),
    }
    if c.in_reply_to is not None:  # GitHub omits the key on top-level comments
        out["in_reply_to_id"] = c.in_reply_to
    return out
