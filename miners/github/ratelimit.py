"""The GitHub miner's one retry and rate-limit policy, driven by response headers.

Every GitHub call of the miner (REST through ``GitHubReader``, GraphQL through
``GraphQLReader``) goes through ``RateLimitPolicy.call``, which returns the ``Answer`` to judge
once no more waiting helps:

- **Reserve.** ``X-RateLimit-Remaining``/``-Reset``/``-Resource`` of every answer are remembered
  per resource (``core``, ``graphql``).  Before a call, if that resource's remaining budget is at
  or below ``reserve``, the policy waits until its reset: the token's owner keeps ``reserve``
  requests for themselves, and no request is sent while the budget is spent.
- **Primary limit hit anyway** (403/429 with remaining 0, or GraphQL's ``RATE_LIMITED`` error in a
  200): wait until the reset, then retry.  A reset further away than ``max_wait_seconds`` raises
  ``RateLimitWaitTooLong`` (a ``SourceStop``: the sync records what is left as not synced).
- **Secondary limits** (403/429 with ``Retry-After``, a 429, or a 403 saying "secondary rate
  limit"), as GitHub's documentation asks: honour ``Retry-After`` (seconds or an HTTP date; more
  than ``max_retry_after_seconds`` is not waited); without it wait at least
  ``secondary_min_wait`` (60 s); when the same request is limited again, wait exponentially
  longer (60, 120, 240 … s); after ``max_secondary_retries`` retries of one request, or
  ``max_secondary_wait_seconds`` spent on secondary limits in all, ``SecondaryRateLimited``
  (a ``SourceStop``).
- **5xx and dropped connections**: exponential backoff (1, 2, 4 … s, capped), at most
  ``max_retries`` times; then the last answer goes back to the reader, which fails the partition
  (a connection that never comes back stops the source).  With ``heavy=True`` (a GraphQL page the
  reader can shrink) a 502/504 or a read timeout raises ``TooHeavy`` at once instead.
- **Malformed answers** (HTML, empty or cut-off bodies, pages without ``pageInfo``): the readers
  call ``malformed``: backoff, at most ``max_malformed_retries`` retries, then ``PartitionError``
  carrying the body for quarantine.

With a credential pool (``miners.github.pool``) the lease hooks in: ``spent`` moves the partition to a
credential with budget left before any wait, ``first_back`` (every credential spent) moves it to the
credential whose budget comes back first and the policy waits for that reset instead of its own, and
``rejected`` (a 401: a token revoked, an App installation gone) drops the credential from the pool and the
request is sent again with another.  ``charges`` is what each credential was charged (``charge``): every
exchange is a request, a REST answer GitHub bills (not a 304, a 401, a rate-limit refusal or a 5xx) a point,
and the GraphQL reader adds each query's cost; ``credential`` names the one sending now.

Waiting uses the injectable ``clock`` (epoch seconds) and ``sleep``: tests pass the sandbox's
virtual clock and never really sleep.  ``events`` counts what happened (for the run summary).
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from miners.base import PartitionError, SourceStop
from miners.github.http import Answer, MalformedAnswer
from miners.http_common import retry_after_seconds

log = logging.getLogger(__name__)

RETRYABLE_STATUS = (500, 502, 503, 504)
HEAVY_STATUS = (502, 504)  # GitHub's answer to a query that ran out of time
CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # a body cut off after its headers
    ConnectionError,
)


class RateLimitWaitTooLong(SourceStop):
    """The budget resets later than the policy is allowed to wait."""


class SecondaryRateLimited(SourceStop):
    """GitHub's secondary rate limit did not lift within the policy's caps."""


class TooHeavy(Exception):
    """A GraphQL query GitHub could not finish (502/504, a timeout, resource limits): ask for less."""

    def __init__(self, reason: str, data: Any = None, errors: Any = None) -> None:
        super().__init__(reason)
        self.reason, self.data, self.errors = reason, data, errors


@dataclass
class RateLimitPolicy:
    """Reserve, waits and retries for one GitHub token, or a pool's (see the module docstring)."""

    reserve: int = 50
    max_retries: int = 6
    max_backoff_seconds: float = 60.0
    max_wait_seconds: float = 3700.0
    secondary_min_wait: float = 60.0
    max_secondary_retries: int = 5
    max_retry_after_seconds: float = 3600.0
    max_secondary_wait_seconds: float = 3 * 3600.0
    max_malformed_retries: int = 3
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    budgets: dict[str, tuple[int, int]] = field(default_factory=dict)  # resource -> (remaining, reset epoch)
    waited_seconds: float = 0.0
    secondary_waited_seconds: float = 0.0
    retries: int = 0
    events: collections.Counter = field(default_factory=collections.Counter)
    # A credential pool's hooks (``miners.github.pool.Lease``, see the module docstring).
    # spent(resource): called before waiting for a spent budget's reset; True when the partition moved to another
    # credential with budget left (then nothing is waited).
    spent: Callable[[str], bool] | None = None
    # first_back(resource, own_reset): every credential spent; the epoch to wait for when the partition moved to
    # the credential whose budget comes back before ``own_reset``, None to wait for the one held.
    first_back: Callable[[str, float], float | None] | None = None
    # rejected(answer): a 401; True when the credential left the pool and the partition moved to another.
    rejected: Callable[[Answer], bool] | None = None
    credential: str = ""  # the credential the next answers are charged to ("" without a pool)
    charges: dict[str, list[int]] = field(default_factory=dict)  # credential -> [requests, budget points]

    def observe(self, headers: Mapping[str, Any] | None, default_resource: str) -> None:
        """Remember the budget an answer reports."""
        lower = {str(k).lower(): v for k, v in (headers or {}).items()}
        remaining, reset = lower.get("x-ratelimit-remaining"), lower.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            self.budgets[str(lower.get("x-ratelimit-resource") or default_resource)] = (
                int(float(remaining)),
                int(float(reset)),
            )
        except ValueError:
            log.debug("unreadable rate-limit headers %r/%r", remaining, reset)

    def charge(self, points: int, *, requests: int = 0) -> None:
        """Count ``requests`` exchanges and ``points`` of budget against the credential sending now."""
        tally = self.charges.setdefault(self.credential, [0, 0])
        tally[0] += requests
        tally[1] += points

    def remaining(self, resource: str) -> int | None:
        known = self.budgets.get(resource)
        return known[0] if known else None

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        if seconds > self.max_wait_seconds:
            raise RateLimitWaitTooLong(
                f"{why}: would wait {seconds:.0f} s, more than the allowed "
                f"{self.max_wait_seconds:.0f} s; run the sync again later"
            )
        log.info("%s: waiting %.0f s", why, seconds)
        self.waited_seconds += seconds
        self.sleep(seconds)

    def before(self, resource: str, what: str) -> None:
        """Wait for the reset if ``resource``'s budget is down to the reserve."""
        known = self.budgets.get(resource)
        if known is None:
            return
        remaining, reset = known
        if remaining <= self.reserve:
            now = self.clock()
            if reset > now and self._switched(resource):
                return
            until: float = reset
            if reset > now and self.first_back is not None:  # every credential spent: the first back
                until = self.first_back(resource, reset) or reset
            if until > now:
                self._wait(
                    until - now + 1, f"GitHub {resource} budget at {remaining} (reserve {self.reserve}) before {what}"
                )
            self.budgets.pop(resource, None)

    def wait_for_reset(self, resource: str, headers: Mapping[str, str], what: str) -> None:
        """A spent primary budget (403/429 with remaining 0, or GraphQL ``RATE_LIMITED``): wait for its reset."""
        self.events["primary_limit"] += 1
        if self._switched(resource):
            return
        reset = headers.get("x-ratelimit-reset")
        try:
            at = float(reset) if reset is not None else None
        except ValueError:
            at = None
        if self.first_back is not None:  # every credential spent: wait for the first back, if not this one
            at = self.first_back(resource, at if at is not None else self.clock() + self.secondary_min_wait) or at
        if at is None:  # no reset announced: GitHub's advice for an unknown wait is at least a minute
            self._wait(self.secondary_min_wait, f"GitHub {resource} budget spent at {what} (no reset announced)")
        else:
            self._wait(at - self.clock() + 1, f"GitHub {resource} budget spent at {what}")
        self.budgets.pop(resource, None)

    def _switched(self, resource: str) -> bool:
        """A pooled credential is spent: True when the pool moved the partition to one with budget left."""
        if self.spent is None or not self.spent(resource):
            return False
        self.events["credential_switch"] += 1
        log.info("GitHub %s budget of this credential spent: going on with another of the pool", resource)
        return True

    def call(self, fn: Callable[[], Answer], *, resource: str, what: str, heavy: bool = False) -> Answer:
        """Run ``fn`` (one HTTP exchange) under the policy; the answer once no more waiting helps."""
        attempt = secondary = primary = 0
        while True:
            self.before(resource, what)
            try:
                answer = fn()
            except CONNECTION_ERRORS as exc:
                if heavy and isinstance(exc, requests.ReadTimeout):
                    raise TooHeavy(f"no answer in time ({type(exc).__name__})") from exc
                if attempt >= self.max_retries:
                    url = getattr(getattr(exc, "request", None), "url", None)
                    where = f" at {url.split('?')[0]}" if url else ""
                    message = (
                        f"cannot reach GitHub{where} while reading {what}: {type(exc).__name__} on "
                        f"{attempt + 1} attempts; check github.base_url in the config and the network"
                    )
                    if isinstance(exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
                        raise PartitionError(message) from exc
                    raise SourceStop(message) from exc
                delay = self._backoff(attempt)
                self.events["connection"] += 1
                log.warning("GitHub connection failed for %s (%s); retrying in %.0f s", what, type(exc).__name__, delay)
            else:
                self.observe(answer.headers, resource)
                status = answer.status
                self.charge(1 if resource == "core" and billed(answer) else 0, requests=1)
                if status == 401 and self.rejected is not None and self.rejected(answer):
                    continue  # the credential left the pool: the same request with the next one
                if status in (403, 429):
                    kind = limit_kind(answer)
                    if kind == "primary":
                        primary += 1
                        if primary > 3:
                            raise RateLimitWaitTooLong(
                                f"GitHub still reports the {resource} budget spent after {primary - 1} resets "
                                f"while reading {what}; run the sync again later"
                            )
                        self.wait_for_reset(resource, answer.headers, what)
                        continue
                    if kind == "secondary":
                        secondary += 1
                        self._secondary(answer, secondary, what)
                        continue
                    return answer
                if status in RETRYABLE_STATUS:
                    if heavy and status in HEAVY_STATUS:
                        self.events["too_heavy"] += 1
                        raise TooHeavy(f"GitHub answered {status}", data=answer)
                    if attempt >= self.max_retries:
                        return answer
                    delay = self._backoff(attempt)
                    self.events[f"status_{status}"] += 1
                    log.warning("GitHub returned %s for %s; retrying in %.0f s", status, what, delay)
                else:
                    return answer
            attempt += 1
            self.retries += 1
            self._wait(delay, f"retry {attempt} of {what}")

    def _secondary(self, answer: Answer, n: int, what: str) -> None:
        """Wait out the n-th secondary limit in a row for one request, or give up (SecondaryRateLimited)."""
        self.events["secondary_limit"] += 1
        asked = retry_after_seconds(answer.headers.get("retry-after"), self.clock())
        if asked is not None and asked > self.max_retry_after_seconds:
            raise SecondaryRateLimited(
                f"GitHub's secondary rate limit asks to wait {asked:.0f} s at {what}, more than the allowed "
                f"{self.max_retry_after_seconds:.0f} s; run the sync again later"
            )
        if n > self.max_secondary_retries:
            raise SecondaryRateLimited(
                f"GitHub's secondary rate limit did not lift at {what} after {n - 1} retries "
                f"({self.secondary_waited_seconds:.0f} s waited); run the sync again later, or with fewer "
                "repositories at a time"
            )
        if asked is None:  # GitHub: wait at least a minute, then exponentially longer
            delay = self.secondary_min_wait * 2 ** (n - 1)
        else:  # as asked the first time; limited again: no less than the exponential schedule
            delay = asked if n == 1 else max(asked, self.secondary_min_wait * 2 ** (n - 2))
        if self.secondary_waited_seconds + delay > self.max_secondary_wait_seconds:
            raise SecondaryRateLimited(
                f"GitHub's secondary rate limits at {what} would take the wait past "
                f"{self.max_secondary_wait_seconds:.0f} s in this run; run the sync again later"
            )
        self.secondary_waited_seconds += delay
        self.retries += 1
        self._wait(delay, f"GitHub secondary rate limit at {what} ({n} in a row)")

    def malformed(self, attempt: int, exc: MalformedAnswer, what: str) -> None:
        """The ``attempt``-th malformed answer (0-based) for one request: back off, or fail the partition."""
        self.events["malformed"] += 1
        if attempt >= self.max_malformed_retries:
            raise PartitionError(
                f"GitHub sent {exc.reason} for {what} {attempt + 1} times; this repository is left for the "
                "next run (nothing after its last complete read is lost)",
                raw=exc.raw,
            )
        delay = self._backoff(attempt)
        log.warning("GitHub sent %s for %s; retrying in %.0f s", exc.reason, what, delay)
        self.retries += 1
        self._wait(delay, f"retry of {what} after a malformed answer")

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff_seconds, 2.0**attempt)


def billed(answer: Answer) -> bool:
    """Whether GitHub charges a REST answer to the budget: not a 304 (a conditional request's hit), a 401, a
    rate-limit refusal or a server error."""
    status = answer.status
    if status in (304, 401) or status >= 500:
        return False
    return not (status in (403, 429) and limit_kind(answer) is not None)


def limit_kind(answer: Answer) -> str | None:
    """How a 403/429 is limited: "primary" (budget spent), "secondary", or None (a plain refusal)."""
    headers = answer.headers
    if headers.get("retry-after") is not None:
        return "secondary"
    if str(headers.get("x-ratelimit-remaining", "")).strip() == "0":
        return "primary"
    if answer.status == 429:
        return "secondary"
    text = answer.text.lower()
    if "secondary rate limit" in text or "abuse" in text:
        return "secondary"
    return None
