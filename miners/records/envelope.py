"""The envelope every record carries (see ``miners.records`` for the contract), and ``utc``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, overload


@overload
def utc(value: dt.datetime) -> dt.datetime: ...
@overload
def utc(value: None) -> None: ...
@overload
def utc(value: dt.datetime | None) -> dt.datetime | None: ...
def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Record:
    """The envelope every record carries."""

    TABLE: ClassVar[str] = ""

    source: str
    source_id: str
    partition: str
    updated_at: dt.datetime | None
    fetched_at: dt.datetime
    url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def content_hash(self) -> str:
        """Hash of everything except ``fetched_at`` and ``raw``: equal hash, no write."""
        values = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("fetched_at", "raw")
        }
        blob = json.dumps(values, sort_keys=True, default=_json_default)
        return hashlib.sha256(blob.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (tuple, frozenset, set)):
        return list(value)
    raise TypeError(f"cannot hash {type(value).__name__}")
