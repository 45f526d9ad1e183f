"""``ladder.yaml``: the one file a user writes, validated with pydantic (unknown keys rejected).

Secrets never live in the file: it names environment variables (``token_env``)
and the token is read from the environment at run time.  Every problem becomes
a ``ConfigError`` whose message names the file, the key path and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from miners import yaml_strict
from miners.validation import message, validation_problems, yaml_problem

DEFAULT_CONFIG_NAME = "ladder.yaml"
_ENV_NAME_HELP = "an environment variable name such as GITHUB_TOKEN (letters, digits, underscores)"


class ConfigError(Exception):
    """The config cannot be used; the message says where and how to fix it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Values that are tokens, not variable names: GitHub (classic, fine-grained, OAuth, app, refresh), GitLab,
# Slack, Atlassian API tokens, AWS keys; and long hex or mixed-case base64-like strings.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "atatt", "akia")
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def looks_like_token(value: str) -> bool:
    """True when ``value`` is shaped like a secret (a known token prefix, long hex, long mixed-case base64)."""
    text = value.strip()
    if text.lower().startswith(_TOKEN_PREFIXES) and len(text) >= 12:
        return True
    if _HEX.match(text):
        return True
    has = (any(c.islower() for c in text), any(c.isupper() for c in text), any(c.isdigit() for c in text))
    return (len(text) >= 36 and all(has) and "_" not in text) or (len(text) >= 20 and any(c in text for c in "+/="))


def check_env_name(value: str, key: str) -> str | None:
    """None when ``value`` can name an environment variable; else the problem, never repeating ``value``.

    A token pasted where a variable name belongs is named as such (and must not be echoed: it would land
    in terminals and logs).
    """
    if looks_like_token(value):
        return (
            f"{key} holds what looks like a token itself, not an environment variable name: export the "
            "token in a variable (e.g. export GITHUB_TOKEN=...) and write that variable's name here; the value "
            "is not shown, and a token that was written into a file should be revoked"
        )
    if not _ENV_NAME.match(value):
        return f"{key} must be {_ENV_NAME_HELP}"
    return None


def _check_env_name(value: str | None, info) -> str | None:
    if value is not None:
        problem = check_env_name(value, "the value")
        if problem is not None:
            raise ValueError(problem)
    return value


