"""Who may read whose report: the engineer and the managers above them, nobody else.

``ladder report --viewer-token-env NAME`` is an operator convenience (README, "Who may read a report"):
the files the nightly writes are the operator's alone (``flows.files``), and the way engineers and
managers read is meant to be served, not handed out.  When the CLI does check a viewer, nothing it relies
on comes from the reader:

- **the policy** (is a viewer required? which GitHub answers ``GET /user``?) is what the nightly's config
  recorded in the warehouse (``ladder_settings``, written by every writing stage); a config that
  disagrees about the GitHub server is refused, and one that drops ``require_viewer`` changes nothing;
- **the config file** must belong to the user running the command and be writable by nobody else;
- **the viewer** is matched by GitHub's immutable numeric user id, never by a login alone: the roster
  person whose ``github_id`` is the token owner's id, with the current login agreeing; a roster person
  without ``github_id`` only through their *current* login and the id the sync recorded for it.  Former
  logins never grant access, and a roster id is never compared with a GitHub login.

The token is used for the one ``GET /user`` call and never stored or logged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from flows.config import ConfigError, LadderConfig, normalized_url, read_secret
from flows.runtime import RedactSecrets

log = logging.getLogger("ladder.access")

REQUIRE_VIEWER = "reports.require_viewer"
GITHUB_BASE_URL = "github.base_url"


class AccessDenied(Exception):
    """The viewer may not read this report; the message says why and who may."""


@dataclass(frozen=True)
class Viewer:
    """The owner of a token, as GitHub's ``GET /user`` names them."""

    login: str
    github_id: int


def access_settings(config: LadderConfig) -> dict[str, Any]:
    """What a writing stage records in the warehouse for ``ladder report`` to enforce."""
    return {
        REQUIRE_VIEWER: bool(config.reports.require_viewer),
        GITHUB_BASE_URL: config.github.api_url if config.github is not None else None,
    }


def viewer_required(settings: dict[str, Any], config: LadderConfig) -> bool:
    """The warehouse's recorded policy, or the reader's config when it is stricter."""
    return bool(settings.get(REQUIRE_VIEWER)) or bool(config.reports.require_viewer)


def check_operator_config(config: LadderConfig) -> None:
    """Refuse a config file another user owns or may edit: it could point the viewer check elsewhere."""
    path = config.source_path
    if path is None:
        return
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot check the config file's owner ({exc.strerror}).") from None
    uid = os.getuid()
    if st.st_uid != uid:
        raise AccessDenied(
            f"{path} belongs to uid {st.st_uid}, not to you (uid {uid}): the viewer check trusts only a config "
            "file owned by the operator who runs it. Run it as the operator, with the operator's config."
        )
    if st.st_mode & 0o022:
        who = (
            "its group and everyone"
            if st.st_mode & 0o022 == 0o022
            else "its group"
            if st.st_mode & 0o020
            else "everyone"
        )
        raise AccessDenied(
            f"{path} is writable by {who}, who could point the viewer check at another server: make it "
            f"writable by its owner only (chmod go-w {path})."
        )


def checked_base_url(settings: dict[str, Any], config: LadderConfig, where: str) -> str:
    """The GitHub base URL the sync recorded; AccessDenied when there is none or the config names another."""
    recorded = settings.get(GITHUB_BASE_URL)
    if not recorded:
        raise AccessDenied(
            f"warehouse {where} records no GitHub server (no sync with github: has written it with this "
            "version), so nobody can prove who they are: run `ladder sync` first."
        )
    configured = config.github.api_url if config.github is not None else None
    if configured != normalized_url(recorded):
        raise AccessDenied(
            f"{config.source_path}: github.base_url is {configured or 'not set'}, but the warehouse was synced "
            f"from {recorded}; the viewer check asks only the GitHub the nightly syncs from. Use the "
            "operator's config."
        )
    return recorded


