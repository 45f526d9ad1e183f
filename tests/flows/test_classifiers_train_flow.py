"""Weak labels from the company's own data, and the Prefect flow `train` that retrains with them."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from classifiers.contract import ACTIVITY_SCHEMA
from classifiers.weak_labels import weak_label_examples
from flows.runtime import configure_prefect_env

configure_prefect_env()

from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from classifiers.models import artifact_paths, load_or_train  # noqa: E402
from flows import stages  # noqa: E402
from flows.config import read_config  # noqa: E402
from flows.train import train  # noqa: E402
from sandbox.config_writer import sandbox_env, write_sandbox_config  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from tests.support.worlds import tiny_world  # noqa: E402

pytestmark = pytest.mark.slow  # the train flow end to end: a sandbox sync, weak labels, two models trained


def _pr(n: int, title: str, labels=(), paths=("src/a.py",), source="github", kind="pull_request", **extra) -> dict:
    return dict(
        activity_id=f"act:{n}",
        kind=kind,
        source=source,
        title=title,
        body="",
        labels=list(labels),
        paths=list(paths),
        container="acme/app",
        additions=10,
        deletions=2,
        **extra,
    )


def test_weak_labels_come_from_headers_labels_and_jira_types_with_the_header_stripped():
    table = pa.Table.from_pylist(
        [
            _pr(1, "fix(api): reject empty tokens"),
            _pr(2, "Support pagination in the client", labels=["enhancement"]),
            _pr(3, "Retry uploads", kind="ticket", source="jira", issue_type="Bug", paths=()),
            _pr(4, "Fix the flaky test"),  # a heuristic (title-verb), not a label a person gave: not used
            _pr(5, "docs: explain retries", labels=["bug"]),  # header and label disagree: left out
            _pr(6, "Update the README", paths=("README.md",)),  # paths-docs is a heuristic: not used
            dict(activity_id="act:7", kind="review", source="github", body="fix: this"),
        ],
        schema=ACTIVITY_SCHEMA,
    )
    examples = weak_label_examples(table)
    assert dict(zip(examples.ids, examples.labels)) == {
        "act:1": "work.bugfix",
        "act:2": "work.feature",
        "act:3": "work.bugfix",
    }
    text, path_tokens, lines, files = examples.inputs[0]
    assert text == "reject empty tokens" and "file_a" in path_tokens and (lines, files) == (12, 1)
    assert examples.groups[0] == "acme/app"


@pytest.fixture(scope="module")
def synced_config(tmp_path_factory):
    """A warehouse synced from the tiny sandbox company through the real clients."""
    world = tiny_world()
    tmp = tmp_path_factory.mktemp("train")
    with SandboxServer(world) as server, pytest.MonkeyPatch.context() as mp:
        path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        config = read_config(path)
        stages.sync_roster(config)
        stages.sync_github(config)
        stages.sync_jira(config)
    return path, config


def test_train_flow_adds_weak_labels_and_writes_checked_artifacts(synced_config):
    path, config = synced_config
    with prefect_test_harness(server_startup_timeout=120):
        metas = train(str(path))
    work = next(m for m in metas if m["model_id"] == "work-type")
    weak = work["weak_labels"]
    assert weak["n"] >= 2 and set(weak["by_label"]) <= {"work.bugfix", "work.feature"} and len(weak["sha256"]) == 64
    review = next(m for m in metas if m["model_id"] == "review-substance")
    assert review["weak_labels"] is None
    _, meta_file = artifact_paths(config.model_dir, "work-type")
    assert json.loads(meta_file.read_text())["weak_labels"] == weak
    # the nightly classify stage loads the adapted artifact as it is
    assert load_or_train(config.model_dir).work_type.metadata["weak_labels"] == weak