def _check_http_url(value: str, info) -> str:
    parts = urlsplit(value.strip()) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise ValueError(
            f"{info.field_name} must be an http(s) URL with a host, such as https://api.github.com or "
            "https://acme.atlassian.net (no user name or password in it)"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError(f"{info.field_name} has an invalid port; use a number from 1 to 65535") from None
    return value.strip()


def normalized_url(url: str) -> str:
    """``url`` with a lower-case scheme and host and no trailing slash: the form settings compare."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def _check_date(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be a date between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


class GitHubAppConfig(_Section):
    """Read GitHub as a GitHub App installation instead of with a personal token (docs/operations.md)."""

    app_id: int = Field(ge=1)
    installation_id: int = Field(ge=1)
    # the variable holding the *path* of the App's private key (PEM); the key itself never goes in the config
    private_key_path_env: str = "GITHUB_APP_PRIVATE_KEY_PATH"

    _env = field_validator("private_key_path_env")(_check_env_name)


class GitHubCredentialConfig(_Section):
    """One credential of a pool (``github.credentials``): a personal token *or* a GitHub App installation."""

    token_env: str | None = None  # the variable holding a personal token
    app: GitHubAppConfig | None = None

    _env = field_validator("token_env")(_check_env_name)

    @model_validator(mode="after")
    def _one_kind(self) -> GitHubCredentialConfig:
        if (self.token_env is None) == (self.app is None):
            raise ValueError(
                "each credential is either a token (token_env: VARIABLE) or a GitHub App (app: {app_id, "
                "installation_id, private_key_path_env}); give exactly one of the two"
            )
        return self

    @property
    def name(self) -> str:
        """What logs, Prefect tags and ``sync_runs`` call it: the variable's name, or ``app-<installation id>``."""
        return self.token_env if self.app is None else f"app-{self.app.installation_id}"  # type: ignore[return-value]


class GitHubConfig(_Section):
    base_url: str = "https://api.github.com"
    token_env: str = "GITHUB_TOKEN"
    app: GitHubAppConfig | None = None  # set: installation tokens from this App; token_env is not read
    # a pool: several tokens and/or Apps, each with its own rate budget (replaces token_env / app)
    credentials: list[GitHubCredentialConfig] = Field(default_factory=list)
    orgs: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    include_archived: bool = False
    overlap_minutes: int = Field(default=60, ge=0)

    _env = field_validator("token_env")(_check_env_name)
    _url = field_validator("base_url")(_check_http_url)

    @field_validator("include")
    @classmethod
    def _some_repos(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('an empty list mines no repository at all; use ["*"] for every repo of the orgs')
        return value

    @model_validator(mode="after")
    def _pool_or_single(self) -> GitHubConfig:
        if self.credentials and {"token_env", "app"} & self.model_fields_set:
            raise ValueError(
                "credentials replaces token_env and app: list the token or App in credentials, or drop credentials"
            )
        names = [c.name for c in self.credentials]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"credentials lists {', '.join(repeated)} more than once; list each credential once")
        return self

    @property
    def pool(self) -> list[GitHubCredentialConfig]:
        """Every credential the miner may use: ``credentials``, or the single ``app`` / ``token_env``."""
        if self.credentials:
            return list(self.credentials)
        if self.app is not None:
            return [GitHubCredentialConfig(app=self.app)]
        return [GitHubCredentialConfig(token_env=self.token_env)]

    @property
    def api_url(self) -> str:
        """``base_url`` normalised (what the warehouse records and the viewer check compares)."""
        return normalized_url(self.base_url)


class JiraConfig(_Section):
    url: str
    flavour: Literal["auto", "cloud", "datacenter"] = "auto"
    email_env: str | None = None  # Cloud: basic auth is e-mail + API token
    token_env: str = "JIRA_TOKEN"
    projects: list[str] = Field(min_length=1)
    incident_types: list[str] = Field(default_factory=lambda: ["Incident"])
    incident_projects: list[str] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)  # logical name -> customfield id
    overlap_minutes: int = Field(default=5, ge=0)

    _env = field_validator("token_env", "email_env")(_check_env_name)
    _url = field_validator("url")(_check_http_url)


class ClassifierConfig(_Section):
    model_dir: Path | None = None  # default: <warehouse dir>/models
    rules: Path | None = None  # extra rules YAML


ReportFormat = Literal["md", "html", "json"]


def _all_formats() -> list[ReportFormat]:
    return ["md", "html", "json"]


class RubricChoice(_Section):
    """Which people a rubric's report is for: every key given must match (no key: everyone)."""

    levels: list[str] = Field(default_factory=list)  # globs over roster levels: ["IC*"], ["IC3", "IC4"]
    job_families: list[str] = Field(default_factory=list)  # roster job_family values
    rubric: Path | None = None  # a rubric YAML; default: the config's top-level ``rubric``


def _ic_levels() -> list[RubricChoice]:
    return [RubricChoice(levels=["IC*"])]


class ReportConfig(_Section):
    out_dir: Path = Path("reports")
    formats: list[ReportFormat] = Field(default_factory=_all_formats)
    period_days: int = Field(default=90, ge=1, le=36500)
    since: dt.date | None = None  # a fixed period overrides period_days
    until: dt.date | None = None
    # `ladder report` asks for the viewer's own GitHub token and shows a report only to the
    # engineer and the managers above them (the nightly job writes every report for the operator).
    require_viewer: bool = False
    # Who gets which rubric's report; the first entry that matches a person wins, and people no entry
    # matches (managers and other ladders, by default) get no IC report.
    rubrics: list[RubricChoice] = Field(default_factory=_ic_levels)

    _dates = field_validator("since", "until")(_check_date)


