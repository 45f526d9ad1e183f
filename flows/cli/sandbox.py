"""``ladder sandbox``: generate a world file, describe it, serve it over the GitHub and Jira APIs.

``register(main)`` adds the ``sandbox`` group to the ``ladder`` group.  The
world, its generator and the server are ``sandbox``; ``describe`` is
``sandbox.describe``'s command.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from sandbox import describe


@click.group()
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


def _now(_ctx, _param, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date-time; use ISO 8601, e.g. 2026-09-15T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class _ListenError(click.ClickException):
    """The server cannot listen where asked."""

    exit_code = 2  # bad input, as everywhere in the ladder CLI


@sandbox.command("serve")
@click.option("--world", "world_path", required=True, type=click.Path(dir_okay=False), help="The world JSON file.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--write-config",
    type=click.Path(dir_okay=False),
    help="Also write a ladder.yaml pointing at this server (plus PATH.env with the tokens).",
)
@click.option(
    "--tokens",
    default=1,
    show_default=True,
    type=click.IntRange(1, 9),
    help="GitHub tokens --write-config puts in the config: more than one writes a credential pool "
    "(github.credentials), each token with a rate budget of its own.",
)
@click.option(
    "--now",
    callback=_now,
    metavar="DATETIME",
    help="Start the virtual clock here instead of the world's `now` (later activity is invisible; "
    "move it with POST /_sandbox/clock).",
)
@click.option(
    "--faults",
    "faults_name",
    metavar="PROFILE",
    help="Inject faults: a shipped profile name (flaky, outage, throttled) or a YAML file.",
)
@click.option(
    "--real-time-limits",
    is_flag=True,
    help="Count GitHub's secondary rate limits (requests per minute) in real minutes: the virtual clock stands "
    "still, so a sync longer than a minute's allowance would otherwise be refused for good.",
)
def serve(
    world_path: str,
    host: str,
    port: int,
    write_config: str | None,
    tokens: int,
    now: dt.datetime | None,
    faults_name: str | None,
    real_time_limits: bool,
) -> None:
    """Serve a world over GitHub- and Jira-shaped HTTP APIs in the foreground (Ctrl-C stops)."""
    from sandbox.config_writer import write_sandbox_config
    from sandbox.faults import FaultProfileError, load_profile
    from sandbox.server import SandboxServer
    from sandbox.world import read_world

    world = read_world(world_path)
    try:
        profile = load_profile(faults_name) if faults_name else None
    except FaultProfileError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    try:
        server = SandboxServer(world, host=host, port=port, now=now, faults=profile)
    except OSError as exc:
        raise _ListenError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port (0 picks a free one)"
        ) from None
    if real_time_limits:
        import time

        from sandbox.github.http import side

        started = time.monotonic()
        side(server.state).secondary_real_seconds = lambda: time.monotonic() - started
    click.echo(f"GitHub REST: {server.github_url}")
    click.echo(f"Jira:        {server.jira_url}")
    click.echo(f"stats:       {server.base_url}/_sandbox/stats")
    click.echo(f"clock:       {server.base_url}/_sandbox/clock (now {server.state.now.isoformat()})")
    if profile is not None:
        click.echo(f"faults:      {faults_name} ({len(profile.rules)} rules, seed {profile.seed})")
    if write_config:
        path = write_sandbox_config(world, server, Path(write_config), tokens=tokens)
        click.echo(f"config:      {path} (tokens in {path}.env)")
    server.serve_forever()


describe.register(sandbox)


def register(main: click.Group) -> None:
    """Add the ``sandbox`` group (generate, describe, serve) to ``main``."""
    main.add_command(sandbox)
