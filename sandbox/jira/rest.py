"""Jira REST routes of the sandbox (mounted at ``/jira``): Cloud or Data Center, by world flavour.

Serves what the ``jira`` 3.10 client calls on construction (``serverInfo``) and
in ``myself``/``fields``/``projects``/``issue``/``comments``/
``enhanced_search_issues``/``search_issues``, and the Cloud bulk endpoints and
user search in ``sandbox.jira.bulk`` (the request ``Ctx``, ``ApiError`` and the
issue rendering both use are ``sandbox.jira.http``):

- Cloud: ``/rest/api/{2,3,latest}``; ``search/jql`` (GET/POST, ``nextPageToken``);
  the removed ``search`` answers 410 like the real service.
- Data Center: ``/rest/api/{2,latest}``; offset-paged ``search``; no
  ``search/jql``, no ``/rest/api/3`` (404).

Auth is Basic (``email:token``; only the token matters) or Bearer; unknown
tokens get 401.  ``serverInfo`` is public, as on real Jira.  The world is
served as of ``state.now``; JQL dates are read in the caller's time zone.
Every request is metered with ``state.count("jira", template, status)``;
``jira_bulk.throttle(state, seconds, times)`` makes the next requests answer 429.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.jira import bulk as jira_bulk
from sandbox.jira import payloads as P
from sandbox.jira.http import ApiError, Ctx, render_view, visible_keys
from sandbox.jira.jql import JqlError, Query, parse_jql
from sandbox.state import SandboxState

MOUNT = "/jira"  # where sandbox/server.py mounts these routes
SEARCH_JQL_MAX = 100
SEARCH_DC_MAX = 1000
CLOUD_VERSIONS = ("2", "3", "latest")
DC_VERSIONS = ("2", "latest")
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)

Handler = Callable[[Request, Ctx], Awaitable[Any]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errorMessages": [message], "errors": {}}, status_code=status)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def routes(state: SandboxState) -> list[Route]:
    """The Jira routes for ``state``'s world, to mount at ``/jira``."""
    cloud = state.world.jira_flavour == "cloud"
    versions = CLOUD_VERSIONS if cloud else DC_VERSIONS

    def endpoint(template: str, handler: Handler, *, public: bool = False, methods=("GET",)) -> Route:
        path = template.replace("{v}", "{version}")

        async def serve(request: Request) -> JSONResponse:
            version = request.path_params["version"]
            metered = template.replace("{v}", version)
            response = await _serve(request, version, public, handler)
            state.count("jira", metered, response.status_code)
            return response

        return Route(path, serve, methods=list(methods))

    async def _serve(request: Request, version: str, public: bool, handler: Handler) -> JSONResponse:
        if version not in versions:
            return _error(404, f"No REST API version {version} on this Jira ({state.world.jira_flavour}).")
        retry_after = jira_bulk.take_throttle(state)
        if retry_after is not None:
            response = _error(429, "Rate limit exceeded: retry after the number of seconds in Retry-After.")
            response.headers["Retry-After"] = str(retry_after)
            return response
        caller = state.caller_for_token(_token(request))
        if caller is None and not public:
            return _error(
                401,
                "Client must be authenticated to access this resource: "
                "the token is unknown, use a person's or the service token of this sandbox.",
            )
        person = None
        if caller is not None and not caller.is_service:
            person = state.world.person(caller.login)
        url = request.url
        render = P.Render(
            base=f"{url.scheme}://{url.netloc}{MOUNT}", version=version, cloud=cloud, tz=P.zone_for(person)
        )
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "The request body is not valid JSON.")
            if not isinstance(body, dict):
                return _error(400, "The request body must be a JSON object.")
            params.update(body)
        ctx = Ctx(state, request, render, person, params)
        try:
            payload = await handler(request, ctx)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except JqlError as exc:
            return _error(400, f"Error in the JQL Query: {exc}")
        return JSONResponse(payload)

    async def server_info(_: Request, ctx: Ctx) -> dict[str, Any]:
        version = [1001, 0, 0] if cloud else [9, 12, 15]
        return {
            "baseUrl": ctx.render.base,
            "version": ".".join(map(str, version)) + ("-OD" if cloud else ""),
            "versionNumbers": version,
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100280 if cloud else 9120015,
            "serverTime": P.render_time(state.now, ctx.render.tz),
            "scmInfo": "sandbox",
            "serverTitle": f"{state.world.name} Jira (sandbox)",
        }

    async def myself(_: Request, ctx: Ctx) -> dict[str, Any]:
        if ctx.person is None:
            return P.render_service_user(state.world, ctx.render)
        user = P.render_user(state.world, ctx.person.login, ctx.render)
        assert user is not None  # ctx.person was looked up in this world by its login
        return user | {"timeZone": ctx.person.timezone}

    async def fields(_: Request, __: Ctx) -> list[dict[str, Any]]:
        return P.render_fields_list()

    async def projects(_: Request, ctx: Ctx) -> list[dict[str, Any]]:
        return [P.render_project(state.world, p.key, ctx.render) for p in state.world.jira_projects]

    async def project(request: Request, ctx: Ctx) -> dict[str, Any]:
        ref = request.path_params["key"]
        for p in state.world.jira_projects:
            if ref in (p.key, p.id):
                return P.render_project(state.world, p.key, ctx.render)
        raise ApiError(404, f"No project could be found with key '{ref}'.")

    async def search_jql(_: Request, ctx: Ctx) -> dict[str, Any]:
        if not cloud:
            raise ApiError(404, "search/jql is a Jira Cloud API; Data Center serves /rest/api/2/search.")
        jql = str(ctx.params.get("jql") or "")
        query = parse_jql(jql, ctx.render.tz)
        issues = _run(ctx, query)
        size = max(1, min(ctx.param_int("maxResults", 50), SEARCH_JQL_MAX))
        offset = _read_page_token(ctx.params.get("nextPageToken"), jql)
        page = issues[offset : offset + size]
        out: dict[str, Any] = {
            "issues": _render_page(ctx, page, default_fields=["id"]),
            "isLast": offset + size >= len(issues),
        }
        if not out["isLast"]:
            out["nextPageToken"] = _page_token(offset + size, jql)
        return out

    async def search_offset(_: Request, ctx: Ctx) -> dict[str, Any]:
        if cloud:
            raise ApiError(410, REMOVED_SEARCH)
        query = parse_jql(str(ctx.params.get("jql") or ""), ctx.render.tz)
        issues = _run(ctx, query)
        start = max(0, ctx.param_int("startAt", 0))
        size = max(0, min(ctx.param_int("maxResults", 50), SEARCH_DC_MAX))
        page = issues[start : start + size]
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(issues),
            "issues": _render_page(ctx, page, default_fields=["*navigable"]),
        }

    async def issue(request: Request, ctx: Ctx) -> dict[str, Any]:
        found = _find_issue(ctx, request.path_params["key"])
        return _render_issue(ctx, found, ctx.param_list("fields") or ["*all"], ctx.param_list("expand"))

    async def issue_comments(request: Request, ctx: Ctx) -> dict[str, Any]:
        found = _find_issue(ctx, request.path_params["key"])
        view = P.view_issue(state.world, found, state.now, visible_keys(ctx))
        comments = list(view.comments)
        if ctx.params.get("orderBy") == "-created":
            comments.reverse()
        cap = P.CLOUD_COMMENT_PAGE if cloud else 5000  # Cloud pages comments at 100, whatever is asked
        start, size = max(0, ctx.param_int("startAt", 0)), max(0, min(ctx.param_int("maxResults", cap), cap))
        page = comments[start : start + size]
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(comments),
            "comments": [P.render_comment(state.world, found, c, state.now, ctx.render) for c in page],
        }

    async def issue_changelog(request: Request, ctx: Ctx) -> dict[str, Any]:
        if not cloud:
            raise ApiError(404, "issue/{key}/changelog is a Jira Cloud API; use ?expand=changelog on Data Center.")
        found = _find_issue(ctx, request.path_params["key"])
        view = P.view_issue(state.world, found, state.now, visible_keys(ctx))
        start, size = max(0, ctx.param_int("startAt", 0)), max(1, min(ctx.param_int("maxResults", 100), 100))
        page = view.histories[start : start + size]
        return {
            "self": ctx.render.api(f"issue/{found.key}/changelog"),
            "startAt": start,
            "maxResults": size,
            "total": len(view.histories),
            "isLast": start + size >= len(view.histories),
            "values": [P.render_history(state.world, h, ctx.render) for h in page],
        }

    bulk = [endpoint(template, handler, methods=methods) for template, handler, methods in jira_bulk.handlers(cloud)]
    return bulk + [
        endpoint("/rest/api/{v}/serverInfo", server_info, public=True),
        endpoint("/rest/api/{v}/myself", myself),
        endpoint("/rest/api/{v}/field", fields),
        endpoint("/rest/api/{v}/project", projects),
        endpoint("/rest/api/{v}/project/{key}", project),
        endpoint("/rest/api/{v}/search/jql", search_jql, methods=("GET", "POST")),
        endpoint("/rest/api/{v}/search", search_offset, methods=("GET", "POST")),
        endpoint("/rest/api/{v}/issue/{key}", issue),
        endpoint("/rest/api/{v}/issue/{key}/comment", issue_comments),
        endpoint("/rest/api/{v}/issue/{key}/changelog", issue_changelog),
    ]


