"""What every sandbox route handler shares: the world, the virtual clock, the callers and the meter.

The ground of the sandbox's HTTP side: ``sandbox.server`` creates one
``SandboxState`` per app and hands it to the API modules (``sandbox.github.rest``,
``sandbox.github.graphql``, ``sandbox.jira.rest``), which import it from here
and never import the server.
"""

from __future__ import annotations

import collections
import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.world import World

GRAPHQL_MARK = "graphql"  # an endpoint template containing this is metered as GraphQL


@dataclass
class Caller:
    """Who a request's token belongs to."""

    login: str
    is_service: bool


@dataclass
class SandboxState:
    """Everything the route handlers share: the world, the clock and the meter.

    ``counts`` is a flat Counter (``api.key`` → n) guarded by ``lock``; read it
    through ``stats()``.
    """

    world: World
    now: dt.datetime = field(init=False)
    counts: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.now = self.world.now
        self.apps: dict[int, dict[str, Any]] = {}  # installation id -> app id, public key, token lifetime
        self._tokens = {p.token: Caller(p.login, False) for p in self.world.people if p.token}
        self._tokens[self.world.tokens.service] = Caller(self.world.tokens.service_login, True)

    def visible(self, when: dt.datetime | None) -> bool:
        """True when ``when`` has happened as of the sandbox clock."""
        return when is not None and when <= self.now

    def grant_token(self, login: str) -> str:
        """A new token for ``login`` (an OAuth app's user token, as GitHub's web flow issues one)."""
        token = "gho_" + secrets.token_urlsafe(27)
        with self.lock:
            self._tokens[token] = Caller(login, False)
        return token

    def caller_for_token(self, token: str | None) -> Caller | None:
        """The person (or the service) a token belongs to; None for an unknown token."""
        return self._tokens.get(token or "")

    def add_service_token(self, token: str) -> None:
        """Accept ``token`` as the service's from now on (a GitHub App installation token just issued)."""
        with self.lock:
            self._tokens[token] = Caller(self.world.tokens.service_login, True)

    def register_app(
        self, app_id: int, public_key_pem: str, installation_id: int, lifetime_seconds: int = 3600
    ) -> None:
        """Serve GitHub App ``app_id`` (its public key, PEM) with one installation on the world's org:
        ``POST /api/v3/app/installations/{installation_id}/access_tokens`` (``sandbox.github.app``)."""
        self.apps[installation_id] = {"app_id": app_id, "public_key": public_key_pem, "lifetime": lifetime_seconds}

    def count(
        self,
        api: str,
        endpoint: str,
        status: int | str,
        counted: bool = True,
        *,
        not_modified: bool | None = None,
        graphql_points: int = 0,
    ) -> None:
        """Meter one request (``api`` is ``github``, ``jira`` or ``faults``).

        ``counted``: charged to a rate-limit budget.  ``not_modified`` defaults to
        ``status == 304``.  A GitHub endpoint whose template contains ``graphql``
        is metered as GraphQL (``graphql_requests``, plus ``graphql_points``);
        every other GitHub endpoint as REST (``rest_requests``, ``rest_counted``).
        """
        if not_modified is None:
            not_modified = status == 304
        with self.lock:
            c = self.counts
            c[f"{api}.requests"] += 1
            if counted:
                c[f"{api}.counted"] += 1
            if not_modified:
                c[f"{api}.not_modified"] += 1
            if api == "github":
                if GRAPHQL_MARK in endpoint or graphql_points:
                    c["github.graphql_requests"] += 1
                    c["github.graphql_points"] += graphql_points
                else:
                    c["github.rest_requests"] += 1
                    if counted:
                        c["github.rest_counted"] += 1
            c[f"{api}.by_endpoint.{endpoint}.{status}"] += 1
            c[f"{api}.by_status.{status}"] += 1

    def bump(self, key: str, n: int = 1) -> None:
        """Add ``n`` to a free-form meter key ``api.name`` (e.g. ``faults.injected.reset``)."""
        with self.lock:
            self.counts[key] += n

    def reset_stats(self) -> None:
        """Zero the meter (the budget and the clock are left alone)."""
        with self.lock:
            self.counts.clear()

    def stats(self) -> dict[str, Any]:
        """The meter as nested JSON: per API totals, ``by_endpoint`` (``template.status``) and ``by_status``."""
        with self.lock:
            counts = dict(self.counts)
        out: dict[str, Any] = {
            "now": self.now.isoformat(),
            "github": {
                k: 0
                for k in (
                    "requests",
                    "counted",
                    "rest_requests",
                    "rest_counted",
                    "not_modified",
                    "graphql_requests",
                    "graphql_points",
                )
            },
            "jira": {"requests": 0, "counted": 0, "not_modified": 0},
        }
        for key, value in sorted(counts.items()):
            api, _, rest = key.partition(".")
            section = out.setdefault(api, {})
            head, _, tail = rest.partition(".")
            if head in ("by_endpoint", "by_status", "injected"):
                section.setdefault(head, {})[tail] = value
            else:
                section[rest] = value
        for api in ("github", "jira"):
            out[api].setdefault("by_endpoint", {})
            out[api].setdefault("by_status", {})
        return out
