"""The sources the nightly flow mines, in order, and how each is built from the config.

A source (``miners.source.Source``) is what to mine; this registry says, per
source, whether the config asks for it, what to check before a run starts
(``ladder sync``'s preflight: secrets set, files valid) and how to build it
with its client.  ``flows.stages.sync_source`` and the flow iterate it; adding
a source is one more entry here (docs/architecture.md, "Adding a source").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.config import (
    ConfigError,
    GitHubAppConfig,
    GitHubCredentialConfig,
    LadderConfig,
    normalized_url,
    read_secret,
)
from flows.runtime import RedactSecrets
from miners.github.info import INFO as GITHUB
from miners.jira.info import INFO as JIRA
from miners.people.source import INFO as ROSTER
from miners.source import Source, SourceInfo


@dataclass(frozen=True)
class SourceEntry:
    """One source of the registry: its description and how the config turns into it."""

    info: SourceInfo
    configured: Callable[[LadderConfig], bool]  # the config has a section for it
    check: Callable[[LadderConfig], None]  # fail fast before a run (raise ConfigError, RosterError, ...)
    build: Callable[[LadderConfig], Source]  # the source with its client, for one sync
    activity: bool = True  # it mines activity (a deployment needs at least one such source)
    unconfigured: str | None = None  # the warning a sync logs when the config does not ask for it


def _secret(config: LadderConfig, env_name: str, purpose: str) -> str:
    value = read_secret(env_name, purpose=purpose, config=config)
    RedactSecrets.register(value)
    return value


# --- the roster ------------------------------------------------------------------------


def read_roster(config: LadderConfig) -> Any:
    """The roster the config names (YAML, or people CSV + teams YAML), validated (``miners.people.model.Roster``)."""
    from miners.people.roster import read_roster as read

    path = config.resolve(config.roster)
    assert path is not None
    return read(path, teams=config.resolve(config.roster_teams))


def _roster(config: LadderConfig) -> Source:
    from miners.people.source import RosterSource

    return RosterSource(read_roster(config))


# --- GitHub ------------------------------------------------------------------------------


def _check_github(config: LadderConfig) -> None:
    assert config.github is not None
    for credential in config.github.pool:
        _credential_auth(config, credential)


def _app_private_key(config: LadderConfig, app: GitHubAppConfig | None = None) -> str:
    """The GitHub App's private key, read from the file the configured variable names."""
    from pathlib import Path

    assert config.github is not None
    app = app or config.github.app
    assert app is not None
    env = app.private_key_path_env
    path = Path(read_secret(env, purpose="path of the GitHub App's private key", config=config))
    try:
        key = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{config.source_path}: cannot read the GitHub App's private key at the path in {env} "
            f"({getattr(exc, 'strerror', None) or type(exc).__name__}): point {env} at the App's .pem file."
        ) from None
    if "PRIVATE KEY" not in key:
        raise ConfigError(
            f"{config.source_path}: the file named by {env} is not a PEM private key: download the App's "
            "private key from its settings page and point the variable at it."
        )
    RedactSecrets.register(key.strip())
    return key


def _credential_secret(config: LadderConfig, credential: GitHubCredentialConfig) -> str:
    """One credential's secret (a token, or an App's private key), read from the environment and registered for
    redaction (ConfigError naming the variable)."""
    if credential.app is not None:
        return _app_private_key(config, credential.app)
    assert credential.token_env is not None
    return _secret(config, credential.token_env, "GitHub token")


def _credential_auth(config: LadderConfig, credential: GitHubCredentialConfig) -> Any:
    """PyGithub's auth for one credential (``_credential_secret``)."""
    from github import Auth

    secret = _credential_secret(config, credential)
    if credential.app is not None:
        # PyGithub exchanges a JWT signed with the key for an installation token (POST
        # /app/installations/{id}/access_tokens on base_url) and refreshes it before it expires.
        app = credential.app
        return Auth.AppAuth(app.app_id, secret).get_installation_auth(app.installation_id)
    return Auth.Token(secret)


