"""The GitHub miner's one retry and rate-limit policy, driven by response headers.

Every GitHub call of the miner (REST through ``GitHubReader``, GraphQL through
``GraphQLReader``) goes through ``RateLimitPolicy.call``:

- **Reserve.** ``X-RateLimit-Remaining``/``-Reset``/``-Resource`` of every
  answer are remembered per resource (``core``, ``graphql``).  Before a call,
  if that resource's remaining budget is at or below ``reserve``, the policy
  waits until its reset: the token's owner keeps ``reserve`` requests for
  themselves, and no request is sent while the budget is spent.
- **Primary limit hit anyway** (403/429 with remaining 0): wait until reset,
  then retry.
- **Secondary limit** (403/429 with ``Retry-After``): wait that long, retry.
- **5xx and dropped connections**: exponential backoff (1, 2, 4 … s, capped),
  at most ``max_retries`` times, then the error goes up.

Waiting uses the injectable ``clock`` (epoch seconds) and ``sleep``: tests
pass the sandbox's virtual clock and never really sleep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from github import GithubException

from miners.base import MinerError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUS = (500, 502, 503, 504)


class RateLimitWaitTooLong(Exception):
    """The budget resets later than the policy is allowed to wait."""


@dataclass
class RateLimitPolicy:
    """Reserve, waits and retries for one GitHub token (see the module docstring)."""

    reserve: int = 50
    max_retries: int = 6
    max_backoff_seconds: float = 60.0
    max_wait_seconds: float = 3700.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    budgets: dict[str, tuple[int, int]] = field(default_factory=dict)  # resource -> (remaining, reset epoch)
    waited_seconds: float = 0.0
    retries: int = 0

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
            if reset > now:
                self._wait(
                    reset - now + 1, f"GitHub {resource} budget at {remaining} (reserve {self.reserve}) before {what}"
                )
            self.budgets.pop(resource, None)

    def call(self, fn: Callable[[], tuple[Mapping[str, Any], T]], *, resource: str, what: str) -> tuple[Any, T]:
        """Run ``fn`` (one HTTP exchange returning ``(headers, data)``) under the policy."""
        attempt = 0
        while True:
            self.before(resource, what)
            try:
                headers, data = fn()
            except GithubException as exc:
                self.observe(exc.headers, resource)
                delay = self._delay_for(exc, attempt, what)
                if delay is None:
                    raise
            # ChunkedEncodingError: a body cut off after its headers (a truncated response).
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                ConnectionError,
            ) as exc:
                if attempt >= self.max_retries:
                    url = getattr(getattr(exc, "request", None), "url", None)
                    where = f" at {url.split('?')[0]}" if url else ""
                    raise MinerError(
                        f"cannot reach GitHub{where} while reading {what}: {type(exc).__name__} on "
                        f"{attempt + 1} attempts; check github.base_url in the config and the network"
                    ) from exc
                delay = self._backoff(attempt)
                log.warning("GitHub connection failed for %s (%s); retrying in %.0f s", what, type(exc).__name__, delay)
            else:
                self.observe(headers, resource)
                return headers, data
            attempt += 1
            self.retries += 1
            self._wait(delay, f"retry {attempt} of {what}")

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff_seconds, 2.0**attempt)

    def _delay_for(self, exc: GithubException, attempt: int, what: str) -> float | None:
        """Seconds to wait before retrying ``exc``, or None when it must not be retried."""
        headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status in (403, 429):
            retry_after = headers.get("retry-after")
            if retry_after is not None:  # secondary limit: GitHub says how long
                return float(retry_after)
            if str(headers.get("x-ratelimit-remaining", "")) == "0" and headers.get("x-ratelimit-reset"):
                return float(headers["x-ratelimit-reset"]) - self.clock() + 1
            return None
        if exc.status in RETRYABLE_STATUS and attempt < self.max_retries:
            log.warning("GitHub returned %s for %s; retrying", exc.status, what)
            return self._backoff(attempt)
        return None
