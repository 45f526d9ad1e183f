"""``ladder serve``: the Starlette app put together (see ``flows.web.core`` for sessions, CSRF and headers)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response

from flows.config import LadderConfig
from flows.web.auth_routes import sign_in_routes
from flows.web.core import COOKIE, SecurityHeaders, Web, utcnow
from flows.web.pages import page_routes
from flows.web.reading import NoSnapshot

log = logging.getLogger("ladder.web")


def session_secret(config: LadderConfig) -> str:
    """The key that signs session cookies: ``web.session_secret_env``'s value, or a random one per process."""
    value = os.environ.get(config.web.session_secret_env, "")
    if value:
        return value
    log.info(
        "%s is not set: sessions are signed with a random key and end when the server stops",
        config.web.session_secret_env,
    )
    return secrets.token_urlsafe(32)


def build_app(config: LadderConfig, *, clock: Callable[[], dt.datetime] = utcnow, secret: str | None = None) -> Any:
    """The ASGI app for ``config``; ``app.state.web`` is its ``Web``."""
    web = Web(config, clock)

    async def no_snapshot(request: Request, exc: Exception) -> Response:
        return web.problem(request, 503, "Not ready", str(exc))

    secure = (config.web.public_url or "").startswith("https://")
    app = Starlette(
        routes=[*sign_in_routes(web), *page_routes(web)],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret or session_secret(config),
                session_cookie=COOKIE,
                max_age=int(config.web.session_hours * 3600),
                same_site="lax",
                https_only=secure,
            ),
        ],
        exception_handlers={NoSnapshot: no_snapshot},
    )
    app.state.web = web
    return app
