"""The report commands of the ``ladder`` CLI: ``report`` (one engineer, or a self-review draft) and ``team``
(a manager's team page and 1:1 prep sheets).

``register(main)`` adds them to the ``ladder`` group.  No business logic: who may read what and which
rubric applies are ``flows.report_views`` / ``flows.team_command``, the content ``rubric``.
"""

from __future__ import annotations

from pathlib import Path

import click

from flows.cli.options import config_option, date_value
from flows.config import ReportFormat

VIEWER_HELP = (
    "Prove who you are with your own GitHub token, read from environment variable NAME: "
    "{who}. An operator convenience: required when the nightly's config set reports.require_viewer (the "
    "warehouse records it), checked against the GitHub the sync reads, with a config file only you can edit."
)


def _write(text: str, out: str | None) -> None:
    """``text`` into ``out``, or to standard output (with no control or bidi characters)."""
    from flows.report_views import ReportRequestError

    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportRequestError(f"cannot write {out}: {exc.strerror}. Choose another --out path.") from None
        click.echo(f"wrote {out}", err=True)
    else:
        from flows.terminal import clean

        click.echo(clean(text), nl=False)


@click.command()
@config_option
@click.option("--engineer", required=True, metavar="LOGIN", help="GitHub login or roster id of the engineer.")
@click.option("--since", callback=date_value, metavar="DATE", help="Period start (default: from the config).")
@click.option("--until", callback=date_value, metavar="DATE", help="Period end, inclusive (default: today).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.option(
    "--viewer-token-env",
    metavar="NAME",
    help=VIEWER_HELP.format(
        who="you may read your own report and those of people below you in the roster (a former manager: "
        "the days the person was on their team)"
    ),
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
    from flows.config import read_config
    from flows.report_views import ReportRequestError, person_report
    from rubric import render_report, render_self_review

    if self_review and fmt != "md":
        raise ReportRequestError("--self-review writes Markdown to edit; drop --format or use --format md.")
    config = read_config(config_path)
    data = person_report(config, engineer, since, until, viewer_token_env=viewer_token_env, now=stages.utcnow())
    _write(render_self_review(data) if self_review else render_report(data, fmt), out)


@click.command()
@config_option
@click.option("--manager", required=True, metavar="LOGIN", help="GitHub login or roster id of the manager.")
@click.option("--since", callback=date_value, metavar="DATE", help="Period start (default: from the config).")
@click.option("--until", callback=date_value, metavar="DATE", help="Period end, inclusive (default: today).")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.option(
    "--prep-dir",
    type=click.Path(file_okay=False),
    help="Also write a printable 1:1 prep sheet per report (LOGIN.html and LOGIN.md) into this folder.",
)
@click.option(
    "--viewer-token-env",
    metavar="NAME",
    help=VIEWER_HELP.format(who="the manager and the managers above them may read the page"),
)
def team(
    config_path: str,
    manager: str,
    since,
    until,
    fmt: str,
    out: str | None,
    prep_dir: str | None,
    viewer_token_env: str | None,
) -> None:
    """Write a manager's team page: everyone below them, grouped by team, alphabetical, never ranked."""
    from flows import stages
    from flows.config import read_config
    from flows.team_command import manager_page
    from rubric.render import render_prep_sheet, render_team_page

    config = read_config(config_path)
    page, sheets = manager_page(config, manager, since, until, viewer_token_env=viewer_token_env, now=stages.utcnow())
    if prep_dir:
        folder = Path(prep_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for sheet in sheets:
            stem = stages.report_stem(sheet["report"]["engineer"]["login"])
            for kind in ("html", "md"):
                (folder / f"{stem}.{kind}").write_text(render_prep_sheet(sheet, kind), encoding="utf-8")
        click.echo(f"wrote {len(sheets)} prep sheets to {folder}", err=True)
    _write(render_team_page(page, fmt), out)  # type: ignore[arg-type]


def register(main: click.Group) -> None:
    """Add ``ladder report`` and ``ladder team`` to the ``ladder`` group."""
    main.add_command(report)
    main.add_command(team)
