"""What both miners' network edges share: a malformed answer, and reading ``Retry-After``."""

from __future__ import annotations

import datetime as dt
import email.utils


class MalformedAnswer(Exception):
    """An answer whose body is not what the request returns (HTML, empty, cut off, another shape).

    ``raw`` keeps the body for quarantine; the readers retry it a few times, then the partition fails.
    """

    def __init__(self, reason: str, raw: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


def retry_after_seconds(value: object, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (epoch): delta-seconds or an HTTP date (RFC 9110);
    None when absent or unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now)
