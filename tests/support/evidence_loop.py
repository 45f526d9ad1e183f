"""The evidence build as it was before issue 13: a per-activity Python loop, kept only as the test oracle.

``rubric.evidence.build_evidence`` now builds the same rows set-wise in DuckDB SQL
(rubric/evidence.sql); tests/rubric/test_evidence_equivalence.py checks both give identical tables
on hand-built inputs and on a synced sandbox world, and bench/bench_evidence.py measures both.

Map labelled activities onto rubric dimensions: the interpretation layer.

Facts (activities) and judgments (labels) come in; evidence rows go out.

**One item per thread.**  A person's review of a pull request, its inline comments and their
conversation comments on that PR are one *thread* (likewise their comments on one ticket), and
give at most one evidence item per dimension: its weight reflects what was said, not how many
comments it took.  Pull requests, tickets and incident roles are threads of their own.

**Quality before volume.**
- A person's comments on their own PR or ticket (replies in their own thread) never count.
- A review thread with no substance (an approval with a stock phrase, "LGTM", a thumbs-up) adds
  nothing to the review, mentorship, discussion or cross-team behaviours.
- Mentorship needs an *explanatory* thread on the work of a less senior or newer engineer: a
  thread that explains, suggests, links context or questions the design, or says at least
  ``EXPLANATORY_MIN_WORDS`` words; ordinary short feedback to a junior is reviewing, not mentoring.

For each thread and dimension, the behaviour whose signals the thread's labels match most
strongly becomes the evidence row.  Weights combine as a noisy-or over the thread's signals (each
at its highest confidence in the thread), so several signals of one behaviour count a little more
than the best alone, and never more than 1:

    weight = 1 - prod(1 - signal_weight * label_confidence)   over matched signals
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from classifiers.contract import SIGNALS
from classifiers.text import is_stock_phrase
from rubric.contract import EVIDENCE_SCHEMA
from rubric.evidence import (
    EPIC_MIN_FACTOR,
    EPIC_MIN_FULL,
    EXCERPT_CHARS,
    EXPLANATORY_MIN_WORDS,
    EXPLANATORY_SIGNALS,
    GATED_SIGNALS,
    SUBSTANCE_SIGNALS,
    SUBSTANTIVE_MIN_WORDS,
    THREAD_KINDS,
)
from rubric.model import Rubric

log = logging.getLogger(__name__)

_ACTIVITY_COLUMNS = ("activity_id", "person_id", "is_bot", "kind", "occurred_at", "url", "title")
_OPTIONAL_COLUMNS = ("body", "subject_activity_id", "subject_person_id", "parent_key", "actor", "issue_type")
_LABEL_COLUMNS = ("activity_id", "label", "confidence", "reason")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'_-]*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Target:
    dim_index: int
    beh_index: int  # position in document order, breaks ties between equal weights
    dimension_id: str
    behaviour_id: str
    weight: float


@dataclass
class _Thread:
    """Everything one person did on one PR / ticket (or one PR, ticket or incident role of their own)."""

    person_id: str
    thread_id: str
    rows: list[int] = field(default_factory=list)  # indexes into the activity columns
    signals: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    words: int = 0


def _require(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(
            f"build_evidence: the {what} table lacks columns {missing}; "
            f"pass a table with the schema in classifiers/contract.py"
        )


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
    rows = sorted(
        zip(cols["activity_id"], cols["label"], cols["confidence"], cols["reason"]),
        key=lambda r: (r[0] or "", r[1] or "", -(r[2] if r[2] is not None else 1.0), r[3] or ""),
    )
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


def _best_per_dimension(
    signals: dict[str, tuple[float, list[str]]], index: dict[str, list[_Target]]
) -> dict[int, tuple[str, str, float, list[str]]]:
    """dim_index -> (dimension_id, behaviour_id, weight, matched signals) for one thread."""
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


def _words(body: str | None) -> int:
    if not body or is_stock_phrase(body):
        return 0
    return len(_WORD.findall(body))


def excerpt(body: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """``body`` on one line, trimmed to ``limit`` characters at a word boundary (None when empty)."""
    if not body:
        return None
    text = _SPACE.sub(" ", body).strip()
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _gate(thread: _Thread, kinds: set[str]) -> dict[str, tuple[float, list[str]]]:
    """The thread's signals after the quality rules (feedback threads only)."""
    signals = thread.signals
    if not kinds & THREAD_KINDS:
        return signals
    has_substance = bool(SUBSTANCE_SIGNALS & signals.keys()) or thread.words >= SUBSTANTIVE_MIN_WORDS
    if not has_substance:
        return {s: v for s, v in signals.items() if s not in GATED_SIGNALS}
    explanatory = bool(EXPLANATORY_SIGNALS & signals.keys()) or thread.words >= EXPLANATORY_MIN_WORDS
    if "mentorship" in signals and not explanatory:
        return {s: v for s, v in signals.items() if s != "mentorship"}
    return signals


