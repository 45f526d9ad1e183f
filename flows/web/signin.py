"""Proving who someone is: GitHub's OAuth web flow, or a pasted personal access token, then ``GET /user``.

Nothing a browser sends is taken as an identity: the only identity is the owner of a token, as the
configured GitHub (``github.base_url``; github.com or GHES) names them, matched to a roster person by
numeric id (``rubric.access.identify_viewer``).  The token is used for that one ``GET /user`` and
dropped: never stored in the session, the feedback file, a log or a page.

OAuth (``web.oauth_client_id_env`` / ``web.oauth_client_secret_env``): ``/sign-in/github`` sends the
browser to ``<oauth>/login/oauth/authorize`` with a random ``state`` kept in the session; GitHub sends
it back to ``/auth/callback`` with a code, which is traded (with the client secret) at
``<oauth>/login/oauth/access_token``.  ``<oauth>`` is ``web.oauth_url``, else derived from the API URL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from flows.config import LadderConfig
from flows.viewer import fetch_token_owner
from rubric.access import AccessDenied, Viewer


@dataclass(frozen=True)
class OAuthApp:
    """The OAuth app's endpoints and credentials (the secret never leaves this process but to GitHub)."""

    base_url: str
    client_id: str
    client_secret: str

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/login/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/login/oauth/access_token"

    def redirect(self, redirect_uri: str, state: str) -> str:
        """Where to send the browser to sign in (no scope: ``GET /user`` needs none)."""
        query = urlencode({"client_id": self.client_id, "redirect_uri": redirect_uri, "state": state})
        return f"{self.authorize_url}?{query}"


def oauth_base(api_url: str) -> str:
    """GitHub's web host for an API URL: api.github.com -> https://github.com; GHES: ``/api/v3`` dropped."""
    parts = urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.rstrip("/")
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def oauth_app(config: LadderConfig) -> OAuthApp | None:
    """The configured OAuth app, or None when its variables are unset (or there is no ``github:``)."""
    if config.github is None:
        return None
    client_id = os.environ.get(config.web.oauth_client_id_env, "")
    secret = os.environ.get(config.web.oauth_client_secret_env, "")
    if not client_id or not secret:
        return None
    return OAuthApp(config.web.oauth_url or oauth_base(config.github.api_url), client_id, secret)


def exchange_code(app: OAuthApp, code: str, redirect_uri: str) -> str:
    """The user token GitHub gives for ``code``; AccessDenied when it refuses.

    Calls: POST /login/oauth/access_token
    """
    import requests

    try:
        answer = requests.post(
            app.token_url,
            data={
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "code": code,
                "redirect_uri": redirect_uri,
            },
            headers={"Accept": "application/json"},
            timeout=30,
        )
        payload = answer.json() if answer.ok else {}
    except (requests.RequestException, ValueError) as exc:
        raise AccessDenied(
            f"cannot reach GitHub at {app.base_url} to finish signing in ({type(exc).__name__})."
        ) from None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        error = payload.get("error") if isinstance(payload, dict) else None
        raise AccessDenied(
            f"GitHub did not sign you in ({error if isinstance(error, str) else f'HTTP {answer.status_code}'}); "
            "start again from the sign-in page."
        )
    return token


def token_owner(config: LadderConfig, token: str) -> Viewer:
    """Who owns ``token`` at the configured GitHub (``GET /user``); the token is not kept."""
    if config.github is None:
        raise AccessDenied(f"{config.source_path}: no github: section, so nobody can prove who they are.")
    return fetch_token_owner(config.github.api_url, token, "the token")
