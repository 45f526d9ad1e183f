"""Incremental downstream stages on a world synced through the sandbox (issue 13).

A night where nothing changed re-classifies nothing, changes no evidence row and rewrites no report;
a changed activity, rubric or classifier redoes exactly the affected part, and the result always
equals a full rebuild.  A stage killed mid-way (SIGKILL of a real child process) is completed right by
the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from flows import stages
from flows.config import read_config
from flows.report_manifest import MANIFEST
from miners.base import Batch
from tests.support.synced import edit_yaml, synced_world
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

JUDGED = ("activity_labels", "rubric_evidence")


def judged(config) -> dict[str, str]:
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        return {table: wh.fingerprint()[table] for table in JUDGED}


def report_files(config) -> dict[str, tuple[int, str]]:
    out = config.reports_dir
    return {p.name: (p.stat().st_mtime_ns, p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.*"))}


def downstream(config, caplog) -> dict[str, int]:
    """classify → evidence → reports, with what each did (from their log lines)."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ladder.stages"):
        stages.classify(config)
        stages.build_evidence(config)
        stages.write_reports(config)
    text = caplog.text
    return {
        "classified": int(re.search(r"(\d+) new or changed re-classified", text).group(1)),
        "labels_changed": int(re.search(r"(\d+) label rows changed", text).group(1)),
        "people_rebuilt": int(re.search(r"(\d+) of \d+ people rebuilt", text).group(1)),
        "evidence_changed": int(re.search(r"rows built, (\d+) changed", text).group(1)),
        "reports_rewritten": int(re.search(r"(\d+) rewritten", text).group(1)),
    }


def content(file: tuple[int, str]) -> dict:
    """A JSON report without its generation time."""
    report = json.loads(file[1])
    report.pop("generated_at")
    return report


def retitle_a_pull_request(config, title: str) -> str:
    """Give one engineer's pull request a new title in the raw table as a sync would (a loaded row that changed
    is stamped with the time it was fetched); returns its author."""
    with open_warehouse(config.warehouse_path) as wh:
        wh.con.execute(
            "UPDATE raw_github_pull_requests SET title = ?, "
            "fetched_at = (SELECT max(fetched_at) FROM raw_github_pull_requests) + INTERVAL 1 SECOND "
            "WHERE source_id = (SELECT min(r.source_id) "
            "FROM raw_github_pull_requests r JOIN fct_activity f "
            "ON f.url = r.url AND f.kind = 'pull_request' AND f.person_id IS NOT NULL)",
            [title],
        )
        [(author,)] = wh.con.execute(
            "SELECT DISTINCT person_id FROM fct_activity WHERE title = ? AND kind = 'pull_request'", [title]
        ).fetchall()
    return author


def staged(wh) -> bool:
    """Whether this connection evaluated fct_activity into its stage table (``warehouse.downstream``)."""
    [(n,)] = wh.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ev_activities'").fetchall()
    return n > 0


def full_rebuild(config, tmp: Path) -> dict[str, str]:
    """The judged tables of a copy of the warehouse whose stage state is forgotten (everything redone)."""
    copy = tmp / "full.duckdb"
    shutil.copy(config.warehouse_path, copy)
    with open_warehouse(copy) as wh:
        wh.con.execute("DELETE FROM stage_versions")
    doc = yaml.safe_load(config.source_path.read_text(encoding="utf-8"))
    doc["warehouse"] = str(copy)
    doc["classifiers"] = {**doc.get("classifiers", {}), "model_dir": str(config.model_dir)}
    path = config.source_path.with_name("full.yaml")
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    full = read_config(path)
    stages.classify(full)
    stages.build_evidence(full)
    return judged(full)


def trained_models(synced_tiny):
    """The models synced_tiny's nightly trained (read only here): training again would only cost time."""
    return {"model_dir": str(read_config(synced_tiny[2]).model_dir)}


@pytest.fixture(scope="module")
def synced(tmp_path_factory, synced_tiny):
    tmp = tmp_path_factory.mktemp("incremental")

    def edit(doc: dict) -> None:
        doc["reports"].update(since="2026-01-01")
        doc["classifiers"] = trained_models(synced_tiny)

    with synced_world(tiny_world(), tmp, config=edit) as s:
        stages.write_reports(s.config)
        yield s


