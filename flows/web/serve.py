"""Running the app: in the foreground for ``ladder serve``, or in a thread (the demo and the tests)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from flows.config import ConfigError, LadderConfig
from flows.web.app import build_app
from flows.web.core import utcnow

log = logging.getLogger("ladder.web")


WARM_SECONDS = 15.0  # how often a newly published snapshot is looked for and opened ahead of the first page


class WebServer:
    """``ladder serve``'s app on a socket of its own; ``start()`` serves in a daemon thread, ``run()`` here."""

    def __init__(
        self,
        config: LadderConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        secret: str | None = None,
    ) -> None:
        self.app: Any = build_app(config, clock=clock, secret=secret)
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # asyncio turns Nagle off only for sockets it creates (proto IPPROTO_TCP); this one it is handed, so
        # without this each response's headers and body wait on the client's delayed ACK: ~40 ms a request.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port, or stop what uses it."
            ) from None
        self._sock.listen(128)
        self.host, self.port = self._sock.getsockname()[:2]
        # access_log off: uvicorn's lines carry the query string, where an OAuth code travels (app.py logs instead)
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._warmer = threading.Thread(target=self._warm, name="ladder-serve-warm", daemon=True)

    def _warm(self) -> None:
        """Open each new snapshot as soon as it is published, so nobody waits for its calibration."""
        reader = self.app.state.web.reader
        while not self._stop.is_set():
            try:
                reader.warm()
            except Exception:  # a broken snapshot is reported by the page that reads it
                log.warning("could not open the newly published snapshot ahead of time", exc_info=True)
            self._stop.wait(WARM_SECONDS)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> WebServer:
        self._warmer.start()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"ladder serve on {self.url} failed to start; see the log above")
            threading.Event().wait(0.01)
        return self

    def run(self) -> None:
        """Serve in the foreground until Ctrl-C (a normal return: uvicorn re-raises the signal it caught)."""
        self._warmer.start()
        try:
            self._server.run(sockets=[self._sock])
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._warmer.is_alive():
            self._warmer.join(timeout=60)
        self.app.state.web.reader.close()
        self._sock.close()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
