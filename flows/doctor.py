"""``ladder doctor``: is this deployment ready to sync, and how did it do lately?

Each check is one line: ``ok``, ``warn`` or ``fail``, with what was seen and, when it is not ok, the fix.
The checks: the config; each source's token variables; each source's server (reachable, the token accepted,
its scopes, the rate budget left: one request each, GitHub ``GET /user`` per credential of the pool, or an
installation-token exchange per App, and Jira ``GET myself``); the
warehouse (opens read-only, migrations current, partitions failing, items quarantined); each source's
last successful run (``sync_runs``); and what each GitHub credential cost in the last GitHub run, warning
about those GitHub rejected (``sync_run_credentials``).  A failed check of the config or a token is bad
input (exit 2); a server that cannot be reached is a transient outage (exit 3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

from flows.config import ConfigError, GitHubAppConfig, GitHubCredentialConfig, LadderConfig, read_config

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    transient: bool = False  # a failure that may pass by itself (a server down), not bad input

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_checks(config_path: str, *, now: dt.datetime | None = None) -> list[Check]:
    """Every check, in order; a config that cannot be read ends the list."""
    try:
        config = read_config(config_path)
    except ConfigError as exc:
        return [Check("config", "fail", str(exc))]
    checks = [Check("config", "ok", f"{config_path} is valid")]
    checks.extend(_source_checks(config))
    checks.extend(_warehouse_checks(config, now or dt.datetime.now(dt.timezone.utc)))
    return checks


def exit_status(checks: list[Check]) -> int:
    """0 all usable; 2 bad input (config, token); 3 only transient failures (a server down)."""
    failed = [c for c in checks if c.status == "fail"]
    if not failed:
        return 0
    return 3 if all(c.transient for c in failed) else 2


def _source_checks(config: LadderConfig) -> list[Check]:
    from flows.sources import SOURCES

    out: list[Check] = []
    for entry in SOURCES:
        name = entry.info.name
        if not entry.configured(config):
            out.append(Check(name, "warn" if name == "roster" else "ok", f"{name} is not configured"))
            continue
        try:
            entry.check(config)
        except Exception as exc:  # the registry's checks raise our user errors (ConfigError, RosterError)
            out.append(Check(f"{name} config", "fail", str(exc)))
            continue
        out.append(Check(f"{name} config", "ok", "secrets set" if entry.activity else "roster valid"))
        if name == "github":
            out.extend(_github_checks(config))
        elif name == "jira":
            out.append(_jira_check(config))
    return out


def _github_checks(config: LadderConfig) -> list[Check]:
    """Each credential of the pool (``github.credentials``, or the one token / App): ``github server`` for a
    single credential, ``github server (NAME)`` for each of a pool's."""
    assert config.github is not None
    pool = config.github.pool
    return [_github_check(config, c, "github server" if len(pool) == 1 else f"github server ({c.name})") for c in pool]


def _github_check(config: LadderConfig, credential: GitHubCredentialConfig, name: str) -> Check:
    """One ``GET /user``: the server answers, accepts the token; its scopes and the core budget left."""
    import github
    import requests

    from flows.sources import github_client

    base = config.github.base_url if config.github else ""
    if credential.app is not None:
        return _github_app_check(config, credential.app, base, name)
    gh = github_client(config, credential)
    try:
        login = gh.get_user().login
    except github.BadCredentialsException:
        return Check(name, "fail", f"{base} rejects the token in {credential.token_env}: replace it")
    except github.GithubException as exc:
        return Check(name, "fail", f"{base} answered {exc.status}", transient=exc.status >= 500)
    except (requests.RequestException, OSError) as exc:
        return Check(name, "fail", f"cannot reach {base} ({type(exc).__name__}); check the network", transient=True)
    remaining, limit = gh.rate_limiting
    scopes = gh.oauth_scopes
    scope_text = f"scopes {', '.join(scopes) or 'none'}" if scopes is not None else "scopes not reported"
    status: Status = "warn" if limit and remaining < limit // 10 else "ok"
    who = f" (the token in {credential.token_env})" if name != "github server" else ""
    return Check(name, status, f"{base} as {login}{who}; {scope_text}; core budget {remaining}/{limit} left")


