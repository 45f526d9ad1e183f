"""Identity resolution: which roster person is behind a GitHub login or Jira account.

Pure: roster people and accounts (as the sources show them) in, matches and
suggestions out.  The order of evidence, strongest first:

1. an override the user wrote (``accept`` links, ``reject`` forbids a pairing);
2. exact ids: a GitHub login (case-insensitive) or Jira accountId the roster
   lists, or the GitHub numeric user id (stable across renames).  The id wins:
   a login the roster lists for a person whose ``github_id`` differs from the
   account's id is a login that changed hands, and never links to that person;
3. e-mail: an address the account shows that the roster lists for exactly one
   person, including GitHub's ``ID+login@users.noreply.github.com`` (the ID
   or the login then identifies the person);
4. name similarity: **suggestions only**, never a match.

Bots (GitHub type ``Bot``, a login ending in ``[bot]``) are never matched.
An account whose evidence points at two people is not matched either; both
become suggestions.  Overrides are read by ``miners.people.overrides``.

Calls: none (pure).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from miners.records import identity_key

SUGGEST_MIN_SCORE = 0.6
SUGGEST_MAX = 3
_NOREPLY = re.compile(r"^(?:(\d+)\+)?([a-z0-9-]+(?:\[bot\])?)@users\.noreply\.github(?:\.[a-z]+)+$")


@dataclass(frozen=True)
class Person:
    """A roster person as identity resolution sees them."""

    person_id: str
    name: str
    emails: tuple[str, ...] = ()
    github_logins: tuple[str, ...] = ()
    jira_account_ids: tuple[str, ...] = ()
    github_id: int | None = None


@dataclass(frozen=True)
class Account:
    """A source account: ``system`` github (identity = login) or jira (identity = accountId)."""

    system: str
    identity: str
    display_name: str | None = None
    emails: tuple[str, ...] = ()
    github_id: int | None = None
    is_bot: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, identity_key(self.system, self.identity))


@dataclass(frozen=True)
class Override:
    """A user's decision on one account: accept it as ``person_id``, or reject that pairing.

    ``person_id=None`` with ``reject``: the account is nobody on the roster (stop suggesting).
    """

    system: str
    identity: str
    person_id: str | None
    decision: str  # accept | reject
    where: str = ""  # "file:line", for messages

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, identity_key(self.system, self.identity))


@dataclass(frozen=True)
class Match:
    """An account linked to a person, and how: roster | github_id | email | noreply | override."""

    system: str
    identity: str
    person_id: str
    method: str
    reason: str


@dataclass(frozen=True)
class Suggestion:
    """A possible link for an unmatched account, for a human to accept or reject."""

    system: str
    identity: str
    person_id: str
    score: float
    reason: str


@dataclass(frozen=True)
class Resolution:
    """The outcome for every account given."""

    matches: tuple[Match, ...]
    suggestions: tuple[Suggestion, ...]
    unmatched: tuple[Account, ...]  # human accounts no person claims (with or without suggestions)
    bots: tuple[Account, ...]
    problems: tuple[str, ...] = field(default=())  # overrides that could not be applied

    def match_for(self, system: str, identity: str) -> Match | None:
        """The match of one account, or None."""
        key = (system, identity_key(system, identity))
        return next((m for m in self.matches if (m.system, identity_key(m.system, m.identity)) == key), None)


def is_bot_account(account: Account) -> bool:
    """Bots by rule: flagged by the source, or a GitHub login ending in ``[bot]``."""
    return account.is_bot or (
        account.system == "github" and identity_key(account.system, account.identity).endswith("[bot]")
    )


def parse_noreply(email: str) -> tuple[int | None, str] | None:
    """``(github id or None, login)`` of a GitHub no-reply address, else None."""
    m = _NOREPLY.match(email.strip().lower())
    if m is None:
        return None
    return (int(m.group(1)) if m.group(1) else None, m.group(2))


def resolve_identities(
    people: Sequence[Person], accounts: Iterable[Account], overrides: Sequence[Override] = ()
) -> Resolution:
    """Match each account to at most one person; suggest people for the rest (see module doc)."""
    by_id = {p.person_id: p for p in people}
    logins: dict[str, set[str]] = {}
    jira: dict[str, set[str]] = {}
    gh_ids: dict[int, set[str]] = {}
    emails: dict[str, set[str]] = {}
    for p in people:
        for login in p.github_logins:
            logins.setdefault(identity_key("github", login), set()).add(p.person_id)
        for acc in p.jira_account_ids:
            jira.setdefault(acc, set()).add(p.person_id)
        if p.github_id is not None:
            gh_ids.setdefault(p.github_id, set()).add(p.person_id)
        for e in p.emails:
            emails.setdefault(e.strip().lower(), set()).add(p.person_id)

    problems: list[str] = []
    accepted: dict[tuple[str, str], Override] = {}
    rejected: dict[tuple[str, str], set[str | None]] = {}
    for o in overrides:
        if o.person_id is not None and o.person_id not in by_id:
            problems.append(
                f"{o.where}: {o.decision} names unknown person {o.person_id!r}; use a person id from the roster"
            )
            continue
        if o.decision == "accept":
            accepted[o.key] = o
        else:
            rejected.setdefault(o.key, set()).add(o.person_id)

    matches: list[Match] = []
    suggestions: list[Suggestion] = []
    unmatched: list[Account] = []
    bots: list[Account] = []
    for account in accounts:
        if is_bot_account(account):
            bots.append(account)
            continue
        no = rejected.get(account.key, set())
        match = _exact_or_email(account, accepted, by_id, logins, jira, gh_ids, emails, no, problems)
        if match is not None:
            matches.append(match)
            continue
        unmatched.append(account)
        if None in no:  # "not a roster person": no suggestions
            continue
        suggestions.extend(_suggest(account, people, emails, no))
    return Resolution(tuple(matches), tuple(suggestions), tuple(unmatched), tuple(bots), tuple(problems))


def _exact_or_email(account, accepted, by_id, logins, jira, gh_ids, emails, no, problems) -> Match | None:
    system, ident = account.system, account.identity
    override = accepted.get(account.key)
    if override is not None:
        return Match(system, ident, override.person_id, "override", f"accepted in {override.where}")
    exact = (logins if system == "github" else jira).get(identity_key(system, ident), set())
    if system == "github" and account.github_id is not None:
        # The numeric id is GitHub's immutable identity; a login is only a name that can change hands.  A roster
        # login claim whose person has another id is a login that was released and taken: not that person.
        exact = {pid for pid in exact if by_id[pid].github_id in (None, account.github_id)}
    if len(exact) == 1:
        (pid,) = exact
        if pid in no:
            problems.append(
                f"{system} {ident}: a reject names {pid!r}, but the roster lists this identity "
                f"for them; the roster wins, edit the roster instead"
            )
        return Match(system, ident, pid, "roster", f"the roster lists {system} identity {ident}")
    if len(exact) > 1:
        return None  # the roster check refuses this; stay safe if it gets here
    if system == "github" and account.github_id is not None:
        found = gh_ids.get(account.github_id, set()) - no
        if len(found) == 1:
            (pid,) = found
            return Match(system, ident, pid, "github_id", f"GitHub user id {account.github_id} is in the roster")
    candidates: dict[str, str] = {}
    for email in account.emails:
        email = email.strip().lower()
        for pid in emails.get(email, set()) - no:
            candidates.setdefault(pid, f"e-mail {email}")
        noreply = parse_noreply(email) if system == "github" else None
        if noreply is not None:
            gid, login = noreply
            for pid in (gh_ids.get(gid, set()) if gid is not None else set()) | logins.get(login, set()):
                if pid not in no:
                    candidates.setdefault(pid, f"GitHub no-reply e-mail {email}")
    if len(candidates) == 1:
        ((pid, why),) = candidates.items()
        return Match(system, ident, pid, "noreply" if "no-reply" in why else "email", why)
    return None


def _suggest(account: Account, people: Sequence[Person], emails: dict[str, set[str]], no: set) -> list[Suggestion]:
    """Up to SUGGEST_MAX people, best first: ambiguous e-mails, then name similarity."""
    scored: dict[str, tuple[float, str]] = {}
    for email in account.emails:
        for pid in emails.get(email.strip().lower(), set()) - no:
            scored[pid] = (1.0, f"shares e-mail {email.strip().lower()} with several roster people")
    handles = [h for h in (account.display_name, account.identity if account.system == "github" else None) if h]
    handles += [e.split("@")[0] for e in account.emails]
    for person in people:
        if person.person_id in no or person.person_id in scored:
            continue
        best, why = 0.0, ""
        for handle in handles:
            score = name_similarity(handle, person.name, floor=max(best, SUGGEST_MIN_SCORE) - 1e-9)
            if score > best:
                best, why = score, f"{handle!r} resembles the name {person.name!r} ({score:.2f})"
        if best >= SUGGEST_MIN_SCORE:
            scored[person.person_id] = (best, why)
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))[:SUGGEST_MAX]
    return [Suggestion(account.system, account.identity, pid, round(score, 3), why) for pid, (score, why) in ranked]


def _fold(text: str) -> str:
    """Lower-case ASCII letters and spaces: accents removed, separators and digits dropped."""
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o").replace("ł", "l"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


def name_similarity(handle: str, name: str, floor: float = 0.0) -> float:
    """0..1: how well a display name, login or e-mail local part fits a person's name.

    Compares against the name's usual handle forms (``first last``,
    ``firstlast``, ``flast``, ``first.l``, ``last first``) and keeps the best.
    Scores below ``floor`` may be returned as 0 (a cheap upper bound prunes them).
    """
    h = _fold(re.sub(r"([a-z])([A-Z])", r"\1 \2", handle))
    if not h:
        return 0.0
    spaced = " " in h
    probe = h if spaced else h.replace(" ", "")
    best = 0.0
    for form in _forms(name)[0 if spaced else 1]:
        matcher = difflib.SequenceMatcher(None, probe, form)
        bar = max(best, floor)
        if matcher.real_quick_ratio() <= bar or matcher.quick_ratio() <= bar:
            continue
        best = max(best, matcher.ratio())
    return best


@functools.lru_cache(maxsize=65536)
def _forms(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A name's handle forms, with spaces and without."""
    parts = _fold(name).split()
    if not parts:
        return ((), ())
    first, last = parts[0], parts[-1]
    forms = {
        " ".join(parts),
        "".join(parts),
        first + last,
        first[0] + last,
        first + last[0],
        last + first,
        last + " " + first,
        first + " " + last,
        last + first[0],
    }
    return tuple(sorted(forms)), tuple(sorted({f.replace(" ", "") for f in forms}))
