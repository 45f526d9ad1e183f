"""Run rules and models over an activities table and return labels with provenance."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from classifiers.contract import ACTIVITY_KINDS, LABEL_SCHEMA, SIGNALS
from classifiers.errors import ActivityTableError
from classifiers.models import Models, describe_prediction, emitted, load_or_train, predict, train_in_memory
from classifiers.rules import Rule, is_on_others_work
from classifiers.rules_config import build_rules
from classifiers.text import is_stock_phrase
from classifiers.training_data import review_input, work_type_input

log = logging.getLogger("classifiers")

REQUIRED_COLUMNS = ("activity_id", "kind")
REVIEW_MODEL_KINDS = ("review", "review_comment")
# Rule labels that already say what kind of work a PR is, beyond the model's own classes; facets such as
# work.ml_experiment or work.monitoring do not (an ML PR is still a feature, a fix, ...).
WORK_TYPE_DECIDING = frozenset({"work.dependency_bump"})


@functools.lru_cache(maxsize=8)
def _rules_for(path: str | None, mtime_ns: int | None) -> dict[str, tuple[Rule, ...]]:
    rules = build_rules(Path(path) if path else None)
    return {kind: tuple(r for r in rules if kind in r.kinds) for kind in ACTIVITY_KINDS}


def rules_by_kind(rules_path: Path | None = None) -> dict[str, tuple[Rule, ...]]:
    """All rules (code + YAML) grouped by the activity kind they read; cached until the file changes."""
    if rules_path is None:
        return _rules_for(None, None)
    path = Path(rules_path)
    mtime = path.stat().st_mtime_ns if path.exists() else None
    return _rules_for(str(path), mtime)


# Columns no rule or model reads; skipping them (and turning timestamps into their UTC dates, all the rules
# use) halves the cost of converting Arrow rows to Python.
_UNREAD_COLUMNS = frozenset(
    {"url", "actor", "is_bot", "priority", "parent_key", "response_hours", "subject_activity_id", "person_start_date"}
)
_DATE_COLUMNS = ("occurred_at", "resolved_at")


def _rows_for_rules(activities: pa.Table) -> list[dict]:
    """The activity rows as dicts, without unread columns, with timestamps as UTC dates."""
    keep = [c for c in activities.column_names if c not in _UNREAD_COLUMNS]
    table = activities.select(keep)
    for name in _DATE_COLUMNS:
        if name in keep and pa.types.is_timestamp(table.schema.field(name).type):
            column = table.column(name)
            if table.schema.field(name).type.tz is None:
                column = column.cast(pa.timestamp("us", tz="UTC"))
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.cast(column, pa.date32()))
    return table.to_pylist()


def classify_activities(
    activities: pa.Table, *, model_dir: Path | None = None, rules_path: Path | None = None, use_models: bool = True
) -> pa.Table:
    """Label every activity with rules and models; returns ``LABEL_SCHEMA`` rows sorted by
    (activity_id, label, classifier_id).

    ``model_dir`` holds persisted models (trained there when missing); ``None``
    trains them in memory once per process.  ``rules_path`` adds to or overrides
    the default YAML rules.  ``use_models=False`` runs the rules alone.
    """
    started = time.perf_counter()
    missing = [c for c in REQUIRED_COLUMNS if c not in activities.column_names]
    if missing:
        raise ActivityTableError(
            f"activities table lacks column(s) {', '.join(missing)}; build it with "
            "classifiers.contract.ACTIVITY_SCHEMA (warehouse query_activities does)"
        )
    grouped = rules_by_kind(rules_path)
    rows = _rows_for_rules(activities)
    labels: dict[tuple[str, str, str], dict] = {}
    unknown_kinds: set[str] = set()

    def add(
        activity_id: str, label: str, confidence: float, kind: str, classifier_id: str, version: str, reason: str
    ) -> None:
        if label not in SIGNALS:
            raise ValueError(
                f"classifier {classifier_id} produced {label!r}, which is not in SIGNALS; "
                "fix the rule or model label map"
            )
        labels.setdefault(
            (activity_id, label, classifier_id),
            {
                "activity_id": activity_id,
                "label": label,
                "confidence": confidence,
                "classifier_kind": kind,
                "classifier_id": classifier_id,
                "classifier_version": version,
                "reason": reason,
            },
        )

    rule_labels: dict[str, set[str]] = {}
    for row in rows:
        activity_id, kind = row.get("activity_id"), row.get("kind")
        if activity_id is None:
            continue
        if kind not in grouped:
            unknown_kinds.add(str(kind))
            continue
        for rule in grouped[kind]:
            for label, reason in rule.apply(row):
                add(activity_id, label, 1.0, "rule", rule.name, rule.version, reason)
                rule_labels.setdefault(activity_id, set()).add(label)
    if unknown_kinds:
        log.warning(
            "skipped activities of unknown kind(s) %s; known kinds: %s",
            sorted(unknown_kinds),
            ", ".join(ACTIVITY_KINDS),
        )

    if use_models and rows:
        models = load_or_train(model_dir) if model_dir is not None else train_in_memory()
        for activity_id, label, confidence, model_id, version, reason in _model_labels(rows, rule_labels, models):
            add(activity_id, label, confidence, "model", model_id, version, reason)

    ordered = [labels[key] for key in sorted(labels)]
    table = pa.Table.from_pydict({name: [r[name] for r in ordered] for name in LABEL_SCHEMA.names}, schema=LABEL_SCHEMA)
    log.info("classified %d activities: %d labels in %.2fs", len(rows), table.num_rows, time.perf_counter() - started)
    return table


def _model_labels(rows: list[dict], rule_labels: dict[str, set[str]], models: Models):
    """Model labels where they add something and the model is trusted (policy in docs/signals.md): a
    prediction below its model's calibrated minimum probability, or of a class the model is not trusted
    with, gives no label at all."""
    work_model = models.work_type
    work_classes = set(work_model.metadata["labels"]) | WORK_TYPE_DECIDING
    prs = [
        r
        for r in rows
        if r.get("kind") == "pull_request"
        and r.get("activity_id")
        and not (rule_labels.get(r["activity_id"], set()) & work_classes)
        and ((r.get("title") or "").strip() or (r.get("body") or "").strip())
    ]
    inputs = [
        work_type_input(r.get("title"), r.get("body"), r.get("paths"), r.get("additions"), r.get("deletions"))
        for r in prs
    ]
    for row, pred in zip(prs, predict(work_model, inputs)):
        if not emitted(work_model, pred):
            continue
        yield (
            row["activity_id"],
            pred.label,
            pred.confidence,
            work_model.spec.model_id,
            work_model.spec.version,
            describe_prediction(work_model, pred),
        )

    review_model = models.review_substance
    comments = [
        r
        for r in rows
        if r.get("kind") in REVIEW_MODEL_KINDS
        and r.get("activity_id")
        and not is_stock_phrase(r.get("body"))
        and (r.get("subject_person_id") is None or r.get("person_id") is None or is_on_others_work(r))
    ]
    review_inputs = [review_input(r["body"], (r.get("paths") or [None])[0]) for r in comments]
    for row, pred in zip(comments, predict(review_model, review_inputs)):
        if not emitted(review_model, pred):
            continue
        yield (
            row["activity_id"],
            pred.label,
            pred.confidence,
            review_model.spec.model_id,
            review_model.spec.version,
            describe_prediction(review_model, pred),
        )


def classifier_version(*, model_dir: Path | None = None, rules_path: Path | None = None) -> str:
    """A hash of everything an activity's labels depend on besides its row: the classifiers' code, every rule's
    name and version, the rule files, and the models' metadata (trained into ``model_dir`` when missing, as
    ``classify_activities`` would).  Labels made under another version are made again."""
    digest = hashlib.sha256()
    package = resources.files("classifiers")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".py", ".yaml")):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    for kind, rules in sorted(rules_by_kind(rules_path).items()):
        for rule in rules:
            digest.update(f"{kind}:{rule.name}:{rule.version}\0".encode())
    if rules_path is not None and Path(rules_path).exists():
        digest.update(Path(rules_path).read_bytes())
    models = load_or_train(model_dir) if model_dir is not None else train_in_memory()
    for model in (models.work_type, models.review_substance):
        digest.update(json.dumps(model.metadata, sort_keys=True, default=str).encode())
    return digest.hexdigest()
