"""A thin GitHub REST reader over the miner's transport: JSON pages, request counts, errors.

Why not PyGithub's objects: a listed ``PullRequest`` is "incomplete", and
touching a field the list payload lacks (``additions``, ``raw_data``) makes
PyGithub fetch the whole PR again behind our back.  Reading plain JSON through
``miners.github.http.GitHubTransport`` keeps PyGithub's auth and connection
handling while every request stays visible, counted, and on the configured host
(``Link: rel="next"`` URLs are checked before they are followed).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

from github.Requester import Requester

from miners.base import CachedAnswer, MinerError, PartitionError
from miners.github.http import Answer, GitHubTransport, MalformedAnswer
from miners.github.ratelimit import RateLimitPolicy

PER_PAGE = 100  # GitHub's maximum: fewer requests for the same items

log = logging.getLogger(__name__)

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

    def __init__(
        self,
        requester: Requester,
        policy: RateLimitPolicy | None = None,
        transport: GitHubTransport | None = None,
        cache: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self._transport = transport or GitHubTransport(requester)
        self._policy = policy or RateLimitPolicy()
        self.requests = 0
        self.pages = 0
        self.not_modified = 0
        self.rate_remaining: int | None = None
        # Conditional requests: {key: (etag, body)} from earlier nights; answers to keep go to ``fresh``.
        self.cache = dict(cache or {})
        self.fresh: dict[str, CachedAnswer] = {}

    def fetch_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        expect: type | None = None,
    ) -> tuple[Mapping[str, str], Any]:
        """One GET; ``what`` names the object for error messages ("acme/api", "acme/api#12").

        ``headers`` are sent as given (e.g. ``If-None-Match``); a 304 comes back as ``(headers, None)``.
        ``expect`` (``list`` or ``dict``): any other JSON shape is a malformed answer, retried, then
        the partition fails.
        """
        for attempt in itertools.count():
            self.requests += 1
            answer = self._policy.call(
                lambda: self._transport.send("GET", path, what=what, params=params, headers=headers),
                resource="core",
                what=what,
            )
            if answer.status == 304:
                self.not_modified += 1
                return answer.headers, None
            if answer.status >= 300:
                raise _translate(answer, what)
            try:
                data = answer.json()
                if expect is not None and not isinstance(data, expect):
                    raise MalformedAnswer(
                        f"a {type(data).__name__} where a {expect.__name__} belongs (is the base URL a GitHub "
                        "REST API, …/api/v3 on Enterprise?)",
                        answer.text,
                    )
            except MalformedAnswer as exc:
                self._policy.malformed(attempt, exc, what)
                continue
            remaining = answer.headers.get("x-ratelimit-remaining")
            if remaining is not None:
                try:
                    self.rate_remaining = int(float(remaining))
                except ValueError:
                    pass
            return answer.headers, data
        raise AssertionError("unreachable")  # pragma: no cover - itertools.count never ends

    def fetch_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str, conditional: bool = False
    ) -> Iterator[list]:
        """Yield each page of a list endpoint, following ``Link: rel="next"`` (on the configured host only).

        A full page without a ``next`` link is ambiguous: GitHub sends one as the last page of a list
        exactly a multiple of 100 long, and a proxy that drops the header sends one mid-list.  The next
        page is asked for by number (one request when the list simply ended there) and paging goes on
        if it holds anything; only then is it worth a warning (a dropped header: items would have been
        lost without the probe).

        ``conditional``: each page is asked with ``If-None-Match`` when an earlier night kept its ETag
        (``cache``); a 304 (free on GitHub) replays the kept body, and new answers are kept in ``fresh``.
        """
        first: Mapping[str, Any] = {"per_page": PER_PAGE, **(params or {})}
        url: str | None = path
        query: Mapping[str, Any] | None = first
        number, probing = 1, False
        while url is not None:
            key = cache_key(url, query)
            kept = self.cache.get(key) if conditional else None
            headers, data = self.fetch_json(
                url, query, what=what, expect=list, headers={"If-None-Match": kept[0]} if kept else None
            )
            if data is None and kept is not None:  # 304: unchanged since the night it was kept
                data = json.loads(kept[1])
                self.fresh[key] = CachedAnswer(key, kept[0], kept[1])
            elif conditional and headers.get("etag"):
                self.fresh[key] = CachedAnswer(key, headers["etag"], json.dumps(data, separators=(",", ":")))
            self.pages += 1
            if probing:
                if not data:
                    return  # the list ended exactly on a full page
                log.warning(
                    "GitHub sent a full page of %s without a next link, and page %d holds more: something between "
                    "here and GitHub drops Link headers (a proxy?); paging on by page number",
                    what,
                    number,
                )
            yield data
            link = parse_link_header(headers.get("link")).get("next")
            number += 1
            probing = link is None and len(data) >= int(first["per_page"])
            if probing:
                log.debug("a full page of %s without a next link: asking for page %d", what, number)
                url, query = path, {**first, "page": number}
            else:
                url, query = link, None  # the next URL carries the query

    def fetch_all(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str, conditional: bool = False
    ) -> list:
        return [item for page in self.fetch_pages(path, params, what=what, conditional=conditional) for item in page]


def cache_key(url: str, query: Mapping[str, Any] | None) -> str:
    """The request's path and sorted query, host left out: the conditional-request cache's key."""
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query) + [(str(k), str(v)) for k, v in (query or {}).items()]
    return parts.path + ("?" + urllib.parse.urlencode(sorted(pairs)) if pairs else "")


def error_message(answer: Answer) -> str | None:
    """GitHub's ``message`` (or GraphQL ``errors``) of an error answer, if its body is JSON."""
    try:
        data = answer.json()
    except MalformedAnswer:
        return None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return "; ".join(str(e.get("message")) for e in errors[:3])
        return str(data.get("message")) if data.get("message") else None
    return None


def _translate(answer: Answer, what: str) -> Exception:
    """Sort an error answer: repo gone (skip it), the token (fatal), or this partition failed."""
    request_id = answer.headers.get("x-github-request-id")
    where = f"{what} (request {request_id})" if request_id else what
    message = error_message(answer)
    if answer.status == 401:
        return MinerError(
            f"GitHub returned 401 for {where}: the configured GitHub token is invalid or expired; "
            "create a new token with read access to the repositories and configure it again"
        )
    if answer.status == 404:
        return RepoNotFound(f"GitHub returned 404 for {where}: it does not exist or the token cannot see it")
    if answer.status == 403:
        return PartitionError(
            f"GitHub returned 403 for {where}: {message or 'forbidden'}; check that the token "
            "has read access to this organization (SSO authorization, repo scope)"
        )
    if 300 <= answer.status < 400:
        return PartitionError(f"GitHub answered {answer.status} without a usable Location for {where}")
    return PartitionError(
        f"GitHub returned {answer.status} for {where}: {message or 'no message'}; "
        "if this persists, check GitHub's status and run the sync again"
    )
