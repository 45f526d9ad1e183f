"""Operating the nightly: ``ladder schedule`` (a Prefect deployment), ``ladder runs``, ``ladder doctor``.

``register(main)`` adds them to the ``ladder`` group.  ``runs`` and ``doctor`` never start Prefect.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from flows.cli.options import config_option
from flows.terminal import clean


def register(main: click.Group) -> None:
    main.add_command(schedule)
    main.add_command(runs)
    main.add_command(doctor)


@click.command()
@config_option
@click.option("--cron", required=True, metavar="CRON", help='When to run, five cron fields, e.g. "15 2 * * *".')
@click.option("--timezone", default="UTC", show_default=True, help="The IANA time zone the cron is read in.")
@click.option("--name", default="ladder-nightly", show_default=True, help="The deployment's name in Prefect.")
@click.option("--dry-run", is_flag=True, help="Build the deployment and print it as JSON; do not serve it.")
def schedule(config_path: str, cron: str, timezone: str, name: str, dry_run: bool) -> None:
    """Serve the nightly flow on a cron schedule through Prefect (a Prefect server or Prefect Cloud)."""
    from flows.cli.preflight import preflight
    from flows.config import read_config
    from flows.deploy import build_deployment, describe, serve

    config = read_config(config_path)
    if not dry_run:
        preflight(config)
    deployment = build_deployment(Path(config_path), cron, name=name, timezone=timezone)
    if dry_run:
        click.echo(json.dumps(describe(deployment), indent=2))
        return
    click.echo(f"serving deployment nightly/{name} ({cron}, {timezone}); stop with Ctrl-C", err=True)
    serve(deployment)


@click.command()
@config_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="How many runs.")
@click.option("--source", default=None, help="Only this source's runs (roster, github, jira).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def runs(config_path: str, limit: int, source: str | None, as_json: bool) -> None:
    """List the latest sync runs per source: status, items, requests, budget spent, errors, duration, and what
    each GitHub credential cost (by name) and whether GitHub rejected it."""
    from flows.config import ConfigError, read_config
    from warehouse import open_warehouse

    config = read_config(config_path)
    if not config.warehouse_path.exists():
        raise ConfigError(f"no warehouse at {config.warehouse_path} yet: run `ladder sync --config {config_path}`.")
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        rows = wh.read_runs(limit, source)
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    click.echo(
        f"{'started (UTC)':<17} {'source':<7} {'status':<8} {'items':>7} {'requests':>8} {'budget':>7} "
        f"{'failed':>6} {'seconds':>8}  runner"
    )
    for r in rows:
        seconds = f"{r['duration_seconds']:.1f}" if r["duration_seconds"] is not None else "-"
        click.echo(
            clean(
                f"{r['started_at']:%Y-%m-%d %H:%M} {r['source']:<7} {r['status']:<8} {r['items']:>7} "
                f"{r['requests']:>8} {r['budget_points']:>7} {r['partitions_failed']:>6} {seconds:>8}  "
                f"{r['task_runner'] or '-'}" + (f"\n    error: {r['error']}" if r["error"] else "")
            )
        )
        for c in r["credentials"]:  # a GitHub pool's credentials, by name
            click.echo(
                clean(
                    f"    credential {c['credential']}: {c['requests']} requests, {c['budget_points']} budget"
                    + (f"; REJECTED: {c['rejected']}" if c["rejected"] else "")
                )
            )


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def doctor(config_path: str, as_json: bool) -> None:
    """Check the config, tokens, servers (reachable, scopes, rate budget left), the warehouse and the last runs.

    Exit status 0 when everything can sync, 2 for bad input (config, a token), 3 when only a server is down.
    """
    from flows.doctor import exit_status, run_checks

    checks = run_checks(config_path)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        for c in checks:
            click.echo(clean(f"{c.status:<4}  {c.name}: {c.detail}"))
    status = exit_status(checks)
    if status:
        raise click.exceptions.Exit(status)
