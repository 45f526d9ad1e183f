"""Ownership inputs from GitHub: org teams (with repos and members) and CODEOWNERS files.

Two reads, both cheap and neither per repository on a quiet night:

- ``fetch_org_teams``: once per org per sync, ``GET /orgs/{org}/teams`` then
  each team's ``/repos`` and ``/members`` (1 + 2 x teams requests, 100 per page).
- ``fetch_codeowners``: a repository's CODEOWNERS from its default branch,
  trying ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS`` in
  GitHub's order (the first found wins).  The miner calls it only on a full
  sync or for a repo whose PRs changed.

``EtagCache`` keeps the ETag and body of each answer seen **in this process**
and sends ``If-None-Match``; a 304 is free on GitHub's budget.  ETags are not
stored in the warehouse, so a new process reads each file once again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from miners.github_client import GitHubReader, RepoNotFound
from miners.github_parse import SOURCE, parse_user, partition_for
from miners.records import CodeOwnersRecord, GitHubTeamRecord

log = logging.getLogger(__name__)

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNING_PERMISSIONS = ("admin", "maintain")


class EtagCache:
    """ETag and body per URL for this process: conditional GETs (``If-None-Match``; 304 is free)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, Any]] = {}
        self.hits = 0  # answers served from a 304

    def get(self, reader: GitHubReader, path: str, *, what: str) -> Any:
        """The body of ``GET path``: re-sent with the last ETag seen for it; a 304 returns the cached body."""
        cached = self._entries.get(path)
        headers = {"If-None-Match": cached[0]} if cached else None
        answer_headers, data = reader.fetch_json(path, what=what, headers=headers)
        if data is None and cached is not None:  # 304 Not Modified
            self.hits += 1
            return cached[1]
        etag = {str(k).lower(): v for k, v in (answer_headers or {}).items()}.get("etag")
        if etag:
            self._entries[path] = (etag, data)
        return data


def decode_content(payload: Mapping[str, Any], *, what: str) -> str:
    """A ``content-file`` payload's text (base64 with line breaks, as GitHub sends it)."""
    content = payload.get("content") or ""
    if payload.get("encoding") not in (None, "base64"):
        raise ValueError(f"{what}: unexpected content encoding {payload.get('encoding')!r}")
    try:
        return base64.b64decode("".join(content.split())).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what}: content is not valid base64 ({exc})") from None


def fetch_codeowners(reader: GitHubReader, full_name: str, *, fetched_at: dt.datetime,
                     etags: EtagCache | None = None) -> CodeOwnersRecord | None:
    """The repository's CODEOWNERS record, or None when it has none.

    Calls: GET /repos/{o}/{r}/contents/{path} for .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS
    (stops at the first found; 304 with a known ETag costs nothing)
    """
    etags = etags or EtagCache()
    for path in CODEOWNERS_PATHS:
        what = f"{full_name}:{path}"
        try:
            payload = etags.get(reader, f"/repos/{full_name}/contents/{path}", what=what)
        except RepoNotFound:
            continue
        if not isinstance(payload, dict) or payload.get("type", "file") != "file":
            continue
        return CodeOwnersRecord(
            source=SOURCE, source_id=full_name, partition=partition_for(full_name), updated_at=None,
            fetched_at=fetched_at, url=payload.get("html_url"),
            raw={"path": path, "sha": payload.get("sha"), "size": payload.get("size")},
            repo=full_name, path=path, text=decode_content(payload, what=what),
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
        teams = reader.fetch_all(f"/orgs/{org}/teams", what=f"{org} teams")
    except RepoNotFound:
        log.warning("github:%s: the token cannot list the org's teams (404); team ownership skipped", org)
        return out
    for team in teams:
        slug = team.get("slug") or str(team.get("id"))
        what = f"{org}/{slug}"
        repos = reader.fetch_all(f"/orgs/{org}/teams/{slug}/repos", what=f"team {what} repos")
        members = reader.fetch_all(f"/orgs/{org}/teams/{slug}/members", what=f"team {what} members")
        out.append(GitHubTeamRecord(
            source=SOURCE, source_id=f"{org}/{slug}", partition=f"{SOURCE}:{org}", updated_at=None,
            fetched_at=fetched_at, url=team.get("html_url"),
            raw={"id": team.get("id"), "node_id": team.get("node_id"), "privacy": team.get("privacy"),
                 "parent": (team.get("parent") or {}).get("slug")},
            org=org, slug=slug, name=team.get("name") or slug,
            repos=tuple(sorted(r["full_name"] for r in repos if r.get("full_name") and _owning(r))),
            members=tuple(sorted(login for login, _ in (parse_user(m) for m in members) if login)),
        ))
    return out
