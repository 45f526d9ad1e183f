"""Options every ``ladder`` command that reads a config or a period shares, declared once."""

from __future__ import annotations

import click

from flows.config import DEFAULT_CONFIG_NAME

config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG_NAME,
    show_default=True,
    metavar="PATH",
    help="The ladder.yaml to use.",
)


def date_value(_ctx, _param, value):
    """Click callback for a ``--since`` / ``--until`` option: a YYYY-MM-DD date in the range the product reads."""
    if value is None:
        return None
    import datetime as dt

    from flows.config import EARLIEST_DATE, LATEST_DATE

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-07-01") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise click.BadParameter(f"{value} is out of range; use a date between {EARLIEST_DATE} and {LATEST_DATE}")
    return day
