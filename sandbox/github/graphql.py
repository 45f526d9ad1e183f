"""GitHub GraphQL served from the sandbox world at ``POST /api/graphql`` (GitHub Enterprise Server form).

PyGithub derives its GraphQL URL from the REST base URL by dropping ``/v3``
(``…/api/v3`` -> ``…/api/graphql``), which is where GHES serves it, so
``Github(base_url=server.github_url).requester.graphql_query(...)`` reaches
this endpoint.

Per request, as GitHub does:
1. the token (``bearer``/``token``), else 401;
2. the document is parsed and validated against GitHub's public schema
   (``sandbox.github.graphql_schema``); errors answer 200 with ``errors``;
3. its cost by GitHub's formula is charged to the token's GraphQL budget
   (5,000 points per hour of the virtual clock; ``X-RateLimit-*`` headers with
   resource ``graphql``); a spent budget answers **200** with a ``RATE_LIMITED``
   error and ``data: null``, as GitHub does, and charges nothing; secondary
   limits (points per virtual minute, concurrent requests) answer 403 with
   ``Retry-After`` (``GitHubSide.secondary``);
4. it is executed over the world as of the clock (the resolvers of
   ``sandbox.github.graphql_resolve`` through the field table of
   ``sandbox.github.graphql_fields``); a valid field the sandbox does not
   serve is an error naming it;
5. the answer's modelled compute time (``sandbox.github.graphql_limits``) decides
   whether GitHub would have finished: over ``graphql_resource_ms`` the heaviest
   PR connections are dropped with ``RESOURCE_LIMITS_EXCEEDED`` errors (partial
   data in a 200); over ``graphql_timeout_ms`` the answer is a 502 and the query
   is charged ``graphql_timeout_penalty`` extra points.

Metered in ``/_sandbox/stats`` as ``github.graphql_requests``,
``github.graphql_points`` and ``github.by_endpoint./graphql.{status}``.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import ExecutionResult, GraphQLError, execute
from graphql.language import FieldNode
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.github import payloads as gp
from sandbox.github.graphql_fields import FIELDS
from sandbox.github.graphql_limits import TIMEOUT_MESSAGE, compute_ms, limit_resources
from sandbox.github.graphql_resolve import GqlContext, field_resolver, resolve_type
from sandbox.github.graphql_schema import check_document, github_schema, pick_operation, query_cost
from sandbox.github.http import GitHubSide, request_token, side
from sandbox.state import SandboxState

DOCS_URL = "https://docs.github.com/graphql"
TIMEOUT_DOCS = "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#timeouts"
TEMPLATE = "/graphql"

__all__ = ["routes"]

_resolve_field = field_resolver(FIELDS)  # every field of every type, through the field table


def routes(state: SandboxState) -> list[Route]:
    """The GraphQL route (mount at the server root: the path is ``/api/graphql``)."""
    return [Route("/api/graphql", _endpoint(state), methods=["POST"])]


def _json(payload: Any, status: int, headers: dict[str, str]) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status, headers, media_type="application/json; charset=utf-8")


def _meter(state: SandboxState, status: int, points: int) -> None:
    state.count("github", TEMPLATE, status, counted=points > 0, graphql_points=points)


def _errors(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    """graphql-core errors in GitHub's shape: ``type`` at the top level when there is one."""
    out = []
    for err in errors:
        item: dict[str, Any] = dict(err.formatted)
        kind = (item.pop("extensions", None) or {}).get("type")
        if kind:
            item = {"type": kind, **item}
        out.append(item)
    return out


def _is_dry_run(operation: Any, variables: dict[str, Any]) -> bool:
    for sel in operation.selection_set.selections:
        if isinstance(sel, FieldNode) and sel.name.value == "rateLimit":
            for arg in sel.arguments or ():
                if arg.name.value == "dryRun":
                    value = getattr(arg.value, "value", None)
                    if value is True or (hasattr(arg.value, "name") and variables.get(arg.value.name.value)):
                        return True
    return False


