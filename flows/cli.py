"""The ``ladder`` command line: the only place that turns our errors into exit codes."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from flows.cli_options import config_option
from flows.config import DEFAULT_CONFIG_NAME, EXAMPLE_CONFIG, ConfigError, ReportFormat

EXIT_BAD_INPUT = 2


class LadderError(click.ClickException):
    """A problem the user can fix: printed as one paragraph, exit code 2, no traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(f"ladder: error: {self.format_message()}", err=True, file=file)


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Our error hierarchy, one small class per package; imported lazily (heavy deps)."""
    from classifiers.errors import ClassifierError
    from flows.access import AccessDenied
    from flows.report_views import ReportRequestError
    from miners.base import MinerError
    from miners.roster import RosterError
    from rubric import RubricError
    from sandbox.world import WorldError
    from warehouse import WarehouseError

    return (
        AccessDenied,
        ClassifierError,
        ConfigError,
        MinerError,
        ReportRequestError,
        RosterError,
        RubricError,
        WorldError,
        WarehouseError,
    )


class LadderGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, _user_error_types()):
                raise LadderError(str(exc)) from None
            raise


def _date(_ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-07-01") from None


def _load(config_path: str):
    from flows.config import read_config

    return read_config(config_path)


@click.group(cls=LadderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ladder-signals")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """ladder-signals: GitHub and Jira activity as linked, honest evidence for a career rubric.

    Evidence, not scores: every claim links to the PR, review, ticket or
    incident behind it, and every report names what the data cannot see.
    """
    from flows.runtime import configure_logging

    configure_logging(verbose)


@main.command()
@click.option(
    "--path",
    default=DEFAULT_CONFIG_NAME,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the example config.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented example ladder.yaml to edit."""
    target = Path(path)
    if target.exists() and not force:
        raise LadderError(f"{target} already exists; pass --force to overwrite it or --path to write elsewhere.")
    try:
        target.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise LadderError(f"cannot write {target}: {exc.strerror}. Choose another --path.") from None
    click.echo(f"wrote {target}: set the token variables it names, then run `ladder sync --config {target}`")


def preflight(config) -> None:
    """Fail fast, before any flow starts, on everything a user can get wrong."""
    from flows.config import read_secret
    from warehouse import open_warehouse

    if config.github is not None:
        read_secret(config.github.token_env, purpose="GitHub token", config=config)
    if config.jira is not None:
        read_secret(config.jira.token_env, purpose="Jira token", config=config)
        if config.jira.email_env:
            read_secret(config.jira.email_env, purpose="Jira account e-mail", config=config)
    if config.github is None and config.jira is None:
        raise ConfigError(
            f"{config.source_path}: neither github: nor jira: is configured — add at least one "
            "source (see `ladder init`)."
        )
    if config.roster is not None:
        config.read_roster_file()
    with open_warehouse(config.warehouse_path):
        pass


@main.command()
@config_option
@click.option("--since", callback=_date, metavar="DATE", help="Backfill: re-read everything changed since DATE.")
@click.option("--full", is_flag=True, help="Ignore cursors and re-read everything.")
@click.option("--no-reports", is_flag=True, help="Sync and classify only; do not write reports.")
def sync(config_path: str, since: dt.date | None, full: bool, no_reports: bool) -> None:
    """Run the nightly flow now: mine → load → classify → evidence → reports."""
    config = _load(config_path)
    preflight(config)
    from flows.nightly import run_nightly

    result = run_nightly(Path(config_path), since=since, full=full, reports=not no_reports)
    _echo_sync_summary(result)


def _echo_sync_summary(result: dict) -> None:
    for source in ("roster", "github", "jira"):
        for s in result.get(source) or []:
            click.echo(
                f"{s['partition']}: +{s['inserted']} new, {s['updated']} changed, "
                f"{s['unchanged']} unchanged" + (f", cursor {s['cursor']}" if s.get("cursor") else "")
            )
    click.echo(f"labels changed: {result['labels_changed']}, evidence rows changed: {result['evidence_changed']}")
    for path in result.get("reports") or []:
        click.echo(f"index: {path}")


@main.command()
@config_option
@click.option("--engineer", required=True, metavar="LOGIN", help="GitHub login or roster id of the engineer.")
@click.option("--since", callback=_date, metavar="DATE", help="Period start (default: from the config).")
@click.option("--until", callback=_date, metavar="DATE", help="Period end, inclusive (default: today).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.option(
    "--viewer-token-env",
    metavar="NAME",
    help="Prove who you are with your own GitHub token, read from environment variable NAME: "
    "you may read your own report and those of people below you in the roster (a former manager: "
    "the days the person was on their team).",
)
@click.option(
    "--self-review",
    is_flag=True,
    help="Write a Markdown self-review draft instead: per area the strongest items as bullets to edit, and "
    "the behaviours the data cannot see as prompts.",
)
def report(
    config_path: str,
    engineer: str,
    since,
    until,
    fmt: ReportFormat,
    out: str | None,
    viewer_token_env: str | None,
    self_review: bool,
) -> None:
    """Write one engineer's evidence report for a period."""
    from flows import stages
    from flows.report_views import person_report
    from rubric import render_report, render_self_review

    if self_review and fmt != "md":
        raise LadderError("--self-review writes Markdown to edit; drop --format or use --format md.")
    config = _load(config_path)
    data = person_report(config, engineer, since, until, viewer_token_env=viewer_token_env, now=stages.utcnow())
    if self_review:
        text = render_self_review(data)
        _write(text, out)
        return
    _write(render_report(data, fmt), out)


def _write(text: str, out: str | None) -> None:
    """``text`` into ``out``, or to standard output."""
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise LadderError(f"cannot write {out}: {exc.strerror}. Choose another --out path.") from None
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.option(
    "--out",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the world, warehouse, config and reports.",
)
@click.option(
    "--engineers", default=40, show_default=True, type=click.IntRange(5, 2000), help="Size of the synthetic company."
)
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same company.")
def demo(out: str, engineers: int, seed: int) -> None:
    """Build a synthetic company, serve it over the GitHub and Jira APIs, run the nightly flow on it."""
    from flows.demo import run_demo

    run_demo(Path(out), engineers=engineers, seed=seed, echo=click.echo)


@main.group()
def sandbox() -> None:
    """The synthetic company: generate a world file, serve it over the real APIs."""


@sandbox.command("generate")
@click.option("--engineers", default=40, show_default=True, type=click.IntRange(5, 5000))
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 36))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The world JSON file to write.")
def sandbox_generate(engineers: int, months: int, seed: int, out: str) -> None:
    """Generate a deterministic world file (same seed → same bytes)."""
    from sandbox.generate import generate_world
    from sandbox.world import write_world

    world = generate_world(engineers=engineers, months=months, seed=seed)
    write_world(world, out)
    click.echo(
        json.dumps(
            {
                "world": out,
                "people": len(world.people),
                "pull_requests": len(world.pull_requests),
                "tickets": len(world.jira_issues),
            }
        )
    )


def _register_commands() -> None:
    """Commands that live next to the stage they drive."""
    from flows import cli_classify, cli_people, cli_sandbox, cli_team

    cli_classify.register(main)
    cli_people.register(main)
    cli_team.register(main)
    cli_sandbox.register(sandbox)
    from sandbox import describe

    describe.register(sandbox)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
