"""The Source contract: every source the flow mines says what it mines, and its batches keep to it."""

from __future__ import annotations

import importlib.resources
import re

import pytest

from flows import sources
from flows.config import read_config
from miners.records import ALL_RECORD_TYPES, AccountRecord, PullRequestRecord
from miners.source import Source, SyncRequest
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

STAGING = sorted(
    entry.name.removesuffix(".sql")
    for entry in importlib.resources.files("warehouse.sql").joinpath("staging").iterdir()
    if entry.name.endswith(".sql")
)


def test_the_registry_syncs_people_first_then_each_activity_source_once():
    assert sources.source_names() == ("roster", "github", "jira")
    assert [e.activity for e in sources.SOURCES] == [False, True, True]
    with pytest.raises(KeyError, match="roster, github, jira"):
        sources.source_entry("gitlab")


def test_the_sources_record_types_are_every_record_type_and_each_names_its_staging_views():
    infos = [e.info for e in sources.SOURCES]
    mined = [t for info in infos for t in info.record_types]
    assert set(mined) == set(ALL_RECORD_TYPES)
    assert [t for t in mined if t is not AccountRecord] == list(
        dict.fromkeys(t for t in mined if t is not AccountRecord)
    )
    for info in infos:
        assert set(info.staging_views) <= set(STAGING), info.name
        assert (AccountRecord in info.record_types) == (info.account_system is not None), info.name
    assert set(STAGING) == {v for info in infos for v in info.staging_views}  # every staging view has a source


def _matches(pattern: str, partition: str) -> bool:
    """``github:{org}/{repo}`` matches ``github:acme/trainer``: each ``{name}`` is one path segment."""
    parts = re.split(r"(\{\w+\})", pattern)
    return re.fullmatch("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts), partition) is not None


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    world = tiny_world()
    tmp = tmp_path_factory.mktemp("sources")
    with SandboxServer(world) as server:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in sandbox_env(world).items():
                mp.setenv(key, value)
            yield read_config(write_sandbox_config(world, server, tmp / "ladder.yaml"))


@pytest.mark.parametrize("name", sources.source_names())
def test_each_sources_batches_keep_to_its_description(configured, name):
    source: Source | None = sources.build_source(configured, name)
    assert source is not None and source.info.name == name
    with open_warehouse(configured.warehouse_path) as wh:
        batches = list(source.mine(SyncRequest(cursors={}, stored=wh)))
    assert batches
    for batch in batches:
        assert batch.source == name
        assert any(_matches(p, batch.partition) for p in source.info.partitions), batch.partition
        for record in batch.records:
            assert type(record) in source.info.record_types, type(record).__name__
            if isinstance(record, AccountRecord):
                assert record.system == source.info.account_system
    assert any(b.cursor for b in batches) == (source.info.cursor is not None)


def test_an_unconfigured_source_mines_nothing(configured):
    bare = configured.model_copy(update={"jira": None, "roster": None})
    assert sources.build_source(bare, "jira") is None and sources.build_source(bare, "roster") is None
    assert sources.configured_activity_sources(bare) == ("github",)


def test_the_warehouse_answers_everything_a_source_may_ask():
    import inspect

    from miners.source import Stored
    from warehouse import Warehouse

    asked = [name for name, value in vars(Stored).items() if not name.startswith("_") and callable(value)]
    assert {"read_updated", "count_stored", "read_quarantined_items", "read_http_cache"} <= set(asked)
    for name in asked:
        answer = getattr(Warehouse, name, None)
        assert callable(answer), f"Warehouse.{name} is missing"
        assert list(inspect.signature(answer).parameters) == list(inspect.signature(vars(Stored)[name]).parameters)


def test_the_sync_records_a_run_for_every_source_and_a_summary_per_partition(configured):
    from flows import stages

    summaries = {name: stages.sync_source(configured, name) for name in sources.source_names()}
    assert all(summaries.values()) and not [s for part in summaries.values() for s in part if s["error"]]
    with open_warehouse(configured.warehouse_path, read_only=True) as wh:
        runs = dict(wh.con.execute("SELECT source, status FROM sync_runs").fetchall())
        stored_prs = wh.count_stored(PullRequestRecord, "github:acme/trainer")
    assert runs == {"roster": "ok", "github": "ok", "jira": "ok"}
    assert stored_prs == sum(1 for p in tiny_world().pull_requests if p.repo == "acme/trainer")
