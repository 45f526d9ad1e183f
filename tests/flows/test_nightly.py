"""The nightly flow end to end under prefect_test_harness, against the sandbox over loopback."""

from __future__ import annotations

import json
import logging

import pytest

from flows.runtime import configure_prefect_env

configure_prefect_env()

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows.nightly import nightly  # noqa: E402
from sandbox.config_writer import sandbox_env, write_sandbox_config  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from tests.support.worlds import tiny_world  # noqa: E402
from warehouse import open_warehouse  # noqa: E402

pytestmark = pytest.mark.slow  # the nightly flow and the demo end to end (Prefect, sandbox, every stage)


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def pipeline(tmp_path, monkeypatch, harness):
    world = tiny_world()
    with SandboxServer(world) as server:
        config = write_sandbox_config(world, server, tmp_path / "ladder.yaml")
        for key, value in sandbox_env(world).items():
            monkeypatch.setenv(key, value)
        yield world, server, config


def test_nightly_twice_adds_and_changes_nothing(pipeline, caplog):
    world, server, config = pipeline
    caplog.set_level(logging.DEBUG)
    first = nightly(str(config))
    # one mining task per partition, mapped, with Prefect retries; planned per source (GitHub lists its org)
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(limit=200)
    mined = {r.name: r for r in task_runs if r.name.startswith(("mine-github:", "mine-jira:"))}
    repos = {f"mine-github:{world.org}/{r.name}" for r in world.repos if not r.archived}
    assert repos <= set(mined) and "mine-jira:projects" in mined  # Jira: one search across its projects
    assert all(r.empirical_policy.retries == 2 for r in mined.values())  # run.retries' default
    assert all("host:127.0.0.1" in r.tags and any(t.startswith("token:") for t in r.tags) for r in mined.values())
    for task_name in ("plan-github", "plan-jira", "classify", "build-evidence"):  # Prefect adds a short suffix
        assert any(r.name.startswith(f"{task_name}-") for r in task_runs), task_name
    assert sum(s["inserted"] for s in first["github"]) > 0
    assert sum(s["inserted"] for s in first["jira"]) > 0
    wh_path = config.parent / "ladder.duckdb"
    with open_warehouse(wh_path, read_only=True) as wh:
        before = wh.fingerprint()
        assert wh.query_activities().num_rows > 0
        assert wh.query_labels().num_rows > 0
    reports = config.parent / "reports"
    written = {f: f.stat().st_mtime_ns for f in reports.rglob("*") if f.is_file()}
    caplog.clear()
    second = nightly(str(config))
    # nothing changed on GitHub: its plan settles every repository (cursor restated), no mining task and no request
    with get_client(sync_client=True) as client:
        again = [r for r in client.read_task_runs(limit=200) if r.name.startswith("mine-github:")]
    assert len(again) == len([r for r in task_runs if r.name.startswith("mine-github:")])
    settled = {s["partition"]: s for s in second["github"]}
    assert {f"github:{world.org}/{r.name}" for r in world.repos if not r.archived} <= set(settled)
    assert all(
        s["graphql_requests"] == 0 and s["rest_requests"] == 0 and s["cursor"]
        for s in settled.values()
        if "/" in s["partition"]
    )
    with open_warehouse(wh_path, read_only=True) as wh:
        after = wh.fingerprint()
    assert before == after
    # nothing the reports are made from changed: none is built, not a file is written
    assert "nothing they are made from changed since the last run" in caplog.text
    assert {f: f.stat().st_mtime_ns for f in reports.rglob("*") if f.is_file()} == written
    for source in ("roster", "github", "jira"):
        for summary in second[source]:
            assert summary["inserted"] == 0 and summary["updated"] == 0, summary
    assert second["labels_changed"] == 0 and second["evidence_changed"] == 0
    # the last task published a snapshot for `ladder serve`, and CURRENT names the second run's
    from flows.config import read_config
    from flows.snapshot import current_snapshot

    assert first["snapshot"] != second["snapshot"]
    assert str(current_snapshot(read_config(config))) == second["snapshot"]

    # a report per engineer (IC levels: managers get none by default) in every format, plus the index,
    # a 1:1 prep sheet per report and a team page per manager
    engineers = [p for p in world.people if not p.is_bot and p.level.startswith("IC")]
    for fmt in ("md", "html", "json"):
        written = {f.stem for f in reports.glob(f"*.{fmt}")} - {"index"}
        assert written == {p.login for p in engineers}, fmt
    assert {f.stem for f in (reports / "prep").glob("*.html")} == {p.login for p in engineers}
    assert {f.stem for f in (reports / "teams").glob("*.html")} == {"dana", "eli"}
    ana = json.loads((reports / "ana.json").read_text(encoding="utf-8"))
    assert ana["engineer"]["login"] == "ana" and ana["engineer"]["team"]
    urls = [e["url"] for d in ana["dimensions"] for b in d["behaviours"] for e in b.get("evidence", [])]
    assert any("/pull/" in u or "/browse/" in u for u in urls)

    # tokens never reach the warehouse, the reports or the logs
    secrets = [world.tokens.service] + [p.token for p in world.people if p.token]
    blob = wh_path.read_bytes()
    texts = [f.read_text(encoding="utf-8") for f in reports.rglob("*") if f.is_file()]
    for secret in secrets:
        assert secret.encode() not in blob
        assert all(secret not in t for t in texts)
        assert secret not in caplog.text


