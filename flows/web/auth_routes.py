"""``ladder serve``'s sign-in and sign-out routes (how identity is proven: ``flows.web.signin``; failed
sign-ins are throttled per address and per GitHub account: ``flows.web.limits``)."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flows.web.core import FormTooLarge, Web, client_key, csrf_ok, read_form, session_user
from flows.web.signin import exchange_code
from rubric.access import AccessDenied


def sign_in_routes(web: Web) -> list[Route]:
    async def sign_in(request: Request) -> Response:
        return web.sign_in_page(request)

    async def sign_in_github(request: Request) -> Response:
        if web.oauth is None:
            return web.not_found(request)
        state = secrets.token_urlsafe(24)
        request.session["oauth_state"] = state
        return RedirectResponse(web.oauth.redirect(web.redirect_uri(request), state), 302)

    async def callback(request: Request) -> Response:
        expected = request.session.pop("oauth_state", None)
        given = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        address = client_key(request)
        refused = web.throttled(request, "oauth", address)  # before the code goes to GitHub
        if refused is not None:
            return refused
        if (
            web.oauth is None
            or not isinstance(expected, str)
            or not given
            or not secrets.compare_digest(expected, given)
        ):
            problem = "That sign-in link was not started here or was used already."
            return web.sign_in_failed(request, "oauth", address, problem=problem, detail="state missing or wrong")
        try:
            token = exchange_code(web.oauth, code, web.redirect_uri(request))
        except AccessDenied as exc:
            return web.sign_in_failed(request, "oauth", address, problem=str(exc), detail="code refused")
        return web.sign_in_with_token(request, token, "oauth")

    async def sign_in_token(request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormTooLarge:
            return web.problem(request, 413, "Too large", "That form was too large.", "/sign-in")
        if not web.config.web.allow_token_sign_in:
            return web.not_found(request)
        if not csrf_ok(request, form):
            return web.problem(request, 403, "Refused", "The form was not sent from this page; reload and retry.")
        token = form.get("token", "").strip()
        if not token:
            return web.sign_in_page(request, 400, "Paste a token first.")
        refused = web.throttled(request, "token", client_key(request))  # before the token goes to GitHub
        if refused is not None:
            return refused
        return web.sign_in_with_token(request, token, "token")

    async def sign_out(request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormTooLarge:
            return web.problem(request, 413, "Too large", "That form was too large.")
        if not csrf_ok(request, form):
            return web.problem(request, 403, "Refused", "The form was not sent from this page; reload and retry.")
        user = session_user(request, web.clock())
        request.session.clear()
        if user:
            web.audit("sign_out", user, None, 303)
        return RedirectResponse("/sign-in", 303)

    return [
        Route("/sign-in", sign_in),
        Route("/sign-in/github", sign_in_github),
        Route("/auth/callback", callback),
        Route("/sign-in/token", sign_in_token, methods=["POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
    ]
