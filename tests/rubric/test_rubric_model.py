"""The packaged rubric loads, validates strictly, and maps signals honestly."""

from __future__ import annotations

import os

import pytest
import yaml

from classifiers.contract import SIGNALS
from rubric import Rubric, RubricError, load_rubric, parse_rubric
from tests.support import GOLDEN, REPO

GOLDEN_IDS = GOLDEN / "rubric_ids.txt"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def all_ids(rubric: Rubric) -> list[str]:
    return (
        [a.id for a in rubric.areas] + [d.id for _, d in rubric.dimensions()] + [b.id for _, b in rubric.behaviours()]
    )


def test_packaged_rubric_identity(rubric):
    assert (rubric.id, rubric.version) == ("ic4-mle", "2")
    assert rubric.title == "IC4 Machine Learning Engineer"
    assert len(rubric.dimensions()) == 22 and len(rubric.behaviours()) == 80


def test_load_by_path_equals_packaged(rubric):
    path = REPO / "rubric" / "ic4_mle.yaml"
    assert load_rubric(path) == rubric


def test_ids_unique_and_stable(rubric):
    ids = all_ids(rubric)
    assert len(ids) == len(set(ids))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_IDS.write_text("\n".join(ids) + "\n", encoding="utf-8")
    # Evidence rows and reports store these ids: renaming one needs a version bump and a deliberate
    # UPDATE_GOLDEN=1 run.
    assert ids == GOLDEN_IDS.read_text(encoding="utf-8").split()


def test_every_signal_is_in_the_vocabulary(rubric):
    used = {s.signal for _, b in rubric.behaviours() for s in b.signals}
    assert used <= set(SIGNALS)
    assert used, "no signals at all would make every report empty"


def test_observability_is_explained(rubric):
    for _, b in rubric.behaviours():
        assert b.observable == bool(b.signals), b.id
        if not b.observable:
            assert b.cannot_see and len(b.cannot_see) > 20, b.id


@pytest.mark.parametrize(
    ("behaviour_id", "signal"),
    [
        ("results.ownership.sev-urgency", "incident.commander"),
        ("results.ownership.sev-urgency", "incident.responder"),
        ("results.ownership.declare-sev", "incident.declared"),
        ("results.ownership.playbooks", "work.playbook"),
        ("results.ownership.reduce-toil", "work.toil_automation"),
        ("scope.impact-levers.mentorship", "mentorship"),
        ("scope.impact-levers.mentorship", "review.knowledge_transfer"),
        ("scope.collaborative-reach.cross-team-initiatives", "cross_team"),
        ("scope.collaborative-reach.cross-team-initiatives", "project.cross_team_dependency"),
        ("scope.impact-levers.project-leadership", "project.epic_lead"),
        ("talent.team-development.quality-bar-reviews", "review.suggestion"),
        ("talent.team-development.quality-bar-reviews", "review.defect"),
        ("talent.team-development.quality-bar-reviews", "review.design"),
        ("craft.software-design.design-feedback", "review.design"),
        ("craft.ml-design.experimentation-strategy", "work.ml_experiment"),
        ("craft.architecture-design.reliable-rollout", "work.monitoring"),
        ("results.impact.on-time-quality", "delivery.on_time"),
        ("results.impact.on-time-quality", "delivery.merged"),
    ],
)
def test_key_behaviours_are_evidenced_by_their_signals(rubric, behaviour_id, signal):
    behaviour = dict((b.id, b) for _, b in rubric.behaviours())[behaviour_id]
    assert behaviour.observable
    assert signal in {s.signal for s in behaviour.signals}


@pytest.mark.parametrize(
    "dimension_id",
    [
        "results.decision-making",
        "direction.agility",
        "talent.personal-growth",
        "culture.organizational-health",
        "culture.culture-leader",
        "craft.business-acumen",
    ],
)
def test_people_dimensions_are_honestly_not_observable(rubric, dimension_id):
    dims = {d.id: d for _, d in rubric.dimensions()}
    assert not dims[dimension_id].observable


def test_most_culture_and_talent_bullets_are_not_observable(rubric):
    soft = [b for d, b in rubric.behaviours() if d.id.split(".")[0] in ("culture", "talent")]
    assert sum(not b.observable for b in soft) > 0.7 * len(soft)


def _doc() -> dict:
    return yaml.safe_load((REPO / "rubric" / "ic4_mle.yaml").read_text("utf-8"))


def test_unknown_signal_error_names_file_path_and_fix():
    doc = _doc()
    doc["areas"][1]["dimensions"][1]["behaviours"][3]["signals"][0]["signal"] = "incident.hero"
    with pytest.raises(RubricError) as err:
        parse_rubric(yaml.safe_dump(doc, allow_unicode=True), "custom.yaml")
    msg = str(err.value)
    assert msg.startswith("custom.yaml:")
    assert "areas[1](results).dimensions[1](results.ownership).behaviours[3](results.ownership.sev-urgency)" in msg
    assert "incident.hero" in msg and "SIGNALS" in msg


def test_unknown_key_is_refused():
    doc = _doc()
    doc["areas"][0]["dimensions"][0]["behaviours"][0]["weight"] = 3
    with pytest.raises(RubricError, match=r"behaviours\[0\]\(scope.ownership-autonomy.own-team-goals\).weight"):
        parse_rubric(yaml.safe_dump(doc, allow_unicode=True), "x.yaml")


def test_duplicate_id_is_refused():
    doc = _doc()
    behaviours = doc["areas"][0]["dimensions"][0]["behaviours"]
    behaviours[1]["id"] = behaviours[0]["id"]
    with pytest.raises(RubricError, match="used twice"):
        parse_rubric(yaml.safe_dump(doc, allow_unicode=True), "x.yaml")


def test_unobservable_behaviour_must_say_why():
    doc = _doc()
    beh = doc["areas"][0]["dimensions"][0]["behaviours"][1]
    beh["cannot_see"] = " "
    with pytest.raises(RubricError, match="cannot_see must say why"):
        parse_rubric(yaml.safe_dump(doc, allow_unicode=True), "x.yaml")


def test_observable_without_signals_is_refused():
    doc = _doc()
    doc["areas"][0]["dimensions"][0]["behaviours"][0]["signals"] = []
    with pytest.raises(RubricError, match="signals is empty"):
        parse_rubric(yaml.safe_dump(doc, allow_unicode=True), "x.yaml")


def test_missing_file_and_bad_yaml_say_what_to_do(tmp_path):
    with pytest.raises(RubricError, match="cannot read the rubric file"):
        load_rubric(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"bad.yaml: not valid YAML"):
        load_rubric(bad)