def test_moving_the_clock_brings_new_activity_and_each_run_reads_the_config_once(pipeline, monkeypatch):
    import flows.config
    import flows.nightly

    world, server, config = pipeline
    reads = []
    real = flows.config.read_config
    counted = lambda path: reads.append(path) or real(path)  # noqa: E731
    monkeypatch.setattr(flows.nightly, "read_config", counted)
    monkeypatch.setattr(flows.config, "read_config", counted)
    nightly(str(config), reports=False)
    assert reads == [str(config)]  # once for the whole run, not once per task
    mining = TaskRunFilter(name=TaskRunFilterName(like_="mine-github:"))
    with get_client(sync_client=True) as client:
        before = {r.id for r in client.read_task_runs(task_run_filter=mining, limit=200)}
    server.state.now = world.period_end
    result = nightly(str(config), reports=False, config=real(config))  # the CLI passes what it read
    assert reads == [str(config)]
    new_prs = sum(s["inserted"] for s in result["github"])
    new_tickets = sum(s["inserted"] for s in result["jira"])
    assert new_prs >= 1 and new_tickets >= 1
    # a task mined each repository with new activity, and only those: the others the plan settled
    with get_client(sync_client=True) as client:
        tasks = {r.name for r in client.read_task_runs(task_run_filter=mining, limit=200) if r.id not in before}
    active = {s["partition"] for s in result["github"] if s.get("pulls")}
    assert active and {f"mine-{p}" for p in active} == tasks


def test_demo_writes_every_format_for_every_engineer(tmp_path, harness, monkeypatch):
    from flows.demo import run_demo
    from sandbox.config_writer import GITHUB_TOKEN_ENV, JIRA_EMAIL_ENV, JIRA_TOKEN_ENV
    from sandbox.world import read_world

    for name in (GITHUB_TOKEN_ENV, JIRA_EMAIL_ENV, JIRA_TOKEN_ENV):  # restored after the test
        monkeypatch.setenv(name, "unset")
    lines: list[str] = []
    out = tmp_path / "demo"
    result = run_demo(out, engineers=12, seed=3, echo=lines.append)
    world = read_world(out / "world.json")
    people = [p for p in world.people if not p.is_bot and p.level.startswith("IC")]
    for person in people:
        for fmt in ("md", "html", "json"):
            assert (out / "reports" / f"{person.login}.{fmt}").is_file(), (person.login, fmt)
    managers = {p.manager for p in world.people if p.manager}
    assert {f.stem for f in (out / "reports" / "teams").glob("*.html")} == managers
    report = json.loads((out / "reports" / f"{people[0].login}.json").read_text(encoding="utf-8"))
    assert report["period"]["since"] == world.period_start.date().isoformat()
    assert result["stats"]["github"]["rest_requests"] > 0 and result["stats"]["jira"]["requests"] > 0
    assert any("index.html" in line for line in lines)
    # a second demo into the same folder starts clean instead of mixing companies
    run_demo(out, engineers=12, seed=4, echo=lines.append)
    assert read_world(out / "world.json").seed == 4


def test_our_log_records_reach_the_prefect_run_logs_redacted(harness):
    """A line our code logs inside a flow run is in the run's logs in the Prefect API, secrets replaced."""
    from prefect import flow
    from prefect.logging.handlers import APILogWorker

    from flows.runtime import RedactSecrets

    secret = "sandbox-secret-3f9a1c"
    RedactSecrets.register(secret)

    @flow(name="log-probe")
    def probe() -> str:
        logging.getLogger("miners.github.miner").info("probe line with %s inside", secret)
        from prefect.context import get_run_context

        return str(get_run_context().flow_run.id)

    flow_run_id = probe()
    APILogWorker.drain_all(timeout=30)
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:  # this run's logs only (earlier tests' runs logged many)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    ours = [log for log in logs if log.name == "miners.github.miner"]
    assert [log.message for log in ours] == ["probe line with *** inside"]
    assert all(secret not in log.message for log in logs)


def test_a_source_outage_exits_3_syncs_the_other_and_marks_it_stale_in_the_report(pipeline, monkeypatch):
    """GitHub unreachable: its plan task is retried by Prefect, then its org is recorded not synced; Jira
    syncs; the sync exits 3 (transient, not bad input) and every report says GitHub has not synced."""
    import functools
    import socket

    import yaml
    from click.testing import CliRunner

    import miners.github.source
    from flows.cli.main import main
    from miners.github.ratelimit import RateLimitPolicy

    world, server, config = pipeline
    nightly(str(config), reports=False)  # last night: both sources synced
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["github"]["base_url"] = f"http://127.0.0.1:{port}/api/v3"
    doc["run"] = {"retries": 1, "retry_delay_seconds": 0}
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    monkeypatch.setattr(
        miners.github.source, "RateLimitPolicy", functools.partial(RateLimitPolicy, sleep=lambda s: None)
    )

    result = CliRunner().invoke(main, ["sync", "--config", str(config)])
    assert result.exit_code == 3, result.output
    assert f"github:{world.org}: NOT SYNCED" in result.output and "cannot reach GitHub" in result.output
    with open_warehouse(config.parent / "ladder.duckdb", read_only=True) as wh:
        runs = {r["source"]: r for r in wh.read_runs(3)}
        assert runs["jira"]["status"] == "ok" and runs["jira"]["requests"] > 0
        assert runs["github"]["status"] == "partial"
    with get_client(sync_client=True) as client:
        plans = [
            r
            for r in client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="plan-github-")))
            if r.name.startswith("plan-github-")
        ]
    assert max(r.run_count for r in plans) == 2  # tried, retried once by Prefect, then recorded as failed
    ana = json.loads((config.parent / "reports" / "ana.json").read_text(encoding="utf-8"))
    stale = [w for w in ana["coverage_warnings"] if w["details"].get("reason") == "partition_failing"]
    assert [w["details"]["partition"] for w in stale] == [f"github:{world.org}"]
    assert "has not synced" in stale[0]["message"]
