"""``ladder team``: a manager's team page (everyone below them, by team, alphabetical) and 1:1 prep sheets.

``register(main)`` adds the command; the composition is ``flows.team_pages``, the content ``rubric.team``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from flows.cli_options import config_option


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-07-01") from None


def register(main: click.Group) -> None:
    """Add ``ladder team`` to the ``ladder`` command group."""

    @main.command("team")
    @config_option
    @click.option("--manager", required=True, metavar="LOGIN", help="GitHub login or roster id of the manager.")
    @click.option("--since", callback=_date, metavar="DATE", help="Period start (default: from the config).")
    @click.option("--until", callback=_date, metavar="DATE", help="Period end, inclusive (default: today).")
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
        help="Prove who you are with your own GitHub token, read from environment variable NAME: "
        "the manager and the managers above them may read the page.",
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
        page, sheets = manager_page(
            config, manager, since, until, viewer_token_env=viewer_token_env, now=stages.utcnow()
        )
        if prep_dir:
            folder = Path(prep_dir)
            folder.mkdir(parents=True, exist_ok=True)
            for sheet in sheets:
                stem = stages._safe_stem(sheet["report"]["engineer"]["login"])
                for kind in ("html", "md"):
                    (folder / f"{stem}.{kind}").write_text(render_prep_sheet(sheet, kind), encoding="utf-8")
            click.echo(f"wrote {len(sheets)} prep sheets to {folder}", err=True)
        text = render_team_page(page, fmt)  # type: ignore[arg-type]
        if out:
            try:
                Path(out).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise click.ClickException(f"cannot write {out}: {exc.strerror}. Choose another --out path.") from None
            click.echo(f"wrote {out}", err=True)
        else:
            click.echo(text, nl=False)
