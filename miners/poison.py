"""Poison records: an item that fails to parse is quarantined (stored raw with its error) and the partition goes on.

``PARSE_ERRORS`` are what a parser raises on a payload of the wrong shape (a bad date such as
``2026-02-30``, a null node, a missing key, a string where an object belongs).
``ensure_encodable`` catches text the warehouse cannot store (a lone UTF-16 surrogate such as
``"\\ud800"``, which JSON allows and UTF-8 does not) before it reaches a load and aborts it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from miners.base import Quarantined
from miners.records import Record

RAW_LIMIT = 64 * 1024  # characters of a quarantined payload kept
PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    UnicodeError,
)


def raw_text(payload: Any, limit: int = RAW_LIMIT) -> str:
    """``payload`` as JSON text (non-ASCII and surrogates escaped, so it always stores), cut to ``limit``."""
    if isinstance(payload, str):
        text = payload.encode("utf-8", "backslashreplace").decode("utf-8")
    else:
        try:
            text = json.dumps(payload, ensure_ascii=True, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(payload)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def quarantine(item: str, error: BaseException | str, payload: Any, kind: str = "record") -> Quarantined:
    """The quarantine entry for ``item``: its error in one line and its payload as text."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return Quarantined(
        item=_safe(item), error=_safe(" ".join(message.split())[:2000]), raw=raw_text(payload), kind=kind
    )


def _safe(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode written as an escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _strings(value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield "", value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            for _, s in _strings(v):
                yield str(k), s


def ensure_encodable(records: Iterable[Record]) -> None:
    """Raise ValueError naming the field when a record holds text UTF-8 cannot encode (a lone surrogate)."""
    for record in records:
        for f in dataclasses.fields(record):
            for key, text in _strings(getattr(record, f.name)):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    where = f"{f.name}.{key}" if key else f.name
                    raise ValueError(
                        f"{type(record).__name__} {record.source_id}: {where} holds invalid Unicode "
                        "(a lone surrogate); the payload cannot be stored as text"
                    ) from None
