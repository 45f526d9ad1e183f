"""The GitHub miner's transport: one HTTP exchange through PyGithub, with the token kept on its host.

Every request of the miner (REST and GraphQL) is sent by ``GitHubTransport.send`` through
``Requester.requestJson`` (PyGithub's auth, connection pool and timeout), and comes back as an
``Answer`` (status, lower-case headers, body text) for the rate-limit policy and the readers to
judge; nothing is parsed or raised by PyGithub on the way.  The one exception PyGithub raises there, a
GitHub App's installation-token exchange refused (the installation gone, the key wrong), comes back as a
401 naming the exchange: the credential cannot be used, as with a revoked token.

**Tokens stay on their host.**  Every URL the miner follows — a ``Link: rel="next"`` page, a
redirect's ``Location`` — must have the configured ``github.base_url``'s scheme, host and port
and lie under its API path; anything else raises ``ForeignUrlRefused`` before a byte is sent.
This is plain code, not PyGithub's ``assert`` (which ``python -O`` removes, and which otherwise
crashes with ``AssertionError``).  Requests go out with ``cnx=None``: PyGithub then always uses
its connection to the configured host.  PyGithub itself follows a 301 only on that same
connection (the path changes, the host and port cannot) and raises ``RuntimeError`` for a 301
to another scheme or host, turned into ``ForeignUrlRefused`` here; other redirects (302, 303,
307, 308) come back to us and are followed only when their target passes the same check.
Behind a proxy, ``base_url`` rules: set it to the URL the proxy answers on.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from github import GithubException
from github.Requester import Requester

from miners.base import SourceStop
from miners.http_common import MalformedAnswer

__all__ = ["EXCHANGE_REFUSED", "Answer", "ForeignUrlRefused", "GitHubTransport", "MalformedAnswer", "Origin"]

DEFAULT_PORTS = {"http": 80, "https": 443}
EXCHANGE_REFUSED = "the GitHub App installation token exchange was refused"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


class ForeignUrlRefused(SourceStop):
    """A URL off the configured GitHub host (scheme, host, port or API path): not requested, no token sent."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names) and the body text."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        """The body as JSON; MalformedAnswer for an empty, HTML or cut-off body."""
        text = self.text.strip()
        if not text:
            raise MalformedAnswer(f"an empty body with status {self.status}", self.text)
        if text.startswith("<"):
            raise MalformedAnswer(f"an HTML page instead of JSON (status {self.status})", self.text)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedAnswer(f"a body that is not valid JSON ({exc.msg} at {exc.pos})", self.text) from None


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None


def _shown(url: str) -> str:
    """A URL for a message: no user-info, no query (which may carry anything)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if _safe_port(parts) else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _safe_port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


@dataclass(frozen=True)
class Origin:
    """Where the token may go: scheme, host, port and the API path prefixes of ``base_url``."""

    scheme: str
    host: str
    port: int | None
    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, base_url: str, graphql_url: str) -> Origin:
        base = urllib.parse.urlsplit(base_url)
        graphql = urllib.parse.urlsplit(graphql_url)
        prefixes = tuple(dict.fromkeys(p for p in (base.path.rstrip("/") + "/", graphql.path) if p))
        return cls(base.scheme.lower(), (base.hostname or "").lower(), _port(base), prefixes)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.prefixes[0].rstrip('/') if self.prefixes else ''}"

    def allows(self, url: str) -> bool:
        """True for a path relative to the base URL, or an absolute URL on this origin under an API prefix."""
        if url.startswith("/") and not url.startswith("//"):
            return True
        parts = urllib.parse.urlsplit(url)
        if parts.username or parts.password:
            return False
        same = (parts.scheme.lower(), (parts.hostname or "").lower(), _port(parts)) == (
            self.scheme,
            self.host,
            self.port,
        )
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        return same and any(path.startswith(p if p.endswith("/") else p + "/") for p in self.prefixes)

    def check(self, url: str, what: str) -> str:
        """``url`` if the token may be sent there, else ForeignUrlRefused naming both places."""
        if not self.allows(url):
            raise ForeignUrlRefused(
                f"refused to request {_shown(url)} while reading {what}: it is not on the configured GitHub "
                f"({self}); the token is only ever sent to github.base_url's scheme, host and port. "
                "If GitHub is reached through a proxy, set github.base_url to the URL the proxy answers on"
            )
        return url


def exchange_refused(exc: GithubException) -> str:
    """What to say when GitHub refused the App installation-token exchange PyGithub makes before a request: the
    request is answered as a 401 (the credential cannot be used), with this message."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message") or "no message"
    return f"{EXCHANGE_REFUSED} ({exc.status} {message})"


class GitHubTransport:
    """Send one request through PyGithub's Requester and hand back the raw ``Answer``."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester
        self.origin = Origin.of(requester.base_url, requester.graphql_url)
        self.graphql_url = requester.graphql_url

    def use(self, requester: Requester) -> None:
        """Send from now on with ``requester`` (another credential of a pool, on the same ``base_url``)."""
        if Origin.of(requester.base_url, requester.graphql_url) != self.origin:
            raise ValueError("a pooled credential's client must talk to the same GitHub as the others")
        self._requester = requester

    def send(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Answer:
        """One exchange; redirects on the configured origin are followed, any other URL is refused."""
        for _ in range(MAX_REDIRECTS + 1):
            self.origin.check(url, what)
            try:
                status, received, text = self._requester.requestJson(
                    verb, url, dict(params) if params else None, dict(headers) if headers else None, body, cnx=None
                )
            except GithubException as exc:  # raised before sending: an App's installation-token exchange refused
                return Answer(401, {}, json.dumps({"message": exchange_refused(exc)}))
            except RuntimeError as exc:  # PyGithub refuses a 301 to another scheme or host this way
                if "redirect" not in str(exc):
                    raise
                raise ForeignUrlRefused(
                    f"GitHub redirected {what} off the configured host ({exc}); nothing was sent there. "
                    "Set github.base_url to the URL GitHub answers on"
                ) from None
            answer = Answer(int(status), {str(k).lower(): str(v) for k, v in received.items()}, text or "")
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url, params = urllib.parse.urljoin(self.origin_url(url), location), None
        raise ForeignUrlRefused(f"GitHub redirected {what} more than {MAX_REDIRECTS} times; stopped")

    def origin_url(self, url: str) -> str:
        """``url`` made absolute against the configured base URL (for resolving a relative Location)."""
        if url.startswith("/"):
            return f"{self.origin.scheme}://{self.origin.host}:{self.origin.port}{self.origin.prefixes[0].rstrip('/')}{url}"
        return url
