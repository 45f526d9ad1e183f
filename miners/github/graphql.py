"""GraphQL reads of the GitHub miner: the documents it sends and a reader that pages them.

Budget (GitHub's formula: a connection nested under ``first: N`` costs N
requests; the sum / 100, rounded, minimum 1 point):

- ``ORG_REPOS``: 100 repositories with each one's newest-updated PR and its
  CODEOWNERS text (``object(expression:)`` at the three paths: plain fields,
  no connection), for 1 point: the "anything changed since the cursor?" check
  of a whole org.
- ``REPO_PULLS``: ``PULL_PAGE`` PRs newest-updated first, each with its
  timeline (reviews, conversation comments, commits, review requests and
  removals: one connection), files and labels: 1 + 3 * 49 = 148 requests ->
  1 point for 49 PRs (100 PRs would cost 3).  Pending review requests are
  derived from the timeline (a ``reviewRequests`` connection would cost a
  fourth request per PR).
- ``PULL_MORE``: the rest of one PR's connection past 100 items (1 point).

``GraphQLReader.query`` posts through PyGithub's GraphQL entry point
(``requester.graphql_query``: auth, Enterprise URL, connection handling) under
the miner's rate-limit policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from github import GithubException, UnknownObjectException
from github.Requester import Requester

from miners.base import MinerError
from miners.github.client import RepoNotFound
from miners.github.ownership import codeowners_fields
from miners.github.ratelimit import RateLimitPolicy

PULL_PAGE = 49  # the most PRs whose three nested connections still round to 1 point (1 + 3*49 = 148)
INNER_PAGE = 100

ACTOR = "__typename login ... on User { databaseId name } ... on Bot { databaseId }"  # scalars: no extra cost
REVIEWER = (
    "__typename ... on User { login databaseId name } ... on Bot { login databaseId } "
    "... on Mannequin { login } ... on Team { slug }"
)
TIMELINE_TYPES = [
    "PULL_REQUEST_REVIEW",
    "ISSUE_COMMENT",
    "PULL_REQUEST_COMMIT",
    "REVIEW_REQUESTED_EVENT",
    "REVIEW_REQUEST_REMOVED_EVENT",
]
TIMELINE_ITEM = f"""
  __typename
  ... on PullRequestReview {{ databaseId id state body submittedAt url authorAssociation author {{ {ACTOR} }} }}
  ... on IssueComment {{ databaseId id body createdAt updatedAt url authorAssociation author {{ {ACTOR} }} }}
  ... on PullRequestCommit {{ commit {{ oid message committedDate author {{ name email user {{ login databaseId name }} }} }} }}
  ... on ReviewRequestedEvent {{ id createdAt actor {{ {ACTOR} }} requestedReviewer {{ {REVIEWER} }} }}
  ... on ReviewRequestRemovedEvent {{ id createdAt actor {{ {ACTOR} }} requestedReviewer {{ {REVIEWER} }} }}
"""
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
CONNECTIONS = {
    "timelineItems": f"timelineItems(first: {INNER_PAGE}, after: $after, itemTypes: $types) "
    f"{{ {PAGE_INFO} nodes {{ {TIMELINE_ITEM} }} }}",
    "files": f"files(first: {INNER_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ path additions deletions changeType }} }}",
    "labels": f"labels(first: {INNER_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ name }} }}",
}
PULL_FIELDS = f"""
  id databaseId number title body url state isDraft createdAt updatedAt closedAt mergedAt
  additions deletions authorAssociation baseRefName headRefName author {{ {ACTOR} }}
  {CONNECTIONS["timelineItems"].replace("after: $after, ", "")}
  {CONNECTIONS["files"].replace(", after: $after", "")}
  {CONNECTIONS["labels"].replace(", after: $after", "")}
