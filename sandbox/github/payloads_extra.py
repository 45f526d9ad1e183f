"""Payload builders for the kinds only the extra GitHub REST endpoints serve: team, commit, issue, content-file.

Pure functions, no HTTP, like ``sandbox.github.payloads`` (which builds users,
repos, pulls, reviews and comments; these build on it).  Served by
``sandbox.github.rest_extra`` (teams, PR commits, issues, contents) and
``sandbox.github.rest_timeline`` (``committed`` events); the GraphQL resolvers
use ``CODEOWNERS_PATH`` and ``git_blob_sha`` so both APIs serve the same blob.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.world import PullRequest, Repo, Team, World

CODEOWNERS_PATH = ".github/CODEOWNERS"  # the one file the sandbox's repos hold (``Repo.codeowners``)


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
