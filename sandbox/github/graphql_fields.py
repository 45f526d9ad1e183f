"""The field table of the sandbox's GraphQL API: ``(TypeName, field) -> resolver(value, ctx, args)``.

Everything the sandbox serves is listed here (and in docs/sandbox.md); any
other field of GitHub's schema is an explicit ``SANDBOX_NOT_IMPLEMENTED`` error.
The table is built on ``sandbox.github.graphql_resolve`` (which never imports
this module); ``sandbox.github.graphql`` hands it to ``field_resolver``.
"""

from __future__ import annotations

from typing import Any

from sandbox.github import asof
from sandbox.github import graphql_resolve as R
from sandbox.github import payloads as gp
from sandbox.github.graphql_resolve import Resolver
from sandbox.github.payloads_extra import git_blob_sha


def _query() -> dict[tuple[str, str], Resolver]:
    def organization(v, c, a):
        org = gp.find_org(c.world, a["login"])
        if org is None:
            raise R.not_found(f"Could not resolve to an Organization with the login of '{a['login']}'.")
        return R.Obj("Organization", org)

    def repository(v, c, a):
        repo = R.find_repo(c, a["owner"], a["name"])
        if repo is None:
            raise R.not_found(f"Could not resolve to a Repository with the name '{a['owner']}/{a['name']}'.")
        return R.Obj("Repository", repo)

    def user(v, c, a):
        found = R.actor(c.world, a["login"]) if gp.person_named(c.world, a["login"]) is not None else None
        if found is None or found.type != "User":
            raise R.not_found(f"Could not resolve to a User with the login of '{a['login']}'.")
        return found

    return {
        ("Query", "viewer"): lambda v, c, a: R.Obj("User", c.viewer),
        ("Query", "organization"): organization,
        ("Query", "repository"): repository,
        ("Query", "user"): user,
        ("Query", "rateLimit"): lambda v, c, a: c.rate,
        ("Query", "node"): lambda v, c, a: node(c, a["id"]),
        ("Query", "nodes"): lambda v, c, a: [node(c, i) for i in a["ids"]],
    }


def node(c: Any, node_id: str) -> R.Obj | None:
    """Look up a global id the sandbox hands out (repos, PRs, reviews, comments); others are NOT_FOUND."""
    kind, _, raw = node_id.partition("_")
    if kind == "R":
        repo = next((r for r in R.visible_repos(c) if f"{gp.stable_id('repo', r.full_name)}" == raw), None)
        if repo is not None:
            return R.Obj("Repository", repo)
    if kind in ("PR", "PRR", "IC") and raw.isdigit():
        for repo in R.visible_repos(c):
            for pr in R.visible_pulls(c, repo):
                if kind == "PR" and pr.id == int(raw):
                    return R.Obj("PullRequest", pr)
                if kind == "PRR":
                    review = next((r for r in asof.visible_reviews(pr, c.now) if r.id == int(raw)), None)
                    if review is not None:
                        return R.Obj("PullRequestReview", (pr, review))
                if kind == "IC":
                    comment = next((m for m in asof.visible_issue_comments(pr, c.now) if m.id == int(raw)), None)
                    if comment is not None:
                        return R.Obj("IssueComment", (pr, comment))
    raise R.not_found(f"Could not resolve to a node with the global id of '{node_id}'")


