"""Session fixtures of the report tests: the two-quarter company (``tests.support.two_quarters``), the nightly's
reports."""

from __future__ import annotations

import datetime as dt

import pytest

from flows import stages
from flows.config import read_config
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.browser import browser  # noqa: F401 (the module-scoped Chromium fixture)
from tests.support.two_quarters import Q3, Company, edit_roster


@pytest.fixture(scope="session")
def company(tmp_path_factory):
    world = generate_world(engineers=12, months=6, seed=5)
    tmp = tmp_path_factory.mktemp("two-quarters")
    with SandboxServer(world) as server, pytest.MonkeyPatch.context() as mp:
        config_path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        edits = edit_roster(tmp / "roster.yaml", world)
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        text = config_path.read_text(encoding="utf-8")
        config_path.write_text(  # the period the nightly writes: the third quarter
            text.replace("since: '2026-04-01'", "since: '2026-07-01'"), encoding="utf-8"
        )
        config = read_config(config_path)
        assert (config.reports.since, config.reports.until) == Q3
        stages.sync_roster(config)
        stages.sync_github(config)
        stages.sync_jira(config)
        stages.resolve_identities(config)
        stages.classify(config)
        stages.build_evidence(config)
        yield Company(
            world=world,
            server=server,
            config_path=config_path,
            mover="zoecosta",
            old_manager="sorenn",
            new_manager="ananya-costa",
            director="kwamed",
            leaver=edits["leaver"],
            left_on=edits["left_on"],
        )


@pytest.fixture(scope="session")
def written(company):
    """The nightly's reports for Q3: a report per IC, a prep sheet per report, a team page per manager."""
    config = read_config(company.config_path)
    at = dt.datetime(2026, 10, 1, 6, 0, tzinfo=dt.timezone.utc)
    stages.write_reports(config, now=lambda: at)
    return config.reports_dir
