"""Options every ``ladder`` command that reads a config shares, declared once."""

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