_KIND_WORDS = {
    "review": ("review", "reviews"),
    "review_comment": ("inline comment", "inline comments"),
    "issue_comment": ("comment", "comments"),
    "ticket_comment": ("comment", "comments"),
}


def _thread_summary(kinds: list[str], subject: str | None) -> str:
    counts: dict[str, int] = defaultdict(int)
    for kind in kinds:
        counts[kind] += 1
    parts = [
        f"{n} {_KIND_WORDS[k][n != 1]}"
        for k, n in sorted(counts.items(), key=lambda kv: list(_KIND_WORDS).index(kv[0]))
        if k in _KIND_WORDS
    ]
    where = "ticket" if "ticket_comment" in counts else "PR"
    whose = f"someone else's {where}" if subject else f"the {where}"
    return f"{', '.join(parts)} on {whose}"


def build_evidence(activities: pa.Table, labels: pa.Table, rubric: Rubric) -> pa.Table:
    """Evidence rows (EVIDENCE_SCHEMA) for every person's labelled threads, one per matched dimension."""
    _require(activities, _ACTIVITY_COLUMNS, "activities")
    _require(labels, _LABEL_COLUMNS, "labels")
    index = _signal_index(rubric)
    signal_weight = {(t.behaviour_id, signal): t.weight for signal, targets in index.items() for t in targets}
    by_activity = _labels_by_activity(labels)
    n = activities.num_rows
    cols = {c: activities.column(c).to_pylist() for c in _ACTIVITY_COLUMNS}
    for c in _OPTIONAL_COLUMNS:
        cols[c] = activities.column(c).to_pylist() if c in activities.column_names else [None] * n

    epics = _epic_sizes(cols)
    threads: dict[tuple[str, str], _Thread] = {}
    seen: set[tuple[str, str]] = set()
    for i, activity_id in enumerate(cols["activity_id"]):
        person_id = cols["person_id"][i]
        if person_id is None or cols["is_bot"][i] or activity_id not in by_activity:
            continue
        if (person_id, activity_id) in seen:
            continue
        seen.add((person_id, activity_id))
        kind = cols["kind"][i]
        thread_id = activity_id
        if kind in THREAD_KINDS:
            if cols["subject_person_id"][i] == person_id:
                continue  # a reply on one's own PR or ticket is not evidence of anything
            thread_id = cols["subject_activity_id"][i] or activity_id
        thread = threads.get((person_id, thread_id))
        if thread is None:
            thread = threads[(person_id, thread_id)] = _Thread(person_id, thread_id)
        thread.rows.append(i)
        if kind in THREAD_KINDS:
            thread.words += _words(cols["body"][i])
        for signal, (conf, reasons) in by_activity[activity_id].items():
            if signal == "project.epic_lead" and activity_id.startswith("jira:ticket:"):
                conf, reasons = _scale_epic(activity_id.rsplit(":", 1)[-1], conf, reasons, epics)
            best, known = thread.signals.get(signal, (0.0, []))
            thread.signals[signal] = (max(best, conf), known + [r for r in reasons if r not in known])

    rows: list[tuple] = []
    for (person_id, thread_id), thread in threads.items():
        kinds = [cols["kind"][i] for i in thread.rows]
        signals = _gate(thread, set(kinds))
        if not signals:
            continue
        # The same for every dimension of the thread: when it started and what it was.
        first = min((cols["occurred_at"][i] for i in thread.rows if cols["occurred_at"][i] is not None), default=None)
        summary = None
        if len(thread.rows) > 1 or kinds[0] in THREAD_KINDS:  # one subject per thread: the PR's or ticket's owner
            summary = _thread_summary(kinds, cols["subject_person_id"][thread.rows[0]])
        for dim_index, (dim_id, beh_id, weight, matched) in _best_per_dimension(signals, index).items():
            weights = {signal: signal_weight[(beh_id, signal)] for signal in matched}
            rep = _representative(thread, weights, cols, by_activity)
            reason = "; ".join(_distinct_reasons(signals, matched)[:3])
            if summary is not None:
                reason = f"{summary}: {reason}"
            text = excerpt(cols["body"][rep]) if cols["kind"][rep] in THREAD_KINDS else None
            rows.append(
                (
                    person_id,
                    dim_index,
                    first,
                    cols["activity_id"][rep],
                    dim_id,
                    beh_id,
                    cols["kind"][rep],
                    cols["url"][rep],
                    cols["title"][rep],
                    matched,
                    round(weight, 6),
                    reason,
                    thread_id,
                    len(thread.rows),
                    text,
                )
            )

    rows.sort(key=lambda r: (r[0], r[1], r[2] is None, r[2] or _EPOCH, r[3]))
    names = (
        "person_id",
        None,
        "occurred_at",
        "activity_id",
        "dimension_id",
        "behaviour_id",
        "kind",
        "url",
        "title",
        "signals",
        "weight",
        "reason",
        "thread_id",
        "activity_count",
        "excerpt",
    )
    data = {name: [r[k] for r in rows] for k, name in enumerate(names) if name is not None}
    data["rubric_id"] = [rubric.id] * len(rows)
    data["rubric_version"] = [rubric.version] * len(rows)
    return pa.Table.from_pydict({name: data[name] for name in EVIDENCE_SCHEMA.names}, schema=EVIDENCE_SCHEMA)


