"""GitHub REST payloads for the repo-level reads a general client makes (issues, pulls, reviews, commits, ...).

Pure functions, no HTTP (that is ``sandbox.github.rest_items``), built on
``sandbox.github.payloads`` (accounts, repos, review comments) and the as-of-now
rules of ``sandbox.github.asof``.  One builder per OpenAPI component:
``issue_payload`` (``issue``, a PR as ``GET /issues`` lists it), ``pull_payload``
(``pull-request``), ``review_payload`` (``pull-request-review``),
``issue_comment_payload`` (``issue-comment``), ``commit_payload`` (``commit``),
``label_payload`` (``label``), ``org_simple_payload`` (``organization-simple``)
and ``rate_limit_payload`` (``rate-limit-overview``); ``gp.reactions_rollup``
(``reaction-rollup``) is shared with the review comments.  The world holds no reactions, so every rollup counts
zero and every reactions list is empty — but the keys are there, as GitHub sends
them (a client reading ``comment["reactions"]["total_count"]`` must not crash).
tests/sandbox/test_sandbox_openapi.py validates every body against GitHub's
description.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from sandbox.github import asof
from sandbox.github import payloads as gp
from sandbox.world import IssueComment, PullRequest, Review, World


def org_simple_payload(world: World, org: str, links: gp.Links) -> dict[str, Any]:
    """``organization-simple`` for ``org`` (as ``/users/{login}/orgs`` and ``/user/orgs`` list it)."""
    oid = gp.stable_id("org", org)
    api_org = f"{links.api}/orgs/{org}"
    return {
        "login": org,
        "id": oid,
        "node_id": f"O_{oid}",
        "url": api_org,
        "repos_url": f"{api_org}/repos",
        "events_url": f"{api_org}/events",
        "hooks_url": f"{api_org}/hooks",
        "issues_url": f"{api_org}/issues",
        "members_url": f"{api_org}/members{{/member}}",
        "public_members_url": f"{api_org}/public_members{{/member}}",
        "avatar_url": f"{links.html}/avatars/u/{oid}",
        "description": f"{world.name} sandbox organization",
    }


# GitHub's default labels (``default: true``, with GitHub's own descriptions) and the generator's other labels
_LABEL_TEXT = {
    name: (default, text)
    for name, default, text in (
        ("bug", True, "Something isn't working"),
        ("documentation", True, "Improvements or additions to documentation"),
        ("enhancement", True, "New feature or request"),
        ("good first issue", True, "Good for newcomers"),
        ("dependencies", False, "Pull requests that update a dependency file"),
        ("ml-experiment", False, "Model or training experiment"),
        ("automation", False, "Removes manual work"),
    )
}


def label_payload(repo: str, name: str, links: gp.Links) -> dict[str, Any]:
    """``label``: stable id and colour from the name; a label the world invents has an empty description."""
    lid = gp.stable_id("label", f"{repo}:{name}")
    default, description = _LABEL_TEXT.get(name, (False, ""))
    return {
        "id": lid,
        "node_id": f"LA_{lid}",
        "url": f"{links.api}/repos/{repo}/labels/{quote(name)}",
        "name": name,
        "color": f"{lid % 0xFFFFFF:06x}",
        "default": default,
        "description": description,
    }


def _closed_merged(pr: PullRequest, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    closed = pr.closed_at if pr.closed_at and pr.closed_at <= now else None
    merged = pr.merged_at if pr.merged_at and pr.merged_at <= now else None
    return closed, merged


def pull_payload(
    world: World, pr: PullRequest, now: dt.datetime, links: gp.Links, *, repo_json: dict[str, Any]
) -> dict[str, Any]:
    """``pull-request`` (``GET /pulls/{n}``); ``repo_json`` is the ``repository`` in ``head`` and ``base``."""
    api_repo = f"{links.api}/repos/{pr.repo}"
    api_pull = f"{api_repo}/pulls/{pr.number}"
    api_issue = f"{api_repo}/issues/{pr.number}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}"
    closed_at, merged_at = _closed_merged(pr, now)
    head_sha = gp.fake_sha(pr.repo, pr.number, "head")
    branch = repo_json["default_branch"]
    org = pr.repo.split("/")[0]
    author = gp.user_payload(world, pr.author, links)
    statuses = f"{api_repo}/statuses/{head_sha}"
    comments_url = f"{api_issue}/comments"
    review_comment_url = f"{api_repo}/pulls/comments{{/number}}"
    return {
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
        "user": author,
        "body": pr.body or None,
        "created_at": gp.iso(pr.created_at),
        "updated_at": gp.iso(asof.pull_updated_at(pr, now)),
        "closed_at": gp.iso(closed_at),
        "merged_at": gp.iso(merged_at),
        "merge_commit_sha": gp.fake_sha(pr.repo, pr.number, "merge") if merged_at else None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [gp.user_payload(world, login, links) for login in asof.pending_reviewers(pr, now)],
        "requested_teams": [],
        "labels": [label_payload(pr.repo, name, links) for name in pr.labels],
        "milestone": None,
        "draft": pr.draft,
        "commits_url": f"{api_pull}/commits",
        "review_comments_url": f"{api_pull}/comments",
        "review_comment_url": review_comment_url,
        "comments_url": comments_url,
        "statuses_url": statuses,
        "head": {"label": f"{org}:pr-{pr.number}", "ref": f"pr-{pr.number}", "sha": head_sha, "user": author}
        | {"repo": repo_json},
        "base": {
            "label": f"{org}:{branch}",
            "ref": branch,
            "sha": gp.fake_sha(pr.repo, pr.number, "base"),
            "user": gp.user_payload(world, org, links),
            "repo": repo_json,
        },
        "_links": {
            "self": {"href": api_pull},
            "html": {"href": html},
            "issue": {"href": api_issue},
            "comments": {"href": comments_url},
            "review_comments": {"href": f"{api_pull}/comments"},
            "review_comment": {"href": review_comment_url},
            "commits": {"href": f"{api_pull}/commits"},
            "statuses": {"href": statuses},
        },
        "author_association": gp.author_association(world, pr.author),
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": merged_at is not None,
        "mergeable": None if closed_at else True,
        "mergeable_state": "unknown" if closed_at else "clean",
        "merged_by": gp.user_payload(world, pr.author, links) if merged_at else None,
        "comments": len(asof.visible_issue_comments(pr, now)),
        "review_comments": len(asof.visible_review_comments(pr, now)),
        "maintainer_can_modify": False,
        "commits": len(asof.visible_commits(pr, now)) or 1,
        "additions": sum(f.additions for f in pr.files),
        "deletions": sum(f.deletions for f in pr.files),
        "changed_files": len(pr.files),
    }


def issue_payload(world: World, pr: PullRequest, now: dt.datetime, links: gp.Links) -> dict[str, Any]:
    """``issue`` for a PR as ``GET /repos/{o}/{r}/issues`` lists it (with the ``pull_request`` key)."""
    api_issue = f"{links.api}/repos/{pr.repo}/issues/{pr.number}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}"
    iid = gp.stable_id("issue", f"{pr.repo}#{pr.number}")
    closed_at, merged_at = _closed_merged(pr, now)
    state = "closed" if closed_at else "open"
    return {
        "id": iid,
        "node_id": f"I_{iid}",
        "url": api_issue,
        "repository_url": f"{links.api}/repos/{pr.repo}",
        "labels_url": f"{api_issue}/labels{{/name}}",
        "comments_url": f"{api_issue}/comments",
        "events_url": f"{api_issue}/events",
        "html_url": html,
        "number": pr.number,
        "state": state,
        "state_reason": ("completed" if merged_at else "not_planned") if closed_at else None,
        "title": pr.title,
        "body": pr.body or None,
        "user": gp.user_payload(world, pr.author, links),
        "labels": [label_payload(pr.repo, name, links) for name in pr.labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(asof.visible_issue_comments(pr, now)),
        "pull_request": {
            "url": f"{links.api}/repos/{pr.repo}/pulls/{pr.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": gp.iso(merged_at),
        },
        "closed_at": gp.iso(closed_at),
        "created_at": gp.iso(pr.created_at),
        "updated_at": gp.iso(asof.pull_updated_at(pr, now)),
        "closed_by": gp.user_payload(world, pr.author, links) if closed_at else None,
        "author_association": gp.author_association(world, pr.author),
        "draft": pr.draft,
        "reactions": gp.reactions_rollup(api_issue),
        "timeline_url": f"{api_issue}/timeline",
        "performed_via_github_app": None,
    }


def review_payload(world: World, pr: PullRequest, review: Review, links: gp.Links) -> dict[str, Any]:
    """``pull-request-review``."""
    api_pull = f"{links.api}/repos/{pr.repo}/pulls/{pr.number}"
    html = f"{links.html}/{pr.repo}/pull/{pr.number}#pullrequestreview-{review.id}"
    return {
        "id": review.id,
        "node_id": f"PRR_{review.id}",
        "user": gp.user_payload(world, review.author, links),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": api_pull,
        "author_association": gp.author_association(world, review.author),
        "_links": {"html": {"href": html}, "pull_request": {"href": api_pull}},
        "submitted_at": gp.iso(review.submitted_at),
        "commit_id": gp.fake_sha(pr.repo, pr.number, "head"),
    }


def issue_comment_payload(
    world: World, pr: PullRequest, c: IssueComment, now: dt.datetime, links: gp.Links
) -> dict[str, Any]:
    """``issue-comment`` (a conversation comment on a PR), with its ``reactions`` rollup."""
    api_self = f"{links.api}/repos/{pr.repo}/issues/comments/{c.id}"
    return {
        "url": api_self,
        "html_url": f"{links.html}/{pr.repo}/pull/{pr.number}#issuecomment-{c.id}",
        "issue_url": f"{links.api}/repos/{pr.repo}/issues/{pr.number}",
        "id": c.id,
        "node_id": f"IC_{c.id}",
        "user": gp.user_payload(world, c.author, links),
        "created_at": gp.iso(c.created_at),
        "updated_at": gp.iso(asof.shown_updated_at(c.created_at, c.updated_at, now)),
        "author_association": gp.author_association(world, c.author),
        "body": c.body,
        "reactions": gp.reactions_rollup(api_self),
        "performed_via_github_app": None,
    }


def commit_payload(world: World, pr: PullRequest, index: int, links: gp.Links) -> dict[str, Any]:
    """``commit`` for the index-th commit of a PR (one made-up commit when the world lists none)."""
    if pr.commits:
        c = pr.commits[index]
        sha, message, login, email, when = c.sha, c.message, c.author, c.author_email, c.committed_at
        name = c.author_name
    else:
        sha, message, login = gp.fake_sha(pr.repo, pr.number, "head"), pr.title, pr.author
        email, when, name = f"{login or 'ghost'}@users.noreply.github.com", pr.created_at, None
    person = gp.person_named(world, login) if login else None
    git_user = {"name": name or (person.name if person else login or "Unknown"), "email": email}
    git_user["date"] = gp.iso(when) or ""
    user = gp.user_payload(world, login, links) if person is not None and not person.deleted else None
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


def rate_limit_payload(limits: dict[str, tuple[int, int, int]]) -> dict[str, Any]:
    """``rate-limit-overview`` from {resource: (limit, used, reset epoch)}; ``rate`` repeats ``core``."""
    resources = {
        name: {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}
        for name, (limit, used, reset) in limits.items()
    }
    return {"resources": resources, "rate": resources["core"]}
