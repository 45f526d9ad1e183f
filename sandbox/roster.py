"""The roster a company would keep for a generated world (the HR view, not the API view), and the truth behind it.

``roster_from_world`` writes the roster; with ``messy=True`` it is the roster
a real company has: some people without their GitHub login or Jira id, a
stale login after a rename, only the work e-mail, names spelled differently.
``identity_truth`` is the ground truth identity resolution is scored against.
"""

from __future__ import annotations

import fnmatch
import os
import random
from typing import Any

import yaml

from sandbox.world import Person, World

# Shares of people the messy roster gets wrong (see docs/sandbox.md "Messy rosters").
MESSY_NO_LOGIN = 0.10  # no GitHub login; e-mails kept, so commits link them
MESSY_NO_JIRA = 0.03  # no Jira account id
MESSY_EMAILS_ONLY = 0.02  # neither id: only e-mails
MESSY_NAME_ONLY_PER = 100  # one person in this many: name only (no ids, no e-mails)
MESSY_STALE_LOGIN = 0.5  # renamed people listed under their former login only
MESSY_NAME_VARIANT = 0.25  # name spelled as another system writes it
MESSY_WORK_EMAIL_ONLY = 0.5  # HR knows only the work e-mail (of people whose login it has)


def roster_from_world(world: World, *, history: bool = False, messy: bool = False, seed: int = 0) -> dict[str, Any]:
    """A roster document (plain, YAML-able) for ``world``'s teams and people.

    Bots are left out (nobody keeps them in HR data); the deleted user stays,
    because their history still needs an owner.  Person ids are logins.
    ``history=True`` adds former logins to ``github_logins``, the
    ``github_id`` and the dated ``team_changes`` / ``level_changes``
    (``date``, ``from_team``/``to_team``, ``from_level``/``to_level``), in
    the format ``miners.people.roster`` reads.  ``messy=True`` degrades identities as
    described in the module docstring, deterministically per ``seed``; the
    people, teams, levels and managers stay right.
    """
    teams = []
    for team in world.teams:
        teams.append(
            {
                "id": team.id,
                "name": team.name,
                "parent": team.parent,
                "repos": _repo_globs(world, team.id),
                "jira_projects": [p.key for p in world.jira_projects if p.owner_team == team.id],
            }
        )
    humans = [p for p in world.people if not p.is_bot]
    people = [_entry(person, history) for person in humans]
    if messy:
        _make_messy(humans, people, random.Random(seed))
    return {"teams": teams, "people": people}


def _entry(person: Person, history: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": person.login,
        "name": person.name,
        "emails": list(person.emails),
        "github_logins": [person.login] + (list(person.former_logins) if history else []),
        "jira_account_ids": [person.jira_account_id],
        "team": person.team,
        "manager": person.manager,
        "level": person.level,
        "start_date": person.start_date.isoformat(),
        "service_account": False,
    }
    if history:
        entry["github_id"] = person.github_id
        entry["team_changes"] = [
            {"date": ch.on.isoformat(), "from_team": ch.from_team, "to_team": ch.to_team} for ch in person.team_changes
        ]
        entry["level_changes"] = [
            {"date": ch.on.isoformat(), "from_level": ch.from_level, "to_level": ch.to_level}
            for ch in person.level_changes
        ]
    return entry


def _make_messy(humans: list[Person], people: list[dict[str, Any]], rng: random.Random) -> None:
    from sandbox.generate.commits import name_variant

    name_only = set(rng.sample(range(len(humans)), min(len(humans), len(humans) // MESSY_NAME_ONLY_PER)))
    for index, (person, entry) in enumerate(zip(humans, people)):
        entry.pop("github_id", None)  # HR keeps no numeric GitHub ids
        if rng.random() < MESSY_NAME_VARIANT:
            entry["name"] = name_variant(rng, person.name)
        roll = rng.random()
        keeps_login = roll >= MESSY_EMAILS_ONLY + MESSY_NO_LOGIN
        if rng.random() < MESSY_WORK_EMAIL_ONLY and keeps_login:  # who lost their login kept their e-mails
            entry["emails"] = entry["emails"][:1]
        if entry["emails"] and rng.random() < 0.1:  # typed by hand: case differs
            local, _, domain = entry["emails"][0].partition("@")
            entry["emails"][0] = f"{local.title()}@{domain.upper()}"
        if person.former_logins and rng.random() < MESSY_STALE_LOGIN:
            entry["github_logins"] = [person.former_logins[-1]]
        if index in name_only:
            entry.update(emails=[], github_logins=[], jira_account_ids=[])
        elif roll < MESSY_EMAILS_ONLY:
            entry.update(github_logins=[], jira_account_ids=[])
        elif roll < MESSY_EMAILS_ONLY + MESSY_NO_LOGIN:
            entry["github_logins"] = []
        elif roll < MESSY_EMAILS_ONLY + MESSY_NO_LOGIN + MESSY_NO_JIRA:
            entry["jira_account_ids"] = []


def identity_truth(world: World) -> dict[str, str]:
    """Ground truth for identity resolution: every account key of every human -> that person's login.

    Keys are GitHub logins (current and former), e-mails (account e-mails,
    unlinked commit e-mails, co-author e-mails all belong to someone listed)
    and Jira account ids, exactly as the world spells them.  Bots are not
    people and are left out; the deleted user is in.
    """
    truth: dict[str, str] = {}
    for person in world.people:
        if person.is_bot:
            continue
        keys = [person.login, *person.former_logins, *person.emails, *person.unlinked_emails, person.jira_account_id]
        for key in keys:
            if truth.setdefault(key, person.login) != person.login:
                raise ValueError(
                    f"identity_truth: {key!r} belongs to both {truth[key]!r} and {person.login!r}; "
                    f"the world has a shared identity, fix the world file"
                )
    return truth


def dump_roster(document: dict[str, Any]) -> str:
    """YAML text of a roster document (unicode kept, key order kept)."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)


def _repo_globs(world: World, team_id: str) -> list[str]:
    """Exact repo names, or one ``org/prefix-*`` glob when it matches exactly the team's repos."""
    owned = [r.full_name for r in world.repos if r.owner_team == team_id]
    prefix = os.path.commonprefix(owned)
    if len(owned) > 1 and "-" in prefix.partition("/")[2]:
        glob = prefix[: prefix.rindex("-") + 1] + "*"
        if sorted(fnmatch.filter([r.full_name for r in world.repos], glob)) == sorted(owned):
            return [glob]
    return owned
