"""The roster a company would keep for a generated world (the HR view, not the API view)."""

from __future__ import annotations

import fnmatch
import os
from typing import Any

import yaml

from sandbox.world import World


def roster_from_world(world: World) -> dict[str, Any]:
    """A roster document (plain, YAML-able) for ``world``'s teams and people.

    Bots are left out (nobody keeps them in HR data); the deleted user stays,
    because their history still needs an owner.  Person ids are logins.
    """
    teams = []
    for team in world.teams:
        teams.append({
            "id": team.id,
            "name": team.name,
            "parent": team.parent,
            "repos": _repo_globs(world, team.id),
            "jira_projects": [p.key for p in world.jira_projects if p.owner_team == team.id],
        })
    people = []
    for person in world.people:
        if person.is_bot:
            continue
        people.append({
            "id": person.login,
            "name": person.name,
            "emails": list(person.emails),
            "github_logins": [person.login],
            "jira_account_ids": [person.jira_account_id],
            "team": person.team,
            "manager": person.manager,
            "level": person.level,
            "start_date": person.start_date.isoformat(),
            "service_account": False,
        })
    return {"teams": teams, "people": people}


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
