"""The evaluation harness, the CSV commands and the custom estimator, on the vendored real data."""

from __future__ import annotations

import csv
import gzip
import io
import json

import click
import pytest
from click.testing import CliRunner
from sklearn.utils.estimator_checks import check_estimator

from classifiers.evaluate import MIN_EVIDENCE, TARGET_PRECISION, TASK_SPECS, evaluate_task, score
from classifiers.features import SizeFeatures
from classifiers.tabular import TASK_CLASSES, map_label
from flows.cli.classify import register


@pytest.fixture(scope="module")
def review_eval():
    return evaluate_task("review-comment")


@pytest.fixture(scope="module")
def work_eval():
    return evaluate_task("work-type")


@pytest.fixture(scope="module")
def cli():
    @click.group()
    def main():
        """test group"""

    @main.command()
    def train():
        """an older train command that register() must replace"""

    register(main)
    return main


def _vendored_rows(name: str) -> list[dict]:
    from classifiers.training_data import read_data_bytes

    return list(csv.DictReader(io.StringIO(gzip.decompress(read_data_bytes(name)).decode("utf-8"))))


def _write_csv(path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("estimator", [SizeFeatures(), SizeFeatures(n_buckets=0), SizeFeatures(names=("a",))])
def test_size_features_follow_the_scikit_learn_contract(estimator):
    check_estimator(estimator)


@pytest.mark.slow  # cross-validates a model on the vendored data
def test_work_type_model_beats_both_baselines_on_every_held_out_repository(work_eval):
    assert work_eval["scheme"] == "leave-one-repo-out"
    assert {f["name"] for f in work_eval["folds"]} == {
        "vuejs/core",
        "vitejs/vite",
        "semantic-release/semantic-release",
        "conventional-changelog/conventional-changelog",
    }
    assert sum(f["n"] for f in work_eval["folds"]) == work_eval["n"] > 18_000
    for fold in work_eval["folds"]:
        for baseline in ("majority", "rules"):
            assert fold["model"]["macro_f1"] > fold[baseline]["macro_f1"], (fold["name"], baseline)
            assert fold["model"]["accuracy"] > fold[baseline]["accuracy"], (fold["name"], baseline)
    assert work_eval["beats_baselines_every_fold"]
    assert set(work_eval["model"]["per_class"]) == set(TASK_CLASSES["work-type"])


@pytest.mark.slow  # cross-validates a model on the vendored data
def test_review_model_beats_both_baselines_with_changes_kept_in_one_fold(review_eval):
    assert review_eval["scheme"].endswith("grouped by change_id")
    assert len(review_eval["folds"]) == 5
    base = review_eval["baselines"]
    for name in ("macro_f1", "accuracy"):
        assert review_eval["model"][name] > max(base["majority"][name], base["rules"][name])
    assert review_eval["beats_baselines_every_fold"]
    # the rules baseline is real: precise rules fire on a tenth of the comments and are right where they fire
    assert 0.1 < base["rules"]["coverage"] < 1 and base["rules"]["precision_where_fired"] > 0.75


@pytest.mark.slow  # cross-validates a model on the vendored data
@pytest.mark.parametrize("task", ["work-type", "review-comment"])
def test_calibrated_labels_are_emitted_only_where_held_out_precision_reaches_the_target(task, work_eval, review_eval):
    result = {"work-type": work_eval, "review-comment": review_eval}[task]
    cal = result["calibration"]
    spec = TASK_SPECS[task]
    # calibration makes the probabilities honest: held-out ECE well below the uncalibrated model's
    assert cal["ece"] < 0.08 and cal["ece"] < 0.6 * cal["ece_uncalibrated"]
    assert sum(row["n"] for row in cal["reliability"]) == result["n"]
    # the emitted labels (at least min_confidence, not a silent class) are right at least 8 times in 10 ...
    assert cal["min_confidence"] == spec.min_confidence and cal["emitted"] > 0.05 * result["n"]
    assert cal["emitted_precision"] >= TARGET_PRECISION
    # ... and so is every class the model emits; the others are silent
    assert set(cal["classes_below_target"]) <= spec.silent_labels
    for label, stats in cal["per_class_at_threshold"].items():
        if label not in spec.silent_labels:
            assert stats["above_threshold"] >= MIN_EVIDENCE and stats["precision"] >= TARGET_PRECISION, label


@pytest.mark.slow  # cross-validates a model on the vendored data
def test_evaluation_is_reproducible(review_eval):
    again = evaluate_task("review-comment")
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
    assert strip(again) == strip(review_eval)
    other = evaluate_task("review-comment", seed=1)
    assert other["model"] != review_eval["model"]


def test_scores_and_label_mapping():
    result = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert result["accuracy"] == 0.75
    assert result["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["macro_f1"] == round((2 / 3 + 0.8) / 2, 4)
    assert map_label("work-type", "fix") == "work.bugfix" and map_label("work-type", "ci") == "work.build_ci"
    assert map_label("work-type", "work.docs") == "work.docs" and map_label("work-type", "release") is None
    assert map_label("review-comment", "Organization of Code") == "review.suggestion"
    assert map_label("review-comment", "False Positive") is None


@pytest.mark.slow  # cross-validates a model on the vendored data
def test_eval_cli_prints_json_and_regenerates_the_doc(tmp_path, cli):
    rows = _vendored_rows("review_comments_nova.csv.gz")[:600]
    data = tmp_path / "comments.csv"
    _write_csv(data, rows)
    doc = tmp_path / "classifiers.md"
    result = CliRunner().invoke(cli, ["eval", "review-comment", "--data", str(data), "--json", "--doc", str(doc)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["task"] == "review-comment" and out["n"] == sum(1 for r in rows if r["category"] != "False Positive")
    assert set(out["model"]) == {"macro_f1", "accuracy", "per_class"}
    assert set(out["baselines"]) == {"majority", "rules"}
    text = doc.read_text()
    assert "<!-- eval:review-comment:start -->" in text and "| majority class |" in text
    assert "_not evaluated yet: run `ladder eval work-type" in text
    # prose outside the sections is kept; re-running replaces the section instead of appending
    doc.write_text(text.replace("# Classifier evaluation", "# Classifier evaluation\n\nHand-written note."))
    again = CliRunner().invoke(cli, ["eval", "review-comment", "--data", str(data), "--doc", str(doc)])
    assert again.exit_code == 0, again.output
    assert "model" in again.stdout and "held out fold 1" in again.stdout
    text = doc.read_text()
    assert "Hand-written note." in text and text.count("<!-- eval:review-comment:start -->") == 1


@pytest.mark.slow  # cross-validates a model on the vendored data
def test_classify_cli_writes_label_confidence_and_reason(tmp_path, cli):
    commits = tmp_path / "commits.csv"
    _write_csv(
        commits,
        [
            {"subject": "fix(parser): crash on empty input", "body": "", "files": "src/parser.ts"},
            {"subject": "Explain the cache options", "body": "", "files": "docs/guide/cache.md"},
            {"subject": "Handle crash when the index is empty", "body": "Throws on startup.", "files": "src/index.ts"},
            {
                "subject": "Support streaming responses in the client",
                "body": "Adds an option.",
                "files": "src/client.ts;src/stream.ts",
            },
        ],
    )
    out = tmp_path / "labelled.csv"
    result = CliRunner().invoke(cli, ["classify", "work-type", "--data", str(commits), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [r["label"] for r in rows[:2]] == ["work.bugfix", "work.docs"]
    assert rows[0]["classifier"].startswith("rule:conventional-title") and rows[0]["confidence"] == "1.000"
    assert rows[2]["classifier"].startswith("model:work-type") and rows[2]["label"] == "work.bugfix"
    assert rows[2]["reason"].startswith("work-type model v3: reads as a bug fix (p=")
    assert float(rows[2]["confidence"]) >= 0.7
    # the model is not sure about the last row: no label rather than a guess
    assert rows[3]["label"] == "" and "not confident enough" in rows[3]["reason"]
    assert all(r["subject"] for r in rows)  # input columns kept


def test_train_replaces_the_old_command_and_keeps_config(cli):
    assert "older" not in (cli.commands["train"].help or "")
    assert {"--config", "--no-company-data", "--seed"} <= {o for p in cli.commands["train"].params for o in p.opts}


def test_bad_task_csv_says_what_is_missing(tmp_path, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text("title_x,label\nfoo,fix\n")
    result = CliRunner().invoke(cli, ["eval", "work-type", "--data", str(bad)])
    assert result.exit_code != 0 and "needs a text column (subject or title)" in str(result.exception)
