"""GraphQL reads of the GitHub miner: the documents it sends and a reader that checks every answer.

Budget (GitHub's formula: a connection nested under ``first: N`` costs N
requests; the sum / 100, rounded, minimum 1 point):

- ``ORG_REPOS``: 100 repositories with each one's newest-updated PR and its
  CODEOWNERS text (``object(expression:)`` at the three paths: plain fields,
  no connection), for 1 point: the "anything changed since the cursor?" check
  of a whole org.
- ``REPO_PULLS``: up to ``PULL_PAGE`` PRs newest-updated first, each with its
  timeline (reviews, conversation comments, commits, review requests and
  removals: one connection), files and labels: 1 + 3 * 49 = 148 requests ->
  1 point for 49 PRs (100 PRs would cost 3).  Pending review requests are
  derived from the timeline (a ``reviewRequests`` connection would cost a
  fourth request per PR).  ``$first`` shrinks when GitHub cannot finish a page
  (``miners/github/pulls.py``); the inner page size (``$inner``, 100) does not
  change the points, only the time GitHub spends.
- ``REPO_PULLS_LIGHT``: the same PRs without their timeline and files (the last
  resort for a single PR too heavy to read in one query).
- ``PULL_MORE``: one PR's connection from ``$after`` on (1 point per page).

``GraphQLReader.query`` posts through the miner's transport (PyGithub's auth and
connection, the token kept on the configured host) under the rate-limit policy,
and judges the answer itself: a spent budget sent as a 200 with ``RATE_LIMITED``
waits for the reset; a timeout or ``RESOURCE_LIMITS_EXCEEDED`` raises
``TooHeavy`` (the pager asks for less); ``NOT_FOUND`` raises ``RepoNotFound``;
any other error is a ``PartitionError`` naming the repository and the query; an
answer that is not the shape asked for (no ``pageInfo``, ``nodes: null``, HTML,
empty, another schema) is retried as malformed, then fails the partition.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from github.Requester import Requester

from miners.base import MinerError, PartitionError
from miners.github.client import RepoNotFound, error_message
from miners.github.http import GitHubTransport, MalformedAnswer
from miners.github.ownership import codeowners_fields
from miners.github.ratelimit import RateLimitPolicy, RateLimitWaitTooLong, TooHeavy

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
    "timelineItems": f"timelineItems(first: $first, after: $after, itemTypes: $types) "
    f"{{ {PAGE_INFO} nodes {{ {TIMELINE_ITEM} }} }}",
    "files": f"files(first: $first, after: $after) {{ {PAGE_INFO} nodes {{ path additions deletions changeType }} }}",
    "labels": f"labels(first: $first, after: $after) {{ {PAGE_INFO} nodes {{ name }} }}",
}
HEAVY_CONNECTIONS = ("timelineItems", "files")  # what makes a PR page slow for GitHub
PULL_SCALARS = f"""
  id databaseId number title body url state isDraft createdAt updatedAt closedAt mergedAt
  additions deletions authorAssociation baseRefName headRefName author {{ {ACTOR} }}
"""


def _nested(connection: str, first: str) -> str:
    """A connection as nested in a PR page: from its start, ``first`` items."""
    return (
        CONNECTIONS[connection].replace("after: $after, ", "").replace(", after: $after", "").replace("$first", first)
    )


PULL_FIELDS = f"""{PULL_SCALARS}
  {_nested("timelineItems", "$inner")}
  {_nested("files", "$inner")}
  {_nested("labels", str(INNER_PAGE))}
"""
PULL_FIELDS_LIGHT = f"""{PULL_SCALARS}
  {_nested("labels", str(INNER_PAGE))}
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

_PULLS_ARGS = (
    "$owner: String!, $name: String!, $first: Int!, $after: String, $types: [PullRequestTimelineItemsItemType!]"
)
REPO_PULLS = f"""
query RepoPulls({_PULLS_ARGS}, $inner: Int!) {{
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {PULL_FIELDS} }}
    }}
  }}
  rateLimit {{ cost remaining resetAt }}
}}
"""
REPO_PULLS_LIGHT = f"""
query RepoPullsLight($owner: String!, $name: String!, $first: Int!, $after: String) {{
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {PULL_FIELDS_LIGHT} }}
    }}
  }}
  rateLimit {{ cost remaining resetAt }}
}}
"""


