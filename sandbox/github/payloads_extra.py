"""Teams as GitHub REST shows them (``team``), and the CODEOWNERS blob's path and git sha.

Pure functions, no HTTP, like ``sandbox.github.payloads`` (users and repos;
these build on it).  ``team_payload`` is served by ``sandbox.github.rest``
(``/orgs/{org}/teams``); the GraphQL resolvers use ``CODEOWNERS_PATH`` and
``git_blob_sha`` for a repo's CODEOWNERS ``Blob``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.github import payloads as gp
from sandbox.world import Team, World

CODEOWNERS_PATH = ".github/CODEOWNERS"  # the one file the sandbox's repos hold (``Repo.codeowners``)


def _team_simple(world: World, team: Team, links: gp.Links) -> dict[str, Any]:
    tid = gp.stable_id("team", team.id)
    api_team = f"{links.api}/orgs/{world.org}/teams/{team.id}"
    return {
        "id": tid,
        "node_id": f"T_{tid}",
        "url": api_team,
        "members_url": f"{api_team}/members{{/member}}",
        "name": team.name,
        "description": f"The {team.name} team",
        "permission": "pull",
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "html_url": f"{links.html}/orgs/{world.org}/teams/{team.id}",
        "repositories_url": f"{api_team}/repos",
        "slug": team.id,
        "type": "organization",
    }


def team_payload(world: World, team: Team, links: gp.Links) -> dict[str, Any]:
    """``team``: a world team (slug = team id) with its parent as ``team-simple``."""
    parent = next((t for t in world.teams if t.id == team.parent), None)
    return _team_simple(world, team, links) | {"parent": _team_simple(world, parent, links) if parent else None}


def git_blob_sha(raw: bytes) -> str:
    """Git's object id of a blob holding ``raw`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
