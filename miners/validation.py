"""How a file a user wrote is reported when it is rejected: one line per problem.

Every YAML file the product reads (``ladder.yaml``, rules files, the rubric) is
parsed by ``miners.yaml_strict`` and validated with pydantic; this is the one
place that turns a ``yaml.YAMLError`` (``yaml_problem``) or a
``ValidationError`` (``validation_problems``) into lines a user can act on.  Each reader chooses how a
location reads (``dotted_path``, ``indexed_path`` or its own, e.g. naming ids)
and may word a message its own way; the rest is shared.  (The sandbox, which
imports nothing of the product, has its twin in ``sandbox.world``.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

Location = tuple[int | str, ...]
_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


def dotted_path(loc: Sequence[int | str]) -> str:
    """``github.orgs.0``; ``(top level)`` for the document itself."""
    return ".".join(str(p) for p in loc) or "(top level)"


def indexed_path(loc: Sequence[int | str]) -> str:
    """``rules[0].keywords``: list positions in brackets."""
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


def message(error: Any) -> str:
    """pydantic's message without the ``Value error, `` / ``Assertion failed, `` a validator's own text gets."""
    return _PREFIX.sub("", error["msg"])


def validation_problems(
    exc: ValidationError,
    *,
    limit: int | None = None,
    where: Callable[[Location], str] = dotted_path,
    what: Callable[[Any], str] = message,
) -> tuple[list[str], int]:
    """``(["where: what", ...], how many more)``: the first ``limit`` problems (all by default)."""
    errors = exc.errors()
    shown = errors if limit is None else errors[:limit]
    return [f"{where(tuple(e['loc']))}: {what(e)}" for e in shown], len(errors) - len(shown)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a YAML error: ``at line L, column C: problem`` (no multi-line excerpt of the file)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if isinstance(exc, yaml.reader.ReaderError):
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        return f"at character {exc.position + 1}: {exc.reason} {char} (special characters are not allowed)"
    where = f"at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"
    return f"{where}: {problem or 'malformed YAML'}"