def _org_and_repo() -> dict[tuple[str, str], Resolver]:
    oid = lambda v: gp.stable_id("org", v)  # noqa: E731
    rid = lambda r: gp.stable_id("repo", r.full_name)  # noqa: E731
    return {
        ("Organization", "login"): lambda v, c, a: v,
        ("Organization", "name"): lambda v, c, a: v,
        ("Organization", "id"): lambda v, c, a: f"O_{oid(v)}",
        ("Organization", "databaseId"): lambda v, c, a: oid(v),
        ("Organization", "url"): lambda v, c, a: f"{c.links.html}/{v}",
        ("Organization", "repositories"): R.q_repositories,
        ("Repository", "id"): lambda r, c, a: f"R_{rid(r)}",
        ("Repository", "databaseId"): lambda r, c, a: rid(r),
        ("Repository", "name"): lambda r, c, a: r.name,
        ("Repository", "nameWithOwner"): lambda r, c, a: r.full_name,
        ("Repository", "owner"): lambda r, c, a: R.Obj("Organization", r.org),
        ("Repository", "isArchived"): lambda r, c, a: r.archived,
        ("Repository", "isPrivate"): lambda r, c, a: True,
        ("Repository", "createdAt"): lambda r, c, a: gp.iso(r.created_at),
        ("Repository", "updatedAt"): lambda r, c, a: gp.iso(R.pushed_at(c, r)),
        ("Repository", "pushedAt"): lambda r, c, a: gp.iso(R.pushed_at(c, r)),
        ("Repository", "url"): lambda r, c, a: f"{c.links.html}/{r.full_name}",
        ("Repository", "defaultBranchRef"): lambda r, c, a: {"name": r.default_branch, "prefix": "refs/heads/"},
        ("Repository", "pullRequests"): R.q_pull_requests,
        ("Repository", "pullRequest"): R.q_pull_request,
        ("Repository", "object"): R.q_object,
    }


def _pull_request() -> dict[tuple[str, str], Resolver]:
    def closed_at(pr, c, a):
        return gp.iso(pr.closed_at) if pr.closed_at and pr.closed_at <= c.now else None

    def merged_at(pr, c, a):
        return gp.iso(pr.merged_at) if pr.merged_at and pr.merged_at <= c.now else None

    def labels(pr, c, a):
        return R.Page([R.label_dict(c, pr, n) for n in pr.labels], a, "labels")

    def commits(pr, c, a):
        return R.Page([R.Obj("PullRequestCommit", (pr, k)) for k in asof.visible_commits(pr, c.now)], a, "commits")

    def reviews(pr, c, a):
        found = asof.visible_reviews(pr, c.now)
        if a.get("states"):
            found = [r for r in found if r.state in a["states"]]
        return R.Page([R.Obj("PullRequestReview", (pr, r)) for r in found], a, "reviews")

    def comments(pr, c, a):
        return R.Page([R.Obj("IssueComment", (pr, m)) for m in asof.visible_issue_comments(pr, c.now)], a, "comments")

    P = "PullRequest"
    return {
        (P, "id"): lambda pr, c, a: f"PR_{pr.id}",
        (P, "databaseId"): lambda pr, c, a: pr.id,
        (P, "number"): lambda pr, c, a: pr.number,
        (P, "title"): lambda pr, c, a: pr.title,
        (P, "body"): lambda pr, c, a: pr.body,
        (P, "url"): lambda pr, c, a: f"{c.links.html}/{pr.repo}/pull/{pr.number}",
        (P, "state"): lambda pr, c, a: R.pull_state(pr, c.now),
        (P, "isDraft"): lambda pr, c, a: pr.draft,
        (P, "closed"): lambda pr, c, a: closed_at(pr, c, a) is not None,
        (P, "merged"): lambda pr, c, a: merged_at(pr, c, a) is not None,
        (P, "createdAt"): lambda pr, c, a: gp.iso(pr.created_at),
        (P, "updatedAt"): lambda pr, c, a: gp.iso(asof.pull_updated_at(pr, c.now)),
        (P, "closedAt"): closed_at,
        (P, "mergedAt"): merged_at,
        (P, "additions"): lambda pr, c, a: sum(f.additions for f in pr.files),
        (P, "deletions"): lambda pr, c, a: sum(f.deletions for f in pr.files),
        (P, "changedFiles"): lambda pr, c, a: len(pr.files),
        (P, "author"): lambda pr, c, a: R.actor(c.world, pr.author),
        (P, "authorAssociation"): lambda pr, c, a: gp.author_association(c.world, pr.author),
        (P, "baseRefName"): lambda pr, c, a: R.pr_repo(c, pr).default_branch,
        (P, "headRefName"): lambda pr, c, a: f"pr-{pr.number}",
        (P, "repository"): lambda pr, c, a: R.Obj("Repository", R.pr_repo(c, pr)),
        (P, "files"): lambda pr, c, a: R.Page([R.file_dict(f) for f in pr.files], a, "files"),
        (P, "labels"): labels,
        (P, "commits"): commits,
        (P, "reviews"): reviews,
        (P, "comments"): comments,
        (P, "reviewRequests"): R.q_review_requests,
        (P, "timelineItems"): R.q_timeline,
    }