class FilesConfig(_Section):
    """Who may read what the nightly writes (warehouse, reports, models): by default its operator alone."""

    mode: str = "0600"  # octal file mode; folders get x wherever r is set (0600 -> 0700, 0640 -> 0750)
    group: str | None = None  # chgrp everything written to this operator group (e.g. with mode 0640)

    @field_validator("mode")
    @classmethod
    def _private(cls, value: str) -> str:
        if not re.fullmatch(r"0?[0-7]{3}", value.strip()):
            raise ValueError('must be an octal file mode in quotes, such as "0600" or "0640"')
        bits = int(value, 8)
        if bits & 0o600 != 0o600:
            raise ValueError("must let the operator read and write (0600 at least)")
        if bits & 0o007:
            raise ValueError(
                "gives every user of the machine access to people's evidence; share with an operator group "
                'instead (mode: "0640" and group: NAME)'
            )
        if bits & 0o111:
            raise ValueError("must not make files executable; folders get x where r is set on their own")
        return value.strip()

    @property
    def file_mode(self) -> int:
        return int(self.mode, 8)

    @property
    def dir_mode(self) -> int:
        bits = self.file_mode
        return bits | ((bits & 0o444) >> 2)


class WebConfig(_Section):
    """``ladder serve``: sign-in, sessions, who sees everything, where feedback and snapshots live."""

    # The GitHub OAuth app (github.com: Settings > Developer settings > OAuth Apps; GHES alike) whose
    # callback URL is <public_url>/auth/callback.  Unset variables: only the pasted-token sign-in works.
    oauth_client_id_env: str = "LADDER_OAUTH_CLIENT_ID"
    oauth_client_secret_env: str = "LADDER_OAUTH_CLIENT_SECRET"
    oauth_url: str | None = None  # default: from github.base_url (api.github.com -> github.com, GHES: /api/v3 off)
    allow_token_sign_in: bool = True  # a pasted personal access token, checked with GET /user and discarded
    session_secret_env: str = "LADDER_SESSION_SECRET"  # unset: a random key, sessions end with the server
    session_hours: float = Field(default=8, gt=0, le=24 * 30)
    public_url: str | None = None  # e.g. https://ladder.acme.internal (https: cookies are Secure)
    admins: list[str] = Field(default_factory=list)  # roster person ids who may read everyone's pages
    feedback: Path | None = None  # default: <warehouse>.feedback.sqlite
    snapshots: Path | None = None  # default: <warehouse>.snapshots/ (the nightly publishes one per run)
    # Failed sign-ins allowed per client address and per GitHub account in the window; then 429 (docs/web.md).
    sign_in_failures: int = 5
    sign_in_window_minutes: float = 15

    _env = field_validator("oauth_client_id_env", "oauth_client_secret_env", "session_secret_env")(_check_env_name)

    @field_validator("sign_in_failures")
    @classmethod
    def _failures(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise ValueError(
                f"{value} is out of range: use a whole number of failed sign-ins from 1 to 1000 (default 5)"
            )
        return value

    @field_validator("sign_in_window_minutes")
    @classmethod
    def _window(cls, value: float) -> float:
        if not 0 < value <= 24 * 60:
            raise ValueError(f"{value} is out of range: use minutes above 0 and at most 1440, a day (default 15)")
        return value

    @field_validator("oauth_url", "public_url")
    @classmethod
    def _url(cls, value: str | None, info) -> str | None:
        return None if value is None else _check_http_url(value, info).rstrip("/")


class RunConfig(_Section):
    """How the nightly flow runs its mining tasks (docs/operations.md)."""

    # threads: mapped per-partition tasks on in-process threads (default); dask: the same tasks on a Dask
    # cluster (prefect-dask); sequential: one task per source, one after the other (the flow before issue 13).
    task_runner: Literal["threads", "dask", "sequential"] = "threads"
    dask_address: str | None = None  # tcp://scheduler:8786 of a running cluster; unset: a local cluster
    dask_workers: int = Field(default=4, ge=1, le=256)  # workers of the local cluster
    concurrency: int = Field(default=4, ge=1, le=100)  # mining tasks in flight per source
    retries: int = Field(default=2, ge=0, le=10)  # Prefect retries of a partition that failed transiently
    retry_delay_seconds: float = Field(default=30.0, ge=0, le=3600)


class LadderConfig(_Section):
    version: Literal[1] = 1
    warehouse: Path = Path("ladder.duckdb")
    roster: Path | None = None  # roster YAML, or a people CSV (then teams come from roster_teams)
    roster_teams: Path | None = None  # teams YAML, when ``roster`` is a people CSV
    identities: Path | None = None  # accepted / rejected identity matches (docs/identity.md)
    rubric: Path | None = None  # default: the packaged IC4 MLE rubric
    github: GitHubConfig | None = None
    jira: JiraConfig | None = None
    classifiers: ClassifierConfig = Field(default_factory=ClassifierConfig)
    reports: ReportConfig = Field(default_factory=ReportConfig)
    files: FilesConfig = Field(default_factory=FilesConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    run: RunConfig = Field(default_factory=RunConfig)

    source_path: Path | None = Field(default=None, exclude=True)

    def resolve(self, path: Path | None) -> Path | None:
        """Resolve a path from the file relative to the config file's folder."""
        if path is None:
            return None
        if path.is_absolute() or self.source_path is None:
            return path
        return self.source_path.parent / path

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse)  # type: ignore[return-value]

    @property
    def model_dir(self) -> Path:
        return self.resolve(self.classifiers.model_dir) or self.warehouse_path.parent / "models"

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.reports.out_dir)  # type: ignore[return-value]

    @property
    def feedback_path(self) -> Path:
        """The feedback file (notes and the web audit log): ``web.feedback`` or beside the warehouse."""
        path = self.warehouse_path
        return self.resolve(self.web.feedback) or path.with_name(path.name + ".feedback.sqlite")

    @property
    def snapshots_dir(self) -> Path:
        """Where the nightly publishes the read-only snapshots ``ladder serve`` reads."""
        path = self.warehouse_path
        return self.resolve(self.web.snapshots) or path.with_name(path.name + ".snapshots")


