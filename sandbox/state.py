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


POOL_TOKENS = 9  # the most tokens a sandbox credential pool has: the service's and 8 more (``pool_tokens``)


@dataclass
class Caller:
    """Who a request's token belongs to, and whose rate budget it spends."""

    login: str
    is_service: bool
    budget: str = ""  # the budget's name in the meter (default: the login)
    per_installation: bool = False  # True: every token with this budget name shares one (an App installation's)

    def __post_init__(self) -> None:
        self.budget = self.budget or self.login

    def budget_key(self, token: str | None) -> str:
        """What the rate budget is kept under: the token, or the App installation all its tokens share."""
        return self.budget if self.per_installation else token or ""


def pool_tokens(world: World, n: int) -> list[str]:
    """The service token and ``n - 1`` more (``n`` at most ``POOL_TOKENS``): a pool of machine accounts' tokens,
    each with a budget of its own (named ``ladder-sync``, ``ladder-sync-2``, ...)."""
    if not 1 <= n <= POOL_TOKENS:
        raise ValueError(f"a sandbox pool has 1 to {POOL_TOKENS} tokens, not {n}")
    return [world.tokens.service] + [f"{world.tokens.service}-pool{i}" for i in range(2, n + 1)]


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
        login = self.world.tokens.service_login
        for i, token in enumerate(pool_tokens(self.world, POOL_TOKENS), start=1):
            self._tokens[token] = Caller(login, True, login if i == 1 else f"{login}-{i}")

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

    def revoke_token(self, token: str) -> None:
        """Stop accepting ``token`` (revoked, as a user or an admin does on GitHub): its requests get 401."""
        with self.lock:
            self._tokens.pop(token, None)

    def add_service_token(self, token: str, budget: str = "") -> None:
        """Accept ``token`` as the service's from now on (a GitHub App installation token just issued), spending
        budget ``budget`` (an installation's: every token it is issued shares one, as on GitHub)."""
        with self.lock:
            self._tokens[token] = Caller(self.world.tokens.service_login, True, budget, per_installation=bool(budget))

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

        (What each GitHub rate budget was charged, REST requests plus GraphQL points, is ``github.budget.NAME``
        in ``stats()``, bumped where the budget is charged.)

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
            if head in ("by_endpoint", "by_status", "injected", "budget"):
                section.setdefault(head, {})[tail] = value
            else:
                section[rest] = value
        for api in ("github", "jira"):
            out[api].setdefault("by_endpoint", {})
            out[api].setdefault("by_status", {})
        return out