def _inside() -> dict[tuple[str, str], Resolver]:
    def review_url(v, c, a):
        pr, r = v
        return f"{c.links.html}/{pr.repo}/pull/{pr.number}#pullrequestreview-{r.id}"

    def comment_url(v, c, a):
        pr, m = v
        return f"{c.links.html}/{pr.repo}/pull/{pr.number}#issuecomment-{m.id}"

    def commit_fields(v, c, a, name):
        pr, k = v
        authors = R.commit_authors(c, k)
        return (
            {
                "oid": k.sha,
                "message": k.message,
                "messageHeadline": k.message.split("\n", 1)[0],
                "committedDate": gp.iso(k.committed_at),
                "authoredDate": gp.iso(k.committed_at),
                "author": authors[0],
                "url": f"{c.links.html}/{pr.repo}/commit/{k.sha}",
            }[name]
            if name != "authors"
            else R.Page(authors, a, "authors")
        )

    out: dict[tuple[str, str], Resolver] = {
        ("PullRequestReview", "id"): lambda v, c, a: f"PRR_{v[1].id}",
        ("PullRequestReview", "databaseId"): lambda v, c, a: v[1].id,
        ("PullRequestReview", "author"): lambda v, c, a: R.actor(c.world, v[1].author),
        ("PullRequestReview", "authorAssociation"): lambda v, c, a: gp.author_association(c.world, v[1].author),
        ("PullRequestReview", "state"): lambda v, c, a: v[1].state,
        ("PullRequestReview", "body"): lambda v, c, a: v[1].body,
        ("PullRequestReview", "submittedAt"): lambda v, c, a: gp.iso(v[1].submitted_at),
        ("PullRequestReview", "createdAt"): lambda v, c, a: gp.iso(v[1].submitted_at),
        ("PullRequestReview", "url"): review_url,
        ("PullRequestReview", "pullRequest"): lambda v, c, a: R.Obj("PullRequest", v[0]),
        ("IssueComment", "id"): lambda v, c, a: f"IC_{v[1].id}",
        ("IssueComment", "databaseId"): lambda v, c, a: v[1].id,
        ("IssueComment", "author"): lambda v, c, a: R.actor(c.world, v[1].author),
        ("IssueComment", "authorAssociation"): lambda v, c, a: gp.author_association(c.world, v[1].author),
        ("IssueComment", "body"): lambda v, c, a: v[1].body,
        ("IssueComment", "createdAt"): lambda v, c, a: gp.iso(v[1].created_at),
        ("IssueComment", "updatedAt"): lambda v, c, a: gp.iso(
            asof.shown_updated_at(v[1].created_at, v[1].updated_at, c.now)
        ),
        ("IssueComment", "url"): comment_url,
        ("IssueComment", "pullRequest"): lambda v, c, a: R.Obj("PullRequest", v[0]),
        ("PullRequestCommit", "id"): lambda v, c, a: f"PURC_{gp.stable_id('commit', v[1].sha)}",
        ("PullRequestCommit", "commit"): lambda v, c, a: R.commit_obj(*v),
        ("PullRequestCommit", "url"): lambda v, c, a: (
            f"{c.links.html}/{v[0].repo}/pull/{v[0].number}/commits/{v[1].sha}"
        ),
        ("PullRequestCommit", "pullRequest"): lambda v, c, a: R.Obj("PullRequest", v[0]),
        ("ReviewRequest", "id"): lambda v, c, a: f"RR_{gp.stable_id('rr', f'{v[0].id}:{v[1]}')}",
        ("ReviewRequest", "asCodeOwner"): lambda v, c, a: False,
        ("ReviewRequest", "requestedReviewer"): lambda v, c, a: R.actor(c.world, v[1]),
        ("ReviewRequest", "pullRequest"): lambda v, c, a: R.Obj("PullRequest", v[0]),
    }

    def commit_field(name: str) -> Resolver:
        return lambda v, c, a: commit_fields(v, c, a, name)

    for name in ("oid", "message", "messageHeadline", "committedDate", "authoredDate", "author", "url", "authors"):
        out[("Commit", name)] = commit_field(name)
    out |= _rr_event_fields("ReviewRequestedEvent") | _rr_event_fields("ReviewRequestRemovedEvent")
    return out