_FIXES = {
    "extra_forbidden": "remove it or check its spelling (see `ladder init` for every key)",
    "missing": "add it (see `ladder init` for an example)",
    "too_short": "give at least one value",
    "literal_error": "use one of the allowed values",
    "bool_parsing": "use true or false",
    "int_parsing": "use a whole number",
    "date_from_datetime_parsing": "use a date like 2026-01-31",
    "date_parsing": "use a date like 2026-01-31",
    "model_type": "this key must hold a mapping of keys, not a single value",
    "list_type": "use a YAML list, e.g. [a, b]",
    "string_type": "use a text value",
}


def read_config(path: str | Path) -> LadderConfig:
    """Read and validate ``path``; raise ConfigError naming file, key path and fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found. Create one with `ladder init --path {path}` "
            "or pass --config PATH (try `make demo` to see a working setup)."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc}). Check the path and its permissions.") from None
    try:
        data = yaml_strict.load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML {yaml_problem(exc)}. Fix it there.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the config must be a mapping of keys (warehouse:, github:, ...), "
            f"not a {type(data).__name__}. See `ladder init` for an example."
        )
    try:
        config = LadderConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None
    config.source_path = path
    return config


def _describe(path: Path, exc: ValidationError) -> str:
    def what(err: Any) -> str:
        fix = _FIXES.get(err["type"], "")
        return ("unknown key" if err["type"] == "extra_forbidden" else message(err)) + (f" — {fix}" if fix else "")

    lines, more = validation_problems(exc, limit=5, what=what)
    tail = f" (and {more} more problems)" if more > 0 else ""
    return f"{path}: invalid config: " + "; ".join(lines) + tail + "."


def read_secret(env_name: str, *, purpose: str, config: LadderConfig) -> str:
    """The value of environment variable ``env_name``; ConfigError if unset or empty."""
    value = os.environ.get(env_name, "")
    if not value:
        where = config.source_path or DEFAULT_CONFIG_NAME
        raise ConfigError(
            f"{where}: the {purpose} is read from the environment variable {env_name}, which is not set. "
            f"Export it (export {env_name}=...) or change the variable name in the config."
        )
    return value


EXAMPLE_CONFIG = """\
# ladder-signals configuration (validated: unknown keys are rejected).
# Paths are relative to this file.  Secrets are never written here: each
# *_env key names the environment variable that holds the secret.
version: 1

