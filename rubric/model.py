"""The rubric as a validated pydantic model, and ``load_rubric`` for the versioned YAML.

The YAML is written by people, so every model forbids unknown keys and every
error names the file, the key path and what to change.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from classifiers.contract import SIGNALS
from miners import yaml_strict
from miners.validation import validation_problems, yaml_problem

DEFAULT_RUBRIC = "ic4_mle.yaml"
_ID = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_DOTTED_ID = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)*$"

NonEmpty = Annotated[str, Field(min_length=1)]


class RubricError(ValueError):
    """A rubric file that cannot be read or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalWeight(_Strict):
    signal: str
    weight: float = Field(gt=0.0, le=1.0)

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if value not in SIGNALS:
            raise ValueError(
                f"unknown signal {value!r}; use one of the keys of classifiers.contract.SIGNALS "
                f"(e.g. {', '.join(sorted(SIGNALS)[:4])}, ...)"
            )
        return value


class Behaviour(_Strict):
    id: str = Field(pattern=_DOTTED_ID)
    text: NonEmpty
    observable: bool
    signals: list[SignalWeight] = Field(default_factory=list)
    cannot_see: str | None = None
    # Items this behaviour needs for solid / strong when each is large (a whole project); else scoring.min_items.
    min_items: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _honest_observability(self) -> Behaviour:
        if self.observable and not self.signals:
            raise ValueError(
                "observable is true but signals is empty; list the signals that evidence it or set observable: false"
            )
        if not self.observable and self.signals:
            raise ValueError("observable is false but signals are listed; remove them or set observable: true")
        if not self.observable and not (self.cannot_see or "").strip():
            raise ValueError("observable is false, so cannot_see must say why the data cannot show it")
        seen = [s.signal for s in self.signals]
        if len(seen) != len(set(seen)):
            raise ValueError(f"a signal is listed twice in {seen}; list each signal once")
        return self


class Dimension(_Strict):
    id: str = Field(pattern=_DOTTED_ID)
    title: NonEmpty
    description: str | None = None
    behaviours: list[Behaviour] = Field(min_length=1)

    @property
    def observable(self) -> bool:
        """True when at least one behaviour can be evidenced from the data."""
        return any(b.observable for b in self.behaviours)


class Footnote(_Strict):
    marker: NonEmpty
    text: NonEmpty


class Area(_Strict):
    id: str = Field(pattern=_ID)
    title: NonEmpty
    header: str | None = None  # the seed's heading when it differs from title (emoji)
    intro: list[str] = Field(default_factory=list)
    footnotes: list[Footnote] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(min_length=1)


class Scoring(_Strict):
    """How strength is calibrated (rubric.calibration; docs/report-schema.md "Strength")."""

    method: Literal["calibrated"] = "calibrated"
    solid_lift: float = Field(default=1.5, gt=0.0)
    strong_lift: float = Field(default=2.5, gt=0.0)
    min_items: int = Field(default=3, ge=1)
    min_cohort: int = Field(default=8, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> Scoring:
        if self.solid_lift > self.strong_lift:
            raise ValueError("solid_lift must not exceed strong_lift")
        return self


class Rubric(_Strict):
    id: str = Field(pattern=_ID)
    version: NonEmpty
    title: NonEmpty
    short_title: str | None = None  # how reports name the rubric: "evidence for the IC4 MLE rubric" (default: title)
    summary: str | None = None
    source: str | None = None  # where the rubric's text comes from, said once in every report
    # The roster level the rubric describes: strength compares everyone's evidence with what people at this
    # level typically show here (an IC3's report says how far their evidence already looks like an IC4's).
    # Unset: each person is compared with their own level.
    level: str | None = None
    scoring: Scoring = Field(default_factory=Scoring)
    areas: list[Area] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        seen: set[str] = set()
        for area in self.areas:
            for dim in area.dimensions:
                if not dim.id.startswith(f"{area.id}."):
                    raise ValueError(f"dimension id {dim.id!r} must start with its area id '{area.id}.'")
                for beh in dim.behaviours:
                    if not beh.id.startswith(f"{dim.id}."):
                        raise ValueError(f"behaviour id {beh.id!r} must start with its dimension id '{dim.id}.'")
            for item in [
                area.id,
                *(d.id for d in area.dimensions),
                *(b.id for d in area.dimensions for b in d.behaviours),
            ]:
                if item in seen:
                    raise ValueError(f"id {item!r} is used twice; ids must be unique across the rubric")
                seen.add(item)
        return self

    def dimensions(self) -> list[tuple[Area, Dimension]]:
        """Every (area, dimension) pair in document order."""
        return [(area, dim) for area in self.areas for dim in area.dimensions]

    def behaviours(self) -> list[tuple[Dimension, Behaviour]]:
        """Every (dimension, behaviour) pair in document order."""
        return [(dim, beh) for _, dim in self.dimensions() for beh in dim.behaviours]


def _key_path(data: object, loc: tuple) -> str:
    """Render a pydantic error location as a readable key path, naming ids where present."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            label = node.get("id") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]" + (f"({label})" if label else "")]
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "<top level>"


def parse_rubric(text: str, source: str = "<string>") -> Rubric:
    """Parse and validate rubric YAML text; ``source`` names the file in error messages."""
    try:
        data = yaml_strict.load(text)
    except yaml.YAMLError as exc:
        raise RubricError(f"{source}: not valid YAML {yaml_problem(exc)}; fix it there") from None
    if not isinstance(data, dict):
        raise RubricError(f"{source}: expected a mapping with id, version, title and areas at the top level")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        lines, _ = validation_problems(exc, where=lambda loc: f"  at {_key_path(data, loc)}")
        raise RubricError(
            f"{source}: the rubric is invalid:\n"
            + "\n".join(lines)
            + "\nFix these keys (see docs/rubric.md for the format)."
        ) from exc


def load_rubric(path: Path | None = None) -> Rubric:
    """Load a rubric YAML file; ``None`` loads the packaged IC4 Machine Learning Engineer rubric."""
    if path is None:
        resource = resources.files("rubric").joinpath(DEFAULT_RUBRIC)
        return parse_rubric(resource.read_text(encoding="utf-8"), f"rubric/{DEFAULT_RUBRIC} (packaged)")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(
            f"{path}: cannot read the rubric file ({exc.strerror}); check the path in your config"
        ) from exc
    return parse_rubric(text, str(path))