def github_client(config: LadderConfig, credential: GitHubCredentialConfig | None = None) -> Any:
    """A PyGithub client for the configured server with ``credential`` (default: the pool's first)."""
    from github import Github

    gh = config.github
    assert gh is not None
    auth = _credential_auth(config, credential or gh.pool[0])
    # PyGithub otherwise sleeps 0.25 s before every request and 1 s before every POST (GraphQL
    # reads are POSTs), and retries on its own; the miner's one policy (miners.github.ratelimit)
    # paces, waits and retries from the response headers on an injectable clock instead.
    return Github(
        base_url=gh.base_url.rstrip("/"),
        auth=auth,
        per_page=100,
        timeout=30,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


_POOLS: dict[tuple[str, str, tuple[str, ...], str], Any] = {}
_POOLS_LOCK = threading.Lock()


def github_pool(config: LadderConfig) -> Any:
    """The process's ``CredentialPool`` for the configured GitHub and credentials: every partition mined in this
    process (the flow's threads) shares it, and so what GitHub said about each credential's budget."""
    from miners.github.pool import CredentialPool

    gh = config.github
    assert gh is not None
    credentials = {c.name: c for c in gh.pool}
    # Every secret read (and registered for redaction) up front, once: their digest keys the process's pool, so a
    # token or key renewed in the environment makes a new pool, in which a credential GitHub rejected before is
    # tried again (the digest is kept in memory only).
    secrets = hashlib.sha256()
    for credential in credentials.values():
        secrets.update(_credential_secret(config, credential).encode("utf-8", "surrogatepass") + b"\0")

    def connect(name: str) -> Any:
        return github_client(config, credentials[name])

    where = str(config.source_path) if config.source_path else None
    if len(credentials) == 1:  # one credential: nothing to share, each partition learns its budget as before
        return CredentialPool(list(credentials), connect, config_file=where)
    specs = tuple(c.model_dump_json() for c in credentials.values())
    key = (str(config.source_path), normalized_url(gh.base_url), specs, secrets.hexdigest())
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = CredentialPool(list(credentials), connect, config_file=where)
        return pool


def _github(config: LadderConfig) -> Source:
    from miners.github.source import GitHubSource

    gh = config.github
    assert gh is not None
    return GitHubSource(
        github_pool(config),
        gh.orgs,
        include=gh.include,
        exclude=gh.exclude,
        include_archived=gh.include_archived,
        overlap=dt.timedelta(minutes=gh.overlap_minutes),
    )


# --- Jira --------------------------------------------------------------------------------


def _check_jira(config: LadderConfig) -> None:
    assert config.jira is not None
    read_secret(config.jira.token_env, purpose="Jira token", config=config)
    if config.jira.email_env:
        read_secret(config.jira.email_env, purpose="Jira account e-mail", config=config)


def jira_client(config: LadderConfig) -> Any:
    """A jira client: basic auth (Cloud e-mail + API token) or a bearer token (Data Center PAT).

    ``max_retries=0``: the miner's own retry policy (miners.jira.client) honours Retry-After on an
    injectable clock; the client's retries would stack real sleeps under it.
    """
    from miners.jira.client import connect_jira

    jc = config.jira
    assert jc is not None
    token = _secret(config, jc.token_env, "Jira token")
    common: dict[str, Any] = {"options": {"rest_api_version": "2"}, "max_retries": 0, "timeout": 30}
    if jc.email_env:
        email = _secret(config, jc.email_env, "Jira account e-mail")
        return connect_jira(jc.url.rstrip("/"), basic_auth=(email, token), **common)
    return connect_jira(jc.url.rstrip("/"), token_auth=token, **common)


def _jira(config: LadderConfig) -> Source:
    from miners.jira.source import JiraSource

    jc = config.jira
    assert jc is not None
    return JiraSource(
        jira_client(config),
        jc.projects,
        incident_types=jc.incident_types,
        incident_projects=jc.incident_projects,
        overlap=dt.timedelta(minutes=jc.overlap_minutes),
        field_ids=jc.fields,
    )


# --- the registry ------------------------------------------------------------------------

# People first: activity is attributed through them.
SOURCES: tuple[SourceEntry, ...] = (
    SourceEntry(
        ROSTER,
        lambda c: c.roster is not None,
        read_roster,
        _roster,
        activity=False,
        unconfigured="no roster configured: activity cannot be attributed to teams or levels",
    ),
    SourceEntry(GITHUB, lambda c: c.github is not None, _check_github, _github),
    SourceEntry(JIRA, lambda c: c.jira is not None, _check_jira, _jira),
)


def source_names() -> tuple[str, ...]:
    """Every source the flow knows, in the order it syncs them."""
    return tuple(entry.info.name for entry in SOURCES)


def source_entry(name: str) -> SourceEntry:
    for entry in SOURCES:
        if entry.info.name == name:
            return entry
    raise KeyError(f"no source {name!r}; the sources are {', '.join(source_names())}")


def configured_activity_sources(config: LadderConfig) -> tuple[str, ...]:
    """The activity sources this deployment mines (``github``, ``jira``), in registry order."""
    return tuple(e.info.name for e in SOURCES if e.activity and e.configured(config))


def build_source(config: LadderConfig, name: str) -> Source | None:
    """Source ``name`` with its client, or None when the config does not ask for it."""
    entry = source_entry(name)
    if not entry.configured(config):
        return None
    return entry.build(config)
