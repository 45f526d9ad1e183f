"""``ladder serve``: reports, notes and disputes on the web (``flows.web``), for signed-in roster people."""

from __future__ import annotations

import click

from flows.cli.options import config_option


def register(main: click.Group) -> None:
    @main.command("serve")
    @config_option
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any).")
    def serve(config_path: str, host: str, port: int) -> None:
        """Serve each person's report, with their notes and disputes, from the nightly's latest snapshot.

        People sign in with GitHub (the OAuth app named by web: in the config, or a pasted token checked
        once); they see their own pages, managers their people's, admins everyone's. See docs/web.md.
        """
        from flows.config import read_config
        from flows.snapshot import current_snapshot
        from flows.web.serve import WebServer

        config = read_config(config_path)
        if current_snapshot(config) is None:
            click.echo(
                f"note: no snapshot in {config.snapshots_dir} yet; pages answer 503 until the nightly "
                "(`ladder sync`) has published one.",
                err=True,
            )
        server = WebServer(config, host, port)
        click.echo(f"serving on {server.url}  (Ctrl-C stops)")
        server.run()
