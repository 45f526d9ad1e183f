"""``ladder.yaml``: the one file a user writes, validated with pydantic (unknown keys rejected).

Secrets never live in the file: it names environment variables (``token_env``)
and the token is read from the environment at run time.  Every problem becomes
a ``ConfigError`` whose message names the file, the key path and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_NAME = "ladder.yaml"
_ENV_NAME_HELP = "an environment variable name such as GITHUB_TOKEN (letters, digits, underscores)"


class ConfigError(Exception):
    """The config cannot be used; the message says where and how to fix it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not value.replace("_", "").isalnum():
        raise ValueError(f"must be {_ENV_NAME_HELP}, not the token itself")
    return value


class GitHubConfig(_Section):
    base_url: str = "https://api.github.com"
    token_env: str = "GITHUB_TOKEN"
    orgs: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    include_archived: bool = False
    overlap_minutes: int = Field(default=60, ge=0)

    _env = field_validator("token_env")(_check_env_name)


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
    period_days: int = Field(default=90, ge=1)
    since: dt.date | None = None  # a fixed period overrides period_days
    until: dt.date | None = None
    # `ladder report` asks for the viewer's own GitHub token and shows a report only to the
    # engineer and the managers above them (the nightly job writes every report for the operator).
    require_viewer: bool = False
    # Who gets which rubric's report; the first entry that matches a person wins, and people no entry
    # matches (managers and other ladders, by default) get no IC report.
    rubrics: list[RubricChoice] = Field(default_factory=_ic_levels)


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

    source_path: Path | None = Field(default=None, exclude=True)

    def read_roster_file(self):
        """The roster this config names (YAML, or people CSV + teams YAML), validated."""
        from miners.roster import read_roster

        return read_roster(self.resolve(self.roster), teams=self.resolve(self.roster_teams))

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
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}. Fix the syntax there.") from None
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
    lines = []
    for err in exc.errors()[:5]:
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        fix = _FIXES.get(err["type"], "")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{key}: {msg}" + (f" — {fix}" if fix else ""))
    more = len(exc.errors()) - len(lines)
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
"""
