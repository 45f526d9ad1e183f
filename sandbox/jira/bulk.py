"""Jira Cloud's bulk endpoints and user search for the sandbox, plus the 429 hook.

- ``POST /rest/api/3/issue/bulkfetch``: ``{"issueIdsOrKeys": [...], "fields": [...],
  "expand": [...]}``, at most 100 ids; answers ``{"issues": [...], "issueErrors": []}``
  in ascending id order; ids that match nothing visible are left out silently,
  as on Cloud.
- ``POST /rest/api/3/changelog/bulkfetch``: ``{"issueIdsOrKeys": [...] (<= 1000),
  "fieldIds": [...], "maxResults": n (<= 1000 histories), "nextPageToken": t}``;
  answers ``{"issueChangeLogs": [{"issueId", "changeHistories": [...]}],
  "nextPageToken": t | null}``, paged over histories, oldest first per issue.
- ``GET /rest/api/{v}/user/search?query=`` (Cloud) / ``?username=`` (DC).

Both bulk endpoints are Cloud-only: Data Center answers 404.

``throttle(state, retry_after_seconds, times)`` makes the next ``times`` Jira
requests answer 429 with ``Retry-After`` (a hook for tests and fault profiles).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from starlette.requests import Request

from sandbox.jira import payloads as P
from sandbox.jira.http import ApiError, render_view, visible_keys

BULKFETCH_MAX = 100
CHANGELOG_IDS_MAX = 1000
CHANGELOG_PAGE_MAX = 1000
_THROTTLE = "jira_throttle"  # attribute on SandboxState: [requests left to refuse, Retry-After seconds]


def throttle(state, retry_after_seconds: int = 1, times: int = 1) -> None:
    """Make the next ``times`` Jira requests on ``state`` answer 429 with ``Retry-After``."""
    with state.lock:
        setattr(state, _THROTTLE, [int(times), int(retry_after_seconds)])


def take_throttle(state) -> int | None:
    """Retry-After seconds if this request must be refused with 429, else None (consumes one)."""
    with state.lock:
        pending = getattr(state, _THROTTLE, None)
        if not pending or pending[0] <= 0:
            return None
        pending[0] -= 1
        return pending[1]


def handlers(cloud: bool) -> list[tuple[str, Any, tuple[str, ...]]]:
    """(template, handler, methods) for jira_api.routes to register and meter."""

    def ids_from(ctx, limit: int, what: str) -> list[str]:
        raw = ctx.params.get("issueIdsOrKeys")
        if not isinstance(raw, list) or not raw:
            raise ApiError(400, f"{what}: 'issueIdsOrKeys' must be a non-empty list of issue ids or keys.")
        if len(raw) > limit:
            raise ApiError(400, f"{what}: at most {limit} issueIdsOrKeys per request, got {len(raw)}.")
        return [str(r) for r in raw]

    def resolve(ctx, refs: list[str]) -> list:
        """Visible issues named by ``refs`` (id or key, case-insensitive key), ascending id."""
        wanted = {r.upper() for r in refs}
        found = [i for i in ctx.visible_issues() if i.id in wanted or i.key.upper() in wanted]
        return sorted(found, key=lambda i: int(i.id) if i.id.isdigit() else 0)

    async def bulkfetch(_: Request, ctx) -> dict[str, Any]:
        if not cloud:
            raise ApiError(
                404,
                "issue/bulkfetch is a Jira Cloud API; on Data Center search with 'key in (...)' and expand=changelog.",
            )
        refs = ids_from(ctx, BULKFETCH_MAX, "issue/bulkfetch")
        wanted = ctx.param_list("fields") or ["*navigable"]
        expand = ctx.param_list("expand")
        keys = visible_keys(ctx)
        views = [P.view_issue(ctx.state.world, i, ctx.state.now, keys) for i in resolve(ctx, refs)]
        return {"issues": [render_view(ctx, v, wanted, expand) for v in views], "issueErrors": []}

    async def changelog_bulkfetch(_: Request, ctx) -> dict[str, Any]:
        if not cloud:
            raise ApiError(404, "changelog/bulkfetch is a Jira Cloud API; use expand=changelog on Data Center.")
        refs = ids_from(ctx, CHANGELOG_IDS_MAX, "changelog/bulkfetch")
        field_ids = set(ctx.param_list("fieldIds"))
        size = max(1, min(ctx.param_int("maxResults", CHANGELOG_PAGE_MAX), CHANGELOG_PAGE_MAX))
        check = f"{zlib.crc32(','.join(refs).encode()):08x}"
        offset = _read_token(ctx.params.get("nextPageToken"), check)
        keys = visible_keys(ctx)
        flat: list[tuple[str, dict[str, Any]]] = []
        for issue in resolve(ctx, refs):
            view = P.view_issue(ctx.state.world, issue, ctx.state.now, keys)
            for history in view.histories:
                rendered = P.render_history(ctx.state.world, history, ctx.render)
                if field_ids:
                    rendered["items"] = [it for it in rendered["items"] if it["fieldId"] in field_ids]
                    if not rendered["items"]:
                        continue
                flat.append((issue.id, rendered))
        page = flat[offset : offset + size]
        out: list[dict[str, Any]] = []
        for issue_id, entry in page:
            if not out or out[-1]["issueId"] != issue_id:
                out.append({"issueId": issue_id, "changeHistories": []})
            out[-1]["changeHistories"].append(entry)
        more = offset + size < len(flat)
        return {"issueChangeLogs": out, "nextPageToken": _token(offset + size, check) if more else None}

    async def user_search(_: Request, ctx) -> list[dict[str, Any] | None]:
        text = str(ctx.params.get("query") or ctx.params.get("username") or "").casefold()
        if not text:
            raise ApiError(400, "user/search needs 'query' (Cloud) or 'username' (Data Center).")
        world = ctx.state.world
        found = [
            p
            for p in world.people
            if not p.is_bot
            and (
                text in p.name.casefold()
                or text in p.login.casefold()
                or any(text in e.casefold() for e in p.emails)
                or text == p.jira_account_id.casefold()
            )
        ]
        start = max(0, ctx.param_int("startAt", 0))
        size = max(0, min(ctx.param_int("maxResults", 50), 1000))
        return [P.render_user(world, p.login, ctx.render) for p in found[start : start + size]]

    return [
        ("/rest/api/{v}/issue/bulkfetch", bulkfetch, ("POST",)),
        ("/rest/api/{v}/changelog/bulkfetch", changelog_bulkfetch, ("POST",)),
        ("/rest/api/{v}/user/search", user_search, ("GET",)),
    ]


def _token(offset: int, check: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{check}".encode()).decode().rstrip("=")


def _read_token(token: Any, check: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)).decode()
        offset, _, got = raw.partition(":")
        if got == check:
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(
        400,
        "The nextPageToken is invalid or belongs to another request: "
        "send the token from the previous page with the same issueIdsOrKeys.",
    )