def _find_issue(ctx: Ctx, ref: str):
    for i in ctx.visible_issues():
        if ref in (i.key, i.id):
            return i
    raise ApiError(404, f"Issue {ref} does not exist or you do not have permission to see it.")


def _run(ctx: Ctx, query: Query) -> list:
    """The visible issues matching ``query``, in its order (on the as-of-now ``updated``)."""
    known = {p.key for p in ctx.state.world.jira_projects}
    for key in query.projects or ():
        if key not in known:
            raise JqlError(f"The value '{key}' does not exist for the field 'project'.")
    keys = visible_keys(ctx)
    views = [P.view_issue(ctx.state.world, i, ctx.state.now, keys) for i in ctx.visible_issues()]
    return query.apply(views)


def _render_page(ctx: Ctx, views: list, default_fields: list[str]) -> list[dict[str, Any]]:
    wanted = ctx.param_list("fields") or default_fields
    expand = ctx.param_list("expand")
    return [render_view(ctx, v, wanted, expand) for v in views]


def _render_issue(ctx: Ctx, issue, wanted: list[str], expand: list[str]) -> dict[str, Any]:
    view = P.view_issue(ctx.state.world, issue, ctx.state.now, visible_keys(ctx))
    return render_view(ctx, view, wanted, expand)


def _page_token(offset: int, jql: str) -> str:
    raw = f"{offset}:{zlib.crc32(jql.encode()):08x}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_page_token(token: Any, jql: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)).decode()
        offset, _, check = raw.partition(":")
        if check == f"{zlib.crc32(jql.encode()):08x}":
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(
        400,
        "The nextPageToken is invalid or belongs to another query: "
        "send the token from the previous page of the same JQL.",
    )
