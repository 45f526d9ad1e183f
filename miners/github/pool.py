"""A pool of GitHub credentials (tokens, App installations), each with its own rate budget.

GitHub's primary budget is per token (per installation for an App), so an org that outgrows one
token spends several in parallel.  The pool knows each credential by its *name* (the environment
variable's name, or ``app-<installation id>``: never the secret) and what GitHub last said about its
budget: the ``X-RateLimit-Remaining``/``-Reset`` per resource that ``RateLimitPolicy.observe``
reads from every answer (REST and GraphQL alike) land in the credential's ``budgets``, shared by
every partition mining with it.

- **Lease.** A partition (a repository) leases the credential with the most budget left (a budget
  not seen yet, or whose reset has passed, counts as full; ties go to the credential fewest
  partitions hold).  One partition holds one credential at a time: a repository is never read
  with two tokens at once, and its cursor is the partition's as before.
- **Spent.** When the policy would wait for the leased credential's reset, the lease moves the
  partition to another credential that still has budget (the readers' transport sends the next
  request with it).  When every credential is spent, the lease moves to the one whose budget comes
  back first and the policy waits for that reset, not the held credential's, then goes on with it.
- **Rejected.** A credential GitHub answers 401 (a token revoked or expired, an App installation
  gone or its key refused) leaves the pool (``flows.sources.github_pool`` makes a new pool, trying it
  again, once a secret changes in the environment): one error line names it and
  the fix (never the secret), and the request is sent again with the credential with the most budget
  left.  Only when every credential is rejected does the partition fail with ``MinerError`` (the sync
  stops as with a bad token).
- **Costs.** The policy charges every answer to the credential that sent it (``RateLimitPolicy.charges``);
  ``with_costs`` puts what a partition's credentials were charged, and which were rejected, on its last
  batch (``stats["credentials"]``), which the warehouse records per run (``sync_run_credentials``).
- **Clients.** Each lease builds its own PyGithub client per credential it uses (a ``Requester``
  is not safe to share between threads); ``connect(name)`` is how.

The pool is in-process: partitions mined on threads share it (and its budgets).  On a Dask
cluster each worker process has its own, learning each credential's budget from its first answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from miners.base import Batch, MinerError
from miners.github.client import error_message
from miners.github.http import EXCHANGE_REFUSED, Answer, GitHubTransport
from miners.github.ratelimit import RateLimitPolicy

log = logging.getLogger(__name__)


@dataclass
class PooledCredential:
    """One credential: its name and what GitHub last said about its budget (resource -> (remaining, reset))."""

    name: str
    budgets: dict[str, tuple[int, int]] = field(default_factory=dict)
    leases: int = 0  # partitions mining with it now
    assigned: int = 0  # partitions the flow handed out with it as their preference, not finished yet

    def left(self, now: float) -> float:
        """The smallest budget left over the resources seen; a reset that has passed (or none seen) is full."""
        known = [remaining for remaining, reset in list(self.budgets.values()) if reset > now]
        return float(min(known)) if known else math.inf

    def reset_at(self, now: float) -> float:
        """When its spent resources come back (the latest reset still ahead), ``now`` if none is spent."""
        return max([reset for _, reset in list(self.budgets.values()) if reset > now], default=now)


class CredentialPool:
    """The credentials named ``names``, each client made by ``connect(name)``; see the module docstring."""

    def __init__(
        self,
        names: Sequence[str],
        connect: Callable[[str], Any],
        *,
        reserve: int = 50,
        config_file: str | None = None,
    ) -> None:
        if not names:
            raise ValueError("a credential pool needs at least one credential")
        self.credentials = {name: PooledCredential(name) for name in names}
        self.connect = connect
        self.reserve = reserve
        self.config_file = config_file  # named in the fix for a rejected credential
        self.rejected: dict[str, str] = {}  # name -> why GitHub rejected it (it left the pool)
        self._lock = threading.Condition()
        self._mining: set[str] = set()

    @property
    def names(self) -> list[str]:
        return list(self.credentials)

    def _usable(self, cred: PooledCredential, now: float) -> bool:
        return cred.left(now) > self.reserve

    def _active(self) -> list[PooledCredential]:
        return [c for c in self.credentials.values() if c.name not in self.rejected]

    def _best(self, now: float, *, exclude: str | None = None, prefer: str | None = None) -> PooledCredential:
        active = self._active()
        if not active:
            raise MinerError(self.all_rejected())
        candidates = [c for c in active if c.name != exclude] or active
        preferred = self.credentials.get(prefer or "")
        if preferred is not None and preferred in candidates and self._usable(preferred, now):
            return preferred
        usable = [c for c in candidates if self._usable(c, now)]
        if usable:  # the most budget left; a tie (e.g. none seen yet) to the one fewest partitions use
            return max(usable, key=lambda c: (c.left(now), -(c.leases + c.assigned)))
        return min(candidates, key=lambda c: (c.reset_at(now), c.leases))  # all spent: the first to come back

    def assign(self, now: float) -> str:
        """The credential a partition about to be handed out should prefer (the flow's choice, for its tags)."""
        with self._lock:
            cred = self._best(now) if self._active() else next(iter(self.credentials.values()))
            cred.assigned += 1
            return cred.name

    def reject(self, name: str, why: str) -> None:
        """GitHub rejected ``name`` (``why``: the status and GitHub's message): it leaves the pool, said once."""
        with self._lock:
            if name in self.rejected:
                return
            self.rejected[name] = why
            left = len(self._active())
            log.error(
                "%s was rejected by GitHub (%s): %s; %s",
                describe(name),
                why,
                self.fix(name),
                f"going on with the {left} other credential{'s' if left != 1 else ''} of the pool"
                if left
                else "no credential of the pool is left",
            )

    def fix(self, name: str) -> str:
        """What to do about a rejected credential."""
        where = f" in {self.config_file}" if self.config_file else ""
        if len(self.credentials) > 1:
            drop = f"or remove it from github.credentials{where}"
        elif name.startswith("app-"):
            drop = f"or correct github.app{where}"
        else:
            drop = f"or name another variable in github.token_env{where}"
        if name.startswith("app-"):
            return f"check that the App is still installed on the org and its private key is current, {drop}"
        return f"renew it (a token with read access to the repositories), {drop}"

    def all_rejected(self) -> str:
        """The message when no credential of the pool is left."""
        names = ", ".join(f"{name} ({why})" for name, why in self.rejected.items())
        return (
            f"GitHub rejected every credential of the pool: {names}; renew them (a token in its environment "
            f"variable, an App's installation and key) or configure others in github.credentials"
            + (f" in {self.config_file}" if self.config_file else "")
        )

    def unassign(self, name: str) -> None:
        with self._lock:
            cred = self.credentials.get(name)
            if cred is not None:
                cred.assigned = max(0, cred.assigned - 1)

    @contextlib.contextmanager
    def lease(self, partition: str, policy: RateLimitPolicy, *, prefer: str | None = None) -> Iterator[Lease]:
        """Hold the best credential for ``partition`` while it is mined (one partition, one credential at a time)."""
        with self._lock:
            while partition in self._mining:  # the same repository already being read: wait for it
                self._lock.wait()
            try:
                cred = self._best(policy.clock(), prefer=prefer)  # MinerError when every credential is rejected
            except MinerError:
                self._lock.notify_all()
                raise
            self._mining.add(partition)
            cred.leases += 1
        lease = Lease(self, partition, cred, policy)
        try:
            yield lease
        except MinerError as exc:  # a rejected credential: say which one (its variable's name, never its value)
            if type(exc) is not MinerError:  # a partition's failure, a source stop: handled by the miner
                raise
            if len(self.credentials) > 1 and not self._active():
                raise MinerError(self.all_rejected()) from exc
            raise MinerError(f"{exc} [{describe(lease.name)}]") from exc
        finally:
            with self._lock:
                lease.credential.leases -= 1
                self._mining.discard(partition)
                self._lock.notify_all()


def describe(name: str) -> str:
    """A credential for a message: the variable holding the token, or the App installation."""
    if name.startswith("app-"):
        return f"GitHub credential {name}: the GitHub App installation {name.removeprefix('app-')}"
    return f"GitHub credential {name}: the token in the environment variable {name}"


class Lease:
    """One partition's hold on a credential: its client, the policy wired to the credential's budgets."""

    def __init__(self, pool: CredentialPool, partition: str, credential: PooledCredential, policy: RateLimitPolicy):
        self.pool, self.partition, self.credential, self.policy = pool, partition, credential, policy
        self._clients: dict[str, Any] = {}
        self._transport: GitHubTransport | None = None
        self.used: list[str] = [credential.name]  # every credential this partition was read with, in order
        self.rejected: dict[str, str] = {}  # credentials GitHub rejected while this lease held them (not taken yet)
        policy.budgets = credential.budgets
        policy.credential = credential.name
        policy.spent = self._spent
        policy.first_back = self._first_back
        policy.rejected = self._rejected

    @property
    def name(self) -> str:
        return self.credential.name

    def client(self) -> Any:
        """The PyGithub client of the credential held now (built once per credential per lease)."""
        name = self.credential.name
        if name not in self._clients:
            self._clients[name] = self.pool.connect(name)
        return self._clients[name]

    def bind(self, transport: GitHubTransport) -> GitHubTransport:
        """The readers' transport: moved to the next credential's client when this one is spent."""
        self._transport = transport
        return transport

    def rebalance(self) -> None:
        """Between two repositories of one lease (``GitHubSource.mine``): take the credential with the most left."""
        with self.pool._lock:
            now = self.policy.clock()
            best = self.pool._best(now)
            if best is not self.credential and best.left(now) > self.credential.left(now):
                self._move(best)

    def _spent(self, resource: str) -> bool:
        """The policy is about to wait for this credential's reset: move to another with budget, if one has."""
        with self.pool._lock:
            now = self.policy.clock()
            other = self.pool._best(now, exclude=self.credential.name)
            if other is self.credential or not self.pool._usable(other, now):
                return False
            self._move(other)
            return True

    def _first_back(self, resource: str, own_reset: float) -> float | None:
        """Every credential is spent: move to the one whose budget comes back before ``own_reset`` (the held
        credential's), if one does, and return when (the policy waits for it); None to wait for the one held."""
        with self.pool._lock:
            now = self.policy.clock()
            others = [c for c in self.pool._active() if c is not self.credential]
            if not others:
                return None
            first = min(others, key=lambda c: (c.reset_at(now), c.leases))
            back = first.reset_at(now)
            if back >= own_reset:
                return None
            log.info(
                "%s: every GitHub credential of the pool is spent; waiting for %s, the first back (in %.0f s, "
                "%s's %s budget in %.0f s)",
                self.partition,
                first.name,
                back - now,
                self.name,
                resource,
                own_reset - now,
            )
            self._move(first)
            return back

    def _rejected(self, answer: Answer) -> bool:
        """A 401 with the held credential: it leaves the pool; True when the partition moved to another."""
        message = error_message(answer) or "no message"
        why = message if message.startswith(EXCHANGE_REFUSED) else f"{answer.status} {message}"
        name = self.name
        self.pool.reject(name, why)
        self.rejected.setdefault(name, self.pool.rejected.get(name, why))
        with self.pool._lock:
            active = self.pool._active()
            if not active:
                return False
            self._move(self.pool._best(self.policy.clock()))
            return True

    def take_costs(self) -> dict[str, dict[str, Any]]:
        """What each credential was charged since the last call (``requests``, ``budget_points``), and
        ``rejected`` (why) for one GitHub rejected meanwhile; cleared."""
        costs: dict[str, dict[str, Any]] = {
            name: {"requests": requests, "budget_points": points}
            for name, (requests, points) in self.policy.charges.items()
            if name and (requests or points)
        }
        for name, why in self.rejected.items():
            costs.setdefault(name, {"requests": 0, "budget_points": 0})["rejected"] = why
        self.policy.charges.clear()
        self.rejected.clear()
        return costs

    def _move(self, other: PooledCredential) -> None:  # under the pool's lock
        log.info("%s: GitHub credential %s -> %s (names, never the secrets)", self.partition, self.name, other.name)
        self.credential.leases -= 1
        other.leases += 1
        self.credential = other
        self.used.append(other.name)
        self.policy.budgets = other.budgets
        self.policy.credential = other.name
        if self._transport is not None:
            self._transport.use(self.client().requester)


def with_costs(batches: Iterable[Batch], lease: Lease | None, partition: str) -> Iterator[Batch]:
    """``batches``, the last one carrying what the lease's credentials were charged since the last call
    (``stats["credentials"]``: ``Lease.take_costs``); an empty batch of ``partition`` carries them when there
    is no batch (a repository gone)."""
    if lease is None:
        yield from batches
        return
    last: Batch | None = None
    for batch in batches:
        if last is not None:
            yield last
        last = batch
    costs = lease.take_costs()
    if last is None:
        if costs:
            yield Batch(source="github", partition=partition, records=(), cursor=None, stats={"credentials": costs})
        return
    yield dataclasses.replace(last, stats={**last.stats, "credentials": costs}) if costs else last
