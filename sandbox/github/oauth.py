"""GitHub's OAuth web flow, as an OAuth app sees it: authorize (sign in, then back with a code) and access token.

Mounted at the server's root, as on github.com (``/login/oauth/...``; GHES serves the same paths on
its host).  ``GET /login/oauth/authorize?client_id&redirect_uri&state`` shows a sign-in form; a person
signs in with their login and their sandbox token as the password (sandbox tokens are not secrets),
and is sent to ``redirect_uri?code=...&state=...``.  ``POST /login/oauth/access_token`` trades the code
(once, within ten minutes of the virtual clock, for the same client and redirect URI) for a new user
token that ``GET /user`` then answers for.  Errors look like GitHub's: a 200 with ``error`` and
``error_description`` for a bad code, a 404 page for an unknown client.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.state import SandboxState

CODE_LIFETIME = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class _Grant:
    login: str
    client_id: str
    redirect_uri: str
    expires_at: dt.datetime


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Sign in to GitHub (sandbox)</title>"
        f"</head><body>{body}</body></html>",
        status_code=status,
        headers={"Content-Security-Policy": "default-src 'none'; form-action *", "Cache-Control": "no-store"},
    )


def _form(client_id: str, redirect_uri: str, state: str, problem: str = "") -> HTMLResponse:
    e = html.escape
    return _page(
        "<h1>Sign in to GitHub</h1><p>Sandbox: your login, and your sandbox token as the password.</p>"
        + (f"<p role='alert' id='problem'>{e(problem)}</p>" if problem else "")
        + "<form method='post' action='/login/oauth/authorize'>"
        f"<input type='hidden' name='client_id' value='{e(client_id)}'>"
        f"<input type='hidden' name='redirect_uri' value='{e(redirect_uri)}'>"
        f"<input type='hidden' name='state' value='{e(state)}'>"
        "<label>Username <input name='login' id='login_field' autocomplete='username'></label> "
        "<label>Password <input name='password' id='password' type='password' autocomplete='current-password'>"
        "</label> <button type='submit' name='commit' value='Sign in'>Sign in</button></form>",
        401 if problem else 200,
    )


def routes(state: SandboxState) -> list[Route]:
    """``/login/oauth/authorize`` (GET form, POST sign-in) and ``/login/oauth/access_token`` (POST)."""
    world = state.world
    grants: dict[str, _Grant] = {}
    lock = threading.Lock()
    passwords = {p.login.lower(): (p.login, p.token) for p in world.people if p.token and not p.deleted}

    def redirect_ok(uri: str) -> bool:
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    async def authorize(request: Request) -> Response:
        if request.method == "GET":
            values = dict(request.query_params)
        else:
            values = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id = str(values.get("client_id", ""))
        redirect_uri = str(values.get("redirect_uri", ""))
        oauth_state = str(values.get("state", ""))
        state.count("github", "/login/oauth/authorize", 200, counted=False)
        if client_id != world.tokens.oauth_client_id:
            return _page("<h1>404</h1><p>No OAuth application with this client_id.</p>", 404)
        if not redirect_ok(redirect_uri):
            return _page("<h1>The redirect_uri is missing or not an http(s) URL.</h1>", 400)
        if request.method == "GET":
            return _form(client_id, redirect_uri, oauth_state)
        login = str(values.get("login", "")).strip()
        known = passwords.get(login.lower())
        if known is None or not secrets.compare_digest(known[1], str(values.get("password", ""))):
            return _form(client_id, redirect_uri, oauth_state, "Incorrect username or password.")
        code = secrets.token_hex(10)
        with lock:
            grants[code] = _Grant(known[0], client_id, redirect_uri, state.now + CODE_LIFETIME)
        joiner = "&" if urlsplit(redirect_uri).query else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode({'code': code, 'state': oauth_state})}", 302)

    async def access_token(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        values = dict(parse_qsl(body)) if body else {}
        values.update(dict(request.query_params))
        state.count("github", "/login/oauth/access_token", 200, counted=False)
        wants_json = "json" in request.headers.get("accept", "")

        def answer(payload: dict) -> Response:
            if wants_json:
                return JSONResponse(payload)
            return PlainTextResponse(urlencode(payload), media_type="application/x-www-form-urlencoded")

        if values.get("client_id") != world.tokens.oauth_client_id or not secrets.compare_digest(
            str(values.get("client_secret", "")), world.tokens.oauth_client_secret
        ):
            return answer(
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                }
            )
        with lock:
            grant = grants.pop(str(values.get("code", "")), None)
        redirect_uri = values.get("redirect_uri")
        if (
            grant is None
            or grant.expires_at < state.now
            or grant.client_id != values.get("client_id")
            or (redirect_uri is not None and redirect_uri != grant.redirect_uri)
        ):
            return answer(
                {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
            )
        return answer({"access_token": state.grant_token(grant.login), "token_type": "bearer", "scope": ""})

    return [
        Route("/login/oauth/authorize", authorize, methods=["GET", "POST"]),
        Route("/login/oauth/access_token", access_token, methods=["POST"]),
    ]
