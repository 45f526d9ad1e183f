"""GitHub REST payload builders for the sandbox: world objects as of the clock -> JSON dicts.

Pure functions: no HTTP here (that is ``sandbox.github_api``).  Shapes follow
GitHub's REST v3 payloads closely enough for PyGithub and for our miner; only
fields a client could plausibly read are filled.

Conventions worth knowing:

- API links (``url``, ``*_url``) are absolute and point at the serving sandbox
  (``Links.api``), so PyGithub can follow them; ``html_url`` links use a stable
  host ``https://github.<org>.test`` so evidence links and content hashes do not
  change with the server's port.
- A deleted account (``Person.deleted`` or a ``None`` author) is served as real
  GitHub serves it: the ``ghost`` user (login ``ghost``, id 10137, type User).
- Bots (``Person.is_bot`` or a login ending in ``[bot]``) have type ``Bot``.
- Numeric ids for people, repos and the org are derived from a hash of their
  name, so they are stable across runs and world edits.
- As-of-now rules (``state.now``): a PR, review or comment created after now is
  hidden; a PR's ``closed_at`` / ``merged_at`` after now are null (it is open);
  an ``updated_at`` after now is shown as the latest visible moment of the
  object (created_at, visible close/merge, visible reviews and comments).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sandbox.world import (
    Commit,
    IssueComment,
    Person,
    PullFile,
    PullRequest,
    Repo,
    Review,
    ReviewComment,
    ReviewRequest,
    World,
)

GHOST_LOGIN = "ghost"
GHOST_ID = 10137


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


# --- as-of-now views ----------------------------------------------------------


def visible_reviews(pr: PullRequest, now: dt.datetime) -> list[Review]:
    return sorted((r for r in pr.reviews if r.submitted_at <= now), key=lambda r: (r.submitted_at, r.id))


def visible_review_comments(pr: PullRequest, now: dt.datetime) -> list[ReviewComment]:
    return sorted((c for c in pr.review_comments if c.created_at <= now), key=lambda c: c.id)


def visible_issue_comments(pr: PullRequest, now: dt.datetime) -> list[IssueComment]:
    return sorted((c for c in pr.issue_comments if c.created_at <= now), key=lambda c: c.id)


def visible_commits(pr: PullRequest, now: dt.datetime) -> list[Commit]:
    return sorted((c for c in pr.commits if c.committed_at <= now), key=lambda c: (c.committed_at, c.sha))


def review_request_history(pr: PullRequest) -> list[ReviewRequest]:
    """The PR's review requests; a world that lists pending ``requested_reviewers`` without any history
    gets one request each, made by the author when the PR was opened (GitHub always has the event)."""
    if pr.review_requests or not pr.requested_reviewers:
        return list(pr.review_requests)
    return [ReviewRequest(reviewer=login, requested_by=pr.author or GHOST_LOGIN, requested_at=pr.created_at)
            for login in pr.requested_reviewers]


def visible_review_requests(pr: PullRequest, now: dt.datetime) -> list[ReviewRequest]:
    """Requests made by now; a removal after now has not happened yet (``removed_at`` shown as None)."""
    out = []
    for rr in sorted(review_request_history(pr), key=lambda r: (r.requested_at, r.reviewer)):
        if rr.requested_at <= now:
            removed = rr.removed_at if rr.removed_at is not None and rr.removed_at <= now else None
            out.append(rr if removed == rr.removed_at else rr.model_copy(update={"removed_at": removed}))
    return out


def pending_reviewers(pr: PullRequest, now: dt.datetime) -> list[str]:
    """Who is still asked to review as of now: requested, not removed, not yet answered by a review.

    Worlds without a request history keep their hand-written ``requested_reviewers``.
    """
    if not pr.review_requests:
        return list(pr.requested_reviewers)
    reviews = visible_reviews(pr, now)
    pending: list[str] = []
    for rr in visible_review_requests(pr, now):
        answered = any(r.author == rr.reviewer and r.submitted_at >= rr.requested_at for r in reviews)
        if rr.removed_at is None and not answered and rr.reviewer not in pending:
            pending.append(rr.reviewer)
    return pending


def shown_updated_at(created_at: dt.datetime, updated_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A comment's updated_at as of now: an edit in the future has not happened yet."""
    return updated_at if updated_at <= now else created_at


def pull_updated_at(pr: PullRequest, now: dt.datetime) -> dt.datetime:
    """A PR's updated_at as of now (see the module docstring)."""
    if pr.updated_at <= now:
        return pr.updated_at
    moments = [pr.created_at]
    moments += [m for m in (pr.closed_at, pr.merged_at) if m is not None and m <= now]
    moments += [r.submitted_at for r in visible_reviews(pr, now)]
    moments += [shown_updated_at(c.created_at, c.updated_at, now) for c in visible_review_comments(pr, now)]
    moments += [shown_updated_at(c.created_at, c.updated_at, now) for c in visible_issue_comments(pr, now)]
    moments += [c.committed_at for c in visible_commits(pr, now)]
    for rr in visible_review_requests(pr, now):
        moments += [m for m in (rr.requested_at, rr.removed_at) if m is not None]
    return max(moments)