def pull_more_query(connection: str) -> str:
    """The document reading one PR's ``connection``: ``$first`` items after ``$after``."""
    types = ", $types: [PullRequestTimelineItemsItemType!]" if connection == "timelineItems" else ""
    return f"""
query PullMore($id: ID!, $first: Int!, $after: String{types}) {{
  node(id: $id) {{ ... on PullRequest {{ {CONNECTIONS[connection]} }} }}
  rateLimit {{ cost remaining resetAt }}
}}
"""


ALL_DOCUMENTS = {
    "ORG_REPOS": ORG_REPOS,
    "REPO_PULLS": REPO_PULLS,
    "REPO_PULLS_LIGHT": REPO_PULLS_LIGHT,
    **{f"PULL_MORE_{c}": pull_more_query(c) for c in CONNECTIONS},
}

HEAVY_ERROR_TYPES = frozenset({"RESOURCE_LIMITS_EXCEEDED", "TIMEOUT", "TIMEDOUT"})
_OPERATION = re.compile(r"\b(query|mutation)\s+(\w+)")


def operation_name(document: str) -> str:
    match = _OPERATION.search(document)
    return match.group(2) if match else "query"


def is_heavy_error(error: Mapping[str, Any]) -> bool:
    """A GraphQL error that means "this query was too much": resource limits or a timeout."""
    if error.get("type") in HEAVY_ERROR_TYPES:
        return True
    message = str(error.get("message") or "").lower()
    return (
        "timeout" in message or "timed out" in message or "something went wrong while executing your query" in message
    )


@dataclass(frozen=True)
class Page:
    """One checked page of a connection."""

    nodes: list[Any]
    has_next: bool
    end_cursor: str | None
    total: int | None


def read_connection(data: Any, path: tuple[str, ...], *, first: int, after: str | None) -> Page:
    """The connection at ``path`` of ``data``, checked: MalformedAnswer when it lacks ``nodes`` or
    ``pageInfo`` or contradicts itself (more nodes than asked for, a next page without a cursor, a
    cursor that does not move, an empty page that claims a next one)."""
    where = ".".join(path)
    conn: Any = data
    for key in path:
        if not isinstance(conn, Mapping):
            raise MalformedAnswer(f"an answer without {where}", repr(data)[:2000])
        conn = conn.get(key)
    if not isinstance(conn, Mapping):
        raise MalformedAnswer(f"an answer with {where} missing or null", repr(data)[:2000])
    nodes, info = conn.get("nodes"), conn.get("pageInfo")
    if not isinstance(nodes, list):
        raise MalformedAnswer(f"a page of {where} with nodes: {type(nodes).__name__}", repr(conn)[:2000])
    if not isinstance(info, Mapping) or not isinstance(info.get("hasNextPage"), bool):
        raise MalformedAnswer(f"a page of {where} without pageInfo.hasNextPage", repr(conn)[:2000])
    has_next, end = info["hasNextPage"], info.get("endCursor")
    if len(nodes) > first:
        raise MalformedAnswer(f"a page of {where} with {len(nodes)} nodes where {first} were asked", repr(conn)[:2000])
    if has_next and (not isinstance(end, str) or not end or end == after):
        raise MalformedAnswer(f"a page of {where} claiming a next page without a new endCursor", repr(conn)[:2000])
    if has_next and not nodes:
        raise MalformedAnswer(f"an empty page of {where} claiming a next page", repr(conn)[:2000])
    total = conn.get("totalCount")
    return Page(nodes, has_next, end if isinstance(end, str) else None, total if isinstance(total, int) else None)


