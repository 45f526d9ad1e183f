"""Map labelled activities onto rubric dimensions: the interpretation layer.

Facts (activities) and judgments (labels) come in; evidence rows go out.  For
each person's activity and each dimension, the behaviour whose signals the
activity's labels match most strongly becomes the evidence row.  Weights combine
as a noisy-or, so an activity matching several signals of one behaviour counts a
little more than its best signal alone, and never more than 1:

    weight = 1 - prod(1 - signal_weight * label_confidence)   over matched signals
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from classifiers.contract import SIGNALS
from rubric.contract import EVIDENCE_SCHEMA
from rubric.model import Rubric

log = logging.getLogger(__name__)

_ACTIVITY_COLUMNS = ("activity_id", "person_id", "is_bot", "kind", "occurred_at", "url", "title")
_LABEL_COLUMNS = ("activity_id", "label", "confidence", "reason")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class _Target:
    dim_index: int
    beh_index: int  # position in document order, breaks ties between equal weights
    dimension_id: str
    behaviour_id: str
    weight: float


def _require(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(f"build_evidence: the {what} table lacks columns {missing}; "
                         f"pass a table with the schema in classifiers/contract.py")


def _signal_index(rubric: Rubric) -> dict[str, list[_Target]]:
    """signal -> every (dimension, behaviour, weight) it can evidence."""
    index: dict[str, list[_Target]] = defaultdict(list)
    beh_index = 0
    for dim_index, (_, dim) in enumerate(rubric.dimensions()):
        for beh in dim.behaviours:
            for sw in beh.signals:
                index[sw.signal].append(_Target(dim_index, beh_index, dim.id, beh.id, sw.weight))
            beh_index += 1
    return dict(index)


def _labels_by_activity(labels: pa.Table) -> dict[str, dict[str, tuple[float, list[str]]]]:
    """activity_id -> {signal: (max confidence, distinct reasons in stable order)}."""
    cols = {c: labels.column(c).to_pylist() for c in _LABEL_COLUMNS}
    rows = sorted(zip(cols["activity_id"], cols["label"], cols["confidence"], cols["reason"]),
                  key=lambda r: (r[0] or "", r[1] or "", -(r[2] if r[2] is not None else 1.0), r[3] or ""))
    out: dict[str, dict[str, tuple[float, list[str]]]] = defaultdict(dict)
    unknown: set[str] = set()
    for activity_id, label, confidence, reason in rows:
        if activity_id is None or label is None:
            continue
        if label not in SIGNALS:
            unknown.add(label)
            continue
        conf = 1.0 if confidence is None else min(max(float(confidence), 0.0), 1.0)
        best, reasons = out[activity_id].get(label, (0.0, []))
        if reason and reason not in reasons:
            reasons = [*reasons, reason]
        out[activity_id][label] = (max(best, conf), reasons)
    if unknown:
        log.warning("build_evidence: ignored labels not in SIGNALS: %s", ", ".join(sorted(unknown)))
    return out


def _best_per_dimension(signals: dict[str, tuple[float, list[str]]],
                        index: dict[str, list[_Target]]) -> dict[int, tuple[str, str, float, list[str]]]:
    """dim_index -> (dimension_id, behaviour_id, weight, matched signals) for one activity."""
    # (dim_index, beh_index) -> [dimension_id, behaviour_id, prod(1 - w*c), matched signals]
    acc: dict[tuple[int, int], list] = {}
    for signal in sorted(signals):
        confidence = signals[signal][0]
        for target in index.get(signal, ()):
            key = (target.dim_index, target.beh_index)
            slot = acc.setdefault(key, [target.dimension_id, target.behaviour_id, 1.0, []])
            slot[2] *= 1.0 - target.weight * confidence
            slot[3].append(signal)
    best: dict[int, tuple[str, str, float, list[str]]] = {}
    for (dim_index, _beh_index), (dim_id, beh_id, miss, matched) in sorted(acc.items()):
        weight = 1.0 - miss
        if weight <= 0.0:
            continue
        if dim_index not in best or weight > best[dim_index][2] + 1e-12:
            best[dim_index] = (dim_id, beh_id, weight, matched)
    return best


def build_evidence(activities: pa.Table, labels: pa.Table, rubric: Rubric) -> pa.Table:
    """Evidence rows (EVIDENCE_SCHEMA) for every person's labelled activity, one per matched dimension."""
    _require(activities, _ACTIVITY_COLUMNS, "activities")
    _require(labels, _LABEL_COLUMNS, "labels")
    index = _signal_index(rubric)
    by_activity = _labels_by_activity(labels)
    cols = {c: activities.column(c).to_pylist() for c in _ACTIVITY_COLUMNS}

    rows: list[tuple] = []
    seen: set[tuple[str, str]] = set()
    for i, activity_id in enumerate(cols["activity_id"]):
        person_id = cols["person_id"][i]
        if person_id is None or cols["is_bot"][i] or activity_id not in by_activity:
            continue
        if (person_id, activity_id) in seen:
            continue
        seen.add((person_id, activity_id))
        signals = by_activity[activity_id]
        for dim_index, (dim_id, beh_id, weight, matched) in _best_per_dimension(signals, index).items():
            reasons: list[str] = []
            for signal in matched:
                reasons.extend(r for r in signals[signal][1] if r not in reasons)
            rows.append((person_id, dim_index, cols["occurred_at"][i], activity_id, dim_id, beh_id,
                         cols["kind"][i], cols["url"][i], cols["title"][i], matched, round(weight, 6),
                         "; ".join(reasons)))

    rows.sort(key=lambda r: (r[0], r[1], r[2] is None, r[2] or _EPOCH, r[3]))
    data = {
        "rubric_id": [rubric.id] * len(rows),
        "rubric_version": [rubric.version] * len(rows),
        "person_id": [r[0] for r in rows],
        "dimension_id": [r[4] for r in rows],
        "behaviour_id": [r[5] for r in rows],
        "activity_id": [r[3] for r in rows],
        "kind": [r[6] for r in rows],
        "occurred_at": [r[2] for r in rows],
        "url": [r[7] for r in rows],
        "title": [r[8] for r in rows],
        "signals": [r[9] for r in rows],
        "weight": [r[10] for r in rows],
        "reason": [r[11] for r in rows],
    }
    return pa.Table.from_pydict(data, schema=EVIDENCE_SCHEMA)