# --- people ---------------------------------------------------------------------


def is_bot_login(login: str) -> bool:
    return login.endswith("[bot]")


def user_payload(world: World, login: str | None, links: Links) -> dict[str, Any]:
    """The short user object embedded everywhere (``ghost`` for deleted or unknown-null)."""
    person = _person(world, login)
    if login is None or (person is not None and person.deleted):
        login, uid, kind = GHOST_LOGIN, GHOST_ID, "User"
    else:
        is_bot = is_bot_login(login) or (person is not None and person.is_bot)
        uid, kind = stable_id("user", login), "Bot" if is_bot else "User"
    api_user = f"{links.api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"{links.html}/avatars/u/{uid}",
        "gravatar_id": "",
        "url": api_user,
        "html_url": f"{links.html}/{login}",
        "followers_url": f"{api_user}/followers",
        "organizations_url": f"{api_user}/orgs",
        "repos_url": f"{api_user}/repos",
        "type": kind,
        "site_admin": False,
    }


def full_user_payload(world: World, login: str, links: Links) -> dict[str, Any]:
    """``GET /users/{login}`` and ``GET /user``: the short object plus profile fields."""
    person = _person(world, login)
    out = user_payload(world, login, links)
    out.update(
        name=person.name if person else login,
        company=None,
        email=(person.emails[0] if person and person.emails else None),
        created_at=iso(dt.datetime.combine(person.start_date, dt.time(), dt.timezone.utc)) if person else None,
    )
    return out


def author_association(world: World, login: str | None) -> str:
    person = _person(world, login)
    if person is None or person.deleted or person.is_bot:
        return "NONE"
    return "MEMBER"


def _person(world: World, login: str | None) -> Person | None:
    if login is None:
        return None
    try:
        return world.person(login)
    except KeyError:
        return None


# --- org and repos ----------------------------------------------------------------


def org_payload(world: World, links: Links) -> dict[str, Any]:
    oid = stable_id("org", world.org)
    api_org = f"{links.api}/orgs/{world.org}"
    return {
        "login": world.org,
        "id": oid,
        "node_id": f"O_{oid}",
        "url": api_org,
        "repos_url": f"{api_org}/repos",
        "members_url": f"{api_org}/members{{/member}}",
        "avatar_url": f"{links.html}/avatars/u/{oid}",
        "description": f"{world.name} sandbox organization",
        "name": world.org,
        "html_url": f"{links.html}/{world.org}",
        "type": "Organization",
        "created_at": iso(world.period_start),
    }


def repo_payload(world: World, repo: Repo, pushed_at: dt.datetime | None, links: Links) -> dict[str, Any]:
    rid = stable_id("repo", repo.full_name)
    api_repo = f"{links.api}/repos/{repo.full_name}"
    owner = org_payload(world, links)
    return {
        "id": rid,
        "node_id": f"R_{rid}",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": True,
        "owner": {k: owner[k] for k in ("login", "id", "node_id", "url", "html_url", "avatar_url", "type")}
        | {"site_admin": False},
        "html_url": f"{links.html}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": api_repo,
        "pulls_url": f"{api_repo}/pulls{{/number}}",
        "issue_comment_url": f"{api_repo}/issues/comments{{/number}}",
        "created_at": iso(repo.created_at),
        "updated_at": iso(pushed_at or repo.created_at),
        "pushed_at": iso(pushed_at or repo.created_at),
        "archived": repo.archived,
        "disabled": False,
        "visibility": "private",
        "default_branch": repo.default_branch,
    }


# --- pull requests -----------------------------------------------------------------


