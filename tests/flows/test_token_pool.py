"""GitHub credential pools (issue 13, scale-out): several tokens, each with its own budget, against the sandbox.

Real PyGithub over loopback; the sandbox keeps a rate budget per token and meters what each was charged
(``stats()["github"]["budget"]``).  Only the clock and the sleep are replaced: every wait of the miner's
rate-limit policy moves the sandbox's virtual clock (``tests.support.harness.VirtualTime``), so a spent
budget's reset costs nothing but a counted wait.
"""

from __future__ import annotations

import functools
import threading

import pytest
from click.testing import CliRunner

import miners.github.miner
import miners.github.source
from flows import stages
from flows.cli.main import main
from flows.config import ConfigError, read_config
from flows.sources import build_source
from miners.base import MinerError
from miners.github.pool import CredentialPool
from miners.github.ratelimit import RateLimitPolicy
from miners.source import SyncRequest
from sandbox.config_writer import github_token_envs, sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.github.http import side
from sandbox.server import SandboxServer
from tests.support.github import FETCHED
from tests.support.harness import VirtualTime
from tests.support.synced import edit_yaml

BAD = "ghp_" + "x" * 36  # not a sandbox token


@pytest.fixture(scope="module")
def world():
    return generate_world(engineers=12, months=2, seed=3)  # 7 repos, 6 with PRs to mine


def _setup(world, tmp_path, monkeypatch, server, tokens: int):
    for key, value in sandbox_env(world, tokens).items():
        monkeypatch.setenv(key, value)
    config = read_config(write_sandbox_config(world, server, tmp_path / f"ladder-{tokens}.yaml", tokens=tokens))
    vt = VirtualTime(server.state)
    virtual = functools.partial(RateLimitPolicy, clock=vt.clock, sleep=vt.sleep)
    monkeypatch.setattr(miners.github.source, "RateLimitPolicy", virtual)  # the partitioned path's policies
    return config, vt


def _mine_partitioned(config) -> set:
    """``plan`` then ``mine_work`` per repository, as the flow's tasks do; every record read."""
    source = build_source(config, "github")
    request = SyncRequest(cursors={}, now=lambda: FETCHED)
    plan = source.plan(request)  # type: ignore[union-attr]
    records: set = {r for b in plan.batches for r in b.records}
    for work in plan.work:
        for batch in source.mine_work(request, work):  # type: ignore[union-attr]
            assert batch.error is None, batch.error
            records |= set(batch.records)
    return records


def _mined(world, tmp_path, monkeypatch, tokens: int, limit: int | None = None):
    """(records, budget charged per token, virtual waits) of one partitioned sync on a fresh sandbox."""
    with SandboxServer(world) as server:
        if limit is not None:
            side(server.state).rate_limit = side(server.state).graphql_limit = limit
        config, vt = _setup(world, tmp_path, monkeypatch, server, tokens)
        records = _mine_partitioned(config)
        return records, server.state.stats()["github"].get("budget", {}), vt.waits


def test_a_pool_spreads_the_repositories_over_its_tokens(world, tmp_path, monkeypatch):
    one, one_budget, _ = _mined(world, tmp_path, monkeypatch, 1)
    assert list(one_budget) == ["ladder-sync"]
    for tokens in (2, 4):
        records, budget, waits = _mined(world, tmp_path, monkeypatch, tokens)
        assert records == one  # the same data, whichever token read which repository
        assert len(budget) == tokens and all(points > 0 for points in budget.values()), budget
        # no overhead per token: each token's budget is learnt from the answers the miner needed anyway
        assert sum(budget.values()) == sum(one_budget.values())
        assert not waits


def test_with_small_budgets_a_pool_waits_for_fewer_resets(world, tmp_path, monkeypatch):
    limit = 56  # the policy keeps 50 in reserve: 6 points an hour per token, the sync needs 24
    one, one_budget, one_waits = _mined(world, tmp_path, monkeypatch, 1, limit)
    pooled, budget, waits = _mined(world, tmp_path, monkeypatch, 4, limit)
    assert pooled == one
    assert len(one_waits) >= 2  # one token waits for its reset again and again
    assert len(waits) < len(one_waits)  # a spent token hands over to one with budget; waits only when all are
    assert sum(budget.values()) == sum(one_budget.values())


def test_the_sequential_stage_uses_the_pool_too(world, tmp_path, monkeypatch):
    with SandboxServer(world) as server:
        side(server.state).rate_limit = side(server.state).graphql_limit = 56
        config, vt = _setup(world, tmp_path, monkeypatch, server, 3)
        policy = RateLimitPolicy(clock=vt.clock, sleep=vt.sleep)
        monkeypatch.setattr(
            miners.github.miner, "mine_github", functools.partial(miners.github.miner.mine_github, policy=policy)
        )
        summaries = stages.sync_github(config)
        budget = server.state.stats()["github"]["budget"]
    assert not [s for s in summaries if s["error"]]
    assert sum(s["inserted"] for s in summaries) > 0
    assert len(budget) == 3 and all(points > 0 for points in budget.values())
    assert policy.events["credential_switch"] >= 1  # a spent token handed the repository over mid-way


