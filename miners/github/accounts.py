"""AccountRecords for the GitHub accounts the miner sees: the evidence identity resolution matches on.

No request of its own: the GraphQL author objects the miner already reads
carry the login, the numeric id (``databaseId``), the display name (users)
and the type; the commits it already reads carry their authors' e-mails
(noreply ones included: ``ID+login@users.noreply.github.com``).

Rows (table ``raw_accounts``):

- ``github:{login}``: the account itself (id, name, type; no e-mails,
  ``updated_at`` None);
- ``github:{login}:{email}``: one per e-mail the account committed with, with
  the same id, name and type (``updated_at`` None too: the row must not depend
  on which PRs a sync happened to read).  One row per (login, e-mail) so a later sync that sees the account
  without that e-mail does not erase it.

The miner puts them all in one partition, ``github:accounts`` (``miners.github.miner.ACCOUNTS_PARTITION``),
whichever org showed them.  Deleted accounts (null or ``ghost``) have no account.  Bots keep their REST
spelling (``dependabot[bot]``, type ``Bot``).

Calls: none (pure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from miners.github.graphql_parse import parse_actor
from miners.github.parse import GHOST_LOGIN, SOURCE, parse_time, parse_user
from miners.records import AccountRecord, identity_key


class _Common(TypedDict):
    """The fields an account's rows (the account, one per e-mail) share."""

    source: str
    partition: str
    fetched_at: dt.datetime
    url: str | None
    system: str
    identity: str
    github_id: int | None
    display_name: str | None
    account_type: str | None


@dataclass
class _Seen:
    login: str
    kind: str | None = None
    github_id: int | None = None
    name: str | None = None
    emails: dict[str, dt.datetime | None] = field(default_factory=dict)  # lower-cased e-mail -> newest commit


class AccountCollector:
    """Gathers what one batch shows about each account, then emits its AccountRecords."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    def _get(self, login: str) -> _Seen:
        return self._seen.setdefault(identity_key("github", login), _Seen(login))

    def add(self, login: str | None, kind: str | None, github_id: Any = None, name: Any = None) -> None:
        """Note one appearance of ``login`` (None: a deleted account, ignored)."""
        if not login:
            return
        seen = self._get(login)
        seen.kind = seen.kind or kind
        if github_id is not None and seen.github_id is None:
            seen.github_id = int(github_id)
        if name and not seen.name:
            seen.name = str(name)

    def add_graphql_actor(self, actor: Mapping[str, Any] | None) -> None:
        """A GraphQL ``Actor`` (User, Bot, Mannequin …) as the miner's documents select it."""
        login, kind = parse_actor(actor)
        if login and actor:
            self.add(login, kind, actor.get("databaseId"), actor.get("name"))

    def add_commit_author(
        self,
        login: str | None,
        github_id: Any,
        name: Any,
        email: str | None,
        when: dt.datetime | None,
        kind: str | None = "User",
    ) -> None:
        """A commit's author: the account its e-mail belongs to (None: no account) and that e-mail."""
        if not login or login == GHOST_LOGIN:
            return
        self.add(login, kind, github_id, name)
        if email and "@" in email:
            emails = self._get(login).emails
            key = email.strip().lower()
            old = emails.get(key)
            emails[key] = when if old is None or (when is not None and when > old) else old

    def add_rest_user(self, user: Mapping[str, Any] | None) -> None:
        """A REST user object (short or full: ``name`` and ``email`` when the payload has them)."""
        login, kind = parse_user(user)
        if login and user:
            self.add(login, kind, user.get("id"), user.get("name"))
            email = user.get("email")
            if email:
                self._get(login).emails.setdefault(str(email).strip().lower(), None)

    def add_graphql_pull(self, node: Mapping[str, Any]) -> None:
        """Every account a RepoPulls PR node shows: author, reviewers, commenters, requesters, commit authors."""
        self.add_graphql_actor(node.get("author"))
        for item in (node.get("timelineItems") or {}).get("nodes") or []:
            if not item:
                continue
            for key in ("author", "actor"):
                self.add_graphql_actor(item.get(key))
            reviewer = item.get("requestedReviewer")
            if reviewer and reviewer.get("__typename") != "Team":
                self.add_graphql_actor(reviewer)
            commit = item.get("commit")
            if commit:
                author = commit.get("author") or {}
                user = author.get("user")
                if user:
                    self.add_commit_author(
                        user.get("login"),
                        user.get("databaseId"),
                        user.get("name"),
                        author.get("email"),
                        parse_time(commit.get("committedDate")),
                    )

    def add_rest_commit(self, payload: Mapping[str, Any]) -> None:
        """A REST commit (``/pulls/N/commits`` item): ``author`` is the account, ``commit.author`` the e-mail."""
        git = (payload.get("commit") or {}).get("author") or {}
        login, kind = parse_user(payload.get("author"))
        if login:
            self.add_commit_author(
                login,
                (payload.get("author") or {}).get("id"),
                None,
                git.get("email"),
                parse_time(git.get("date")),
                kind,
            )

    def __len__(self) -> int:
        return len(self._seen)

    def records(self, *, partition: str, fetched_at: dt.datetime, html: str | None = None) -> list[AccountRecord]:
        """The AccountRecords of everything collected (see the module docstring for the rows)."""
        out: list[AccountRecord] = []
        for seen in sorted(self._seen.values(), key=lambda s: identity_key("github", s.login)):
            url = f"{html.rstrip('/')}/{seen.login}" if html else None
            common = _Common(
                source=SOURCE,
                partition=partition,
                fetched_at=fetched_at,
                url=url,
                system="github",
                identity=seen.login,
                github_id=seen.github_id,
                display_name=seen.name,
                account_type=seen.kind,
            )
            out.append(
                AccountRecord(
                    **common,
                    source_id=f"github:{identity_key('github', seen.login)}",
                    updated_at=None,
                    raw={"login": seen.login, "id": seen.github_id, "type": seen.kind},
                )
            )
            for email, _when in sorted(seen.emails.items()):
                out.append(
                    AccountRecord(
                        **common,
                        source_id=f"github:{identity_key('github', seen.login)}:{email}",
                        updated_at=None,
                        emails=(email,),
                        raw={"login": seen.login, "id": seen.github_id, "email": email},
                    )
                )
        return out


def accounts_of(
    users: Iterable[Mapping[str, Any] | None], *, partition: str, fetched_at: dt.datetime
) -> list[AccountRecord]:
    """AccountRecords for REST user payloads (``GET /users/{login}``, embedded ``user`` objects)."""
    collector = AccountCollector()
    for user in users:
        collector.add_rest_user(user)
    return collector.records(partition=partition, fetched_at=fetched_at)


def html_root(url: str | None) -> str | None:
    """``https://github.com`` from a PR or repo html URL (``https://github.com/o/r/pull/1``)."""
    if not url or "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"
