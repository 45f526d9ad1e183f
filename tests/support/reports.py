"""``ladder report`` as a user runs it, for the report and access tests."""

from __future__ import annotations

from click.testing import CliRunner, Result

from flows.cli.main import main


def run_report(config_path, engineer: str, viewer_token: str | None, *extra: str) -> Result:
    """``ladder report --engineer ENGINEER --format json`` (+ ``--viewer-token-env`` when a token is given)."""
    env = {"VIEWER_TOKEN": viewer_token} if viewer_token is not None else {}
    args = ["report", "--config", str(config_path), "--engineer", engineer, "--format", "json", *extra]
    if viewer_token is not None:
        args += ["--viewer-token-env", "VIEWER_TOKEN"]
    return CliRunner().invoke(main, args, env=env)