def test_a_rejected_credential_is_named_by_its_variable(world, tmp_path, monkeypatch):
    bad_env = github_token_envs(2)[1]
    with SandboxServer(world) as server:
        config, _ = _setup(world, tmp_path, monkeypatch, server, 2)
        monkeypatch.setenv(bad_env, BAD)
        with pytest.raises(MinerError) as raised:
            _mine_partitioned(config)
        assert bad_env in str(raised.value) and "invalid or expired" in str(raised.value)
        assert BAD not in str(raised.value)
        result = CliRunner().invoke(main, ["doctor", "--config", str(config.source_path)])
    assert result.exit_code == 2, result.output
    assert f"rejects the token in {bad_env}" in result.output and BAD not in result.output
    good = github_token_envs(2)[0]
    assert f"(the token in {good})" in result.output  # the good one is checked too, its budget shown


def test_one_repository_is_never_read_with_two_credentials_at_once():
    pool = CredentialPool(["A", "B"], connect=lambda name: name)
    policy = RateLimitPolicy(clock=lambda: 0.0)
    entered, order = threading.Event(), []

    def second() -> None:
        with pool.lease("github:acme/api", RateLimitPolicy(clock=lambda: 0.0)) as lease:
            order.append(("second", lease.name))

    with pool.lease("github:acme/api", policy) as first:
        order.append(("first", first.name))
        thread = threading.Thread(target=lambda: (entered.set(), second()))
        thread.start()
        entered.wait()
        thread.join(0.2)
        assert thread.is_alive()  # waiting for the first lease of the same repository to end
        with pool.lease("github:acme/web", RateLimitPolicy(clock=lambda: 0.0)) as other:
            assert other.name != first.name  # another repository takes the credential fewer partitions hold
    thread.join(5)
    assert [who for who, _ in order] == ["first", "second"]


def test_a_spent_credential_hands_over_only_to_one_with_budget():
    pool = CredentialPool(["A", "B"], connect=lambda name: name)
    now = 1_000.0
    policy = RateLimitPolicy(clock=lambda: now)
    with pool.lease("github:acme/api", policy) as lease:
        held = lease.name
        other = "B" if held == "A" else "A"
        pool.credentials[other].budgets["graphql"] = (10, 4_600)  # spent too, back at 4,600
        assert policy.spent is not None and not policy.spent("graphql")  # every credential spent: wait
        pool.credentials[other].budgets["graphql"] = (4_000, 4_600)
        assert policy.spent("graphql") and lease.name == other and lease.used == [held, other]
        assert policy.budgets is pool.credentials[other].budgets


def _pool_config(tmp_path, world, server, edit):
    path = write_sandbox_config(world, server, tmp_path / "ladder.yaml", tokens=2)
    edit_yaml(path, edit)
    return path


def test_pool_config_forms(world, tmp_path):
    with SandboxServer(world) as server:
        config = read_config(write_sandbox_config(world, server, tmp_path / "ladder.yaml", tokens=3))
        assert [c.name for c in config.github.pool] == github_token_envs(3)  # type: ignore[union-attr]
        single = read_config(write_sandbox_config(world, server, tmp_path / "one.yaml"))
        assert [c.name for c in single.github.pool] == ["LADDER_SANDBOX_GITHUB_TOKEN"]  # type: ignore[union-attr]
        bad = {
            "replaces token_env": lambda d: d["github"].update(token_env="GITHUB_TOKEN"),
            "more than once": lambda d: d["github"]["credentials"].append(dict(d["github"]["credentials"][0])),
            "exactly one": lambda d: d["github"]["credentials"].append({}),
            "looks like a token": lambda d: d["github"]["credentials"].append({"token_env": BAD}),
        }
        for expected, edit in bad.items():
            with pytest.raises(ConfigError, match=expected) as raised:
                read_config(_pool_config(tmp_path, world, server, edit))
            assert BAD not in str(raised.value)
        app = {"app_id": 1, "installation_id": 9, "private_key_path_env": "KEY_PATH"}
        mixed = read_config(
            _pool_config(tmp_path, world, server, lambda d: d["github"]["credentials"].append({"app": app}))
        )
        assert mixed.github.pool[-1].name == "app-9"  # type: ignore[union-attr]


@pytest.mark.slow  # the mine flow under prefect_test_harness
def test_the_flow_tags_each_mining_task_with_its_credential(tmp_path, monkeypatch):
    from flows.runtime import configure_prefect_env

    configure_prefect_env()
    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from flows.nightly import mine
    from tests.support.worlds import tiny_world

    world = tiny_world()
    with prefect_test_harness(server_startup_timeout=120), SandboxServer(world) as server:
        for key, value in sandbox_env(world, 3).items():
            monkeypatch.setenv(key, value)
        config = read_config(write_sandbox_config(world, server, tmp_path / "ladder.yaml", tokens=3))
        result = mine(config)
        budget = server.state.stats()["github"]["budget"]
        with get_client(sync_client=True) as client:
            task_runs = client.read_task_runs(limit=200)
    assert not [s for s in result["github"] if s["error"]] and sum(s["inserted"] for s in result["github"]) > 0
    mined = [r for r in task_runs if r.name.startswith("mine-github:")]
    tags = {t for r in mined for t in r.tags if t.startswith("token:")}
    assert all(sum(t.startswith("token:") for t in r.tags) == 1 for r in mined)  # one credential per task
    assert len(tags) >= 2 and tags <= {f"token:{env}" for env in github_token_envs(3)}  # spread, names only
    assert len(budget) >= 2  # and spent from more than one budget
    assert not any(world.tokens.service in t for r in task_runs for t in r.tags)