def _endpoint(state: SandboxState):
    async def graphql(request: Request) -> Response:
        gh: GitHubSide = side(state)
        headers = {"X-GitHub-Request-Id": gh.next_request_id()}
        token = request_token(request)
        caller = state.caller_for_token(token)
        if caller is None:
            _meter(state, 401, 0)
            return _json(
                {
                    "message": "Bad credentials" if token else "This endpoint requires you to be authenticated.",
                    "documentation_url": DOCS_URL,
                },
                401,
                headers,
            )
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            _meter(state, 400, 0)
            return _json({"message": "Problems parsing JSON", "documentation_url": DOCS_URL}, 400, headers)
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str):
            _meter(state, 200, 0)
            return _json(
                {"errors": [{"message": "A query attribute must be specified and must be a string."}]}, 200, headers
            )
        start, reset = gh.window(caller.budget)
        used_key = (caller.budget_key(token), start)
        used = gh.graphql_used.get(used_key, 0)

        def rate_headers(used_now: int) -> dict[str, str]:
            return {
                "X-RateLimit-Limit": str(gh.graphql_limit),
                "X-RateLimit-Remaining": str(max(0, gh.graphql_limit - used_now)),
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Used": str(used_now),
                "X-RateLimit-Resource": "graphql",
            }

        document, errors = check_document(query)
        operation = None
        if document is not None and not errors:  # check_document gives no document only with errors
            try:
                operation = pick_operation(document, body.get("operationName"))
                cost = query_cost(document, operation, variables)
            except GraphQLError as exc:
                errors = [exc]
        if errors or document is None:
            _meter(state, 200, 0)
            return _json({"errors": _errors(errors)}, 200, headers | rate_headers(used))
        if used >= gh.graphql_limit:  # GitHub answers a spent GraphQL budget with a 200 and RATE_LIMITED
            _meter(state, 200, 0)
            state.bump("github.graphql_rate_limited")
            return _json(
                {
                    "data": None,
                    "errors": [
                        {
                            "type": "RATE_LIMITED",
                            "message": f"API rate limit already exceeded for user ID {caller.login}.",
                        }
                    ],
                },
                200,
                headers | rate_headers(used),
            )
        limited = gh.secondary(token or "", "graphql", headers["X-GitHub-Request-Id"])
        try:
            if limited is not None:
                extra, refusal = limited
                _meter(state, 403, 0)
                return _json(refusal, 403, headers | rate_headers(used) | extra)
            return _run(
                request, body, caller, document, operation, variables, cost, used, used_key, headers, rate_headers
            )
        finally:
            gh.release(token or "")

    def _run(request, body, caller, document, operation, variables, cost, used, used_key, headers, rate_headers):
        gh: GitHubSide = side(state)
        _, reset = gh.window(caller.budget)
        points = 0 if _is_dry_run(operation, variables) else cost.points
        used += points
        gh.graphql_used[used_key] = used
        state.bump(f"github.budget.{caller.budget}", points)
        rate = {
            "limit": gh.graphql_limit,
            "cost": cost.points,
            "remaining": max(0, gh.graphql_limit - used),
            "used": used,
            "resetAt": gp.iso(gp.dt.datetime.fromtimestamp(reset, gp.dt.timezone.utc)),
            "nodeCount": cost.nodes,
        }
        links = gp.Links(api=f"{request.url.scheme}://{request.url.netloc}/api/v3", html=gp.html_base(state.world))
        context = GqlContext(
            world=state.world, now=state.now, links=links, viewer=caller.login, rate=rate, pulls=gh.pulls
        )
        result = execute(
            github_schema(),
            document,
            context_value=context,
            variable_values=variables,
            operation_name=body.get("operationName"),
            field_resolver=_resolve_field,
            type_resolver=resolve_type,
        )
        if not isinstance(result, ExecutionResult):  # only async resolvers would make it an awaitable
            raise TypeError("GraphQL execution did not complete synchronously; the sandbox resolvers must be sync")
        data = result.data
        errors = _errors(result.errors) if result.errors else []
        if data is not None:
            ms = compute_ms(data, gh.graphql_weights)
            if ms > gh.graphql_timeout_ms:
                penalty = gh.graphql_timeout_penalty
                gh.graphql_used[used_key] = used + penalty
                state.bump(f"github.budget.{caller.budget}", penalty)
                state.bump("github.graphql_timeouts")
                _meter(state, 502, points + penalty)
                timeout = {"message": TIMEOUT_MESSAGE, "documentation_url": TIMEOUT_DOCS}
                return _json(timeout, 502, headers | rate_headers(used + penalty))
            if ms > gh.graphql_resource_ms:
                data, dropped = limit_resources(data, gh.graphql_resource_ms, gh.graphql_weights)
                errors += dropped
                state.bump("github.graphql_resource_limited")
        payload: dict[str, Any] = {"data": data}
        if errors:
            payload["errors"] = errors
        _meter(state, 200, points)
        return _json(payload, 200, headers | rate_headers(used))

    return graphql