@pytest.mark.slow
def test_an_unchanged_night_touches_nothing_then_changes_redo_only_what_they_affect(synced, caplog, tmp_path):
    config = synced.config
    before, files = judged(config), report_files(config)
    assert len(files) > 6 and MANIFEST in files

    assert downstream(config, caplog) == dict.fromkeys(
        ("classified", "labels_changed", "people_rebuilt", "evidence_changed", "reports_rewritten"), 0
    )
    assert judged(config) == before
    assert report_files(config) == files  # same bytes, same modification times

    # One pull request's title changes upstream: its row and those of the reviews and comments on it (they carry
    # its title) are re-classified, only their people's evidence rebuilt, only reports that now say otherwise.
    author = retitle_a_pull_request(config, 'Revert "the retry path"')
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        rows, people = wh.con.execute(
            "SELECT count(*), count(DISTINCT person_id) FROM fct_activity WHERE title = ?", ['Revert "the retry path"']
        ).fetchall()[0]
    did = downstream(config, caplog)
    assert did["classified"] == rows and did["labels_changed"] > 0
    assert did["people_rebuilt"] == people and did["evidence_changed"] > 0
    after = report_files(config)
    reports = [name for name in files if name.endswith(".json") and name != MANIFEST]
    rewritten = {name for name in reports if after[name][0] != files[name][0]}
    said_otherwise = {name for name in reports if content(after[name]) != content(files[name])}
    assert f"{author}.json" in rewritten
    assert rewritten == said_otherwise and did["reports_rewritten"] == len(rewritten)
    assert judged(config) == full_rebuild(config, tmp_path)

    # The rubric changes (one weight): everyone's evidence is rebuilt, no activity re-classified.
    rubric = yaml.safe_load(resources.files("rubric").joinpath("ic4_mle.yaml").read_text(encoding="utf-8"))
    rubric["areas"][0]["dimensions"][0]["behaviours"][0]["signals"][0]["weight"] = 0.55
    rubric_path = synced.dir / "rubric.yaml"
    rubric_path.write_text(yaml.safe_dump(rubric, sort_keys=False), encoding="utf-8")
    edit_yaml(synced.config_path, lambda doc: doc.update(rubric=str(rubric_path)))
    config = read_config(synced.config_path)
    did = downstream(config, caplog)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        people = wh.con.execute("SELECT count(DISTINCT person_id) FROM fct_activity").fetchall()[0][0]
    assert did["classified"] == 0 and did["people_rebuilt"] == people
    assert judged(config) == full_rebuild(config, tmp_path)

    # A rule is added (the classifiers' version changes): every activity is classified again.
    rules = synced.dir / "rules.yaml"
    rules.write_text(
        'version: "1"\nrules:\n  - name: retry-fix\n    label: work.bugfix\n    keywords: ["retry path"]\n',
        encoding="utf-8",
    )
    edit_yaml(synced.config_path, lambda doc: doc["classifiers"].update(rules=str(rules)))
    config = read_config(synced.config_path)
    did = downstream(config, caplog)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        activities = wh.con.execute("SELECT count(DISTINCT activity_id) FROM fct_activity").fetchall()[0][0]
    assert did["classified"] == activities
    assert judged(config) == full_rebuild(config, tmp_path)
    assert downstream(config, caplog)["classified"] == 0


CHILD = """
import logging, sys
from flows import stages
from flows.config import read_config
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s", force=True)
config = read_config(sys.argv[1])
stages.classify(config)
stages.build_evidence(config)
stages.write_reports(config)
print("done", flush=True)
"""


def kill_at(config_path: Path, marker: str) -> int:
    """Run the downstream stages in a child; SIGKILL it as it logs a line containing ``marker``."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert child.stdout is not None
    for line in child.stdout:
        if marker in line:
            child.send_signal(signal.SIGKILL)
            break
    return child.wait(timeout=300)


@pytest.mark.slow
def test_a_stage_killed_mid_way_is_completed_right_by_the_next_run(tmp_path_factory, caplog, tmp_path, synced_tiny):
    tmp = tmp_path_factory.mktemp("killed")
    stage_names = ("sync_roster", "sync_github", "sync_jira", "resolve_identities")
    models = trained_models(synced_tiny)
    with synced_world(tiny_world(), tmp, stage_names=stage_names, config=lambda d: d.update(classifiers=models)) as s:
        # Killed after classifying, before its labels commit; then after the labels and the evidence, as the
        # reports are being written.
        for n, marker in enumerate(("classifiers classified", "ladder.stages evidence:")):
            if n:  # something to redo: one activity changes before each killed run
                retitle_a_pull_request(s.config, f"fix: the retry path, take {n}")
            assert kill_at(s.config_path, marker) == -signal.SIGKILL
            downstream(s.config, caplog)
            assert judged(s.config) == full_rebuild(s.config, tmp_path)
            assert (s.config.reports_dir / MANIFEST).is_file()
        assert downstream(s.config, caplog)["reports_rewritten"] == 0


@pytest.mark.slow
def test_a_night_with_nothing_loaded_does_not_even_read_the_activities(synced, tmp_path):
    """Classify and evidence compare the raw data's fingerprint first: with nothing loaded since they last
    ran they stage nothing (fct_activity is not evaluated); a loaded change is staged and handled."""
    from classifiers import classifier_version
    from flows.rubrics import Rubrics
    from rubric.evidence import epics_table, evidence_version

    stages.classify(synced.config)  # settled: whatever earlier tests changed is handled
    stages.build_evidence(synced.config)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(synced.config.warehouse_path, copy)
    model_dir, rules = synced.config.model_dir, synced.config.resolve(synced.config.classifiers.rules)
    version = classifier_version(model_dir=model_dir, rules_path=rules)
    rubric = Rubrics(synced.config).all()[0]

    def never(*_):
        raise AssertionError("nothing changed: nothing may be classified or built")

    with open_warehouse(copy) as wh:
        assert wh.classify_changed(version, never).classified == 0
        result = wh.build_evidence_changed((rubric.id, rubric.version), evidence_version(rubric), epics_table, never)
        assert (result.rebuilt, result.changed) == (0, 0) and result.people > 0
        assert not staged(wh)
    with open_warehouse(copy) as wh:
        wh.con.execute(
            "UPDATE raw_github_pull_requests SET title = 'A new title', "
            "fetched_at = (SELECT max(fetched_at) FROM raw_github_pull_requests) + INTERVAL 1 SECOND "
            "WHERE source_id = (SELECT min(source_id) FROM raw_github_pull_requests)"
        )
    with open_warehouse(copy) as wh, pytest.raises(AssertionError, match="nothing may be classified"):
        wh.classify_changed(version, never)


def reports_run(config, caplog) -> tuple[bool, int]:
    """Write the reports: whether nothing was built (the inputs' key was the last run's), how many rewritten."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ladder.stages"):
        stages.write_reports(config)
    rewritten = int(re.search(r"(\d+) rewritten", caplog.text).group(1))
    return "nothing they are made from changed since the last run" in caplog.text, rewritten


