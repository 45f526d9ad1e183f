"""Who is reading: the GitHub login that owns the viewer's own token (``GET /user``).

The token is read from the environment variable the viewer names, used for
that one call and never stored or logged.  Whether that login may read a
report is the access rule in ``rubric.access``.
"""

from __future__ import annotations

from flows.config import ConfigError, LadderConfig, read_secret
from flows.runtime import RedactSecrets
from rubric.access import AccessDenied


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