def fetch_viewer(base_url: str, token_env: str, config: LadderConfig) -> Viewer:
    """The login and numeric id of the owner of the token in ``token_env``.

    Calls: GET /user
    """
    import requests
    from github import Auth, BadCredentialsException, Github, GithubException

    token = read_secret(token_env, purpose="your own GitHub token", config=config)
    RedactSecrets.register(token)
    gh = Github(base_url=base_url, auth=Auth.Token(token), retry=None, seconds_between_requests=None, timeout=30)
    try:
        user = gh.get_user()
        login, github_id = user.login, user.id
    except BadCredentialsException:
        raise AccessDenied(
            f"GitHub rejected the token in {token_env} (401): it is invalid or expired; use your own current token."
        ) from None
    except GithubException as exc:
        raise AccessDenied(
            f"GitHub answered {exc.status} to GET /user with the token in {token_env}; "
            "cannot tell who you are, so no report is shown."
        ) from None
    except (requests.RequestException, OSError) as exc:
        raise AccessDenied(
            f"cannot reach GitHub at {base_url} to check who owns the token in {token_env} "
            f"({type(exc).__name__}); no report is shown. Try again when GitHub is reachable."
        ) from None
    if not isinstance(login, str) or not isinstance(github_id, int):
        raise AccessDenied(f"GitHub's answer to GET /user at {base_url} names no login and id; no report is shown.")
    return Viewer(login, github_id)


def _not_in_roster(viewer: Viewer, why: str = "") -> AccessDenied:
    return AccessDenied(
        f"the token belongs to GitHub user {viewer.login} (id {viewer.github_id}), who is not a roster person "
        "here: viewers are matched by GitHub's numeric user id (roster github_id), with the current login "
        f"agreeing{why}. Only the engineer and their managers may read a report."
    )


def identify_viewer(wh, viewer: Viewer) -> dict[str, Any]:
    """The roster person the viewer is, by GitHub numeric id (see module doc); AccessDenied otherwise."""
    found = wh.query_viewer_candidates(viewer.github_id, viewer.login)
    by_id = found["by_github_id"]
    if len(by_id) > 1:
        raise _not_in_roster(viewer, "; the roster lists this id for several people, so it names nobody")
    if by_id:
        person = by_id[0]
        logins = person["github_logins"]
        if not logins or logins[0].lower() != viewer.login.lower():
            raise AccessDenied(
                f"GitHub user {viewer.login} (id {viewer.github_id}): the roster lists this id with another "
                "current login, and the login must agree with the id. If you renamed your GitHub account, ask "
                "the operator to put your current login first in github_logins."
            )
        return person
    by_login = found["by_current_login"]
    if len(by_login) != 1 or by_login[0]["github_id"] is not None:
        # Nobody, or the person with this login has another id: the login changed hands.
        raise _not_in_roster(viewer, "; former logins and logins that changed hands never grant access")
    person = by_login[0]
    if found["seen_ids"] != [viewer.github_id]:
        raise _not_in_roster(
            viewer,
            "; the roster gives no github_id for the person with this login, and the sync has "
            + ("recorded another id for it" if found["seen_ids"] else "not seen this account")
            + ": ask the operator to add your github_id to the roster",
        )
    return person


def manager_chain(wh, person: dict) -> list[str]:
    """person_ids of ``person``'s manager, their manager, ... (stops at a cycle); ids only, never logins."""
    chain: list[str] = []
    manager_id = person.get("manager_id")
    while manager_id and manager_id not in chain and manager_id != person["person_id"]:
        chain.append(manager_id)
        manager = wh.query_person_by_id(manager_id)
        manager_id = manager.get("manager_id") if manager else None
    return chain


def check_report_access(wh, viewer: dict[str, Any], engineer_key: str, engineer: dict[str, Any] | None) -> None:
    """Pass when ``viewer`` (a roster person) may read ``engineer``'s report; AccessDenied otherwise.

    An unknown engineer gets the same answer as a forbidden one: a viewer learns nothing of who exists.
    """
    if engineer is not None and viewer["person_id"] == engineer["person_id"]:
        return
    if engineer is not None and viewer["person_id"] in manager_chain(wh, engineer):
        log.info("report of %s read by manager %s", engineer["person_id"], viewer["person_id"])
        return
    raise AccessDenied(
        f"{viewer['person_id']} may not read the report of {engineer_key!r}: a report is shown only to the "
        "engineer and the managers above them in the roster."
    )
