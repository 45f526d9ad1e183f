"""``reports.rubrics``: the first entry whose given keys all match a person picks their report's rubric."""

from __future__ import annotations

from importlib import resources

import pytest

from flows.config import ConfigError, LadderConfig
from flows.rubrics import Rubrics, choice_for, require_rubric


def config(rubrics: list[dict] | None = None) -> LadderConfig:
    data: dict = {"reports": {"rubrics": rubrics}} if rubrics is not None else {}
    return LadderConfig.model_validate(data)


def person(level: str | None, family: str | None = None) -> dict:
    return {"person_id": "p", "level": level, "job_family": family}


def test_by_default_ic_levels_get_the_packaged_rubric_and_managers_none():
    c = config()
    assert choice_for(c, person("IC2")) is not None and choice_for(c, person("IC6")) is not None
    for level in ("M1", "M2", None):
        assert choice_for(c, person(level)) is None
    rubric = Rubrics(c).for_person(person("IC4"))
    assert rubric.id == "ic4-mle" and rubric.short_title == "IC4 MLE"
    with pytest.raises(ConfigError, match=r"p \(M1\) gets no IC report.*\{levels: \[M1\]\}"):
        require_rubric(Rubrics(c), person("M1"))


def test_job_families_levels_and_order(tmp_path):
    ds = tmp_path / "ds.yaml"
    packaged = resources.files("rubric").joinpath("ic4_mle.yaml").read_text("utf-8")
    ds.write_text(packaged.replace("id: ic4-mle", "id: ds-rubric"), encoding="utf-8")  # a rubric file of its own
    c = config([{"job_families": ["data-science"], "rubric": str(ds)}, {"levels": ["IC*", "M1"]}])
    rubrics = Rubrics(c)
    assert rubrics.for_person(person("IC3", "data-science")).id == "ds-rubric"  # the first match wins
    assert rubrics.for_person(person("IC3", "mle")).id == "ic4-mle"
    assert rubrics.for_person(person("M1")).id == "ic4-mle"
    assert rubrics.for_person(person("M2")) is None
    assert [r.id for r in rubrics.all()] == ["ds-rubric", "ic4-mle"]  # evidence is built for each
    both = config([{"levels": ["IC4"], "job_families": ["mle"]}])
    assert choice_for(both, person("IC4", "mle")) is not None
    assert choice_for(both, person("IC4", "data-science")) is None  # every key given must match
    assert choice_for(both, person("IC3", "mle")) is None
