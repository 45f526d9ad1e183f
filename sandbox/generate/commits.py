"""Commits of one generated PR: 1-5 per PR, with the e-mails people really commit with.

The first commit comes shortly before the PR opens and carries its title;
later ones land between opening and merge (fixes after a change request say
so).  The author's commit e-mail is GitHub's noreply form when they have one
(under their former login before a rename), else their work e-mail; a few
people sometimes commit from a machine whose e-mail is on no account, and
then ``Commit.author`` is None and ``author_name`` is how git spelled them.
Some commits credit a teammate with a ``Co-authored-by:`` trailer.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

from sandbox.generate import text
from sandbox.generate.org import Company
from sandbox.generate.people import NOREPLY_DOMAIN, noreply_email
from sandbox.world import Commit, Person, PullRequest

COMMITS_WEIGHTS = (0.36, 0.27, 0.18, 0.11, 0.08)  # 1..5 commits per PR
REVIEW_FIXES = (
    "Address review comments",
    "Apply suggestions from code review",
    "Fix review feedback",
    "Handle the empty input case as suggested",
    "Rename per review",
    "Add the test the review asked for",
    "Move the check before the loop",
    "Address comments from review",
)
SMALL_FIXES = (
    "Fix lint",
    "fix typo",
    "wip",
    "Fix tests",
    "Update docs",
    "mypy",
    "Format with black",
    "Add tests",
    "Fix flaky test",
    "Bump version",
    "Clean up",
    "Remove debug logging",
    "Fix import order",
)
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ı": "i", "İ": "I"})


def ascii_name(name: str) -> str:
    """``name`` without diacritics (Zoë Müller -> Zoe Muller); scripts without a Latin form are kept."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_variant(rng, name: str) -> str:
    """A spelling of ``name`` the way other systems write it (ascii, ``Last, First``, an initial, lower case)."""
    first, _, last = name.partition(" ")
    forms = [
        ascii_name(name),
        f"{last}, {first}" if last else name,
        f"{first[0]}. {last}" if last else name,
        ascii_name(name).lower(),
    ]
    different = [f for f in dict.fromkeys(forms) if f != name]
    return rng.choice(different) if different else name


def commit_email(c: Company, person: Person, when: dt.datetime) -> str:
    """The e-mail ``person`` commits with at ``when`` (noreply when they have one, else work)."""
    noreply = [e for e in person.emails if e.endswith("@" + NOREPLY_DOMAIN)]
    if not noreply:
        return person.emails[0] if person.emails else f"{person.login}@{c.org}.test"
    renamed = c.renamed_at.get(person.login)
    if renamed is not None and when < renamed and person.former_logins:
        return noreply_email(person.github_id or 0, person.former_logins[-1])
    return noreply_email(person.github_id or 0, person.login)


def build_commits(c: Company, pr: PullRequest, author: Person) -> None:
    """Fill ``pr.commits`` (and move ``updated_at`` of an open PR past its last push)."""
    rng = c.rng
    first_at = pr.created_at - dt.timedelta(minutes=min(600.0, rng.lognormvariate(math.log(40), 1.0)))
    first_at = max(c.start, first_at).replace(microsecond=0)
    if author.is_bot:
        message = f"{pr.title}\n\n{pr.body}\n\nSigned-off-by: {author.login} <support@github.com>"
        pr.commits.append(_commit(c, author, message, first_at, False))
        return
    end = pr.merged_at or pr.closed_at or min(c.end, pr.created_at + dt.timedelta(days=rng.uniform(0.2, 6)))
    end = min(end, c.active_until(author))
    count = rng.choices(range(1, 6), COMMITS_WEIGHTS)[0]
    span = max(0.0, (end - pr.created_at).total_seconds())
    times = [first_at] + sorted(
        pr.created_at + dt.timedelta(seconds=round(span * rng.random())) for _ in range(count - 1 if span > 60 else 0)
    )
    change_requests = [r.submitted_at for r in pr.reviews if r.state == "CHANGES_REQUESTED"]
    body = pr.body if rng.random() < 0.4 else ""
    for i, at in enumerate(times):
        if i == 0:
            message = pr.title + (f"\n\n{body}" if body else "")
        elif any(t <= at for t in change_requests) and rng.random() < 0.7:
            message = rng.choice(REVIEW_FIXES)
        elif rng.random() < 0.5:
            message = rng.choice(SMALL_FIXES)
        else:
            message = text.pick_commit(rng, rng.choice(("fix", "refactor", "test", "chore"))).subject
        pr.commits.append(_commit(c, author, message, at, True))
    if rng.random() < (0.3 if c.level_on(author, pr.created_at) in ("IC1", "IC2") else 0.12):
        _co_author(c, pr, author)
    if pr.closed_at is None:
        pr.updated_at = max(pr.updated_at, pr.commits[-1].committed_at)


def _commit(c: Company, author: Person, message: str, at: dt.datetime, human: bool) -> Commit:
    rng = c.rng
    sha = f"{rng.getrandbits(160):040x}"
    stray = author.unlinked_emails[0] if author.unlinked_emails else None
    if human and stray and rng.random() < 0.3:  # the laptop whose git e-mail is on no account
        return Commit(
            sha=sha,
            message=message,
            author=None,
            author_email=stray,
            committed_at=at,
            author_name=name_variant(rng, author.name) if rng.random() < 0.5 else author.name,
        )
    email = commit_email(c, author, at)
    others = [e for e in author.emails if not e.endswith("@" + NOREPLY_DOMAIN) and e != email]
    if human and others and rng.random() < 0.1:  # a repo whose git config has another of their e-mails
        email = rng.choice(others)
    return Commit(
        sha=sha, message=message, author=author.login, author_email=email, committed_at=at, author_name=author.name
    )


def _co_author(c: Company, pr: PullRequest, author: Person) -> None:
    """Credit one or two teammates (a mentor, for juniors, when there is one) on one of the PR's commits."""
    rng = c.rng
    commit = rng.choice(pr.commits)
    when = commit.committed_at
    team = c.team_on(author, when)
    mates = [
        p
        for p in c.members_on(team, when)
        if p.login != author.login and not p.deleted and c.active_from(p) <= when <= c.active_until(p)
    ]
    mentors = [p for p in mates if "mentor" in p.personas]
    if not mates:
        return
    chosen = [rng.choice(mentors)] if mentors and rng.random() < 0.5 else []
    while len(chosen) < (2 if rng.random() < 0.15 else 1) and len(chosen) < len(mates):
        pick = rng.choice(mates)
        if pick not in chosen:
            chosen.append(pick)
    trailers = []
    for mate in chosen:
        name = name_variant(rng, mate.name) if rng.random() < 0.2 else mate.name
        trailers.append(f"Co-authored-by: {name} <{commit_email(c, mate, when)}>")
    commit.message = commit.message.rstrip("\n") + "\n\n" + "\n".join(trailers)