def _distinct_reasons(signals: dict[str, tuple[float, list[str]]], matched: list[str]) -> list[str]:
    """The matched signals' reasons, each said once: "substantive review on someone else's PR: X" and "inline
    comment on someone else's PR: X" (the same rule on two activities of one thread) keep only the first."""
    out: list[str] = []
    said: set[str] = set()
    for signal in matched:
        for reason in signals[signal][1]:
            gist = reason.split(": ", 1)[-1]
            if gist not in said:
                said.add(gist)
                out.append(reason)
    return out


def _epic_sizes(cols: dict[str, list]) -> tuple[dict[str, tuple[int, int]], tuple[float, float]]:
    """Epic key -> (child tickets, distinct people assigned to them), from the activities table; and the
    size (child tickets) at which an epic counts in full."""
    children: dict[str, int] = defaultdict(int)
    people: dict[str, set[str]] = defaultdict(set)
    for i, parent in enumerate(cols["parent_key"]):
        if parent and cols["kind"][i] == "ticket":
            children[parent] += 1
            who = cols["person_id"][i] or cols["actor"][i]
            if who:
                people[parent].add(who)
    epic_keys = {
        a.rsplit(":", 1)[-1]
        for a, t in zip(cols["activity_id"], cols["issue_type"])
        if (t or "").strip().lower() == "epic"
    }
    sizes = sorted(children.get(key, 0) for key in epic_keys)
    found = {key: (n, len(people[key])) for key, n in children.items()}
    if not sizes:
        return found, (1.0, float(EPIC_MIN_FULL))
    typical = float(statistics.median(sizes))
    spread = 1.4826 * statistics.median(abs(n - typical) for n in sizes)
    q90 = float(sizes[(9 * len(sizes)) // 10])
    full = max(float(EPIC_MIN_FULL), q90, min(typical + 2 * spread, float(sizes[-1])))
    return found, (max(1.0, typical), full)


def _scale_epic(
    key: str, conf: float, reasons: list[str], epics: tuple[dict[str, tuple[int, int]], tuple[float, float]]
) -> tuple[float, list[str]]:
    sizes, (typical, full) = epics
    n, people = sizes.get(key, (0, 0))
    if n >= full:
        factor = 1.0
    elif n <= typical:
        factor = EPIC_MIN_FACTOR
    else:
        factor = max(EPIC_MIN_FACTOR, math.log(n / typical) / math.log(full / typical))
    tickets = f"{n} child ticket{'s' if n != 1 else ''}"
    said = (
        f"the epic has {tickets} worked by {people} {'person' if people == 1 else 'people'}"
        f" (a typical epic here: {typical:g})"
    )
    return conf * factor, [*reasons, said]


def _representative(
    thread: _Thread,
    weights: dict[str, float],
    cols: dict[str, list],
    by_activity: dict[str, dict[str, tuple[float, list[str]]]],
) -> int:
    """The thread's activity that earned the item: it carries a matched signal most strongly (signal weight x
    confidence), then says the most, then came first."""
    if len(thread.rows) == 1:
        return thread.rows[0]

    def key(i: int) -> tuple:
        labels = by_activity.get(cols["activity_id"][i], {})
        strength = max((labels[s][0] * w for s, w in weights.items() if s in labels), default=0.0)
        occurred = cols["occurred_at"][i]
        return (-strength, -_words(cols["body"][i]), occurred is None, occurred or _EPOCH, cols["activity_id"][i])

    return min(thread.rows, key=key)
