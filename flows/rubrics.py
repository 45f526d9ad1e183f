"""Who gets which report: the config's ``reports.rubrics`` maps levels and job families to rubrics.

The first entry whose keys all match a person wins; a person no entry matches (by default everyone
outside the IC levels: managers, other ladders) gets no IC report, because a rubric written for an
IC level says nothing useful about their work.  Rubrics are loaded once per file.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from flows.config import ConfigError, LadderConfig, RubricChoice

PACKAGED = "(packaged)"


def _matches(choice: RubricChoice, person: dict) -> bool:
    level, family = person.get("level"), person.get("job_family")
    if choice.levels and not (level and any(fnmatch.fnmatchcase(level, g) for g in choice.levels)):
        return False
    if choice.job_families and family not in choice.job_families:
        return False
    return True


def rubric_key(config: LadderConfig, choice: RubricChoice) -> str:
    path = config.resolve(choice.rubric or config.rubric)
    return str(path) if path is not None else PACKAGED


def choice_for(config: LadderConfig, person: dict) -> RubricChoice | None:
    """The first ``reports.rubrics`` entry that matches ``person`` (a roster row), or None."""
    return next((c for c in config.reports.rubrics if _matches(c, person)), None)


class Rubrics:
    """The config's rubrics, each loaded once: ``for_person`` picks one, ``all`` lists them."""

    def __init__(self, config: LadderConfig) -> None:
        self.config = config
        self._loaded: dict[str, object] = {}

    def _load(self, key: str):
        if key not in self._loaded:
            from rubric import load_rubric

            self._loaded[key] = load_rubric(None if key == PACKAGED else Path(key))
        return self._loaded[key]

    def for_person(self, person: dict):
        """The Rubric of ``person``'s report, or None when the config gives their level none."""
        choice = choice_for(self.config, person)
        return self._load(rubric_key(self.config, choice)) if choice is not None else None

    def all(self) -> list:
        """Every rubric the config names (the default one when ``reports.rubrics`` is empty), each once."""
        keys = dict.fromkeys(rubric_key(self.config, c) for c in self.config.reports.rubrics)
        if not keys:
            keys = {rubric_key(self.config, RubricChoice()): None}
        return [self._load(k) for k in keys]


def no_rubric_message(config: LadderConfig, person: dict) -> str:
    level = person.get("level") or "no level"
    family = f", job family {person['job_family']}" if person.get("job_family") else ""
    return (
        f"{person['person_id']} ({level}{family}) gets no IC report: no entry of reports.rubrics in "
        f"{config.source_path or 'the config'} matches their level or job family (by default only IC* levels "
        f"do; managers are judged on other ladders). Add e.g. `- {{levels: [{level}]}}` there to give them one."
    )


def require_rubric(rubrics: Rubrics, person: dict):
    rubric = rubrics.for_person(person)
    if rubric is None:
        raise ConfigError(no_rubric_message(rubrics.config, person))
    return rubric
