"""Fault injection for the sandbox: an ASGI middleware driven by a YAML profile.

A profile (``sandbox/faults/<name>.yaml`` or any YAML file; format in
docs/sandbox.md, "Faults") lists rules.  Each rule watches the API requests it
matches (GitHub ``/api/...`` and/or Jira ``/jira/...``; ``/_sandbox/*`` is
never touched) and *fires* on the n-th matching request when n is listed in
``at``, when n is a share listed in ``at_share`` of the world's request floor
(``requests_floor``: so the shipped profiles bite on worlds of any size), or
when a hash of (seed, rule, n) falls under ``rate``; once fired it keeps
firing for ``burst`` matching requests in a row.  The first rule that
fires answers the request:

- ``error``: 500 / 502 / 503 (picked by the same hash), JSON or an HTML proxy page; or a plain 403
  (``statuses: [403]``: forbidden, no rate-limit headers);
- ``secondary_limit``: 403 or 429 with ``Retry-After`` (GitHub's secondary limit);
- ``budget_exhaustion``: GitHub's primary limit answer (403, ``X-RateLimit-Remaining: 0``,
  reset at the end of the virtual clock's hour); Jira: 429 with ``Retry-After``;
- ``reset``: the TCP connection is reset without any response;
- ``truncate``: the real response's headers, then part of its body, then the connection closes;
- ``slow``: a real (small) delay, then the real response;
- ``malformed``: the real response, rewritten into one of the shapes a proxy or a bad deploy sends
  (``mode``): ``no_page_info`` (``pageInfo``, ``nextPageToken`` and the ``Link`` header removed),
  ``null_nodes`` (every ``nodes`` / ``issues`` list, or a top-level list, becomes null), ``html``
  (an HTML page with status 200), ``empty`` (a 200 with no body), ``wrong_schema`` (a JSON body of
  another shape), ``truncated_json`` (half the body, as a complete response), ``short_changelog``
  (every embedded Jira changelog keeps its first 2 histories, ``total`` unchanged: a Jira that embeds
  less of a changelog than it has, which a client must page or re-read);
- ``poison``: the real response with one item broken (``mode``): ``bad_date`` (the first creation or
  submission time becomes 2026-02-30), ``lone_surrogate`` (the first title, body or summary starts
  with an unpaired UTF-16 surrogate, ``\ud800``), ``null_node`` (the first item of the first list of
  objects becomes null);
- ``foreign_link``: the real response with every URL of its ``Link`` header moved to ``target``
  (scheme, host and port of another server, e.g. a trap that records credentials);
- ``redirect``: a redirect (``status`` 301/302/307/308) to the same path on ``target``.

Decisions depend only on the seed and the order of matching requests, so a
sequential client sees the same faults on every run.  Every injected fault is
metered: ``faults.injected.<kind>`` and, under the API it hit, endpoint
``(fault)`` with the status sent (``reset`` for a reset).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import fnmatch
import hashlib
import json
import re
import socket
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.world import validation_problems

if TYPE_CHECKING:
    from starlette.datastructures import State

PROFILE_DIR = Path(__file__).with_name("faults")
GITHUB_PREFIX = "/api/"
JIRA_PREFIX = "/jira/"
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_ALL_APIS: tuple[Literal["github", "jira"], ...] = ("github", "jira")
_ALL_ERROR_STATUSES: tuple[Literal[403, 500, 502, 503], ...] = (500, 502, 503)  # 403 only when named


class FaultProfileError(Exception):
    """A fault profile that cannot be read; the message names the file, the key and the fix."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: float = Field(0.0, ge=0.0, le=1.0)  # chance that a matching request starts a burst
    at: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)  # matching-request numbers that fire
    # Shares of the world's request floor (``requests_floor``): fire at that point of any full sync, whatever the size.
    at_share: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(default_factory=list)
    burst: int = Field(1, ge=1)  # consecutive matching requests answered once fired
    apis: list[Literal["github", "jira"]] = Field(default_factory=lambda: list(_ALL_APIS))
    paths: list[str] = Field(default_factory=list)  # fnmatch globs on the URL path; empty: all
    methods: list[str] = Field(default_factory=list)  # e.g. [GET]; empty: all