def pull_payload(world: World, pr: PullRequest, now: dt.datetime, links: Links, *, full: bool = False) -> dict:
    """A PR as ``GET /pulls`` lists it; ``full=True`` adds what ``GET /pulls/{n}`` adds."""
    repo = _repo(world, pr.repo)
    api_pull = f"{links.api}/repos/{pr.repo}/pulls/{pr.number}"
    api_issue = f"{links.api}/repos/{pr.repo}/issues/{pr.number}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}"
    closed_at = pr.closed_at if pr.closed_at and pr.closed_at <= now else None
    merged_at = pr.merged_at if pr.merged_at and pr.merged_at <= now else None
    head_sha = fake_sha(pr.repo, pr.number, "head")
    repo_short = repo_payload(world, repo, None, links) if repo else None
    out: dict[str, Any] = {
        "url": api_pull,
        "id": pr.id,
        "node_id": f"PR_{pr.id}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": api_issue,
        "number": pr.number,
        "state": "closed" if closed_at else "open",
        "locked": False,
        "title": pr.title,
        "user": user_payload(world, pr.author, links),
        "body": pr.body or None,
        "created_at": iso(pr.created_at),
        "updated_at": iso(pull_updated_at(pr, now)),
        "closed_at": iso(closed_at),
        "merged_at": iso(merged_at),
        "merge_commit_sha": fake_sha(pr.repo, pr.number, "merge") if merged_at else None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [user_payload(world, login, links) for login in pending_reviewers(pr, now)],
        "requested_teams": [],
        "labels": [_label_payload(pr.repo, name, links) for name in pr.labels],
        "milestone": None,
        "draft": pr.draft,
        "commits_url": f"{api_pull}/commits",
        "review_comments_url": f"{api_pull}/comments",
        "review_comment_url": f"{links.api}/repos/{pr.repo}/pulls/comments{{/number}}",
        "comments_url": f"{api_issue}/comments",
        "statuses_url": f"{links.api}/repos/{pr.repo}/statuses/{head_sha}",
        "head": {
            "label": f"{world.org}:pr-{pr.number}",
            "ref": f"pr-{pr.number}",
            "sha": head_sha,
            "user": user_payload(world, pr.author, links),
            "repo": repo_short,
        },
        "base": {
            "label": f"{world.org}:{repo.default_branch if repo else 'main'}",
            "ref": repo.default_branch if repo else "main",
            "sha": fake_sha(pr.repo, pr.number, "base"),
            "user": user_payload(world, world.org, links) | {"type": "Organization"},
            "repo": repo_short,
        },
        "_links": {
            "self": {"href": api_pull},
            "html": {"href": html},
            "issue": {"href": api_issue},
            "comments": {"href": f"{api_issue}/comments"},
            "review_comments": {"href": f"{api_pull}/comments"},
        },
        "author_association": author_association(world, pr.author),
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if full:
        files = pr.files
        out.update(
            merged=merged_at is not None,
            mergeable=None if closed_at else True,
            mergeable_state="unknown" if closed_at else "clean",
            merged_by=user_payload(world, pr.author, links) if merged_at else None,
            comments=len(visible_issue_comments(pr, now)),
            review_comments=len(visible_review_comments(pr, now)),
            maintainer_can_modify=False,
            commits=len(visible_commits(pr, now)) or max(1, len(files)),
            additions=sum(f.additions for f in files),
            deletions=sum(f.deletions for f in files),
            changed_files=len(files),
        )
    return out


def _label_payload(repo: str, name: str, links: Links) -> dict[str, Any]:
    lid = stable_id("label", f"{repo}:{name}")
    return {
        "id": lid,
        "node_id": f"LA_{lid}",
        "url": f"{links.api}/repos/{repo}/labels/{name}",
        "name": name,
        "color": f"{lid % 0xFFFFFF:06x}",
        "default": False,
        "description": None,
    }


def _repo(world: World, full_name: str) -> Repo | None:
    return next((r for r in world.repos if r.full_name == full_name), None)


def file_payload(pr: PullRequest, f: PullFile, links: Links) -> dict[str, Any]:
    sha = fake_sha(pr.repo, pr.number, f.path)
    head = fake_sha(pr.repo, pr.number, "head")
    return {
        "sha": sha,
        "filename": f.path,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"{links.html}/{pr.repo}/blob/{head}/{f.path}",
        "raw_url": f"{links.html}/{pr.repo}/raw/{head}/{f.path}",
        "contents_url": f"{links.api}/repos/{pr.repo}/contents/{f.path}?ref={head}",
    }


def review_payload(world: World, pr: PullRequest, review: Review, links: Links) -> dict[str, Any]:
    api_pull = f"{links.api}/repos/{pr.repo}/pulls/{pr.number}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}#pullrequestreview-{review.id}"
    return {
        "id": review.id,
        "node_id": f"PRR_{review.id}",
        "user": user_payload(world, review.author, links),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": api_pull,
        "author_association": author_association(world, review.author),
        "_links": {"html": {"href": html}, "pull_request": {"href": api_pull}},
        "submitted_at": iso(review.submitted_at),
        "commit_id": fake_sha(pr.repo, pr.number, "head"),
    }


def review_comment_payload(
    world: World, pr: PullRequest, c: ReviewComment, now: dt.datetime, links: Links
) -> dict[str, Any]:
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
    }
    if c.in_reply_to is not None:  # GitHub omits the key on top-level comments
        out["in_reply_to_id"] = c.in_reply_to
    return out


def issue_comment_payload(
    world: World, pr: PullRequest, c: IssueComment, now: dt.datetime, links: Links
) -> dict[str, Any]:
    api_self = f"{links.api}/repos/{pr.repo}/issues/comments/{c.id}"
    return {
        "url": api_self,
        "html_url": f"{links.html}/{pr.repo}/pull/{pr.number}#issuecomment-{c.id}",
        "issue_url": f"{links.api}/repos/{pr.repo}/issues/{pr.number}",
        "id": c.id,
        "node_id": f"IC_{c.id}",
        "user": user_payload(world, c.author, links),
        "created_at": iso(c.created_at),
        "updated_at": iso(shown_updated_at(c.created_at, c.updated_at, now)),
        "author_association": author_association(world, c.author),
        "body": c.body,
    }
