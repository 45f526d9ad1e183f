"""A sandbox world served on loopback and synced through the real stages into a real DuckDB file.

``synced_world`` serves the world, writes the sandbox's config and roster (optionally edited), runs the
nightly's stages in order (the same functions the Prefect tasks call) and yields while the server still
answers, so ``ladder report --viewer-token-env`` can ask its ``GET /user``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from flows import stages
from flows.config import LadderConfig, read_config
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.support.reports import run_report

NIGHTLY = ("sync_roster", "sync_github", "sync_jira", "resolve_identities", "classify", "build_evidence")


@dataclass
class Synced:
    world: World
    server: SandboxServer
    config_path: Path
    config: LadderConfig

    @property
    def dir(self) -> Path:
        return self.config_path.parent

    def variant(self, name: str, edit: Callable[[dict], Any]) -> Path:
        """A copy of the config (same warehouse, roster, ...) with ``edit`` applied to its dict."""
        doc = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        edit(doc)
        path = self.dir / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def report(self, engineer: str, viewer_token: str | None = None, *, config: Path | None = None) -> Result:
        """``ladder report --format json`` in-process; the viewer's token (if any) in VIEWER_TOKEN."""
        return run_report(config or self.config_path, engineer, viewer_token)


def edit_yaml(path: Path, edit: Callable[[dict], Any]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


@contextmanager
def synced_world(
    world: World,
    tmp: Path,
    *,
    roster: Callable[[dict], Any] | None = None,
    config: Callable[[dict], Any] | None = None,
    stage_names: tuple[str, ...] = NIGHTLY,
    reports: bool = False,
    **server_options: Any,
) -> Iterator[Synced]:
    with SandboxServer(world, **server_options) as server, pytest.MonkeyPatch.context() as mp:
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        config_path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        if roster is not None:
            edit_yaml(tmp / "roster.yaml", roster)
        if config is not None:
            edit_yaml(config_path, config)
        loaded = read_config(config_path)
        for name in stage_names:
            getattr(stages, name)(loaded)
        if reports:
            stages.write_reports(loaded)
        yield Synced(world, server, config_path, loaded)