class ErrorRule(_Rule):
    kind: Literal["error"]
    statuses: list[Literal[403, 500, 502, 503]] = Field(default_factory=lambda: list(_ALL_ERROR_STATUSES))


class SecondaryLimitRule(_Rule):
    kind: Literal["secondary_limit"]
    status: Literal[403, 429] | None = None  # default: 403 on GitHub, 429 on Jira
    retry_after_seconds: int | None = Field(60, ge=0)  # None: no Retry-After header (GitHub sends both kinds)
    retry_after_format: Literal["seconds", "http_date"] = "seconds"  # http_date: an RFC 9110 date on the clock


class BudgetExhaustionRule(_Rule):
    kind: Literal["budget_exhaustion"]
    limit: int = Field(5000, ge=1)  # the X-RateLimit-Limit to report
    retry_after_seconds: int = Field(60, ge=0)  # Jira's Retry-After
    reset_after_seconds: int | None = Field(None, ge=0)  # GitHub's reset from the clock; None: the hour's end


class ResetRule(_Rule):
    kind: Literal["reset"]


class TruncateRule(_Rule):
    kind: Literal["truncate"]
    keep_fraction: float = Field(0.5, ge=0.0, lt=1.0)  # share of the body sent before the close


class SlowRule(_Rule):
    kind: Literal["slow"]
    delay_ms: int = Field(50, ge=0, le=5000)


class MalformedRule(_Rule):
    kind: Literal["malformed"]
    mode: Literal["no_page_info", "null_nodes", "html", "empty", "wrong_schema", "truncated_json", "short_changelog"]


class PoisonRule(_Rule):
    kind: Literal["poison"]
    mode: Literal["bad_date", "lone_surrogate", "null_node"]


class ForeignLinkRule(_Rule):
    kind: Literal["foreign_link"]
    target: str = Field(pattern=r"^https?://[^/]+$")  # scheme://host:port, no path


class RedirectRule(_Rule):
    kind: Literal["redirect"]
    target: str = Field(pattern=r"^https?://[^/]+$")
    status: Literal[301, 302, 307, 308] = 302


Rule = Annotated[
    ErrorRule
    | SecondaryLimitRule
    | BudgetExhaustionRule
    | ResetRule
    | TruncateRule
    | SlowRule
    | MalformedRule
    | PoisonRule
    | ForeignLinkRule
    | RedirectRule,
    Field(discriminator="kind"),
]


