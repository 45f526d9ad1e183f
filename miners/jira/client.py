"""The Jira miner's network edge: one retry policy (429 / 5xx / resets) and the bulk calls.

Every request the miner sends goes through ``JiraReader.call`` so that it is
retried by one policy (Retry-After honoured, in seconds or as an HTTP date, else
exponential backoff), counted, checked (``check`` raises ``MalformedAnswer`` for
an answer of the wrong shape, which is retried like a cut-off body), and its
errors turned into messages that say what to do: a 401 stops the sync
(``MinerError``); 400/403/404/410 and retries used up fail the partition being
read (``PartitionError``, the others still sync); a 429 that keeps coming, or a
``Retry-After`` longer than ``RetryPolicy.max_retry_after_seconds``, stops the
source (``JiraRateLimited``).  The sleep is injectable, so tests drive the
policy with a fake clock and never wait.

Tokens stay on their host: a redirect whose target is not the configured
server's scheme, host and port is refused before it is followed
(``ForeignRedirectRefused``, a response hook on the client's session), whatever
``requests`` would do with the credentials.

Build the ``jira.JIRA`` client with ``max_retries=0``: the client's own
ResilientSession would otherwise retry 429/503 too, with real sleeps, and the
two policies would stack.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jira
import requests
from jira.exceptions import JIRAError

from miners.base import MinerError, PartitionError, SourceStop
from miners.http_common import MalformedAnswer, retry_after_seconds

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
BULKFETCH_MAX = 100  # issue/bulkfetch: ids per call when fields include comments
CHANGELOG_IDS_MAX = 1000  # changelog/bulkfetch: ids per call
CHANGELOG_PAGE = 1000  # changelog/bulkfetch: histories per page


class JiraRateLimited(SourceStop):
    """Jira's rate limit did not lift within the policy's caps (or asks for a longer wait than allowed)."""


class ForeignRedirectRefused(SourceStop):
    """A redirect off the configured Jira server: not followed, no credentials sent."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry 429, 5xx, connection resets and truncated or malformed bodies."""

    max_attempts: int = 6
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 120.0
    max_retry_after_seconds: float = 900.0  # a longer Retry-After stops the source: run the sync later
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: Retry-After when given (seconds or an HTTP
        date), else 2^n backoff; JiraRateLimited when Jira asks for more than ``max_retry_after_seconds``."""
        asked = retry_after_seconds(retry_after, self.clock())
        if asked is not None:
            if asked > self.max_retry_after_seconds:
                raise JiraRateLimited(
                    f"Jira asks to wait {asked:.0f} s (Retry-After), more than the allowed "
                    f"{self.max_retry_after_seconds:.0f} s; run the sync again later"
                )
            return asked
        return min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def guard_redirects(client: jira.JIRA, server: str) -> None:
    """Refuse any redirect off ``server``'s scheme, host and port before ``requests`` follows it."""
    session = getattr(client, "_session", None)
    if session is None or getattr(session, "_ladder_guarded", False):
        return
    home = _origin(server)

    def check(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        location = response.headers.get("location")
        if response.is_redirect and location:
            target = urllib.parse.urljoin(response.url, location)
            if _origin(target) != home:
                parts = urllib.parse.urlsplit(target)
                raise ForeignRedirectRefused(
                    f"Jira at {server} redirected {urllib.parse.urlsplit(response.url).path} to "
                    f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}, another host or port; not "
                    "followed, no credentials sent. Set jira.url to the address Jira answers on"
                )
        return response

    session.hooks.setdefault("response", []).append(check)
    session._ladder_guarded = True


