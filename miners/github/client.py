"""A thin GitHub REST reader on top of PyGithub's Requester: JSON pages, request counts, errors.

Why not PyGithub's objects: a listed ``PullRequest`` is "incomplete", and
touching a field the list payload lacks (``additions``, ``raw_data``) makes
PyGithub fetch the whole PR again behind our back.  Reading plain JSON through
``gh.requester`` keeps PyGithub's auth, retries and connection handling while
every request stays visible and counted here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from github import GithubException
from github.Requester import Requester

from miners.base import MinerError
from miners.github.ratelimit import RateLimitPolicy

PER_PAGE = 100  # GitHub's maximum: fewer requests for the same items

_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?([^",;]+)"?')


class RepoNotFound(Exception):
    """A 404 for one repository (deleted, renamed or not visible to the token)."""


def parse_link_header(value: str | None) -> dict[str, str]:
    """``Link`` header (RFC 8288) -> {rel: url}; empty for a missing or empty header."""
    links: dict[str, str] = {}
    for url, rels in _LINK_RE.findall(value or ""):
        for rel in rels.split():
            links.setdefault(rel, url)
    return links


class GitHubReader:
    """GET JSON (single objects and paginated lists) and count what it costs."""

    def __init__(self, requester: Requester, policy: RateLimitPolicy | None = None) -> None:
        self._requester = requester
        self._policy = policy or RateLimitPolicy()
        self.requests = 0
        self.pages = 0
        self.rate_remaining: int | None = None

    def fetch_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str, headers: Mapping[str, str] | None = None
    ) -> tuple[dict, Any]:
        """One GET; ``what`` names the object for error messages ("acme/api", "acme/api#12").

        ``headers`` are sent as given (e.g. ``If-None-Match``); a 304 comes back as ``(headers, None)``.
        """
        self.requests += 1
        sent = dict(headers) if headers else None
        try:
            received, data = self._policy.call(
                lambda: self._requester.requestJsonAndCheck("GET", path, dict(params or {}) or None, sent),
                resource="core",
                what=what,
            )
        except GithubException as exc:
            raise _translate(exc, what) from None
        remaining = received.get("x-ratelimit-remaining")
        if remaining is not None:
            self.rate_remaining = int(float(remaining))
        return received, data

    def fetch_pages(self, path: str, params: Mapping[str, Any] | None = None, *, what: str) -> Iterator[list]:
        """Yield each page of a list endpoint, following ``Link: rel="next"``; stop early by not iterating."""
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
        while url is not None:
            headers, data = self.fetch_json(url, query, what=what)
            self.pages += 1
            if not isinstance(data, list):
                raise MinerError(
                    f"GitHub returned a {type(data).__name__} instead of a list for {what} ({path}); "
                    "is the base URL a GitHub REST API (…/api/v3 on Enterprise)?"
                )
            yield data
            url, query = parse_link_header(headers.get("link")).get("next"), None  # next URL carries the query

    def fetch_all(self, path: str, params: Mapping[str, Any] | None = None, *, what: str) -> list:
        return [item for page in self.fetch_pages(path, params, what=what) for item in page]


def _translate(exc: GithubException, what: str) -> Exception:
    """Sort a PyGithub error into: repo gone (skip it) or fatal (MinerError saying what to do)."""
    headers = exc.headers or {}
    request_id = headers.get("x-github-request-id")
    where = f"{what} (request {request_id})" if request_id else what
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    if exc.status == 401:
        return MinerError(
            f"GitHub returned 401 for {where}: the configured GitHub token is invalid or expired; "
            "create a new token with read access to the repositories and configure it again"
        )
    if exc.status == 404:
        return RepoNotFound(f"GitHub returned 404 for {where}: it does not exist or the token cannot see it")
    if exc.status in (403, 429) and str(headers.get("x-ratelimit-remaining", "")) == "0":
        return MinerError(
            f"GitHub rate limit exhausted at {where}; the budget resets at epoch "
            f"{headers.get('x-ratelimit-reset', '?')}: run the sync again after that"
        )
    if exc.status == 403:
        return MinerError(
            f"GitHub returned 403 for {where}: {message or 'forbidden'}; check that the token "
            "has read access to this organization (SSO authorization, repo scope)"
        )
    return MinerError(
        f"GitHub returned {exc.status} for {where}: {message or 'no message'}; "
        "if this persists, check GitHub's status and run the sync again"
    )