def _github_app_check(config: LadderConfig, app: GitHubAppConfig, base: str, name: str) -> Check:
    """One installation-token exchange (an installation token cannot read ``/user``)."""
    import github
    import requests
    from github import Auth

    from flows.sources import _app_private_key

    integration = github.GithubIntegration(
        base_url=base.rstrip("/"), auth=Auth.AppAuth(app.app_id, _app_private_key(config, app)), retry=None
    )
    try:
        issued = integration.get_access_token(app.installation_id)
    except github.GithubException as exc:
        what = "rejects the App's JWT (app_id or private key wrong)" if exc.status == 401 else f"answered {exc.status}"
        return Check(name, "fail", f"{base} {what}", transient=exc.status >= 500)
    except (requests.RequestException, OSError) as exc:
        return Check(name, "fail", f"cannot reach {base} ({type(exc).__name__})", transient=True)
    return Check(
        name,
        "ok",
        f"{base}: GitHub App {app.app_id} installation {app.installation_id} token issued, expires "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC (refreshed before it expires)",
    )


def _jira_check(config: LadderConfig) -> Check:
    """One ``GET myself``: the server answers and accepts the credentials."""
    import requests
    from jira.exceptions import JIRAError

    from flows.sources import jira_client

    url = config.jira.url if config.jira else ""
    try:
        client = jira_client(config)
        me = client.myself()
    except JIRAError as exc:
        status = exc.status_code or 0
        if status in (401, 403):
            return Check("jira server", "fail", f"{url} rejects the credentials in {_env(config, 'jira')}")
        return Check("jira server", "fail", f"{url} answered {status or 'an error'}", transient=status >= 500)
    except (requests.RequestException, OSError) as exc:
        return Check("jira server", "fail", f"cannot reach {url} ({type(exc).__name__})", transient=True)
    who = me.get("displayName") or me.get("name") or me.get("accountId") or "?"
    return Check("jira server", "ok", f"{url} as {who}")


def _env(config: LadderConfig, source: str) -> str:
    section = config.github if source == "github" else config.jira
    return getattr(section, "token_env", "?")


def _warehouse_checks(config: LadderConfig, now: dt.datetime) -> list[Check]:
    from warehouse import WarehouseError, open_warehouse

    path = config.warehouse_path
    if not path.exists():
        return [Check("warehouse", "warn", f"{path} does not exist yet: `ladder sync` creates it")]
    try:
        with open_warehouse(path, read_only=True) as wh:
            failing = wh.read_failing_partitions()
            quarantined = wh.read_quarantine_counts()
            last = wh.read_last_success()
            last_github = wh.read_runs(1, "github")
    except WarehouseError as exc:
        return [Check("warehouse", "fail", str(exc))]
    out = [
        Check(
            "warehouse",
            "warn" if failing else "ok",
            f"{path}: {len(failing)} partitions failing"
            + (
                f" ({', '.join(f['partition'] for f in failing[:3])}{' …' if len(failing) > 3 else ''})"
                if failing
                else ""
            )
            + (f"; quarantined {', '.join(f'{s} {n}' for s, n in quarantined.items())}" if quarantined else ""),
        )
    ]
    from flows.sources import SOURCES

    for entry in SOURCES:
        if not entry.configured(config):
            continue
        name = entry.info.name
        at = last.get(name)
        if at is None:
            out.append(Check(f"{name} last run", "warn", "no successful sync yet"))
        else:
            age = now - at
            stale = age > dt.timedelta(days=2)
            out.append(
                Check(
                    f"{name} last run",
                    "warn" if stale else "ok",
                    f"last successful sync {at:%Y-%m-%d %H:%M} UTC ({age.days} days ago)",
                )
            )
    if last_github and last_github[0]["credentials"]:
        out.append(_credentials_check(last_github[0]))
    return out


def _credentials_check(run: dict[str, Any]) -> Check:
    """What each GitHub credential cost in the last GitHub run, and those GitHub rejected (warn: the run went on
    without them)."""
    costs = run["credentials"]
    rejected = [c for c in costs if c["rejected"]]
    spent = ", ".join(f"{c['credential']} {c['budget_points']}" for c in costs if not c["rejected"])
    detail = f"budget charged in the last run ({run['run_id']}): {spent or 'none'}"
    if rejected:
        detail += "; rejected by GitHub, the run went on without them: " + ", ".join(
            f"{c['credential']} ({c['rejected']})" for c in rejected
        )
        detail += "; renew them or remove them from github.credentials"
    return Check("github credentials", "warn" if rejected else "ok", detail)
