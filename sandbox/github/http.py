"""HTTP plumbing of the sandbox's GitHub REST side: auth, metering, budget, ETags, pagination.

``endpoint()`` wraps a handler ``(Ctx) -> payload | Paged`` with everything
GitHub does around a response: token check (``token X`` / ``Bearer X``, else
401), a budget per hour of the virtual clock per account or App installation (``Caller.budget``) (``X-RateLimit-*``
headers, 403 when spent), secondary limits (``GitHubSide.secondary``: points per
virtual minute and concurrent requests per token, 403 with ``Retry-After``),
``ETag`` on every 200 and 304 for a matching ``If-None-Match`` (not charged),
``page``/``per_page`` slicing with an RFC 8288 ``Link`` header of absolute URLs,
and ``state.count(...)`` for every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.github import payloads as gp
from sandbox.state import Caller, SandboxState
from sandbox.world import PullRequest, World

DOCS_URL = "https://docs.github.com/rest"
SECONDARY_DOCS = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out "
    "to GitHub Support for help, please include the request ID {request_id}."
)
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


class ApiError(Exception):
    """An error answer: status code and GitHub's JSON ``message``."""

    def __init__(self, status: int, message: str, *, counted: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.counted = counted


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


@dataclass
class GitHubSide:
    """Per-server GitHub state beyond ``SandboxState``: the rate-limit budget and indexes."""

    state: SandboxState
    rate_limit: int = 5000
    used: dict[tuple[str, int], int] = field(default_factory=dict)
    graphql_limit: int = 5000  # GraphQL points per token per hour (a budget of its own, as on GitHub)
    graphql_used: dict[tuple[str, int], int] = field(default_factory=dict)
    # Budget name -> seconds past the hour its hourly window starts (GitHub's windows start with a credential's
    # first request, so a pool's budgets come back at different times); default: on the hour.
    window_offsets: dict[str, int] = field(default_factory=dict)
    # GraphQL compute model (sandbox.github.graphql_limits): partial data over resource_ms, 502 over timeout_ms
    graphql_resource_ms: float = 7_000.0
    graphql_timeout_ms: float = 10_000.0
    graphql_timeout_penalty: int = 5  # points charged on top of the cost of a query that timed out
    graphql_weights: dict[str, float] = field(
        default_factory=lambda: {"pullRequests": 15.0, "files": 10.0, "timelineItems": 5.0}
    )
    # Secondary limits (GitHub's documented defaults): points per minute of the virtual clock per token
    # (a REST GET and a GraphQL query cost 1 point each), concurrent requests per token.  None: off.
    secondary_rest_per_minute: int | None = 900
    secondary_graphql_per_minute: int | None = 2000
    secondary_max_concurrent: int | None = 100
    secondary_retry_after: bool = True  # False: answer without Retry-After (GitHub does both)
    secondary_used: dict[tuple[str, str, int], int] = field(default_factory=dict)
    # Seconds of real time to add to the virtual clock for the secondary limits' minutes (None: none).  The virtual
    # clock stands still unless moved, so a long sync would otherwise spend one minute's allowance forever;
    # ``ladder sandbox serve --real-time-limits`` sets it for benches that run longer than a minute's allowance.
    secondary_real_seconds: Callable[[], float] | None = None
    in_flight: dict[str, int] = field(default_factory=dict)
    _request_ids: Any = field(default_factory=lambda: itertools.count(1))
    _index_key: tuple[int, int] | None = None
    _pulls_by_repo: dict[str, list[PullRequest]] = field(default_factory=dict)

    def window(self, budget: str = "") -> tuple[int, int]:
        """The current window of budget ``budget`` (a ``Caller.budget`` name) as (start, reset) epoch seconds of the
        virtual clock: an hour starting on the hour, or ``window_offsets[budget]`` seconds past it."""
        offset = self.window_offsets.get(budget, 0) % 3600
        start = (int(self.state.now.timestamp()) - offset) // 3600 * 3600 + offset
        return start, start + 3600

    def pulls(self, repo: str) -> list[PullRequest]:
        """All PRs of ``repo`` in the world (visible or not), by number."""
        world = self.state.world
        key = (id(world), len(world.pull_requests))
        if key != self._index_key:
            index: dict[str, list[PullRequest]] = {}
            for pr in world.pull_requests:
                index.setdefault(pr.repo, []).append(pr)
            for prs in index.values():
                prs.sort(key=lambda p: p.number)
            self._pulls_by_repo, self._index_key = index, key
        return self._pulls_by_repo.get(repo, [])

    def secondary(self, token: str, api: str, request_id: str) -> tuple[dict[str, str], dict[str, Any]] | None:
        """Charge one secondary-limit point for ``api`` (``rest`` | ``graphql``); (headers, body) of the 403
        when the token is over a secondary limit, else None.  Call ``release(token)`` when the request ends."""
        now = int(self.state.now.timestamp() + (self.secondary_real_seconds() if self.secondary_real_seconds else 0))
        minute = now // 60
        limit = self.secondary_rest_per_minute if api == "rest" else self.secondary_graphql_per_minute
        key = (token, api, minute)
        with self.state.lock:
            self.in_flight[token] = self.in_flight.get(token, 0) + 1
            busy = self.secondary_max_concurrent is not None and self.in_flight[token] > self.secondary_max_concurrent
            over = limit is not None and self.secondary_used.get(key, 0) >= limit
            if not (busy or over):
                self.secondary_used[key] = self.secondary_used.get(key, 0) + 1
                return None
        wait = 1 if busy else max(1, (minute + 1) * 60 - now)
        headers = {"Retry-After": str(wait)} if self.secondary_retry_after else {}
        return headers, {
            "message": SECONDARY_MESSAGE.format(request_id=request_id),
            "documentation_url": SECONDARY_DOCS,
        }

    def release(self, token: str) -> None:
        with self.state.lock:
            self.in_flight[token] = max(0, self.in_flight.get(token, 0) - 1)

    def next_request_id(self) -> str:
        n = next(self._request_ids)
        return f"{n:04X}:{n * 7919 % 65536:04X}:{n * 104729 % 16**6:06X}"


def side(state: SandboxState) -> GitHubSide:
    """The GitHubSide of a running sandbox (``server.state``): budget knobs for tests and demos."""
    return state.__dict__["github"]


@dataclass
class Ctx:
    """What a handler gets: the request, who called, the world as of now, link bases."""

    request: Request
    caller: Caller
    world: World
    now: dt.datetime
    links: gp.Links
    side: GitHubSide

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)

    def path(self, name: str) -> Any:
        return self.request.path_params[name]


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Paged:
    """A handler result to paginate: the whole visible list.  With ``render``, ``items`` are what it renders
    into payloads, and only the page asked for is rendered (a repository's review comments are thousands)."""

    items: list[Any]
    render: Callable[[Any], Any] | None = None


