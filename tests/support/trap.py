"""A trap server for the token-host tests: records every request (path, Authorization) and answers 200 ``[]``."""

from __future__ import annotations

import http.server
import threading


class Trap:
    """``with Trap() as trap:`` a loopback HTTP server; ``trap.url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization)
        trap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                trap.requests.append((self.command, self.path, self.headers.get("Authorization")))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = b"[]"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _record  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def tokens(self) -> list[str]:
        return [auth for _, _, auth in self.requests if auth]

    def __enter__(self) -> Trap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
