"""GitHub App installation tokens: ``POST /api/v3/app/installations/{id}/access_tokens``, as GitHub serves it.

The caller proves it is the App with a JWT (RS256) signed by the App's private key: ``iss`` the App's id,
``iat`` / ``exp`` at most ten minutes apart (GitHub's rule).  The sandbox checks the signature against the
public key registered with ``SandboxState.register_app`` (PyJWT), then issues an installation token the
API accepts as the service's from then on.  ``expires_at`` is wall-clock time (clients compare it with their
own clock), ``lifetime`` seconds ahead (GitHub: one hour).  Metered as ``github`` endpoint
``/app/installations/{id}/access_tokens`` (not charged to a rate budget).
"""

from __future__ import annotations

import datetime as dt
import secrets

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.state import SandboxState

TEMPLATE = "/app/installations/{installation_id}/access_tokens"


def routes(state: SandboxState) -> list[Route]:
    async def access_tokens(request: Request) -> JSONResponse:
        try:
            installation = int(request.path_params["installation_id"])
        except ValueError:
            installation = -1
        app = state.apps.get(installation)
        if app is None:
            state.count("github", TEMPLATE, 404, counted=False)
            return JSONResponse({"message": "Not Found"}, status_code=404)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise jwt.InvalidTokenError("a JWT is sent as 'Authorization: Bearer JWT'")
            claims = jwt.decode(
                token.strip(),
                app["public_key"],
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
                leeway=60,
            )
            if str(claims["iss"]) != str(app["app_id"]):
                raise jwt.InvalidIssuerError(f"'iss' must be the App's id {app['app_id']}")
            if int(claims["exp"]) - int(claims["iat"]) > 600 + 60:
                raise jwt.InvalidTokenError("'exp' is too far in the future (at most 10 minutes after 'iat')")
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            state.count("github", TEMPLATE, 401, counted=False)
            return JSONResponse({"message": f"A JSON web token could not be decoded: {exc}"}, status_code=401)
        issued = "ghs_" + secrets.token_hex(18)
        state.add_service_token(issued, budget=f"app-{installation}")
        state.count("github", TEMPLATE, 201, counted=False)
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=int(app["lifetime"]))
        return JSONResponse(
            {
                "token": issued,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"contents": "read", "metadata": "read", "pull_requests": "read", "members": "read"},
                "repository_selection": "all",
            },
            status_code=201,
        )

    return [Route(TEMPLATE, access_tokens, methods=["POST"])]
