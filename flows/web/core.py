"""What ``ladder serve``'s routes share: sessions, CSRF, forms, security headers, pages and the audit log.

- **Sessions** are Starlette's signed cookies (itsdangerous): HttpOnly, SameSite=Lax, Secure when
  ``web.public_url`` is https, expiring after ``web.session_hours`` (the signature's age, and an
  ``exp`` inside checked against the app's clock).  A forged or expired cookie is no session.
- **CSRF**: every form carries the session's random token; a POST without it is refused (403).
- **Every page** gets a Content-Security-Policy that allows no script at all, and no framing.
- **Logs** name method, path (never the query: an OAuth code travels there) and status; uvicorn's own
  access log is off.
- Sign-in routes are ``flows.web.auth_routes``, pages of people ``flows.web.pages``, access ``flows.web.policy``;
  ``flows.web.app`` puts them together.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from flows.config import LadderConfig
from flows.web.limits import SignInThrottle
from flows.web.reading import Reader
from flows.web.signin import oauth_app, token_owner
from rubric.access import AccessDenied, identify_viewer
from rubric.render import render_page

log = logging.getLogger("ladder.web")

PACKAGE = "flows.web"
COOKIE = "ladder_session"
MAX_FORM_BYTES = 64 * 1024  # a note is at most MAX_NOTE_CHARS; anything larger is refused unread
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


NOT_SIGNED_IN = "Signed in at GitHub, but not as anyone in this company's roster (or GitHub refused)."


class FormTooLarge(Exception):
    """A posted form over MAX_FORM_BYTES."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and one log line per request (no query)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().title() not in SECURITY_HEADERS]
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
        log.info("%s %s %s", scope["method"], scope["path"], status["code"])


def session_user(request: Request, now: dt.datetime) -> dict | None:
    """The signed-in person of the session ({person_id, login, name}), or None (no session, expired)."""
    user = request.session.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("person_id"), str):
        return None
    try:
        expires = dt.datetime.fromisoformat(str(user.get("exp")))
    except ValueError:
        return None
    if expires <= now:
        request.session.clear()
        return None
    return user


def client_key(request: Request) -> str:
    """The throttling key of the client's address (behind a proxy on this host, the address it forwards:
    uvicorn trusts X-Forwarded-For from 127.0.0.1 only, or from FORWARDED_ALLOW_IPS)."""
    return f"address:{request.client.host if request.client else 'unknown'}"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def read_form(request: Request) -> dict[str, str]:
    """The posted urlencoded form (first value per key), at most MAX_FORM_BYTES; FormTooLarge else."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise FormTooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50)
    return {key: values[0] for key, values in parsed.items()}


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    expected = request.session.get("csrf")
    given = form.get("csrf", "")
    return isinstance(expected, str) and bool(given) and secrets.compare_digest(expected, given)


class Web:
    """What the routes share: the config, the reader, the clock, page rendering and the audit log."""

    def __init__(self, config: LadderConfig, clock: Callable[[], dt.datetime]) -> None:
        self.config = config
        self.clock = clock
        self.reader = Reader(config, clock)
        self.oauth = oauth_app(config)
        window = dt.timedelta(minutes=config.web.sign_in_window_minutes)
        self.throttle = SignInThrottle(config.web.sign_in_failures, window, clock)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        me = session_user(request, self.clock())
        html = render_page(template, PACKAGE, me=me, csrf=csrf_token(request), **context)
        return HTMLResponse(html, status_code=status)

    def not_found(self, request: Request) -> HTMLResponse:
        return self.page(request, "not_found.html.j2", 404, title="Not found")

    def problem(self, request: Request, status: int, title: str, problem: str, back: str = "/") -> HTMLResponse:
        return self.page(request, "problem.html.j2", status, title=title, problem=problem, back=back)

    def audit(
        self, action: str, user: dict | None, subject: str | None, status: int, detail: str | None = None
    ) -> None:
        with self.reader.feedback() as store:
            store.add_audit(
                action, viewer_id=user["person_id"] if user else None, subject=subject, status=status, detail=detail
            )

    def redirect_uri(self, request: Request) -> str:
        base = self.config.web.public_url or str(request.base_url).rstrip("/")
        return f"{base}/auth/callback"

    def start_session(self, request: Request, person: dict, how: str) -> Response:
        """A fresh session for ``person`` (nothing of the anonymous one is kept) and the audit line."""
        request.session.clear()
        hours = self.config.web.session_hours
        request.session["user"] = {
            "person_id": person["person_id"],
            "login": (person.get("github_logins") or [person["person_id"]])[0],
            "name": person.get("name") or person["person_id"],
            "exp": (self.clock() + dt.timedelta(hours=hours)).isoformat(),
        }
        request.session["csrf"] = secrets.token_urlsafe(24)
        self.audit("sign_in", request.session["user"], None, 303, how)
        return RedirectResponse("/", 303)

    def sign_in_with_token(self, request: Request, token: str, how: str) -> Response:
        """Who owns ``token`` (GET /user), as a roster person, signed in; the token is dropped here.

        Failures count against the client's address and, once GitHub has named the token's owner, that
        GitHub account (``flows.web.limits``), whether or not the account is in the roster."""
        address = client_key(request)
        try:
            viewer = token_owner(self.config, token)
        except AccessDenied:
            return self.sign_in_failed(request, how, address)
        account = f"github:{viewer.github_id}"
        refused = self.throttled(request, how, address, account)
        if refused is not None:
            return refused
        try:
            with self.reader.read() as view:
                person = identify_viewer(view.wh, viewer, today=self.clock().date())
        except AccessDenied:
            return self.sign_in_failed(request, how, address, account)
        self.throttle.forget(account)
        return self.start_session(request, person, how)

    def sign_in_failed(
        self, request: Request, how: str, *keys: str, problem: str = NOT_SIGNED_IN, detail: str = ""
    ) -> Response:
        """A refused sign-in: counted against ``keys`` (address, account), audited, the sign-in page again."""
        self.throttle.failed(*keys)
        self.audit("sign_in_refused", None, None, 403, f"{how}{': ' + detail if detail else ''}")
        return self.sign_in_page(request, 403, problem)

    def throttled(self, request: Request, how: str, *keys: str) -> Response | None:
        """429 with Retry-After when one of ``keys`` had too many failed sign-ins lately, else None.  The
        answer is the same whichever key it was, and whether or not an account is in the roster."""
        wait = self.throttle.retry_after(*keys)
        if wait is None:
            return None
        self.audit("sign_in_throttled", None, None, 429, how)
        minutes = math.ceil(wait / 60)
        answer = self.sign_in_page(
            request,
            429,
            f"Too many failed sign-ins lately: try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        )
        answer.headers["Retry-After"] = str(wait)
        return answer

    def sign_in_page(self, request: Request, status: int = 200, problem: str | None = None) -> HTMLResponse:
        from urllib.parse import urlsplit

        return self.page(
            request,
            "sign_in.html.j2",
            status,
            title="Sign in",
            problem=problem,
            oauth=self.oauth is not None,
            oauth_host=urlsplit(self.oauth.base_url).netloc if self.oauth else "",
            allow_token=self.config.web.allow_token_sign_in,
        )