class JiraReader:
    """Send the miner's requests through one retry policy and count them."""

    def __init__(self, client: jira.JIRA, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.server = client.server_url
        self.policy = policy or RetryPolicy()
        self.requests = 0
        self.retries = 0
        guard_redirects(client, self.server)

    def call(self, fn: Callable[[], T], what: str, check: Callable[[T], Any] | None = None) -> T:
        """Run one request ``fn`` (a client call), retrying transient failures; ``what`` names it in errors.

        ``check(answer)`` may raise MalformedAnswer: the answer is retried, then the partition fails.
        """
        attempt = 0
        limited = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                with jira_errors(self.server, what):
                    answer = fn()
                    if check is not None:
                        try:
                            check(answer)
                        except MalformedAnswer as exc:
                            raise _Transient(f"sent {exc.reason}", raw=exc.raw) from exc
                    return answer
            except _Transient as exc:
                limited += exc.limited
                if attempt >= self.policy.max_attempts:
                    if exc.limited and limited >= attempt - 1:
                        raise JiraRateLimited(
                            f"Jira at {self.server} kept answering 429 (rate limited) while reading {what}, "
                            f"{attempt} times; run the sync again later"
                        ) from exc
                    raise PartitionError(
                        f"Jira at {self.server} kept failing while reading {what}: {exc.reason} "
                        f"after {attempt} attempts; nothing after the last committed page is lost: "
                        "run the sync again later",
                        raw=exc.raw,
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

    def post_json(
        self, path: str, body: Mapping[str, Any], what: str, check: Callable[[Any], Any] | None = None
    ) -> Any:
        """POST ``body`` to ``/rest/api/{v}/{path}`` and return the JSON answer (``check``: see ``call``)."""
        return self.call(lambda: self.client._get_json(path, params=dict(body), use_post=True), what, check)

    def bulkfetch(self, ids: list[str], fields: list[str], what: str) -> list[dict[str, Any]]:
        """Issue details for up to 100 ids.  Calls: POST issue/bulkfetch."""
        answer = self.post_json(
            "issue/bulkfetch",
            {"issueIdsOrKeys": ids, "fields": fields, "fieldsByKeys": False},
            what,
            _needs_list("issues"),
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
            answer = self.post_json("changelog/bulkfetch", body, what, _needs_list("issueChangeLogs"))
            for entry in answer.get("issueChangeLogs") or ():
                out.setdefault(str(entry.get("issueId")), []).extend(entry.get("changeHistories") or ())
            token = answer.get("nextPageToken")
            if not token:
                return out


def _needs_list(key: str) -> Callable[[Any], None]:
    """A ``check`` for an answer that must be an object with a list of objects under ``key`` (a null in
    it hides which item is missing, so it is malformed too)."""

    def check(answer: Any) -> None:
        if not isinstance(answer, Mapping) or not isinstance(answer.get(key), list):
            raise MalformedAnswer(f"an answer without a {key} list", repr(answer)[:4000])
        if not all(isinstance(item, Mapping) for item in answer[key]):
            raise MalformedAnswer(f"an answer whose {key} list holds a null or a non-object", repr(answer)[:4000])

    return check


class _Transient(Exception):
    def __init__(self, reason: str, retry_after: str | None = None, *, raw: str | None = None, limited: bool = False):
        super().__init__(reason)
        self.reason, self.retry_after, self.raw, self.limited = reason, retry_after, raw, limited


@contextlib.contextmanager
def jira_errors(server: str, what: str) -> Iterator[None]:
    """Sort the client's errors: transient (retry), or a MinerError saying what to do."""
    try:
        yield
    except JIRAError as exc:
        if exc.status_code in RETRIABLE_STATUSES:
            headers = getattr(exc.response, "headers", None) or {}
            raise _Transient(
                f"answered {exc.status_code}", headers.get("Retry-After"), limited=exc.status_code == 429
            ) from exc
        raise explain_jira_error(exc, server, what) from exc
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise _Transient(f"connection failed ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:  # a truncated body, an HTML page, an empty 200
        raise _Transient("sent an unreadable (truncated, empty or HTML) body", raw=exc.doc[:65536]) from exc


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
        return PartitionError(
            f"Jira returned 403 for {what} at {server}: the token's user may not read it; "
            f"grant 'Browse projects' or use the service account ({detail})"
        )
    if status == 410:
        return PartitionError(
            f"Jira returned 410 Gone for {endpoint} ({what}): Jira Cloud removed this search "
            "API; use /rest/api/3/search/jql (jira>=3.10 enhanced_search_issues, chosen when "
            "serverInfo reports deploymentType 'Cloud'), or check the server URL/flavour"
        )
    if status in (400, 404):
        return PartitionError(
            f"Jira returned {status} for {what} at {endpoint}: {detail or 'no detail'}; "
            "check the project keys in the config"
        )
    return PartitionError(
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