class GraphQLReader:
    """POST GraphQL documents through the transport, judge every answer, count requests and points."""

    def __init__(self, requester: Requester, policy: RateLimitPolicy, transport: GitHubTransport | None = None) -> None:
        self._transport = transport or GitHubTransport(requester)
        self._policy = policy
        self.requests = 0
        self.points = 0
        self.followups = 0  # PullMore queries: connections past their first page
        self.partial_pages = 0  # resource-limited pages whose partial data was kept

    def query(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        what: str,
        heavy: bool = False,
        check: Callable[[dict[str, Any]], Any] | None = None,
    ) -> dict[str, Any]:
        """The ``data`` of one query, judged as the module docstring says; ``check(data)`` may raise
        MalformedAnswer to have the answer retried."""
        operation = operation_name(document)
        body = {"query": document, "variables": dict(variables)}
        limited = 0
        for attempt in itertools.count():
            self.requests += 1
            answer = self._policy.call(
                lambda: self._transport.send("POST", self._transport.graphql_url, what=what, body=body),
                resource="graphql",
                what=f"{what} ({operation})",
                heavy=heavy,
            )
            if answer.status == 401:
                raise MinerError(
                    f"GitHub returned 401 for {what}: the configured GitHub token is invalid or "
                    "expired; create a new token with read access and configure it again"
                )
            if answer.status >= 300:
                raise PartitionError(
                    f"GitHub GraphQL answered {answer.status} for {what} ({operation}): "
                    f"{error_message(answer) or 'no message'}; if this persists, check GitHub's status "
                    "and run the sync again"
                )
            try:
                payload = answer.json()
                if not isinstance(payload, Mapping) or not ({"data", "errors"} & set(payload)):
                    raise MalformedAnswer("JSON that is not a GraphQL answer (no data, no errors)", answer.text)
                errors = payload.get("errors") or []
                data = payload.get("data")
                if not isinstance(errors, list):
                    raise MalformedAnswer("GraphQL errors that are not a list", answer.text)
                if errors:
                    kinds = {e.get("type") for e in errors if isinstance(e, Mapping)}
                    messages = "; ".join(str(e.get("message")) for e in errors[:3] if isinstance(e, Mapping))
                    if "RATE_LIMITED" in kinds:
                        limited += 1
                        if limited > 3:
                            raise RateLimitWaitTooLong(
                                f"GitHub kept answering RATE_LIMITED for {what} ({operation}) after the reset; "
                                "run the sync again later"
                            )
                        self._policy.wait_for_reset("graphql", answer.headers, f"{what} ({operation})")
                        continue
                    if kinds == {"NOT_FOUND"}:
                        raise RepoNotFound(f"GitHub returned NOT_FOUND (404) for {what}: {messages}")
                    if any(is_heavy_error(e) for e in errors if isinstance(e, Mapping)):
                        self._count(data)
                        self._policy.events["too_heavy"] += 1
                        raise TooHeavy(messages, data=data, errors=errors)
                    raise PartitionError(
                        f"GitHub GraphQL errors for {what} ({operation}): {messages}; if this persists, "
                        "report it with the query name"
                    )
                if not isinstance(data, Mapping):
                    raise MalformedAnswer("a GraphQL answer without a data object", answer.text)
                if check is not None:
                    check(dict(data))
            except MalformedAnswer as exc:
                self._policy.malformed(attempt, exc, f"{what} ({operation})")
                continue
            self._count(data)
            return dict(data)
        raise AssertionError("unreachable")  # pragma: no cover

    def _count(self, data: Any) -> None:
        cost = ((data or {}).get("rateLimit") or {}).get("cost") if isinstance(data, Mapping) else None
        points = int(cost) if isinstance(cost, int) else 1
        self.points += points
        self._policy.charge(points)  # to the credential that sent the query

    def pages(
        self, document: str, variables: Mapping[str, Any], path: tuple[str, ...], *, what: str, first: int = 100
    ) -> Iterator[list[Any]]:
        """Yield the checked ``nodes`` of the connection at ``path`` page by page (``$after`` advances)."""
        after: str | None = None
        while True:
            expected = after

            def check(data: dict[str, Any], expected: str | None = expected) -> Page:
                return read_connection(data, path, first=first, after=expected)

            page = check(self.query(document, {**variables, "after": after}, what=what, check=check))
            yield page.nodes
            if not page.has_next:
                return
            after = page.end_cursor