def _actor_fields(kind: str) -> dict[tuple[str, str], Resolver]:
    def login(v, c, a):
        return v.removesuffix("[bot]") if kind == "Bot" else v

    def uid(v: str, c: R.GqlContext) -> int:
        return gp.user_id(gp.person_named(c.world, v), v)

    out: dict[tuple[str, str], Resolver] = {
        (kind, "login"): login,
        (kind, "id"): lambda v, c, a: f"{'BOT' if kind == 'Bot' else 'U'}_{uid(v, c)}",
        (kind, "databaseId"): lambda v, c, a: uid(v, c),
        (kind, "url"): lambda v, c, a: f"{c.links.html}/{v}",
        (kind, "resourcePath"): lambda v, c, a: f"/{v}",
    }
    if kind == "User":
        out[(kind, "name")] = lambda v, c, a: getattr(gp.person_named(c.world, v), "name", None)
        out[(kind, "email")] = lambda v, c, a: (lambda p: p.emails[0] if p and p.emails else "")(
            gp.person_named(c.world, v)
        )
        out[(kind, "isViewer")] = lambda v, c, a: v == c.viewer
    return out


def _blob_fields() -> dict[tuple[str, str], Resolver]:
    def oid(v):
        return git_blob_sha(v[2].encode("utf-8"))

    def commit_path(v, c, a):
        return f"/{v[0].full_name}/commit/{gp.fake_sha(v[0].full_name, v[0].default_branch)}"

    return {
        ("Blob", "id"): lambda v, c, a: f"B_{gp.stable_id('blob', f'{v[0].full_name}:{oid(v)}')}",
        ("Blob", "oid"): lambda v, c, a: oid(v),
        ("Blob", "abbreviatedOid"): lambda v, c, a: oid(v)[:7],
        ("Blob", "byteSize"): lambda v, c, a: len(v[2].encode("utf-8")),
        ("Blob", "text"): lambda v, c, a: v[2],
        ("Blob", "isBinary"): lambda v, c, a: False,
        ("Blob", "isTruncated"): lambda v, c, a: False,
        ("Blob", "commitUrl"): lambda v, c, a: c.links.html + commit_path(v, c, a),
        ("Blob", "commitResourcePath"): commit_path,
        ("Blob", "repository"): lambda v, c, a: R.Obj("Repository", v[0]),
    }


def _rr_event_fields(kind: str) -> dict[tuple[str, str], Resolver]:
    def event_id(v, c, a):
        pr, rr, what = v
        prefix = "RRE" if what == "requested" else "RRRE"
        return f"{prefix}_{gp.stable_id(what, f'{pr.id}:{rr.reviewer}:{rr.requested_at}')}"

    return {
        (kind, "id"): event_id,
        (kind, "createdAt"): lambda v, c, a: gp.iso(v[1].requested_at if v[2] == "requested" else v[1].removed_at),
        (kind, "actor"): lambda v, c, a: R.actor(c.world, v[1].requested_by),
        (kind, "requestedReviewer"): lambda v, c, a: R.actor(c.world, v[1].reviewer),
        (kind, "pullRequest"): lambda v, c, a: R.Obj("PullRequest", v[0]),
    }


FIELDS: dict[tuple[str, str], Resolver] = (
    _query()
    | _org_and_repo()
    | _pull_request()
    | _inside()
    | _actor_fields("User")
    | _actor_fields("Bot")
    | _blob_fields()
)
