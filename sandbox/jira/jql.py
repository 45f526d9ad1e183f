"""The small JQL subset the sandbox understands, with a clear error for anything else.

Supported (keywords case-insensitive)::

    project = ML | project in (ML, "SRCH")
    key = ML-1 | key in (ML-1, ML-2)     (also issuekey, id)
    updated >= "2026-10-09 23:55"   (also >, <=, <, =; created likewise;
                                     yyyy-MM-dd[ HH:mm] or yyyy/MM/dd[ HH:mm],
                                     read in the caller's time zone, as Jira does;
                                     or epoch milliseconds: updated > 1759276800000)
    clauses joined by AND / OR (AND binds tighter), grouped with parentheses
    ORDER BY updated ASC, key DESC  (fields: updated, created, key)
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUPPORTED = (
    "project = X, project in (X, Y), key|issuekey|id = X or in (X, Y), "
    'updated|created >=|>|<=|<|= "yyyy-MM-dd HH:mm" or epoch milliseconds, joined by AND/OR with parentheses, '
    "ORDER BY updated|created|key [ASC|DESC]"
)

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|(>=|<=|!=|=|>|<|\(|\)|,)|([^\s=<>!(),"\']+))')
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_KEY_FIELDS = ("key", "issuekey", "id")

Predicate = Callable[[Any], bool]


class JqlError(ValueError):
    """A query outside the supported subset; the message says what and what is supported."""


@dataclass(frozen=True)
class Query:
    """A parsed query: a predicate over issue views, the projects it names, and the order."""

    projects: tuple[str, ...] | None = None  # every project key the query names (for "does not exist")
    where: Predicate | None = None
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)

    def apply(self, views: list) -> list:
        """Filter and sort issue views (``sandbox.jira.payloads.IssueView``)."""
        out = [v for v in views if self.where is None or self.where(v)]
        for name, descending in reversed(self.order or (("key", True),)):
            out.sort(key=_SORT_KEYS[name], reverse=descending)
        return out


def _key_order(view) -> tuple[str, int]:
    project, _, number = view.issue.key.rpartition("-")
    return project, int(number) if number.isdigit() else 0


_VALUES: dict[str, Callable[[Any], dt.datetime]] = {
    "updated": lambda v: v.updated,
    "created": lambda v: v.issue.created,
}
_SORT_KEYS: dict[str, Callable[[Any], Any]] = {**_VALUES, "key": _key_order}


@dataclass
class _Tokens:
    items: list[tuple[str, bool]]  # (text, quoted)
    pos: int = field(default=0)
    projects: list[str] = field(default_factory=list)

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def peek_word(self) -> str | None:
        text = self.peek()
        return None if text is None or self.items[self.pos][1] else text.lower()

    def take(self, what: str) -> str:
        if self.pos >= len(self.items):
            raise JqlError(f"expected {what} but the query ended")
        text = self.items[self.pos][0]
        self.pos += 1
        return text

    def expect(self, word: str) -> None:
        got = self.take(repr(word))
        if got.lower() != word:
            raise JqlError(f"expected {word!r} but found {got!r}")


def _tokenize(jql: str) -> _Tokens:
    items, pos = [], 0
    while pos < len(jql):
        if jql[pos:].strip() == "":
            break
        m = _TOKEN.match(jql, pos)
        if m is None:
            raise JqlError(f"cannot read the query at character {pos}: {jql[pos : pos + 20]!r}")
        dq, sq, op, word = m.groups()
        if dq is not None or sq is not None:
            items.append(((dq if dq is not None else sq).replace('\\"', '"').replace("\\'", "'"), True))
        else:
            items.append((op or word, False))
        pos = m.end()
    return _Tokens(items)


def parse_jql(jql: str, tz: dt.tzinfo) -> Query:
    """Parse the supported subset; dates are read in ``tz`` (the caller's zone)."""
    tokens = _tokenize(jql)
    where = None
    if tokens.peek() is not None and tokens.peek_word() != "order":
        where = _parse_or(tokens, tz)
    order: list[tuple[str, bool]] = []
    if tokens.peek() is not None:
        tokens.expect("order")
        tokens.expect("by")
        while True:
            name = tokens.take("a field to order by").lower()
            if name not in _SORT_KEYS:
                raise JqlError(f"cannot ORDER BY {name!r}; supported: {SUPPORTED}")
            descending = False
            if tokens.peek_word() in ("asc", "desc"):
                descending = tokens.take("ASC or DESC").lower() == "desc"
            order.append((name, descending))
            if tokens.peek() != ",":
                break
            tokens.take(",")
        if tokens.peek() is not None:
            raise JqlError(f"unexpected {tokens.peek()!r} after ORDER BY; supported: {SUPPORTED}")
    projects = tuple(dict.fromkeys(tokens.projects)) or None
    return Query(projects=projects, where=where, order=tuple(order))


def _parse_or(tokens: _Tokens, tz: dt.tzinfo) -> Predicate:
    parts = [_parse_and(tokens, tz)]
    while tokens.peek_word() == "or":
        tokens.take("OR")
        parts.append(_parse_and(tokens, tz))
    return parts[0] if len(parts) == 1 else (lambda v: any(p(v) for p in parts))


def _parse_and(tokens: _Tokens, tz: dt.tzinfo) -> Predicate:
    parts = [_parse_atom(tokens, tz)]
    while tokens.peek() is not None and tokens.peek_word() not in ("or", "order") and tokens.peek() != ")":
        tokens.expect("and")
        parts.append(_parse_atom(tokens, tz))
    return parts[0] if len(parts) == 1 else (lambda v: all(p(v) for p in parts))


def _parse_atom(tokens: _Tokens, tz: dt.tzinfo) -> Predicate:
    if tokens.peek() == "(" and not tokens.items[tokens.pos][1]:
        tokens.take("(")
        inner = _parse_or(tokens, tz)
        tokens.expect(")")
        return inner
    name = tokens.take("a field").lower()
    if name == "project":
        keys = _parse_values(tokens, "project", "a project key")
        tokens.projects.extend(keys)
        return lambda v: v.issue.project in keys
    if name in _KEY_FIELDS:
        refs = set(_parse_values(tokens, name, "an issue key"))
        return lambda v: v.issue.key in refs or v.issue.id in refs
    if name in _VALUES:
        op = tokens.take("an operator")
        if op not in _OPS:
            raise JqlError(f"operator {op!r} is not supported for {name}; supported: {SUPPORTED}")
        when, value, compare = _parse_date(tokens.take("a date"), tz), _VALUES[name], _OPS[op]
        return lambda v: compare(value(v), when)
    raise JqlError(f"field {name!r} is not supported by the sandbox; supported: {SUPPORTED}")


def _parse_values(tokens: _Tokens, name: str, what: str) -> tuple[str, ...]:
    op = tokens.take("'=' or 'in'")
    if op == "=":
        return (tokens.take(what),)
    if op.lower() != "in":
        raise JqlError(f"operator {op!r} is not supported for {name}; supported: {SUPPORTED}")
    tokens.expect("(")
    values = [tokens.take(what)]
    while tokens.peek() == ",":
        tokens.take(",")
        values.append(tokens.take(what))
    tokens.expect(")")
    return tuple(values)


def _parse_date(text: str, tz: dt.tzinfo) -> dt.datetime:
    if text.isdigit():  # milliseconds since the epoch, as Jira accepts (Perceval sends them): zone-free
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.timezone.utc)
    for fmt in _DATE_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=tz).astimezone(dt.timezone.utc)
    raise JqlError(
        f'date value {text!r} is invalid: use "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyy-MM-dd" '
        "or milliseconds since the epoch (1759276800000)"
    )
