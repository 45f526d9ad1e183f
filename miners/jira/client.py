"""The Jira miner's network edge: one retry policy (429 / 5xx / resets) and the bulk calls.

Every request the miner sends goes through ``JiraReader.call`` so that it is
retried by one policy (Retry-After honoured, else exponential backoff), counted,
and its errors turned into messages that say what to do.  The sleep is
injectable, so tests drive the policy with a fake clock and never wait.

Build the ``jira.JIRA`` client with ``max_retries=0``: the client's own
ResilientSession would otherwise retry 429/503 too, with real sleeps, and the
two policies would stack.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jira
import requests
from jira.exceptions import JIRAError

from miners.base import MinerError

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
BULKFETCH_MAX = 100  # issue/bulkfetch: ids per call when fields include comments
CHANGELOG_IDS_MAX = 1000  # changelog/bulkfetch: ids per call
CHANGELOG_PAGE = 1000  # changelog/bulkfetch: histories per page


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry 429, 5xx, connection resets and truncated bodies."""

    max_attempts: int = 6
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: Retry-After when given, else 2^n backoff."""
        if retry_after:
            try:
                return min(self.max_delay_seconds, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to backoff
        return min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))


class JiraReader:
    """Send the miner's requests through one retry policy and count them."""

    def __init__(self, client: jira.JIRA, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.server = client.server_url
        self.policy = policy or RetryPolicy()
        self.requests = 0
        self.retries = 0

    def call(self, fn: Callable[[], T], what: str) -> T:
        """Run one request ``fn`` (a client call), retrying transient failures; ``what`` names it in errors."""
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                with jira_errors(self.server, what):
                    return fn()
            except _Transient as exc:
                if attempt >= self.policy.max_attempts:
                    raise MinerError(
                        f"Jira at {self.server} kept failing while reading {what}: {exc.reason} "
                        f"after {attempt} attempts; nothing after the last committed page is lost: "
                        "run the sync again later"
                    ) from exc
                wait = self.policy.delay(attempt, exc.retry_after)
                self.retries += 1
                log.warning(
                    "Jira %s while reading %s; retry %d/%d in %.1f s",
                    exc.reason,
                    what,
                    attempt,
                    self.policy.max_attempts - 1,
                    wait,
                )
                self.policy.sleep(wait)

    def post_json(self, path: str, body: Mapping[str, Any], what: str) -> Any:
        """POST ``body`` to ``/rest/api/{v}/{path}`` and return the JSON answer."""
        return self.call(lambda: self.client._get_json(path, params=dict(body), use_post=True), what)

    def bulkfetch(self, ids: list[str], fields: list[str], what: str) -> list[dict[str, Any]]:
        """Issue details for up to 100 ids.  Calls: POST issue/bulkfetch."""
        answer = self.post_json(
            "issue/bulkfetch", {"issueIdsOrKeys": ids, "fields": fields, "fieldsByKeys": False}, what
        )
        for error in answer.get("issueErrors") or ():
            log.warning(
                "Jira could not return %s in a bulk fetch (%s): %s", error.get("id"), what, error.get("errorMessage")
            )
        return list(answer.get("issues") or [])

    def changelogs(self, ids: list[str], what: str) -> dict[str, list[dict[str, Any]]]:
        """Every changelog history of up to 1000 issues, by issue id.  Calls: POST changelog/bulkfetch (paged)."""
        out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        token = None
        while True:
            body: dict[str, Any] = {"issueIdsOrKeys": ids, "maxResults": CHANGELOG_PAGE}
            if token:
                body["nextPageToken"] = token
            answer = self.post_json("changelog/bulkfetch", body, what)
            for entry in answer.get("issueChangeLogs") or ():
                out.setdefault(str(entry.get("issueId")), []).extend(entry.get("changeHistories") or ())
            token = answer.get("nextPageToken")
            if not token:
                return out


class _Transient(Exception):
    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@contextlib.contextmanager
def jira_errors(server: str, what: str) -> Iterator[None]:
    """Sort the client's errors: transient (retry), or a MinerError saying what to do."""
    try:
        yield
    except JIRAError as exc:
        if exc.status_code in RETRIABLE_STATUSES:
            headers = getattr(exc.response, "headers", None) or {}
            raise _Transient(f"answered {exc.status_code}", headers.get("Retry-After")) from exc
        raise explain_jira_error(exc, server, what) from exc
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise _Transient(f"connection failed ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:  # a truncated body
        raise _Transient("sent an unreadable (truncated?) body") from exc


def explain_jira_error(exc: JIRAError, server: str, what: str) -> Exception:
    """A MinerError for 400/401/403/404/410 and other non-transient statuses."""
    status = exc.status_code
    endpoint = (exc.url or server).split("?")[0]
    detail = (exc.text or "").strip()
    if status == 401:
        return MinerError(
            f"Jira returned 401 for {what} at {server}: the token is invalid or expired "
            "(Cloud: e-mail + API token as basic auth; Data Center: a personal access token)"
        )
    if status == 403:
        return MinerError(
            f"Jira returned 403 for {what} at {server}: the token's user may not read it; "
            f"grant 'Browse projects' or use the service account ({detail})"
        )
    if status == 410:
        return MinerError(
            f"Jira returned 410 Gone for {endpoint} ({what}): Jira Cloud removed this search "
            "API; use /rest/api/3/search/jql (jira>=3.10 enhanced_search_issues, chosen when "
            "serverInfo reports deploymentType 'Cloud'), or check the server URL/flavour"
        )
    if status in (400, 404):
        return MinerError(
            f"Jira returned {status} for {what} at {endpoint}: {detail or 'no detail'}; "
            "check the project keys in the config"
        )
    return MinerError(
        f"Jira returned {status} for {what} at {endpoint}: {detail or 'no detail'}; "
        "if this persists, check the Jira server's status and run the sync again"
    )


def connect_jira(server: str, **client_options: Any) -> jira.JIRA:
    """A ``jira.JIRA`` client for ``server``; its first call (serverInfo) failing becomes a clear MinerError.

    Calls: GET serverInfo
    """
    try:
        return jira.JIRA(server=server, **client_options)
    except JIRAError as exc:
        raise explain_jira_error(exc, server, "serverInfo") from None
    except requests.RequestException as exc:
        raise MinerError(
            f"cannot reach Jira at {server} ({type(exc).__name__}); check jira.url in the config and the network"
        ) from None
