"""Who is reading, and what a reader must prove: the policy the nightly recorded, the operator's config, GET /user.

``ladder report --viewer-token-env NAME`` relies on nothing that comes from the reader:

- **the policy** (is a viewer required? which GitHub answers ``GET /user``?) is what the nightly's config
  recorded in the warehouse (``ladder_settings``, written by every writing stage through
  ``flows.writer`` from ``access_settings``); a config that disagrees about the GitHub server is refused,
  and one that drops ``require_viewer`` changes nothing;
- **the config file** must belong to the user running the command and be writable by nobody else;
- **the viewer** is the owner of their own token, as GitHub's ``GET /user`` names them (login and numeric
  id); the token is used for that one call and never stored or logged.

Whether that viewer may read a report is the access rule in ``rubric.access``.
"""

from __future__ import annotations

import os
from typing import Any

from flows.config import ConfigError, LadderConfig, normalized_url, read_secret
from flows.runtime import RedactSecrets
from rubric.access import AccessDenied, Viewer

REQUIRE_VIEWER = "reports.require_viewer"
GITHUB_BASE_URL = "github.base_url"


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
    token = read_secret(token_env, purpose="your own GitHub token", config=config)
    RedactSecrets.register(token)
    return fetch_token_owner(base_url, token, f"the token in {token_env}")


def fetch_token_owner(base_url: str, token: str, what: str = "the token") -> Viewer:
    """The login and numeric id of the owner of ``token`` (used for this one call, never kept or logged).

    Calls: GET /user
    """
    import requests
    from github import Auth, BadCredentialsException, Github, GithubException

    gh = Github(base_url=base_url, auth=Auth.Token(token), retry=None, seconds_between_requests=None, timeout=30)
    try:
        user = gh.get_user()
        login, github_id = user.login, user.id
    except BadCredentialsException:
        raise AccessDenied(
            f"GitHub rejected {what} (401): it is invalid or expired; use your own current token."
        ) from None
    except GithubException as exc:
        raise AccessDenied(
            f"GitHub answered {exc.status} to GET /user with {what}; cannot tell who you are, so no report is shown."
        ) from None
    except (requests.RequestException, OSError) as exc:
        raise AccessDenied(
            f"cannot reach GitHub at {base_url} to check who owns {what} ({type(exc).__name__}); no report is "
            "shown. Try again when GitHub is reachable."
        ) from None
    finally:
        gh.close()
    if not isinstance(login, str) or not isinstance(github_id, int):
        raise AccessDenied(f"GitHub's answer to GET /user at {base_url} names no login and id; no report is shown.")
    return Viewer(login, github_id)
