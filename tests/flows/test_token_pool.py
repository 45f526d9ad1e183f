"""GitHub credential pools (issue 13, scale-out): several tokens, each with its own budget, against the sandbox.

Real PyGithub over loopback; the sandbox keeps a rate budget per token and meters what each was charged
(``stats()["github"]["budget"]``).  Only the clock and the sleep are replaced: every wait of the miner's
rate-limit policy moves the sandbox's virtual clock (``tests.support.harness.VirtualTime``), so a spent
budget's reset costs nothing but a counted wait.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
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


def _budget_names(world, tokens: int) -> dict[str, str]:
    """Each pool variable -> the name of its token's budget in the sandbox's meter."""
    login = world.tokens.service_login
    return dict(zip(github_token_envs(tokens), [login] + [f"{login}-{i}" for i in range(2, tokens + 1)]))


def _runs(config) -> list[dict]:
    result = CliRunner().invoke(main, ["runs", "--config", str(config.source_path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_rejected_credential_leaves_the_pool_and_the_others_read_everything(world, tmp_path, monkeypatch, caplog):
    one, _, _ = _mined(world, tmp_path, monkeypatch, 1)
    bad_env = github_token_envs(3)[1]
    with SandboxServer(world) as server:
        config, _ = _setup(world, tmp_path, monkeypatch, server, 3)
        monkeypatch.setenv(bad_env, BAD)  # a token GitHub does not know (revoked, or mistyped)
        with caplog.at_level(logging.INFO, logger="miners.github"):
            records = _mine_partitioned(config)  # every batch without an error
        budget = server.state.stats()["github"]["budget"]
        doctor = CliRunner().invoke(main, ["doctor", "--config", str(config.source_path)])
    assert records == one  # exactly the data one good token reads
    names = _budget_names(world, 3)
    assert set(budget) == {names[env] for env in github_token_envs(3) if env != bad_env}
    rejected = [r.getMessage() for r in caplog.records if "rejected by GitHub" in r.getMessage()]
    assert len(rejected) == 1, rejected  # said once, however many repositories it was handed
    line = rejected[0]
    assert f"the token in the environment variable {bad_env} was rejected by GitHub (401 Bad credentials)" in line
    assert f"remove it from github.credentials in {config.source_path}" in line and "renew it" in line
    assert "going on with the 2 other credentials" in line
    assert BAD not in caplog.text
    # doctor checks each credential: the rejected one is bad input (exit 2), named, the good ones shown
    assert doctor.exit_code == 2, doctor.output
    assert f"rejects the token in {bad_env}" in doctor.output and BAD not in doctor.output
    good = github_token_envs(3)[0]
    assert f"(the token in {good})" in doctor.output


def test_a_token_revoked_mid_run_hands_its_repositories_to_the_others(world, tmp_path, monkeypatch, caplog):
    one, _, _ = _mined(world, tmp_path, monkeypatch, 1)
    with SandboxServer(world) as server:
        config, _ = _setup(world, tmp_path, monkeypatch, server, 2)
        source = build_source(config, "github")
        request = SyncRequest(cursors={}, now=lambda: FETCHED)
        plan = source.plan(request)  # type: ignore[union-attr]
        listed = plan.batches[-1].stats["credentials"]
        assert list(listed) == [github_token_envs(2)[0]]  # the listing was read with the first token
        server.state.revoke_token(world.tokens.service)  # ... which is revoked now
        records: set = {r for b in plan.batches for r in b.records}
        costs: dict = {}
        with caplog.at_level(logging.ERROR, logger="miners.github.pool"):
            for work in plan.work:
                for batch in source.mine_work(request, work):  # type: ignore[union-attr]
                    assert batch.error is None, batch.error
                    records |= set(batch.records)
                    for name, cost in batch.stats.get("credentials", {}).items():
                        costs.setdefault(name, []).append(cost)
    assert records == one
    first, second = github_token_envs(2)
    assert [c["rejected"] for c in costs[first]] == ["401 Bad credentials"]  # recorded once, where it happened
    assert sum(c["budget_points"] for c in costs[first]) == 0  # nothing charged after the listing
    assert sum(c["budget_points"] for c in costs[second]) > 0 and not any("rejected" in c for c in costs[second])
    assert [r.levelname for r in caplog.records if first in r.getMessage()] == ["ERROR"]


def test_a_rejected_credential_is_tried_again_once_its_secret_is_renewed(world, tmp_path, monkeypatch):
    from flows.sources import github_pool

    env = github_token_envs(2)[1]
    with SandboxServer(world) as server:
        config, _ = _setup(world, tmp_path, monkeypatch, server, 2)
        good = os.environ[env]
        monkeypatch.setenv(env, BAD)
        pool = github_pool(config)
        pool.reject(env, "401 Bad credentials")
        assert github_pool(config) is pool and env in pool.rejected  # the same secrets: it stays out
        monkeypatch.setenv(env, good)  # renewed
        renewed = github_pool(config)
    assert renewed is not pool and not renewed.rejected


def test_when_every_credential_is_rejected_the_sync_fails_naming_them(world, tmp_path, monkeypatch):
    envs = github_token_envs(2)
    with SandboxServer(world) as server:
        config, _ = _setup(world, tmp_path, monkeypatch, server, 2)
        for i, env in enumerate(envs):
            monkeypatch.setenv(env, f"{BAD[:-1]}{i}")
        with pytest.raises(MinerError) as raised:
            stages.sync_github(config)
        runs = _runs(config)
    message = str(raised.value)
    assert type(raised.value) is MinerError  # bad input: `ladder sync` exits 2, as with one bad token
    assert message.startswith("GitHub rejected every credential of the pool: ")
    assert all(f"{env} (401 Bad credentials)" in message for env in envs) and str(config.source_path) in message
    assert BAD[:-1] not in message
    [github] = [r for r in runs if r["source"] == "github"]
    assert github["status"] == "failed" and "rejected every credential" in github["error"]


def test_the_run_records_what_each_credential_cost_as_the_sandbox_metered_it(world, tmp_path, monkeypatch):
    bad_env = github_token_envs(3)[2]
    with SandboxServer(world) as server:
        side(server.state).rate_limit = side(server.state).graphql_limit = 56  # switches mid-repository
        config, vt = _setup(world, tmp_path, monkeypatch, server, 3)
        monkeypatch.setenv(bad_env, BAD)
        policy = RateLimitPolicy(clock=vt.clock, sleep=vt.sleep)
        monkeypatch.setattr(
            miners.github.miner, "mine_github", functools.partial(miners.github.miner.mine_github, policy=policy)
        )
        summaries = stages.sync_github(config)
        meter = server.state.stats()["github"]
        runs = _runs(config)
        text = CliRunner().invoke(main, ["runs", "--config", str(config.source_path), "--source", "github"])
        doctor = CliRunner().invoke(main, ["doctor", "--config", str(config.source_path), "--json"])
    assert not [s for s in summaries if s["error"]] and policy.events["credential_switch"] >= 1
    [github] = [r for r in runs if r["source"] == "github"]
    costs = {c["credential"]: c for c in github["credentials"]}
    names = _budget_names(world, 3)
    # per credential, by name: the budget the sandbox charged each token, to the point
    assert {env: c["budget_points"] for env, c in costs.items() if c["budget_points"]} == {
        env: meter["budget"][names[env]] for env in github_token_envs(3) if names[env] in meter["budget"]
    }
    assert len([c for c in costs.values() if c["budget_points"]]) == 2
    assert sum(c["requests"] for c in costs.values()) == meter["requests"]  # every exchange, the 401 too
    assert costs[bad_env]["rejected"] == "401 Bad credentials" and costs[bad_env]["budget_points"] == 0
    assert github["status"] == "ok"  # nothing is missing: the others read every repository
    assert f"credential {bad_env}" in text.output and "REJECTED: 401 Bad credentials" in text.output
    checks = {c["name"]: c for c in json.loads(doctor.output)}
    assert checks["github credentials"]["status"] == "warn" and bad_env in checks["github credentials"]["detail"]
    assert not any(world.tokens.service in r for r in (text.output, doctor.output))


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


@contextlib.contextmanager
def _held():
    """A pool of A and B on a clock standing at 1,000, one repository leasing one of them: (pool, policy, lease,
    the credential held, the other)."""
    pool = CredentialPool(["A", "B"], connect=lambda name: name)
    policy = RateLimitPolicy(clock=lambda: 1_000.0)
    with pool.lease("github:acme/api", policy) as lease:
        yield pool, policy, lease, lease.name, "B" if lease.name == "A" else "A"


def test_a_spent_credential_hands_over_only_to_one_with_budget():
    with _held() as (pool, policy, lease, held, other):
        pool.credentials[other].budgets["graphql"] = (10, 4_600)  # spent too, back at 4,600
        assert policy.spent is not None and not policy.spent("graphql")  # every credential spent: wait
        pool.credentials[other].budgets["graphql"] = (4_000, 4_600)
        assert policy.spent("graphql") and lease.name == other and lease.used == [held, other]
        assert policy.budgets is pool.credentials[other].budgets


def test_with_every_credential_spent_the_lease_waits_for_the_first_back():
    with _held() as (pool, policy, lease, held, other):
        pool.credentials[held].budgets["graphql"] = (10, 4_600)
        pool.credentials[other].budgets["graphql"] = (10, 3_000)  # spent too, but back 1,600 s sooner
        assert policy.first_back is not None and policy.first_back("graphql", 4_600) == 3_000
        assert lease.name == other and policy.budgets is pool.credentials[other].budgets
        pool.credentials[held].budgets["graphql"] = (10, 5_000)
        assert policy.first_back("graphql", 3_000) is None and lease.name == other  # the one held is first


def test_when_every_credential_is_spent_the_miner_waits_for_the_earliest_reset(world, tmp_path, monkeypatch):
    one, _, _ = _mined(world, tmp_path, monkeypatch, 1)
    with SandboxServer(world) as server:
        gh = side(server.state)
        gh.rate_limit = gh.graphql_limit = 56  # 6 points an hour per token over the reserve; the sync needs 24
        start = int(server.state.now.timestamp())
        first, second = _budget_names(world, 2).values()
        # the first token's budget comes back 20 minutes from now, the second's 40 minutes from now
        gh.window_offsets = {first: (start + 1200) % 3600, second: (start + 2400) % 3600}
        # and the first token was spent before the run (another job shares it): the sync learns it from its
        # first answer, moves to the second, and spends that mid-repository
        window = gh.window(first)[0]
        gh.used[(world.tokens.service, window)] = gh.graphql_used[(world.tokens.service, window)] = 56
        config, vt = _setup(world, tmp_path, monkeypatch, server, 2)
        records = _mine_partitioned(config)
        budget = server.state.stats()["github"]["budget"]
    assert records == one  # complete
    # the first token is spent, then the second: the wait ends at the first token's reset (plus the policy's
    # second), not at the second's, which the repository held when the pool ran dry
    assert vt.waits[0] == 1201, vt.waits
    wakes, at = [], start
    for wait in vt.waits:
        at += wait
        wakes.append(at)
    resets = {start + 1200 + 3600 * k for k in range(10)} | {start + 2400 + 3600 * k for k in range(10)}
    assert all(wake - 1 in resets for wake in wakes), wakes  # every wait ends when some budget comes back
    assert set(budget) == {first, second}


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
        [github_run] = [r for r in _runs(config) if r["source"] == "github"]
    assert not [s for s in result["github"] if s["error"]] and sum(s["inserted"] for s in result["github"]) > 0
    mined = [r for r in task_runs if r.name.startswith("mine-github:")]
    tags = {t for r in mined for t in r.tags if t.startswith("token:")}
    assert all(sum(t.startswith("token:") for t in r.tags) == 1 for r in mined)  # one credential per task
    assert len(tags) >= 2 and tags <= {f"token:{env}" for env in github_token_envs(3)}  # spread, names only
    assert len(budget) >= 2  # and spent from more than one budget
    # the run recorded what each credential cost, as the sandbox charged each token (tasks on threads)
    names = _budget_names(world, 3)
    assert {c["credential"]: c["budget_points"] for c in github_run["credentials"]} == {
        env: budget[names[env]] for env in github_token_envs(3) if names[env] in budget
    }
    assert not any(world.tokens.service in t for r in task_runs for t in r.tags)


@pytest.mark.slow  # the mine flow under prefect_test_harness
def test_a_task_prefect_retried_still_records_what_its_failed_attempt_cost(tmp_path, monkeypatch):
    """A repository's task read its PRs, then GitHub's secondary limit would not lift in time: the attempt
    failed and Prefect ran it again.  The budget the first attempt spent is in the run's per-credential
    costs all the same, as the sandbox charged it."""
    from flows.runtime import configure_prefect_env

    configure_prefect_env()
    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from flows.nightly import mine
    from sandbox.faults import FaultProfile
    from tests.support.worlds import tiny_world

    world = tiny_world()
    profile = FaultProfile.model_validate(
        {
            "rules": [
                {
                    "kind": "secondary_limit",
                    "apis": ["github"],
                    "paths": ["*/pulls/comments"],
                    "at": [1],
                    "retry_after_seconds": 86400,  # longer than the miner waits: that attempt stops
                }
            ]
        }
    )
    with prefect_test_harness(server_startup_timeout=120), SandboxServer(world, faults=profile) as server:
        for key, value in sandbox_env(world).items():
            monkeypatch.setenv(key, value)
        path = write_sandbox_config(world, server, tmp_path / "ladder.yaml")
        edit_yaml(path, lambda d: d.update(run={"retries": 1, "retry_delay_seconds": 0}))
        config = read_config(path)
        result = mine(config)
        meter = server.state.stats()["github"]
        with get_client(sync_client=True) as client:
            retried = [
                r for r in client.read_task_runs(limit=200) if r.name.startswith("mine-github:") and r.run_count == 2
            ]
        [github_run] = [r for r in _runs(config) if r["source"] == "github"]
    assert not [s for s in result["github"] if s["error"]]  # the retry read it all
    assert len(retried) == 1  # the repository whose comments hit the limit: tried, then tried again
    [cost] = github_run["credentials"]
    # every point the sandbox charged, the failed attempt's pages included (before: only the attempt that won)
    assert cost["budget_points"] == sum(meter["budget"].values())
    assert cost["requests"] == meter["requests"]