class FaultProfile(BaseModel):
    """A named list of fault rules with the seed that makes their decisions reproducible."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    seed: int = 0
    description: str = ""
    rules: list[Rule] = Field(default_factory=list)


def load_profile(name_or_path: str | Path) -> FaultProfile:
    """Read a profile by name (``flaky`` → sandbox/faults/flaky.yaml) or by path; FaultProfileError if bad."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.yaml")))
        raise FaultProfileError(
            f"no fault profile {str(name_or_path)!r}: give a YAML file path or one of the shipped profiles ({shipped})"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FaultProfileError(f"cannot read fault profile {path}: {exc}") from None
    try:
        return FaultProfile.model_validate(data)
    except ValidationError as exc:
        problems, _ = validation_problems(exc)
        raise FaultProfileError(
            f"{path}: invalid fault profile: " + "; ".join(problems) + " (format: docs/sandbox.md, section Faults)"
        ) from None


def requests_floor(world: Any, apis: list[str]) -> int:
    """At least how many requests of ``apis`` a full read of ``world`` makes, whatever the client.

    GitHub: one request listing the org's repositories, plus one per non-archived repository with pull
    requests (each must be read at least once).  Jira: one search, plus one to fetch the issues it found
    (when there are any).  Real syncs make several times more (the tiny world: 10 GitHub and 5 Jira
    requests for a floor of 3 and 2), so a rule at a share of the floor fires on every full sync.
    """
    total = 0
    if "github" in apis:
        live = {r.full_name for r in world.repos if not r.archived}
        total += 1 + len(live & {pr.repo for pr in world.pull_requests})
    if "jira" in apis:
        total += 1 + (1 if world.jira_issues else 0)
    return total


def _unit(seed: int, rule_index: int, n: int, salt: str = "") -> float:
    """A deterministic number in [0, 1) for the n-th matching request of a rule."""
    digest = hashlib.blake2b(f"{seed}:{rule_index}:{n}:{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class _RuleState:
    def __init__(self) -> None:
        self.seen = 0
        self.burst_left = 0


class FaultInjector:
    """ASGI middleware: answers some API requests with faults per a FaultProfile (see module docstring)."""

    state: State  # the wrapped app's ``state``, set by ``sandbox.server.build_app`` (same surface as the bare app)

    def __init__(self, app: Any, profile: FaultProfile, state: Any) -> None:
        self.app = app
        self.profile = profile
        self.sandbox = state  # SandboxState: meter and virtual clock
        self._rules = [(i, r, _RuleState()) for i, r in enumerate(profile.rules)]
        self._at = self._firing_numbers(profile)
        self._lock = threading.Lock()
        self.enabled = True

    def _firing_numbers(self, profile: FaultProfile) -> dict[int, set[int]]:
        """Per rule, the matching-request numbers that fire: ``at``, and ``at_share`` of the world's floor."""
        world = getattr(self.sandbox, "world", None)
        return {
            i: set(r.at)
            | {max(1, int(share * requests_floor(world, list(r.apis)))) for share in r.at_share if world is not None}
            for i, r in enumerate(profile.rules)
        }

    def use(self, profile: FaultProfile) -> None:
        """Replace the profile (rule counters start again from zero), e.g. between tests on one server."""
        with self._lock:
            self.profile = profile
            self._rules = [(i, r, _RuleState()) for i, r in enumerate(profile.rules)]
            self._at = self._firing_numbers(profile)

    def decide(self, api: str, method: str, path: str) -> tuple[int, Any, int] | None:
        """(rule index, rule, n) of the rule that fires for this request, or None; advances the counters."""
        fired = None
        with self._lock:
            for index, rule, st in self._rules:
                if api not in rule.apis or (rule.methods and method not in rule.methods):
                    continue
                if rule.paths and not any(fnmatch.fnmatchcase(path, p) for p in rule.paths):
                    continue
                st.seen += 1
                n = st.seen
                if st.burst_left > 0:
                    st.burst_left -= 1
                    hit = True
                else:
                    hit = n in self._at[index] or (rule.rate > 0 and _unit(self.profile.seed, index, n) < rule.rate)
                    if hit:
                        st.burst_left = rule.burst - 1
                if hit and fired is None:
                    fired = (index, rule, n)
        return fired

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.enabled:
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        api = "github" if path.startswith(GITHUB_PREFIX) else "jira" if path.startswith(JIRA_PREFIX) else None
        if api is None:  # /_sandbox/* and anything else outside the two APIs
            return await self.app(scope, receive, send)
        fired = self.decide(api, scope.get("method", "GET"), path)
        if fired is None:
            return await self.app(scope, receive, send)
        index, rule, n = fired
        self.sandbox.bump(f"faults.injected.{rule.kind}")
        if rule.kind == "slow":
            await asyncio.sleep(rule.delay_ms / 1000)
            return await self.app(scope, receive, send)
        if rule.kind == "reset":
            self.sandbox.count(api, "(fault)", "reset", counted=False)
            return await _reset_connection(send)
        if rule.kind == "truncate":
            return await self._truncate(rule, api, scope, receive, send)
        if rule.kind in ("malformed", "poison", "foreign_link"):
            return await self._rewrite(rule, api, scope, receive, send)
        if rule.kind == "redirect":
            query = scope.get("query_string", b"").decode("latin-1")
            location = rule.target + path + (f"?{query}" if query else "")
            self.sandbox.count(api, "(fault)", rule.status, counted=False)
            await send(
                {
                    "type": "http.response.start",
                    "status": rule.status,
                    "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return None
        status, headers, body = self._answer(index, rule, api, n)
        self.sandbox.count(api, "(fault)", status, counted=False)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _answer(self, index: int, rule: Any, api: str, n: int) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of an error-like fault."""
        as_json = {"content-type": "application/json; charset=utf-8"}
        if rule.kind == "error":
            status = rule.statuses[int(_unit(self.profile.seed, index, n, "status") * len(rule.statuses))]
            if status == 502:  # what a proxy in front of either service sends
                page = b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
                return status, {"content-type": "text/html"}, page
            text = {403: "Forbidden", 500: "Server Error", 503: "Service Unavailable"}[status]
            if api == "github":
                return status, as_json, _json({"message": text, "documentation_url": PRIMARY_DOCS})
            return status, as_json, _json({"errorMessages": [text], "errors": {}})
        retry_after = str(rule.retry_after_seconds)
        if rule.kind == "secondary_limit":
            status = rule.status or (403 if api == "github" else 429)
            wait: dict[str, str] = {}
            if rule.retry_after_seconds is not None:
                wait = {"retry-after": str(rule.retry_after_seconds)}
                if rule.retry_after_format == "http_date":
                    at = self.sandbox.now + dt.timedelta(seconds=rule.retry_after_seconds)
                    wait = {"retry-after": email.utils.format_datetime(at, usegmt=True)}
            if api == "github":
                body = {
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again.",
                    "documentation_url": SECONDARY_DOCS,
                }
                return status, as_json | wait, _json(body)
            return status, as_json | wait, _json({"errorMessages": ["Rate limit exceeded."], "errors": {}})
        # budget_exhaustion
        if api == "jira":
            return (
                429,
                as_json | {"retry-after": retry_after, "x-ratelimit-remaining": "0"},
                _json({"errorMessages": ["Rate limit exceeded."], "errors": {}}),
            )
        now = int(self.sandbox.now.timestamp())
        reset = now // 3600 * 3600 + 3600 if rule.reset_after_seconds is None else now + rule.reset_after_seconds
        headers = as_json | {
            "x-ratelimit-limit": str(rule.limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(rule.limit),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        body = {
            "message": "API rate limit exceeded for this token. (But here's the good news: Authenticated "
            "requests get a higher rate limit.)",
            "documentation_url": PRIMARY_DOCS,
        }
        return 403, headers, _json(body)

    async def _truncate(self, rule: TruncateRule, api: str, scope: dict, receive: Any, send: Any) -> None:
        """Run the app, send its headers (with the full Content-Length) and part of its body, then close."""
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = start["status"] if start else 500
        self.sandbox.count(api, "(fault)", f"truncated-{status}", counted=False)
        headers = [(k, v) for k, v in (start or {}).get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        keep = int(len(body) * rule.keep_fraction)
        await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
        await _reset_connection(send)

    async def _rewrite(self, rule: Any, api: str, scope: dict, receive: Any, send: Any) -> None:
        """Run the app, then send its answer rewritten by ``rule`` (malformed, poison, foreign_link)."""
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status = start["status"] if start else 500
        headers = [(k, v) for k, v in (start or {}).get("headers", []) if k.lower() != b"content-length"]
        body = b"".join(chunks)
        if rule.kind == "foreign_link":
            headers = [(k, _move_links(v, rule.target) if k.lower() == b"link" else v) for k, v in headers]
        elif rule.kind == "malformed" and rule.mode in ("html", "empty"):
            status = 200
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"link")]
            if rule.mode == "html":
                headers.append((b"content-type", b"text/html; charset=utf-8"))
                body = b"<!DOCTYPE html><html><head><title>Service</title></head><body>Please wait.</body></html>"
            else:
                body = b""
        elif rule.kind == "malformed" and rule.mode == "truncated_json":
            body = body[: len(body) // 2]
        else:
            if rule.kind == "malformed" and rule.mode == "no_page_info":
                headers = [(k, v) for k, v in headers if k.lower() != b"link"]
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                payload = None
            if payload is not None:
                body = json.dumps(_RESHAPE[rule.mode](payload)).encode()
        self.sandbox.count(api, "(fault)", f"{rule.kind}-{getattr(rule, 'mode', 'link')}-{status}", counted=False)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _move_links(value: bytes, target: str) -> bytes:
    """Every ``<url>`` of a Link header moved to ``target`` (scheme://host:port), path and query kept."""
    return re.sub(rb"<https?://[^/>]+", b"<" + target.encode(), value)


_PAGE_KEYS = frozenset({"pageInfo", "nextPageToken"})
_LIST_KEYS = frozenset({"nodes", "issues", "comments", "values", "issueChangeLogs"})
_DATE_KEYS = ("createdAt", "created_at", "created", "submittedAt")
_TEXT_KEYS = ("title", "body", "summary")


def _no_page_info(payload: Any) -> Any:
    """Every ``pageInfo`` / ``nextPageToken`` removed, at any depth."""
    if isinstance(payload, dict):
        return {k: _no_page_info(v) for k, v in payload.items() if k not in _PAGE_KEYS}
    if isinstance(payload, list):
        return [_no_page_info(v) for v in payload]
    return payload


def _null_nodes(payload: Any) -> Any:
    """Every list under a ``nodes``-like key (or a top-level list) replaced by null."""
    if isinstance(payload, list):
        return None
    if isinstance(payload, dict):
        return {
            k: None if k in _LIST_KEYS and isinstance(v, list) else _null_nodes_inner(v) for k, v in payload.items()
        }
    return payload


def _null_nodes_inner(payload: Any) -> Any:
    if isinstance(payload, list):
        return [_null_nodes_inner(v) for v in payload]
    return _null_nodes(payload) if isinstance(payload, dict) else payload


def _short_changelog(payload: Any) -> Any:
    """Every embedded ``changelog`` ({histories, total, ...}) cut to its first 2 histories, ``total`` kept."""
    if isinstance(payload, list):
        return [_short_changelog(v) for v in payload]
    if not isinstance(payload, dict):
        return payload
    out = {k: _short_changelog(v) for k, v in payload.items()}
    log = payload.get("changelog")
    if isinstance(log, dict) and isinstance(log.get("histories"), list):
        out["changelog"] = log | {"histories": log["histories"][:2], "maxResults": 2}
    return out


def _wrong_schema(payload: Any) -> Any:
    if isinstance(payload, list):
        return {"items": payload, "total_count": len(payload)}
    return {
        "result": "ok",
        "payload": {"kind": "unexpected", "keys": sorted(payload) if isinstance(payload, dict) else []},
    }


def _first(payload: Any, keys: tuple[str, ...], new: Any) -> Any:
    """``payload`` with the first value (depth first) under one of ``keys`` replaced by ``new(old)``."""
    done = False

    def visit(value: Any) -> Any:
        nonlocal done
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not done and k in keys and isinstance(v, str):
                    out[k], done = new(v), True
                else:
                    out[k] = visit(v)
            return out
        if isinstance(value, list):
            return [visit(v) for v in value]
        return value

    return visit(payload)


def _null_node(payload: Any) -> Any:
    """The first item of the first list of objects (depth first) set to null."""
    done = False

    def visit(value: Any) -> Any:
        nonlocal done
        if isinstance(value, list):
            if not done and value and all(isinstance(v, dict) for v in value):
                done = True
                return [None, *value[1:]]
            return [visit(v) for v in value]
        if isinstance(value, dict):
            return {k: visit(v) for k, v in value.items()}
        return value

    return visit(payload)


def _bad_date(old: str) -> str:
    return "2026-02-30T10:00:00.000+0000" if "+" in old[10:] or old.endswith("00") else "2026-02-30T10:00:00Z"


_RESHAPE = {
    "no_page_info": _no_page_info,
    "null_nodes": _null_nodes,
    "wrong_schema": _wrong_schema,
    "short_changelog": _short_changelog,
    "bad_date": lambda p: _first(p, _DATE_KEYS, _bad_date),
    "lone_surrogate": lambda p: _first(p, _TEXT_KEYS, lambda old: "\ud800" + old),
    "null_node": _null_node,
}


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


async def _reset_connection(send: Any) -> None:
    """Close the client's connection at once (TCP RST), without a response.

    uvicorn hands the app the bound ``send`` of its request cycle, which holds
    the transport; without one (another server) we fall back to an exception,
    which makes uvicorn drop the connection.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("sandbox fault: connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    if cycle is not None and hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # uvicorn then sends nothing more for this cycle
