"""The sandbox HTTP server: one world served over GitHub- and Jira-shaped APIs.

Starlette routes (an ASGI framework we already get with Prefect) served by
uvicorn on loopback.  The real PyGithub and jira clients talk to it over HTTP;
nothing of theirs is mocked.

Layout of URLs under the base URL:
- ``/api/v3/...``   GitHub REST in GitHub Enterprise form (``sandbox.github_api``)
- ``/jira/rest/...`` Jira REST (``sandbox.jira_api``)
- ``/_sandbox/stats`` the request meter, ``/_sandbox/clock`` the virtual clock
"""

from __future__ import annotations

import collections
import datetime as dt
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from sandbox.world import World


@dataclass
class Caller:
    """Who a request's token belongs to."""

    login: str
    is_service: bool


@dataclass
class SandboxState:
    """Everything the route handlers share: the world, the clock and the meter."""

    world: World
    now: dt.datetime = field(init=False)
    counts: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.now = self.world.now
        self._tokens = {p.token: Caller(p.login, False) for p in self.world.people if p.token}
        self._tokens[self.world.tokens.service] = Caller(self.world.tokens.service_login, True)

    def visible(self, when: dt.datetime | None) -> bool:
        """True when ``when`` has happened as of the sandbox clock."""
        return when is not None and when <= self.now

    def caller_for_token(self, token: str | None) -> Caller | None:
        return self._tokens.get(token or "")

    def count(self, api: str, endpoint: str, status: int, counted: bool = True) -> None:
        """Meter one request (``api`` is ``github`` or ``jira``)."""
        with self.lock:
            self.counts[f"{api}.requests"] += 1
            if counted:
                self.counts[f"{api}.counted"] += 1
            self.counts[f"{api}.by_endpoint.{endpoint}.{status}"] += 1

    def stats(self) -> dict[str, Any]:
        with self.lock:
            counts = dict(self.counts)
        out: dict[str, Any] = {"github": {}, "jira": {}, "now": self.now.isoformat()}
        for key, value in counts.items():
            api, _, rest = key.partition(".")
            if rest.startswith("by_endpoint."):
                out[api].setdefault("by_endpoint", {})[rest[len("by_endpoint."):]] = value
            else:
                out[api][rest] = value
        gh = out["github"]
        gh.setdefault("rest_requests", gh.get("requests", 0))
        gh.setdefault("rest_counted", gh.get("counted", 0))
        out["jira"].setdefault("requests", 0)
        return out


def build_app(world: World) -> Starlette:
    """The ASGI app serving ``world``; ``app.state.sandbox`` is its SandboxState."""
    from sandbox import github_api, jira_api

    state = SandboxState(world)

    async def stats(_: Request) -> JSONResponse:
        return JSONResponse(state.stats())

    async def stats_reset(_: Request) -> JSONResponse:
        with state.lock:
            state.counts.clear()
        return JSONResponse({"ok": True})

    async def clock(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.json()
            new_now = dt.datetime.fromisoformat(body["now"])
            if new_now.tzinfo is None:
                new_now = new_now.replace(tzinfo=dt.timezone.utc)
            state.now = new_now
        return JSONResponse({"now": state.now.isoformat()})

    app = Starlette(
        routes=[
            Route("/_sandbox/stats", stats),
            Route("/_sandbox/stats/reset", stats_reset, methods=["POST"]),
            Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
            Mount("/api/v3", routes=github_api.routes(state)),
            Mount("/jira", routes=jira_api.routes(state)),
        ]
    )
    app.state.sandbox = state
    return app


class SandboxServer:
    """Serve a world on loopback in a background thread.

    Use as a context manager::

        with SandboxServer(world) as server:
            Github(base_url=server.github_url, auth=Auth.Token(token))
    """

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = build_app(world)
        self.state: SandboxState = self.app.state.sandbox
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it every keep-alive response waits ~40 ms
        # for a delayed ACK (headers and body are written separately).
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def github_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def jira_url(self) -> str:
        return f"{self.base_url}/jira"

    def start(self) -> "SandboxServer":
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("sandbox server failed to start")
            threading.Event().wait(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""
        self._server.run(sockets=[self._sock])

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