"""

ORG_REPOS = """
query OrgRepos($org: String!, $after: String) {
  organization(login: $org) {
    repositories(first: 100, after: $after, orderBy: {field: NAME, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id databaseId name nameWithOwner url isArchived isPrivate createdAt pushedAt
        defaultBranchRef { name }
        pullRequests(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { totalCount nodes { updatedAt } }
        CODEOWNERS_FIELDS
      }
    }
  }
  rateLimit { cost remaining resetAt }
}
""".replace("CODEOWNERS_FIELDS", codeowners_fields())

REPO_PULLS = f"""
query RepoPulls($owner: String!, $name: String!, $first: Int!, $after: String, $types: [PullRequestTimelineItemsItemType!]) {{
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {PULL_FIELDS} }}
    }}
  }}
  rateLimit {{ cost remaining resetAt }}
}}
"""


def pull_more_query(connection: str) -> str:
    """The document reading one PR's ``connection`` past ``$after``."""
    types = ", $types: [PullRequestTimelineItemsItemType!]" if connection == "timelineItems" else ""
    return f"""
query PullMore($id: ID!, $after: String{types}) {{
  node(id: $id) {{ ... on PullRequest {{ {CONNECTIONS[connection]} }} }}
  rateLimit {{ cost remaining resetAt }}
}}
"""


ALL_DOCUMENTS = {
    "ORG_REPOS": ORG_REPOS,
    "REPO_PULLS": REPO_PULLS,
    **{f"PULL_MORE_{c}": pull_more_query(c) for c in CONNECTIONS},
}


class GraphQLReader:
    """POST GraphQL documents through PyGithub and count requests and points."""

    def __init__(self, requester: Requester, policy: RateLimitPolicy) -> None:
        self._requester = requester
        self._policy = policy
        self.requests = 0
        self.points = 0

    def query(self, document: str, variables: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        """The ``data`` of one query; NOT_FOUND -> RepoNotFound, other errors -> MinerError naming ``what``."""
        self.requests += 1
        try:
            _, body = self._policy.call(
                lambda: self._requester.graphql_query(document, dict(variables)), resource="graphql", what=what
            )
        except UnknownObjectException as exc:
            raise RepoNotFound(f"GitHub returned NOT_FOUND (404) for {what}: {_message(exc)}") from None
        except GithubException as exc:
            if exc.status == 401:
                raise MinerError(
                    f"GitHub returned 401 for {what}: the configured GitHub token is invalid or "
                    "expired; create a new token with read access and configure it again"
                ) from None
            raise MinerError(
                f"GitHub GraphQL failed for {what} ({exc.status}): {_message(exc)}; if this "
                "persists, check GitHub's status and run the sync again"
            ) from None
        data = body.get("data") or {}
        cost = (data.get("rateLimit") or {}).get("cost")
        self.points += int(cost or 1)
        return data

    def pages(
        self, document: str, variables: Mapping[str, Any], path: tuple[str, ...], *, what: str
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the ``nodes`` of the connection at ``path`` page by page (``$after`` advances)."""
        after = None
        while True:
            data = self.query(document, {**variables, "after": after}, what=what)
            conn: Mapping[str, Any] | None = data
            for key in path:
                conn = (conn or {}).get(key)
            if conn is None:
                raise RepoNotFound(f"GitHub GraphQL returned no {'.'.join(path)} for {what}")
            yield conn.get("nodes") or []
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors") or []
    if errors and isinstance(errors[0], dict):
        return "; ".join(str(e.get("message")) for e in errors[:3])
    return str(data.get("message") or exc)


def complete_pull(reader: GraphQLReader, pull: dict[str, Any], *, what: str) -> dict[str, Any]:
    """Fill every connection of a PR node past its first page (PRs with > 100 timeline items or files)."""
    for connection in CONNECTIONS:
        conn = pull.get(connection) or {}
        info = conn.get("pageInfo") or {}
        after = info.get("endCursor")
        while info.get("hasNextPage"):
            variables = {"id": pull["id"], "after": after}
            if connection == "timelineItems":
                variables["types"] = TIMELINE_TYPES
            data = reader.query(pull_more_query(connection), variables, what=f"{what} {connection}")
            more = ((data.get("node") or {}).get(connection)) or {}
            conn.setdefault("nodes", []).extend(more.get("nodes") or [])
            info = more.get("pageInfo") or {}
            after = info.get("endCursor")
    return pull
