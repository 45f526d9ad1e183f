"""The feedback loop: a label an engineer disputes (and corrects) changes the next ``ladder train``, which says
how many it used; once their manager confirms a dispute, the item is gone from the evidence, in the app at
once and in the warehouse after the next nightly.  A dispute the manager rejects trains nothing and its item
stays.  Disputed examples never enter the held-out data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifiers.disputes import DISPUTE_WEIGHT, labels_for_kind
from classifiers.models import artifact_paths, load_or_train
from classifiers.train import WORK_TYPE, as_matrix, split_examples, train_model
from classifiers.training_data import Examples, work_type_input
from flows import stages
from flows.snapshot import publish_snapshot
from tests.support.cli import run_cli
from tests.support.synced import synced_world
from tests.support.web import csrf_of, oauth_sign_in, served
from tests.support.worlds import tiny_world
from warehouse import open_warehouse
from warehouse.feedback import read_notes

pytestmark = pytest.mark.slow  # two trainings of both models, a synced company


def _train(synced) -> dict[str, str]:
    """``ladder train`` as a user runs it; {model id: its summary line}."""
    env = {"LADDER_SANDBOX_GITHUB_TOKEN": synced.world.tokens.service}
    done = run_cli("train", "--config", str(synced.config_path), cwd=synced.dir, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split(" ")[0]: line for line in done.stdout.splitlines() if " v" in line}


def _proba(model_dir, example, label: str) -> float:
    model = load_or_train(model_dir).work_type
    classes = list(model.pipeline.classes_)
    return float(model.pipeline.predict_proba(as_matrix([example]))[0][classes.index(label)])


def test_a_disputed_label_changes_the_next_train_and_a_confirmed_dispute_leaves_the_evidence(tmp_path):
    with synced_world(tiny_world(), tmp_path) as synced, served(synced) as web:
        before = _train(synced)
        assert "0 disputed labels used" in before["work-type"]

        ana = oauth_sign_in(web.url, "ana", "tok-ana")
        report = ana.get(f"{web.url}/people/ana/report.json", timeout=60).json()
        items = [i for d in report["dimensions"] for b in d["behaviours"] for i in b.get("evidence", [])]
        item = next(i for i in items if i["kind"] == "pull_request")
        # another item's label (of either model) disputed too, which dana will reject: it must train nothing
        upheld = next(i for i in items if labels_for_kind(i["kind"]) and i["activity_id"] != item["activity_id"])

        def right_label(disputed: dict) -> str:
            return next(label for label in labels_for_kind(disputed["kind"]) if label not in disputed["signals"])

        right = right_label(item)
        csrf = csrf_of(ana.get(f"{web.url}/people/ana", timeout=60).text)
        for disputed in (item, upheld):
            dispute = {
                "csrf": csrf,
                "kind": "dispute",
                "reason": "wrong_label",
                "label": right_label(disputed),
                "activity_id": disputed["activity_id"],
                "behaviour_id": disputed["behaviour_id"],
                "body": f"This is {right_label(disputed)}, not what the label says.",
            }
            assert ana.post(f"{web.url}/people/ana/notes", data=dispute, timeout=60).status_code == 200
        note, rejected = [n for n in read_notes(synced.config.feedback_path, "ana") if n.kind == "dispute"]
        assert note.disputed_label == ", ".join(item["signals"])  # provenance: what it was shown as
        dana = oauth_sign_in(web.url, "dana", "tok-dana")
        dana_csrf = csrf_of(dana.get(web.url + "/", timeout=60).text)
        reject = f"{web.url}/people/ana/notes/{rejected.note_id}/reject"
        assert dana.post(reject, data={"csrf": dana_csrf, "body": "The label is right."}, timeout=60).status_code == 200

        with open_warehouse(synced.config.warehouse_path, read_only=True) as wh:
            row = next(r for r in wh.query_activities().to_pylist() if r["activity_id"] == item["activity_id"])
        example = work_type_input(row["title"], row["body"], row["paths"], row["additions"], row["deletions"])
        p_before = _proba(synced.config.model_dir, example, right)

        after = _train(synced)
        assert f"1 disputed labels used (each counted {DISPUTE_WEIGHT}x)" in after["work-type"]
        assert "0 disputed labels used" in after["review-substance"]  # the rejected one counted nowhere
        meta = json.loads(artifact_paths(synced.config.model_dir, "work-type")[1].read_text())
        # only the dispute dana did not reject: a rejected dispute is no "disputed by the subject" example
        assert meta["disputes"]["n_activities"] == 1 and meta["disputes"]["by_label"] == {right: DISPUTE_WEIGHT}
        assert meta["disputes"]["provenance"] == "disputed by the subject"
        assert _proba(synced.config.model_dir, example, right) > p_before  # the model moved towards the correction

        # dana (ana's manager) confirms: the item stops counting, in the app at once ...
        confirm = f"{web.url}/people/ana/notes/{note.note_id}/confirm"
        assert dana.post(confirm, data={"csrf": dana_csrf}).status_code == 200

        def shown(session) -> set[tuple[str, str]]:
            data = session.get(f"{web.url}/people/ana/report.json", timeout=60).json()
            return {
                (i["activity_id"], i["behaviour_id"])
                for d in data["dimensions"]
                for b in d["behaviours"]
                for i in b.get("evidence", [])
            }

        key = (item["activity_id"], item["behaviour_id"])
        kept = (upheld["activity_id"], upheld["behaviour_id"])  # rejected: still evidence
        assert key not in shown(ana) and key not in shown(dana)
        assert kept in shown(ana) and kept in shown(dana)
        # ... and in the warehouse once the nightly's evidence stage has run again
        stages.build_evidence(synced.config)
        with open_warehouse(synced.config.warehouse_path, read_only=True) as wh:
            rows = wh.query_evidence("ana").to_pylist()
        assert key not in {(r["activity_id"], r["behaviour_id"]) for r in rows}
        assert kept in {(r["activity_id"], r["behaviour_id"]) for r in rows}  # only the confirmed item went
        publish_snapshot(synced.config)
        assert key not in shown(ana)


def test_disputed_examples_never_enter_the_held_out_data():
    examples = WORK_TYPE.read_examples()
    _, x_test, _, y_test, _ = split_examples(examples, 0)
    held = tuple(x_test[0])
    wrong = next(label for label in sorted(set(y_test.tolist())) if label != y_test[0])
    disputes = Examples([held] * DISPUTE_WEIGHT, [wrong] * DISPUTE_WEIGHT, ["act:x"] * 3, ["dispute:act:x"] * 3)
    model = train_model(WORK_TYPE, disputes=disputes)
    assert model.metadata["disputes"]["left_out_held_out"] == DISPUTE_WEIGHT
    assert model.metadata["disputes"]["n_examples"] == 0
    assert model.metadata["metrics"]["n_test"] == len(y_test)
    assert np.asarray(x_test).shape[0] == len(y_test)
