"""Reading a repository's PRs over GraphQL with a page size that adapts to what GitHub can finish.

GitHub gives a query about ten seconds; a page of 49 PRs whose files and timelines run to
hundreds of items can take longer, and GitHub then answers 502/504 (plus penalty points) or a
200 with ``RESOURCE_LIMITS_EXCEEDED`` and partial data.  Retrying the same page only repeats
the failure, so (``PageSize``):

- after a 502/504, a timeout or a resource-limit error the page size halves (49, 24, 12, 6, 3, 1)
  and the same page (same ``after``) is asked again;
- after ``grow_after`` pages in a row that succeed it doubles again, up to 49;
- partial data is kept: a PR whose ``files`` or ``timelineItems`` came back null is kept and
  that connection is read again from its start with ``PullMore``; a page whose PRs or
  ``pageInfo`` are missing is asked again, smaller;
- a single PR still too heavy at size 1 is read without its timeline and files
  (``REPO_PULLS_LIGHT``), which are then read on their own with ``PullMore``, whose inner page
  size halves the same way (100 … 1).  Only when that fails too does the partition fail.

Every connection past its first page costs one ``PullMore`` query (1 point) per page: the
follow-up queries, counted in ``GraphQLReader.followups`` and in the points.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from miners.base import PartitionError
from miners.github.graphql import (
    CONNECTIONS,
    HEAVY_CONNECTIONS,
    INNER_PAGE,
    PULL_PAGE,
    REPO_PULLS,
    REPO_PULLS_LIGHT,
    TIMELINE_TYPES,
    GraphQLReader,
    Page,
    pull_more_query,
    read_connection,
)
from miners.github.http import MalformedAnswer
from miners.github.ratelimit import TooHeavy

log = logging.getLogger(__name__)

PATH = ("repository", "pullRequests")


@dataclass
class PageSize:
    """A page size that halves when GitHub cannot finish a page and grows back after successes."""

    size: int = PULL_PAGE
    largest: int = PULL_PAGE
    grow_after: int = 3
    streak: int = 0
    reductions: int = 0

    def shrink(self) -> bool:
        """Halve; False when already at 1."""
        self.streak = 0
        if self.size <= 1:
            return False
        self.size = max(1, self.size // 2)
        self.reductions += 1
        return True

    def success(self) -> None:
        self.streak += 1
        if self.streak >= self.grow_after and self.size < self.largest:
            self.size = min(self.largest, self.size * 2)
            self.streak = 0


def _refetch() -> dict[str, Any]:
    """A connection to read again from its start (``complete_pull`` follows it)."""
    return {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}, "refetch": True}


def _partial(error: TooHeavy, first: int, after: str | None) -> Page | None:
    """The usable part of a resource-limited answer: every PR present and pageInfo intact, with the
    PRs' nulled heavy connections marked for reading again; None when the page itself is missing."""
    try:
        page = read_connection(error.data, PATH, first=first, after=after)
    except MalformedAnswer:
        return None
    if any(not isinstance(node, Mapping) for node in page.nodes):
        return None
    for node in page.nodes:
        for connection in HEAVY_CONNECTIONS:
            if not isinstance(node.get(connection), Mapping):
                node[connection] = _refetch()
    return page


def pull_pages(gql: GraphQLReader, full_name: str, sizes: PageSize | None = None) -> Iterator[list[Any]]:
    """Yield the PR nodes of ``full_name`` newest-updated first, a page at a time (see the module docstring).

    Calls: GraphQL RepoPulls (RepoPullsLight for a single PR too heavy to read whole)
    """
    owner, name = full_name.split("/", 1)
    sizes = sizes or PageSize()
    after: str | None = None
    what = f"{full_name} pull requests"
    while True:
        first, expected = sizes.size, after
        variables = {"owner": owner, "name": name, "first": first, "after": after, "types": TIMELINE_TYPES}

        def check(data: dict[str, Any], first: int = first, expected: str | None = expected) -> Page:
            return read_connection(data, PATH, first=first, after=expected)

        try:
            page = check(gql.query(REPO_PULLS, {**variables, "inner": INNER_PAGE}, what=what, heavy=True, check=check))
            sizes.success()
        except TooHeavy as exc:
            partial = _partial(exc, first, after)
            shrunk = sizes.shrink()
            if partial is not None:
                log.info(
                    "%s: GitHub returned part of a page of %d PRs (%s); keeping it, re-reading the rest",
                    full_name,
                    first,
                    exc.reason,
                )
                page = partial
                gql.partial_pages += 1
            elif shrunk:
                log.info(
                    "%s: GitHub could not finish a page of %d PRs (%s); asking for %d",
                    full_name,
                    first,
                    exc.reason,
                    sizes.size,
                )
                continue
            else:
                log.info(
                    "%s: one PR is too heavy to read whole (%s); reading its timeline and files apart",
                    full_name,
                    exc.reason,
                )
                page = _light_page(gql, variables, what, after)
        yield page.nodes
        if not page.has_next:
            return
        after = page.end_cursor


def _light_page(gql: GraphQLReader, variables: Mapping[str, Any], what: str, after: str | None) -> Page:
    """One PR without its timeline and files, which are marked to be read apart."""
    light = {k: v for k, v in variables.items() if k != "types"} | {"first": 1}

    def check(data: dict[str, Any]) -> Page:
        return read_connection(data, PATH, first=1, after=after)

    try:
        page = check(gql.query(REPO_PULLS_LIGHT, light, what=what, heavy=True, check=check))
    except TooHeavy as exc:
        raise PartitionError(
            f"GitHub cannot read even one pull request of {what} without its timeline ({exc.reason})"
        ) from None
    for node in page.nodes:
        if isinstance(node, dict):
            for connection in HEAVY_CONNECTIONS:
                node[connection] = _refetch()
    return page


def complete_pull(gql: GraphQLReader, pull: dict[str, Any], *, what: str) -> dict[str, Any]:
    """Fill every connection of a PR node past its first page; a connection missing or malformed in
    the page is read again from its start.  Calls: GraphQL PullMore (1 point a page)."""
    for connection in CONNECTIONS:
        conn = pull.get(connection)
        try:
            if not isinstance(conn, Mapping) or conn.get("refetch"):
                raise MalformedAnswer("refetch")
            page = read_connection({"c": conn}, ("c",), first=INNER_PAGE, after=None)
            nodes, has_next, after = list(page.nodes), page.has_next, page.end_cursor
        except MalformedAnswer:
            nodes, has_next, after = [], True, None
        inner = INNER_PAGE
        while has_next:
            first, expected = inner, after
            variables: dict[str, Any] = {"id": pull.get("id"), "first": first, "after": after}
            if connection == "timelineItems":
                variables["types"] = TIMELINE_TYPES

            def check(
                data: dict[str, Any], connection: str = connection, first: int = first, expected: str | None = expected
            ) -> Page:
                return read_connection(data, ("node", connection), first=first, after=expected)

            try:
                gql.followups += 1
                more = check(
                    gql.query(
                        pull_more_query(connection), variables, what=f"{what} {connection}", heavy=True, check=check
                    )
                )
            except TooHeavy as exc:
                if inner <= 1:
                    raise PartitionError(
                        f"GitHub cannot read {what} {connection} even one item at a time ({exc.reason})"
                    ) from None
                inner = max(1, inner // 2)
                continue
            nodes.extend(more.nodes)
            has_next, after = more.has_next, more.end_cursor
        pull[connection] = {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": after}}
    return pull
