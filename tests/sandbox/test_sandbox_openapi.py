"""Every REST body the sandbox serves validates against GitHub's official OpenAPI response schemas.

The schemas are the vendored subset sandbox/openapi/github-rest-subset.json
(GitHub's description via npm @octokit/openapi 23.0.2, MIT; see PROVENANCE.md
there), checked with openapi-schema-validator's OAS30Validator and format
checking, over a generated world.  Known sandbox deviations are
``xfail(strict=True)`` with the field at fault, so a fix shows up as XPASS.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from sandbox.world import Repo
from tests.support import REPO

SUBSET = REPO / "sandbox" / "openapi" / "github-rest-subset.json"

# Where GitHub's description contradicts what GitHub itself sends, the sandbox sends what GitHub sends.  Each
# tolerated violation is exact (location, message) and explained; everything else in those bodies is validated.
# OAS 3.0.3 lets ``nullable: true`` add null only beside an explicit ``type`` and never past an ``enum`` without
# null, and OAS30Validator applies that to the letter.
DESCRIPTION_QUIRKS: list[tuple[str, str, str]] = [
    # (location regex, message regex, why)
    (
        r"^(\*/)?start_side$",
        r"^None is not one of ",
        "review comment start_side: nullable enum without null; GitHub sends null on single-line comments",
    ),
    (
        r"^(\*/)?state_reason$",
        r"^None is not one of ",
        "issue state_reason: nullable enum without null; GitHub sends null on open issues",
    ),
    (
        r"^(\*/)?(line|original_line|position|original_position)$",
        r"^None (for not nullable|is not of type)",
        "review comment line/position: integers in the description, null on outdated comments in real payloads",
    ),
]

# OpenAPI path -> why the sandbox's body for it is known not to validate, as a strict xfail (a fix shows as XPASS).
# Empty: every served body validates (only DESCRIPTION_QUIRKS above are tolerated).
KNOWN_DEVIATIONS: dict[str, str] = {}


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SUBSET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def served():
    world = generate_world(engineers=12, months=1, seed=1)
    # a second org owning one repo: the sandbox serves every org of the world's repos
    world.repos.append(
        Repo(
            org="acme-labs",
            name="notebooks",
            owner_team=world.repos[0].owner_team,
            created_at=world.period_start,
            codeowners="* @acme-labs/research\n",
        )
    )
    with SandboxServer(world) as server:
        server.state.__dict__.get("github").rate_limit = 10**9  # this test reads a lot; the budget is not its topic
        yield server


def _pages(server, path: str, token: str = "sbx-service") -> list:
    """GET a list endpoint, following Link rel=next; or a single object."""
    url, out = server.github_url + path, []
    while url:
        response = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=30)
        assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:200]}"
        body = response.json()
        if not isinstance(body, list):
            return [body]
        out.append(body)
        url = response.links.get("next", {}).get("url")
    return [[item for page in out for item in page]]


def _targets(server) -> dict[str, list]:
    """Concrete URLs per OpenAPI path, over the world; an item is a URL or (URL, token of the caller)."""
    world = server.state.world
    org = world.org
    orgs = sorted({org, *(r.org for r in world.repos)})
    repos = [r.full_name for r in world.repos if r.created_at <= world.now]
    callers = [world.tokens.service] + [p.token for p in world.people if not p.deleted][:3]
    teams = [t.id for t in world.teams]
    logins = [p.login for p in world.people if not p.deleted][:6] + [world.tokens.service_login, "ghost"]
    prs = [pr for pr in world.pull_requests if pr.created_at <= world.now]
    # PRs with every kind of item (reviews, comments, commits, pending reviewers), merged, open and closed ones
    sample = (
        sorted(
            prs,
            key=lambda p: (not p.review_comments, not p.issue_comments, not p.requested_reviewers, p.merged_at is None),
        )[:6]
        + [p for p in prs if p.closed_at and not p.merged_at][:2]
    )
    pulls = [f"/repos/{pr.repo}/pulls/{pr.number}" for pr in sample]
    issues = [f"/repos/{pr.repo}/issues/{pr.number}" for pr in sample]
    review_comment = next(c.id for pr in sample for c in pr.review_comments)
    issue_comment = next(c.id for pr in sample for c in pr.issue_comments)
    return {
        "/user": [("/user", token) for token in callers],
        "/orgs/{org}/teams": [f"/orgs/{o}/teams" for o in orgs],
        "/orgs/{org}/teams/{team_slug}/members": [f"/orgs/{org}/teams/{t}/members" for t in teams],
        "/orgs/{org}/teams/{team_slug}/repos": [f"/orgs/{org}/teams/{t}/repos" for t in teams],
        "/repos/{owner}/{repo}/pulls/comments": [f"/repos/{r}/pulls/comments?per_page=100" for r in repos],
        "/users/{username}": [f"/users/{login}" for login in logins],
        "/users/{username}/orgs": [f"/users/{login}/orgs" for login in logins],
        "/user/orgs": [("/user/orgs", token) for token in callers],
        "/rate_limit": ["/rate_limit"],
        "/repos/{owner}/{repo}": [f"/repos/{r}" for r in repos],
        "/repos/{owner}/{repo}/issues": [f"/repos/{r}/issues?state=all&per_page=100" for r in repos],
        "/repos/{owner}/{repo}/issues/{issue_number}/comments": [f"{i}/comments" for i in issues],
        "/repos/{owner}/{repo}/issues/{issue_number}/reactions": [f"{i}/reactions" for i in issues],
        "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": [
            f"/repos/{sample[0].repo}/issues/comments/{issue_comment}/reactions"
        ],
        "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions": [
            f"/repos/{sample[0].repo}/pulls/comments/{review_comment}/reactions"
        ],
        "/repos/{owner}/{repo}/pulls/{pull_number}": pulls,
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews": [f"{p}/reviews" for p in pulls],
        "/repos/{owner}/{repo}/pulls/{pull_number}/comments": [f"{p}/comments" for p in pulls],
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": [f"{p}/requested_reviewers" for p in pulls],
        "/repos/{owner}/{repo}/pulls/{pull_number}/commits": [f"{p}/commits" for p in pulls],
    }


def _describe(error) -> tuple[str, str]:
    """(where, what), following oneOf/anyOf into the closest branch; list indices shown as ``*``."""
    while error.context:
        error = best_match(error.context)
    where = "/".join("*" if isinstance(p, int) else str(p) for p in error.absolute_path) or "(root)"
    message = error.message if len(error.message) < 200 else "... " + error.message[-120:]
    return where, message


def _tolerated(where: str, message: str) -> bool:
    return any(re.search(w, where) and re.search(m, message) for w, m, _ in DESCRIPTION_QUIRKS)


def _validator(spec: dict, path: str) -> OAS30Validator:
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return OAS30Validator(schema | {"components": spec["components"]}, format_checker=oas30_format_checker)


ENDPOINTS = [
    "/user",
    "/orgs/{org}/teams",
    "/orgs/{org}/teams/{team_slug}/members",
    "/orgs/{org}/teams/{team_slug}/repos",
    "/repos/{owner}/{repo}/pulls/comments",
    # what other REST clients read (sandbox/github/rest_items.py), e.g. Perceval's GitHub backend
    "/users/{username}",
    "/users/{username}/orgs",
    "/user/orgs",
    "/rate_limit",
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/issues",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
    "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
]


# The world holds no reactions: these lists are empty (their items' schema is not exercised), but the
# rollups that point at them (``reactions`` on issues, issue comments, review comments) are validated.
EMPTY_BY_DESIGN = {p for p in ENDPOINTS if p.endswith("/reactions")}


def _cases() -> list:
    return [
        pytest.param(
            path,
            id=path,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[path])] if path in KNOWN_DEVIATIONS else [],
        )
        for path in ENDPOINTS
    ]


def test_every_served_endpoint_is_in_the_subset(spec):
    assert sorted(spec["paths"]) == sorted(ENDPOINTS)


@pytest.mark.parametrize("path", _cases())
def test_bodies_validate_against_githubs_openapi(spec, served, path):
    validator = _validator(spec, path)
    urls = _targets(served)[path]
    assert urls, f"the generated world gives no URL for {path}"
    problems: list[str] = []
    objects = 0
    for item in urls:
        url, token = (item, "sbx-service") if isinstance(item, str) else item
        for body in _pages(served, url, token):
            objects += len(body) if isinstance(body, list) else 1
            if path in EMPTY_BY_DESIGN:
                assert body == [], f"GET {url}: the world holds no reactions, got {body!r}"
            for error in validator.iter_errors(body):
                where, message = _describe(error)
                if not _tolerated(where, message):
                    problems.append(f"GET {url} at {where}: {message}")
    assert objects or path in EMPTY_BY_DESIGN, f"no objects served for {path}: the check would be vacuous"
    distinct = sorted({p.split(" at ", 1)[1] for p in problems})
    assert not problems, f"{len(problems)} schema violations for {path}; distinct: " + "\n".join(distinct[:15])


def test_the_validation_can_fail(spec, served):
    """A served body with a required field removed, or a wrong type, is rejected (the check is not vacuous)."""
    validator = _validator(spec, "/orgs/{org}/teams")
    team = _pages(served, f"/orgs/{served.state.world.org}/teams")[0][0]
    assert not list(validator.iter_errors([team]))
    assert list(validator.iter_errors([{k: v for k, v in team.items() if k != "slug"}]))
    assert list(validator.iter_errors([team | {"id": "not-a-number"}]))
