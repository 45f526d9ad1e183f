"""The ``ladder`` command line: the only place that turns our errors into exit codes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from flows.cli.options import config_option, date_value
from flows.cli.preflight import preflight
from flows.config import DEFAULT_CONFIG_NAME, EXAMPLE_CONFIG, ConfigError

EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3  # a transient outage: some partitions (or a whole source) could not be read; try again later


class LadderError(click.ClickException):
    """A problem the user can fix: printed as one paragraph, exit code 2, no traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:  # noqa: D102 - click API
        from flows.terminal import clean

        click.echo(clean(f"ladder: error: {self.format_message()}"), err=True, file=file)


class OutageError(LadderError):
    """A server down or out of budget: printed like a user error, but exit code 3 (transient, try again later)."""

    exit_code = EXIT_PARTIAL


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Our error hierarchy, one small class per package; imported lazily (heavy deps)."""
    from classifiers.errors import ClassifierError
    from flows.report_views import ReportRequestError
    from miners.base import MinerError
    from miners.people.roster import RosterError
    from rubric import RubricError
    from rubric.access import AccessDenied
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
            from miners.base import SourceStop

            if isinstance(exc, SourceStop):  # a server down or out of budget: transient, not the user's input
                raise OutageError(str(exc)) from None
            if isinstance(exc, _user_error_types()):
                raise LadderError(str(exc)) from None
            raise


def _load(config_path: str):
    from flows.config import read_config

    return read_config(config_path)


@click.group(cls=LadderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ladder-signals")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors (no per-partition lines).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on standard error as text or as one JSON object each (for a log collector).",
)
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool, log_format: str) -> None:
    """ladder-signals: GitHub and Jira activity as linked, honest evidence for a career rubric.

    Evidence, not scores: every claim links to the PR, review, ticket or
    incident behind it, and every report names what the data cannot see.
    """
    from flows.runtime import configure_logging

    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet contradict each other; pass one.")
    configure_logging(verbose, quiet=quiet, log_format=log_format)
    ctx.obj = {"quiet": quiet}


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


@main.command()
@config_option
@click.option("--since", callback=date_value, metavar="DATE", help="Backfill: re-read everything changed since DATE.")
@click.option("--full", is_flag=True, help="Ignore cursors and re-read everything.")
@click.option("--no-reports", is_flag=True, help="Sync and classify only; do not write reports.")
def sync(config_path: str, since: dt.date | None, full: bool, no_reports: bool) -> None:
    """Run the nightly flow now: mine → load → classify → evidence → reports."""
    config = _load(config_path)
    preflight(config)
    from flows.nightly import run_nightly

    result = run_nightly(Path(config_path), since=since, full=full, reports=not no_reports, config=config)
    _echo_sync_summary(result, quiet=bool((click.get_current_context().find_root().obj or {}).get("quiet")))


def _echo_sync_summary(result: dict, quiet: bool = False) -> None:
    from flows.sources import source_names
    from flows.terminal import clean

    failed = []
    quarantined = 0
    for source in source_names():
        for s in result.get(source) or []:
            quarantined += int(s.get("quarantined") or 0)
            if s.get("error"):
                failed.append(s)
                continue
            if quiet:
                continue
            click.echo(
                clean(
                    f"{s['partition']}: +{s['inserted']} new, {s['updated']} changed, "
                    f"{s['unchanged']} unchanged" + (f", cursor {s['cursor']}" if s.get("cursor") else "")
                )
            )
    if not quiet:
        click.echo(f"labels changed: {result['labels_changed']}, evidence rows changed: {result['evidence_changed']}")
        for path in result.get("reports") or []:
            click.echo(f"index: {path}")
    if quarantined:
        click.echo(
            f"quarantined: {quarantined} items could not be parsed and were stored raw with their error "
            "(table quarantined_records); everything else was synced",
            err=True,
        )
    if failed:
        for s in failed:
            click.echo(f"{s['partition']}: NOT SYNCED: {s['error']}", err=True)
        click.echo(
            f"ladder: partial sync: {len(failed)} partitions could not be read this run and keep their cursors "
            f"(the next sync retries them); the rest is up to date and the reports mark what is not. "
            f"Exit status {EXIT_PARTIAL}.",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_PARTIAL)


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
@click.option("--serve", is_flag=True, help="Then run `ladder serve` on it (with the sandbox) until Ctrl-C.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port for --serve.")
def demo(out: str, engineers: int, seed: int, serve: bool, port: int) -> None:
    """Build a synthetic company, serve it over the GitHub and Jira APIs, run the nightly flow on it
    (and with --serve, the web app: prints its URL and two sign-ins)."""
    from flows.demo import run_demo

    run_demo(Path(out), engineers=engineers, seed=seed, echo=click.echo, serve=serve, port=port)


def _register_commands() -> None:
    """The commands that live next to the stage they drive, in one ``ladder`` group."""
    from flows.cli import classify, ops, people, reports, sandbox, serve

    classify.register(main)
    ops.register(main)
    people.register(main)
    reports.register(main)
    sandbox.register(main)
    serve.register(main)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
