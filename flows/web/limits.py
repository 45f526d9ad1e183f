"""Failed sign-ins, counted per client address and per GitHub account, to slow down guessing.

After ``web.sign_in_failures`` failed sign-ins (a pasted token GitHub refused or that names nobody here,
an OAuth callback with a wrong ``state`` or a code GitHub refused) from one client address — or for one
GitHub account, as ``GET /user`` named it — within ``web.sign_in_window_minutes``, sign-ins from that
address (or as that account) are answered 429 with ``Retry-After`` until the oldest of those failures is
a window old.  A throttled address is refused before anything is sent to GitHub, so nobody can spend the
server's standing with GitHub on bad tokens.  The account's count goes up whether or not the account is
in the roster, and the answer is the same for both, so a 429 says nothing about who exists.

Hand-written (a sliding window of timestamps per key, ~40 lines) rather than a rate-limit library, so
that it runs on the app's injectable clock (``Web.clock``) and the tests patch only that.  In memory: a
restart forgets the counts.  At most ``MAX_KEYS`` keys are kept; past that the stalest are dropped.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000  # addresses and accounts remembered at once (a flood of new addresses cannot grow memory)


class SignInThrottle:
    """``failures`` failed sign-ins per key within ``window``; then a wait (``retry_after``)."""

    def __init__(self, failures: int, window: dt.timedelta, clock: Callable[[], dt.datetime]) -> None:
        self.failures = failures
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        times = self._seen.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._seen.pop(key, None)
        return times

    def retry_after(self, *keys: str) -> int | None:
        """Seconds until every one of ``keys`` may try again (at least 1), or None when none is throttled."""
        now = self.clock()
        waits = []
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.failures:
                    free_at = times[len(times) - self.failures] + self.window
                    waits.append(max(1, math.ceil((free_at - now).total_seconds())))
        return max(waits) if waits else None

    def failed(self, *keys: str) -> None:
        """Count one failed sign-in against each of ``keys``."""
        now = self.clock()
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                times.append(now)
                self._seen.pop(key, None)
                self._seen[key] = times  # most recently failed last: the stalest go first below
            while len(self._seen) > MAX_KEYS:
                self._seen.pop(next(iter(self._seen)))

    def forget(self, key: str) -> None:
        """Clear ``key``'s failures (an account that signed in)."""
        with self._lock:
            self._seen.pop(key, None)