# --- plumbing -------------------------------------------------------------------


def request_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        return token.strip()
    return None


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _etag(body: bytes) -> str:
    return 'W/"' + hashlib.md5(body).hexdigest() + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def _page_params(ctx: Ctx) -> tuple[int, int]:
    try:
        page = max(1, int(ctx.arg("page", "1") or 1))
        per_page = min(MAX_PER_PAGE, max(1, int(ctx.arg("per_page", str(DEFAULT_PER_PAGE)) or DEFAULT_PER_PAGE)))
    except ValueError:
        raise ApiError(422, "Validation Failed: page and per_page must be integers") from None
    return page, per_page


def _link_header(request: Request, page: int, last: int) -> str | None:
    parts = []
    for rel, target in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
        if rel in ("prev", "first") and page <= 1 or rel in ("next", "last") and page >= last:
            continue
        parts.append(f'<{request.url.include_query_params(page=target)}>; rel="{rel}"')
    return ", ".join(parts) or None


def endpoint(state: SandboxState, gh: GitHubSide, template: str, handler: Handler, *, budget: bool = True):
    """Wrap ``handler`` with auth, metering, rate limit, pagination and ETags; ``budget=False``: a 200 is not
    charged (``/rate_limit``, as on GitHub)."""

    async def endpoint(request: Request) -> Response:
        headers = {"X-GitHub-Request-Id": gh.next_request_id(), "X-GitHub-Api-Version-Selected": "2022-11-28"}
        token = request_token(request)
        caller = state.caller_for_token(token)
        if caller is None:
            state.count("github", template, 401, counted=False)
            message = "Bad credentials" if token else "Requires authentication"
            return _error(401, message, headers)
        start, reset = gh.window(caller.budget)
        used_key = (caller.budget_key(token), start)
        used = gh.used.get(used_key, 0)
        rate_headers = lambda used_now: {  # noqa: E731 - small closure over the window
            "X-RateLimit-Limit": str(gh.rate_limit),
            "X-RateLimit-Remaining": str(max(0, gh.rate_limit - used_now)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(used_now),
            "X-RateLimit-Resource": "core",
        }
        if budget and used >= gh.rate_limit:  # an uncharged endpoint (/rate_limit) answers a spent budget
            state.count("github", template, 403, counted=False)
            return _error(403, f"API rate limit exceeded for user {caller.login}.", headers | rate_headers(used))
        limited = gh.secondary(token or "", "rest", headers["X-GitHub-Request-Id"])
        try:
            if limited is not None:
                state.count("github", template, 403, counted=False)
                extra, body = limited
                return Response(
                    _json_bytes(body),
                    403,
                    headers | rate_headers(used) | extra,
                    media_type="application/json; charset=utf-8",
                )
            return await _answer(request, caller, template, handler, headers, rate_headers, used_key, used)
        finally:
            gh.release(token or "")

    async def _answer(request, caller, template, handler, headers, rate_headers, used_key, used) -> Response:
        links = gp.Links(api=f"{request.url.scheme}://{request.url.netloc}/api/v3", html=gp.html_base(state.world))
        ctx = Ctx(request, caller, state.world, state.now, links, gh)
        try:
            result = handler(ctx)
            if isinstance(result, Awaitable):
                result = await result
            if isinstance(result, Paged):
                page, per_page = _page_params(ctx)
                last = max(1, -(-len(result.items) // per_page))
                link = _link_header(request, page, last)
                if link:
                    headers["Link"] = link
                shown = result.items[(page - 1) * per_page : page * per_page]
                result = [result.render(item) for item in shown] if result.render else shown
        except ApiError as exc:
            if exc.counted:
                gh.used[used_key] = used + 1
                state.bump(f"github.budget.{caller.budget}")
            state.count("github", template, exc.status, counted=exc.counted)
            return _error(exc.status, exc.message, headers | rate_headers(gh.used.get(used_key, used)))
        body = _json_bytes(result)
        etag = _etag(body)
        headers |= {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60", "Vary": "Accept, Authorization"}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            state.count("github", template, 304, counted=False)
            return Response(status_code=304, headers=headers | rate_headers(used))
        if budget:
            used += 1
            gh.used[used_key] = used
            state.bump(f"github.budget.{caller.budget}")
        state.count("github", template, 200, counted=budget)
        return Response(body, 200, headers | rate_headers(used), media_type="application/json; charset=utf-8")

    return endpoint


def _error(status: int, message: str, headers: dict[str, str]) -> Response:
    body = {"message": message, "documentation_url": DOCS_URL, "status": str(status)}
    return Response(_json_bytes(body), status, headers, media_type="application/json; charset=utf-8")


def since_param(ctx: Ctx) -> dt.datetime | None:
    raw = ctx.arg("since")
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, f"Validation Failed: since={raw!r} is not an ISO 8601 timestamp") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def direction_param(ctx: Ctx, default: str) -> bool:
    """True for descending."""
    value = ctx.arg("direction", default)
    if value not in ("asc", "desc"):
        raise ApiError(422, f"Validation Failed: direction={value!r} must be asc or desc")
    return value == "desc"