@pytest.mark.slow
def test_reports_are_not_even_built_until_something_they_show_changes(synced, caplog):
    config = synced.config
    stages.classify(config)  # settled: whatever earlier tests changed is handled
    stages.build_evidence(config)
    stages.write_reports(config)
    assert reports_run(config, caplog) == (True, 0)

    # A file of the last run is gone: the run builds again and writes what is missing.
    sheet = sorted((config.reports_dir / "prep").glob("*.md"))[0]
    sheet.unlink()
    assert reports_run(config, caplog) == (False, 1) and sheet.is_file()
    assert reports_run(config, caplog) == (True, 0)

    # A source's partition fails to sync: every report now marks the source stale.
    with open_warehouse(config.warehouse_path) as wh:
        wh.load_batch(Batch(source="jira", partition="ML", records=(), cursor=None, error="HTTP 503"))
    skipped, rewritten = reports_run(config, caplog)
    assert not skipped and rewritten > 0
    report = json.loads(next(config.reports_dir.glob("*.json")).read_text(encoding="utf-8"))
    assert any(w["details"].get("reason") == "partition_failing" for w in report["coverage_warnings"])
    with open_warehouse(config.warehouse_path) as wh:
        wh.load_batch(Batch(source="jira", partition="ML", records=(), cursor=None, done=True))
    assert reports_run(config, caplog)[0] is False
    assert reports_run(config, caplog) == (True, 0)

    # Another period (the config's): built again.
    later = config.model_copy(update={"reports": config.reports.model_copy(update={"until": dt.date(2026, 11, 30)})})
    assert reports_run(later, caplog)[0] is False
    assert reports_run(later, caplog) == (True, 0)


CLASSIFY_CHILD = """
import sys
from flows import stages
from flows.config import read_config
stages.classify(read_config(sys.argv[1]))
print("scikit-learn imported:", "sklearn" in sys.modules)
"""


def classify_in_a_child(config_path: Path) -> bool:
    """Run the classify stage in a new process; whether it imported scikit-learn (loaded the models)."""
    done = subprocess.run(
        [sys.executable, "-c", CLASSIFY_CHILD, str(config_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        timeout=600,
    )
    return done.stdout.strip().splitlines()[-1] == "scikit-learn imported: True"


@pytest.mark.slow
def test_an_unchanged_classify_loads_no_model_and_a_changed_rules_file_is_seen(synced):
    from classifiers import classifier_version
    from flows.stages import CLASSIFIER_VERSION

    config = read_config(synced.config_path)
    stages.classify(config)  # settled

    def stored_version() -> str:
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            return (wh.read_stage_version(CLASSIFIER_VERSION) or "").split(" ")[-1]

    rules = config.resolve(config.classifiers.rules)
    assert stored_version() == classifier_version(model_dir=config.model_dir, rules_path=rules)
    assert classify_in_a_child(synced.config_path) is False  # the version known, the models not even loaded

    # A rule added to the rules file: its version is computed again (the models loaded) and differs.
    path = synced.dir / "more-rules.yaml"
    path.write_text(
        'version: "1"\nrules:\n  - name: flaky-fix\n    label: work.bugfix\n    keywords: ["flaky test"]\n',
        encoding="utf-8",
    )
    edit_yaml(synced.config_path, lambda doc: doc["classifiers"].update(rules=str(path)))
    before = stored_version()
    assert classify_in_a_child(synced.config_path) is True
    changed = read_config(synced.config_path)
    assert stored_version() != before
    assert stored_version() == classifier_version(model_dir=changed.model_dir, rules_path=path)
    assert classify_in_a_child(synced.config_path) is False