# The DuckDB file the nightly sync keeps up to date (one writer at a time).
warehouse: ladder.duckdb

# Who is who: people, teams, levels, managers, owned repos and Jira projects.
# See docs/roster.md for the format.
roster: roster.yaml
# roster: people.csv             # or people in a CSV ...
# roster_teams: teams.yaml       # ... with the teams in YAML (docs/roster.md)
# identities: identities.yaml   # accepted / rejected identity suggestions (see `ladder identities`)

# rubric: my-rubric.yaml   # default: the packaged IC4 Machine Learning Engineer rubric

github:
  # https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server
  base_url: https://api.github.com
  token_env: GITHUB_TOKEN        # a token with read access to the orgs below
  # app:                         # or a GitHub App installation (tokens refreshed before they expire):
  #   app_id: 12345
  #   installation_id: 67890
  #   private_key_path_env: GITHUB_APP_PRIVATE_KEY_PATH   # the variable holding the PEM file's path
  # credentials:                 # or a pool (instead of token_env / app), each with its own rate budget;
  #   - token_env: GITHUB_TOKEN_A   # each repository is read with the one that has the most budget left
  #   - token_env: GITHUB_TOKEN_B
  #   - app: {app_id: 12345, installation_id: 67890, private_key_path_env: GITHUB_APP_PRIVATE_KEY_PATH}
  orgs: [acme]
  include: ["*"]                 # globs on org/repo
  exclude: ["acme/sandbox-*"]
  include_archived: false
  overlap_minutes: 60            # re-read this much before the cursor each night

jira:
  url: https://acme.atlassian.net
  flavour: auto                  # auto | cloud | datacenter
  email_env: JIRA_EMAIL          # Cloud: the account e-mail for basic auth
  token_env: JIRA_TOKEN          # Cloud API token, or a Data Center personal access token
  projects: [ML, SEARCH]
  incident_types: [Incident]
  incident_projects: [SEV]
  fields: {}                     # e.g. {severity: customfield_10123} to override field lookup by name
  overlap_minutes: 5

classifiers:
  model_dir: models              # trained model artifacts (created on first run)

reports:
  out_dir: reports
  formats: [md, html, json]
  period_days: 90                # the report period ends today
  # since: 2026-07-01            # or a fixed period
  # until: 2026-10-01
  require_viewer: false          # true: `ladder report` needs --viewer-token-env (own report or your reports' only)
  rubrics:                       # who gets which rubric's report: the first match wins; no match, no report
    - levels: ["IC*"]            # globs over roster levels (and/or job_families: [mle]); rubric: default above
  #  - levels: [M1]              # e.g. also give first-line managers the IC rubric's report

# `ladder serve` (docs/web.md): sign-in with GitHub (OAuth app, or a pasted token checked once), sessions,
# who sees everything. People see their own pages, managers their subtree, admins everyone.
# web:
#   oauth_client_id_env: LADDER_OAUTH_CLIENT_ID         # the OAuth app's client id ...
#   oauth_client_secret_env: LADDER_OAUTH_CLIENT_SECRET # ... and secret, from the environment
#   public_url: https://ladder.acme.internal            # the app's address (callback: /auth/callback)
#   session_hours: 8
#   admins: [ana]                                       # roster person ids
#   sign_in_failures: 5                                 # failed sign-ins per address / account ...
#   sign_in_window_minutes: 15                          # ... in this window, then 429 until it passes

# Who may read what the nightly writes (warehouse, reports, models): by default only the user running
# it (files 0600, folders 0700). To let an operator group read them (never write), e.g.:
# files:
#   mode: "0640"                 # folders get 0750
#   group: ladder-ops

# How the nightly runs its mining tasks (docs/operations.md):
# run:
#   task_runner: threads         # threads | dask | sequential
#   dask_address: tcp://scheduler:8786   # dask: a running cluster (unset: a local one of dask_workers)
#   concurrency: 4               # mining tasks in flight per source
#   retries: 2                   # Prefect retries of a partition that failed transiently
#   retry_delay_seconds: 30
"""
