"""The sandbox HTTP server: one world served over GitHub- and Jira-shaped APIs.

Starlette routes (an ASGI framework we already get with Prefect) served by
uvicorn on loopback.  The real PyGithub and jira clients talk to it over HTTP;
nothing of theirs is mocked.

Layout of URLs under the base URL:
- ``/api/v3/...``    GitHub REST in GitHub Enterprise form (``sandbox.github.rest``)
- ``/api/graphql``   GitHub GraphQL (``sandbox.github.graphql``)
- ``/jira/rest/...`` Jira REST (``sandbox.jira.rest``)
- ``/login/oauth/...`` GitHub's OAuth web flow: authorize, access token (``sandbox.github.oauth``)
- ``/_sandbox/stats`` the request meter (``POST /_sandbox/stats/reset`` zeroes it),
  ``/_sandbox/clock`` the virtual clock (GET reads it, POST moves it: ``now`` sets it,
  ``advance_seconds`` adds to it, ``at_least`` moves it forward only, so processes sharing the clock
  can each sleep to their own wake-up without moving it back)

Fault injection (``sandbox.faults``) wraps the whole app when a profile is given.
The state the handlers share (world, clock, callers, meter) is
``sandbox.state.SandboxState``; this module only wires the API modules to it.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from sandbox.faults import FaultInjector
from sandbox.github import app as github_app
from sandbox.github import graphql as github_graphql
from sandbox.github import oauth as github_oauth
from sandbox.github import rest as github_api
from sandbox.jira import rest as jira_api
from sandbox.state import SandboxState
from sandbox.world import World


def _parse_now(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def build_app(world: World, *, now: dt.datetime | None = None, faults: Any = None) -> Any:
    """The ASGI app serving ``world``; ``app.state.sandbox`` is its SandboxState.

    ``now`` overrides ``world.now`` as the starting clock; ``faults`` (a
    ``sandbox.faults.FaultProfile``) wraps the app in fault injection.
    """
    state = SandboxState(world)
    if now is not None:
        state.now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)

    async def stats(_: Request) -> JSONResponse:
        return JSONResponse(state.stats())

    async def stats_reset(_: Request) -> JSONResponse:
        state.reset_stats()
        return JSONResponse({"ok": True})

    async def clock(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                if "now" in body:
                    state.now = _parse_now(str(body["now"]))
                elif "advance_seconds" in body:
                    state.now = state.now + dt.timedelta(seconds=float(body["advance_seconds"]))
                elif "at_least" in body:
                    state.now = max(state.now, _parse_now(str(body["at_least"])))
                else:
                    raise ValueError("give 'now' or 'at_least' (ISO 8601) or 'advance_seconds' (a number)")
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse(
                    {
                        "error": f"POST /_sandbox/clock: bad body: {exc}; send "
                        '{"now": "2026-10-02T00:00:00Z"}, {"at_least": "2026-10-02T00:00:00Z"} '
                        'or {"advance_seconds": 86400}'
                    },
                    status_code=400,
                )
        return JSONResponse({"now": state.now.isoformat()})

    github_routes = github_api.routes(state)  # creates the GitHub side (budget) GraphQL shares; ends with a 404
    app = Starlette(
        routes=[
            Route("/_sandbox/stats", stats),
            Route("/_sandbox/stats/reset", stats_reset, methods=["POST"]),
            Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
            *github_oauth.routes(state),  # GitHub's OAuth web flow at /login/oauth/... (`ladder serve` sign-in)
            *github_graphql.routes(state),  # POST /api/graphql (PyGithub: base_url minus /v3, plus /graphql)
            Mount("/api/v3", routes=[*github_app.routes(state), *github_routes]),
            Mount("/jira", routes=jira_api.routes(state)),
        ]
    )
    app.state.sandbox = state
    if faults is None:
        return app
    wrapped = FaultInjector(app, faults, state)
    wrapped.state = app.state  # same surface as the bare app
    return wrapped


class SandboxServer:
    """Serve a world on loopback in a background thread.

    Use as a context manager::

        with SandboxServer(world) as server:
            Github(base_url=server.github_url, auth=Auth.Token(token))

    ``now`` starts the clock elsewhere than ``world.now``; ``faults`` is a
    ``sandbox.faults.FaultProfile`` (see docs/sandbox.md, "Faults").
    """

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        now: dt.datetime | None = None,
        faults: Any = None,
    ) -> None:
        self.app = build_app(world, now=now, faults=faults)
        self.state: SandboxState = self.app.state.sandbox
        self.faults = self.app if faults is not None else None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it every keep-alive response waits ~40 ms
        # for a delayed ACK (headers and body are written separately).
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self._sock.listen(2048)  # connections made before uvicorn starts wait in the backlog, not refused
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

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread; returns once the socket accepts connections."""
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"sandbox server on {self.base_url} failed to start; see the log above")
            threading.Event().wait(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""
        self._server.run(sockets=[self._sock])

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for the thread, close the listening socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
