"""Who may read whose report: the engineer and the managers above them, nobody else.

The viewer proves who they are with their own GitHub token: GitHub's
``GET /user`` names the token's owner, the roster maps that login to a person,
and the roster's manager chain decides.  The token is used for that one call
and never stored or logged.
"""

from __future__ import annotations

import logging

from flows.config import ConfigError, LadderConfig, read_secret
from flows.runtime import RedactSecrets

log = logging.getLogger("ladder.access")


class AccessDenied(Exception):
    """The viewer may not read this report; the message says why and who may."""


def fetch_viewer_login(config: LadderConfig, token_env: str) -> str:
    """The GitHub login that owns the token in ``token_env``.

    Calls: GET /user
    """
    from github import Auth, BadCredentialsException, Github, GithubException

    if config.github is None:
        raise ConfigError(f"{config.source_path}: proving who you are needs a github: section (its base_url).")
    token = read_secret(token_env, purpose="your own GitHub token", config=config)
    RedactSecrets.register(token)
    gh = Github(
        base_url=config.github.base_url.rstrip("/"),
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        timeout=30,
    )
    try:
        return gh.get_user().login
    except BadCredentialsException:
        raise AccessDenied(
            f"GitHub rejected the token in {token_env} (401): it is invalid or expired; use your own current token."
        ) from None
    except GithubException as exc:
        raise AccessDenied(
            f"GitHub answered {exc.status} to GET /user with the token in {token_env}; "
            "cannot tell who you are, so no report is shown."
        ) from None


def manager_chain(wh, person: dict) -> list[str]:
    """person_ids of ``person``'s manager, their manager, ... (stops at a cycle)."""
    chain: list[str] = []
    manager_id = person.get("manager_id")
    while manager_id and manager_id not in chain and manager_id != person["person_id"]:
        chain.append(manager_id)
        manager = wh.query_person(manager_id)
        manager_id = manager.get("manager_id") if manager else None
    return chain


def check_report_access(wh, viewer_login: str, engineer: dict) -> str:
    """Return the viewer's person_id if they may read ``engineer``'s report; raise AccessDenied otherwise."""
    viewer = wh.query_person(viewer_login)
    if viewer is None:
        raise AccessDenied(
            f"the token belongs to GitHub user {viewer_login!r}, who is not in the roster; "
            "only the engineer and their managers may read a report."
        )
    if viewer["person_id"] == engineer["person_id"]:
        return viewer["person_id"]
    if viewer["person_id"] in manager_chain(wh, engineer):
        log.info("report of %s read by manager %s", engineer["person_id"], viewer["person_id"])
        return viewer["person_id"]
    raise AccessDenied(
        f"{viewer_login} may not read the report of {engineer['person_id']}: a report is "
        "shown only to the engineer and the managers above them in the roster."
    )
