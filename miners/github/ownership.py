"""Ownership inputs from GitHub: org teams (with repos and members) and CODEOWNERS files.

- ``fetch_org_teams``: ``GET /orgs/{org}/teams`` then each team's ``/repos``
  and ``/members`` (1 + 2 x teams REST requests, 100 per page); the miner reads
  them once per org on a sync where something changed, each with
  ``If-None-Match`` and the ETag an earlier night kept: an unchanged list is a
  304, which GitHub does not charge.
- ``codeowners_record``: a repository's CODEOWNERS from the org listing the
  miner sends every night anyway (``miners.github.graphql.ORG_REPOS`` asks for
  ``object(expression: "HEAD:<path>")`` at ``.github/CODEOWNERS``,
  ``CODEOWNERS`` and ``docs/CODEOWNERS``: plain fields, no connection, so no
  extra cost).  The first one found in GitHub's order wins.  No request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from miners.github.client import GitHubReader, RepoNotFound
from miners.github.parse import SOURCE, parse_user
from miners.records import CodeOwnersRecord, GitHubTeamRecord

log = logging.getLogger(__name__)

# (GraphQL alias in ORG_REPOS, path), in the order GitHub looks for the file
CODEOWNERS_PATHS = (
    ("ownersGithub", ".github/CODEOWNERS"),
    ("ownersRoot", "CODEOWNERS"),
    ("ownersDocs", "docs/CODEOWNERS"),
)
OWNING_PERMISSIONS = ("admin", "maintain")


def codeowners_fields() -> str:
    """The GraphQL selections reading each CODEOWNERS path of a ``Repository`` (no connection: no cost)."""
    return " ".join(
        f'{alias}: object(expression: "HEAD:{path}") {{ ... on Blob {{ oid byteSize isTruncated text }} }}'
        for alias, path in CODEOWNERS_PATHS
    )


def codeowners_record(repo: Mapping[str, Any], *, org: str, fetched_at: dt.datetime) -> CodeOwnersRecord | None:
    """The CODEOWNERS record of an ``ORG_REPOS`` repository node (first path found), or None when it has none.

    The record belongs to the org's partition ``github:{org}``: it is emitted every night with the repo
    list, and the warehouse writes it only when its content changed.
    """
    full_name = repo["nameWithOwner"]
    for alias, path in CODEOWNERS_PATHS:
        blob = repo.get(alias)
        if not isinstance(blob, Mapping) or blob.get("text") is None:
            continue  # missing, or binary (GitHub gives no text for binary blobs)
        if blob.get("isTruncated"):
            log.warning("%s:%s: CODEOWNERS text is truncated by GitHub; ownership may be incomplete", full_name, path)
        branch = (repo.get("defaultBranchRef") or {}).get("name") or "HEAD"
        return CodeOwnersRecord(
            source=SOURCE,
            source_id=full_name,
            partition=f"{SOURCE}:{org}",
            updated_at=None,
            fetched_at=fetched_at,
            url=f"{repo['url']}/blob/{branch}/{path}" if repo.get("url") else None,
            raw={"path": path, "sha": blob.get("oid"), "size": blob.get("byteSize")},
            repo=full_name,
            path=path,
            text=blob["text"],
        )
    return None


def _owning(repo: Mapping[str, Any]) -> bool:
    """A team repo the team may administer or maintain (a payload without ``permissions`` counts)."""
    permissions = repo.get("permissions")
    if not isinstance(permissions, Mapping):
        return True
    return any(permissions.get(p) for p in OWNING_PERMISSIONS) or repo.get("role_name") in OWNING_PERMISSIONS


def fetch_org_teams(reader: GitHubReader, org: str, *, fetched_at: dt.datetime) -> list[GitHubTeamRecord]:
    """Every team of ``org`` with the repos it administers or maintains and its members.

    Calls: GET /orgs/{org}/teams, /orgs/{org}/teams/{slug}/repos, /orgs/{org}/teams/{slug}/members
    """
    out: list[GitHubTeamRecord] = []
    try:
        teams = reader.fetch_all(f"/orgs/{org}/teams", what=f"{org} teams", conditional=True)
    except RepoNotFound:
        log.warning("github:%s: the token cannot list the org's teams (404); team ownership skipped", org)
        return out
    for team in teams:
        slug = team.get("slug") or str(team.get("id"))
        what = f"{org}/{slug}"
        repos = reader.fetch_all(f"/orgs/{org}/teams/{slug}/repos", what=f"team {what} repos", conditional=True)
        members = reader.fetch_all(f"/orgs/{org}/teams/{slug}/members", what=f"team {what} members", conditional=True)
        out.append(
            GitHubTeamRecord(
                source=SOURCE,
                source_id=f"{org}/{slug}",
                partition=f"{SOURCE}:{org}",
                updated_at=None,
                fetched_at=fetched_at,
                url=team.get("html_url"),
                raw={
                    "id": team.get("id"),
                    "node_id": team.get("node_id"),
                    "privacy": team.get("privacy"),
                    "parent": (team.get("parent") or {}).get("slug"),
                },
                org=org,
                slug=slug,
                name=team.get("name") or slug,
                repos=tuple(sorted(r["full_name"] for r in repos if r.get("full_name") and _owning(r))),
                members=tuple(sorted(login for login, _ in (parse_user(m) for m in members) if login)),
            )
        )
    return out
