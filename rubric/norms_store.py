"""A period's calibration (``rubric.calibration.Calibration``) as JSON, and what it was computed from.

The nightly computes each rubric's norms for the configured period once and stores them in the warehouse
(``period_norms``, migration 0012) with ``norms_fingerprint``; ``ladder report`` reads them back instead
of reading everyone's evidence, but only when the fingerprint it computes now is the stored one.  The
fingerprint covers everything calibration reads or is: the evidence rows (through what they were built
from, ``evidence_inputs``, and how, the evidence stage's version), the roster (person, level, start
date), the rubric, the period, and the code of ``rubric.calibration`` and of this module.

The JSON is read by walking the dataclasses' own type hints (no pickle: a warehouse must never be able
to run code), so a field added to a norms class is stored and read without a change here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from pydantic import BaseModel

from rubric import calibration
from rubric.model import Rubric

NORMS_FORMAT = "1"


def code_version() -> str:
    """A hash of the code that computes and reads norms: stored norms of other code are never used."""
    digest = hashlib.sha256(NORMS_FORMAT.encode())
    for module in ("calibration.py", "norms_store.py"):
        digest.update(resources.files("rubric").joinpath(module).read_bytes())
    return digest.hexdigest()


def norms_fingerprint(
    rubric: Rubric,
    since: dt.date,
    until: dt.date,
    people: Iterable[dict[str, Any]],
    evidence_state: str,
) -> str:
    """What a period's norms depend on, hashed: the rubric, the period, each person's id, level and start
    date, and ``evidence_state`` (the warehouse's digest of how and from what the rubric's evidence rows
    were built, ``Warehouse.evidence_state``)."""
    digest = hashlib.sha256()
    digest.update(code_version().encode())
    digest.update(rubric.model_dump_json().encode())
    digest.update(f"\n{since.isoformat()}..{until.isoformat()}\n{evidence_state}\n".encode())
    for p in sorted(people, key=lambda p: p["person_id"]):
        start = p.get("start_date")
        digest.update(f"{p['person_id']}\t{p.get('level')}\t{start.isoformat() if start else ''}\n".encode())
    return digest.hexdigest()


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_encode(v) for v in value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass's fields with their resolved types, once per class (resolving them is most of the decoding)."""
    hints = typing.get_type_hints(cls, vars(calibration))
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _decode(value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _decode(value, options[0])
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint(**{name: _decode(value[name], field_hint) for name, field_hint in _field_hints(hint)})
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint.model_validate(value)
    args = typing.get_args(hint)
    if origin is dict:
        return {_decode(k, args[0]): _decode(v, args[1]) for k, v in value.items()}
    if origin is frozenset:
        return frozenset(_decode(v, args[0]) for v in value)
    if origin is tuple:
        items = args if len(args) != 2 or args[1] is not Ellipsis else (args[0],) * len(value)
        return tuple(_decode(v, h) for v, h in zip(value, items, strict=True))
    if origin is list:
        return [_decode(v, args[0]) for v in value]
    if hint is float:
        return float(value)
    return value


def dump_calibration(norms: calibration.Calibration) -> str:
    """``norms`` as JSON text, without its ``parents``: those are warehouse facts a reader asks for the threads
    it needs (``Warehouse.query_ticket_parents``).  Everyone's made the stored norms of a 2,000-engineer,
    10M-activity warehouse 14.6 MB, parsed twice for every single report."""
    return json.dumps(_encode(dataclasses.replace(norms, parents={})), sort_keys=True)


def load_calibration(text: str, parents: Mapping[str, str] | None = None) -> calibration.Calibration:
    """The ``Calibration`` ``dump_calibration`` wrote, with ``parents`` (each ticket thread's parent ticket)."""
    decoded = _decode(json.loads(text), calibration.Calibration)
    assert isinstance(decoded, calibration.Calibration)
    return dataclasses.replace(decoded, parents=dict(parents or {}))
