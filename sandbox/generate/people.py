"""The identity and career part of the generator: GitHub ids, e-mails, renamed logins, moves and promotions.

Runs after ``generate_org.build_org`` has made the people and planted the
personas.  Everything here is what makes identities *messy* the way real ones
are (issue 6): several e-mails per person, GitHub's noreply form, a login that
was renamed, commit e-mails that match no account, and people whose team or
level changed inside the period.
"""

from __future__ import annotations

import datetime as dt

from sandbox.generate.org import IC_LEVELS, Company
from sandbox.world import LevelChange, Person, TeamChange

NOREPLY_DOMAIN = "users.noreply.github.com"
# The real numeric ids of GitHub's two dependency bots, so their noreply e-mails look like the real ones.
BOT_IDS = {"dependabot[bot]": 49699333, "renovate[bot]": 29139614}
_PERSONAL = ("gmail.test", "fastmail.test", "proton.test", "outlook.test")
_HOSTS = ("mbp", "laptop", "thinkpad", "devbox", "xps")


def noreply_email(github_id: int, login: str) -> str:
    """GitHub's private commit e-mail: ``{id}+{login}@users.noreply.github.com``."""
    return f"{github_id}+{login}@{NOREPLY_DOMAIN}"


def midnight(day: dt.date) -> dt.datetime:
    """The UTC instant a dated change takes effect (changes are effective from 00:00 UTC of ``on``)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def plant_identities(c: Company) -> None:
    """GitHub ids for everyone, each person's e-mails, renamed logins and stray (unlinked) commit e-mails.

    Every human gets a work e-mail; most also get the noreply form, some an
    older acquisition's domain or a personal address, so each has at least
    two.  About one person in 80 (at least one) renamed their login earlier in
    the period: ``former_logins`` holds the old one and their noreply e-mail
    under the old login stays linked.  About one in 25 (at least one) commits some of
    their work from a machine whose e-mail is on no account (``unlinked_emails``).
    """
    rng = c.rng
    humans = [p for p in c.people if not p.is_bot]
    ids = iter(rng.sample(range(1_000_000, 99_000_000), len(humans)))
    used = {p.login for p in c.people}
    taken: set[str] = set()  # e-mails are unique across people
    for person in c.people:
        if person.is_bot:
            person.github_id = BOT_IDS.get(person.login, 1_000 + len(person.login))
            person.emails = [noreply_email(person.github_id, person.login)]
            continue
        person.github_id = next(ids)
        work, first, last = _work_email(c, person)
        if work in taken:  # two people with the same name: the second gets a number
            work = next(
                f"{first}.{last}{n}@{c.org}.test"
                for n in range(2, 999)
                if f"{first}.{last}{n}@{c.org}.test" not in taken
            )
        emails = [work]
        if rng.random() < 0.6:
            emails.append(noreply_email(person.github_id, person.login))
        if rng.random() < 0.35:
            emails.append(f"{person.login}@{c.org}-labs.test")  # an older acquisition's domain
        if len(emails) < 2 or rng.random() < 0.15:
            emails.append(
                f"{first}{rng.choice(('.', '', '_'))}{last}{rng.choice(('', '', str(rng.randrange(7, 99))))}"
                f"@{rng.choice(_PERSONAL)}"
            )
        person.emails = [e for e in dict.fromkeys(emails) if e not in taken]
        taken.update(person.emails)
        if rng.random() < 0.04 or (person is humans[-1] and not any(p.unlinked_emails for p in humans)):
            person.unlinked_emails = [f"{first}@{person.login}-{rng.choice(_HOSTS)}.local"]
    candidates = [p for p in humans if not p.deleted]
    for person in rng.sample(candidates, min(len(candidates), max(1, round(len(humans) / 80)))):
        old = next(
            o for o in (f"{person.login}-{c.org}", f"{c.org}-{person.login}", f"{person.login}-old") if o not in used
        )
        used.add(old)
        person.former_logins = [old]
        c.renamed_at[person.login] = (c.start + (c.end - c.start) * rng.uniform(0.2, 0.5)).replace(microsecond=0)
        assert person.github_id is not None  # every person got one in the loop above
        current = noreply_email(person.github_id, person.login)
        if current not in person.emails:
            person.emails.insert(1, current)
        person.emails.insert(person.emails.index(current) + 1, noreply_email(person.github_id, old))


def _work_email(c: Company, person: Person) -> tuple[str, str, str]:
    """The work e-mail ``first.last@org.test`` (made by build_org) and its ascii name parts."""
    work = next((e for e in person.emails if e.endswith(f"@{c.org}.test")), None)
    if work is None:
        first, _, last = person.login.partition("-")
        work = f"{first}.{last or 'x'}@{c.org}.test"
    local = work.split("@", 1)[0]
    first, _, last = local.partition(".")
    return work, first, last or first


def plant_career_moves(c: Company, engineers: int) -> None:
    """Some ICs move to another team, others are promoted, mid-period (about one of each per 50 engineers).

    ``Person.team`` / ``level`` / ``manager`` become the current values; the
    dated change keeps where they were before.  Movers and promotees are
    baseline people (no persona, not new, not leaving), so the personas'
    planted signals stay clean.
    """
    rng = c.rng
    span = c.end - c.start
    if span < dt.timedelta(days=14):
        return
    teams = c.delivery_teams()
    managers = {p.team: p for p in c.people if p.level == "M1"}
    baseline = [
        p
        for p in c.people
        if p.level.startswith("IC")
        and not p.is_bot
        and not p.deleted
        and not p.personas
        and c.active_from(p) == c.start
    ]
    count = max(1, round(engineers / 50))
    if len(teams) >= 2:
        for person in rng.sample(baseline, min(len(baseline), count)):
            stayers = [p for p in baseline if p.team == person.team and p is not person and not p.team_changes]
            if not stayers:
                continue
            target = rng.choice([t for t in teams if t.id != person.team and t.id in managers])
            on = (c.start + span * rng.uniform(0.35, 0.6)).date()
            person.team_changes = [TeamChange(on=on, from_team=person.team, to_team=target.id)]
            person.team, person.manager = target.id, managers[target.id].login
            baseline.remove(person)
    promotable = [p for p in baseline if p.level in IC_LEVELS[1:4]]
    for person in rng.sample(promotable, min(len(promotable), count)):
        new_level = IC_LEVELS[IC_LEVELS.index(person.level) + 1]
        on = (c.start + span * rng.uniform(0.3, 0.7)).date()
        person.level_changes = [LevelChange(on=on, from_level=person.level, to_level=new_level)]
        person.level = new_level
