"""Calibrated strength: a person's evidence for a behaviour against what their level typically shows here.

Counting evidence says more about how busy someone is than about what they do, and a year of it
saturates any fixed scale.  So strength compares two measures of one behaviour with the same
measures of a **cohort** — the engineers at the rubric's level (``level`` in the rubric YAML; each
person's own level when unset) in this organisation over the same period (with the nearest levels
of the same track when fewer than ``min_cohort`` are at that level; the whole organisation as a
last resort):

- **focus**: the behaviour's share of the person's evidence threads of the groups it comes from
  (``base_groups``, read from the organisation's own evidence: PR feedback for review behaviours,
  PRs and/or tickets for work behaviours, all threads where a behaviour covers nearly all of its
  groups, as incident roles do), shrunk toward the cohort's mean share by ``PRIOR_THREADS``
  pseudo-threads, so a handful of threads cannot make an outlier (log scale);
- **rate**: the behaviour's evidence weight per active week, as a count over the period, on the
  square-root scale where a count's chance variation is about 1 whatever its size.

Each is placed on the cohort's robust scale: the median, and the largest of the MAD, the lower
tail's and the upper quartile's normal-equivalent spreads and a floor (the specialists live beyond
the upper quartile, so they never set the scale; the quartile and the floor keep a behaviour most
people rarely show from making outliers of anyone with a few items), widened by the uncertainty of
the median itself (``sqrt(1 + pi/2n)`` for a cohort of n: about 9 % for 8 people, 1 % for 80), so a
small cohort, which knows its typical value less well, takes more to stand out from.  A person's *lift* on a
behaviour is the smaller of the two: being busy (high rate, ordinary focus) or specialised but rare
(high focus, a few items) is not enough.

A person's tickets under a ticket that earned them a behaviour — the stories of an epic they lead,
the sub-tasks of their own story — are part of that item's work, not threads of their own beside
it: in that behaviour's focus they are folded into it (``parents``, each ticket's parent ticket),
as a review's inline comments are one thread with the review.  Otherwise leading a project would
count against the share of one's work that leading takes, the more so the more of the project one
does oneself.

    strength = none      no evidence
               emerging  evidence, within what the level typically shows here
               solid     lift >= solid_lift and at least min_items items
               strong    lift >= strong_lift and at least min_items items

(``rubric.model.Scoring``: the rubric YAML's ``scoring`` section.)

A dimension is as strong as its strongest behaviour.  The report shows the cohort only as a
typical range ("typical for IC4 here: 2–5 items a quarter", the middle half of the cohort),
never anyone's name, number or position.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rubric.model import Rubric, Scoring

DEFAULT_SCORING = Scoring()  # the packaged rubric's values

PRIOR_THREADS = 20.0  # pseudo-threads at the cohort's mean share that every person's focus starts from
MIN_SCALE = 0.35  # floor of the focus's log-scale spread, ~ a 1.4x ratio: tiny spreads make nobody an outlier
RATE_MIN_SCALE = 1.0  # floor of the rate's spread on the square-root scale: the chance variation of a count
STRENGTHS = ("none", "emerging", "solid", "strong")

RULE_SENTENCE = (
    "Strength compares each behaviour's share of this person's work and its rate per active week with "
    "{cohort} in this organisation over the same period: solid and strong need both to stand well above "
    "what is typical (and at least {min_items} items), so volume alone never reaches them; a dimension is "
    "as strong as its strongest behaviour."
)


# A thread's group, by the kind of the activity that earned it: the units a behaviour's focus is counted in.
GROUP_OF_KIND = {
    "pull_request": "pr",
    "ticket": "ticket",
    "review": "pr_feedback",
    "review_comment": "pr_feedback",
    "issue_comment": "pr_feedback",
    "ticket_comment": "ticket_feedback",
    "incident": "incident",
}
GROUPS = ("pr", "ticket", "pr_feedback", "ticket_feedback", "incident")
GROUP_MIN_SHARE = 0.05  # a group holding fewer of a behaviour's items than this is not part of its base
DEGENERATE_COVERAGE = 0.8  # a behaviour on this share of its groups' threads is measured against all threads
MAX_PARENT_DEPTH = 8  # parent links followed up from a ticket (sub-task -> story -> epic -> ...); stops cycles


@dataclass(frozen=True)
class PersonTotals:
    """One person's evidence over a period, summed per behaviour: what calibration reads, nothing else."""

    person_id: str
    level: str | None
    weeks: float  # active weeks within the period
    period_weeks: float  # weeks in the period
    threads: dict[str, int]  # thread group (GROUPS) -> distinct evidence threads in the period
    value: dict[str, float] = field(default_factory=dict)  # behaviour_id -> summed weight
    items: dict[str, int] = field(default_factory=dict)  # behaviour_id -> evidence items
    items_by_group: dict[tuple[str, str], int] = field(default_factory=dict)  # (behaviour_id, group) -> items
    # (behaviour_id, group) -> threads folded into an item of that behaviour (under a ticket that earned it)
    folded: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return sum(self.threads.values()) > 0

    def base(self, groups: frozenset[str], behaviour: str | None = None) -> int:
        """Threads of ``groups``; for ``behaviour``'s focus, without those folded into its items."""
        return sum(self.threads.get(g, 0) - self.folded.get((behaviour or "", g), 0) for g in groups)


@dataclass(frozen=True)
class Scale:
    median: float
    spread: float

    def z(self, x: float) -> float:
        return (x - self.median) / self.spread


@dataclass(frozen=True)
class BehaviourNorm:
    """The cohort's typical values for one behaviour."""

    share: float  # the cohort's mean share of threads (the focus prior)
    groups: frozenset[str]  # thread groups whose threads are the focus's denominator
    focus: Scale
    rate: Scale
    typical_items: tuple[float, float]  # quartiles of items per person over the period


@dataclass(frozen=True)
class Cohort:
    key: str  # level, or "all"
    label: str  # "IC4s", "everyone"
    size: int
    norms: dict[str, BehaviourNorm]
    thresholds: Scoring = DEFAULT_SCORING
    min_items: dict[str, int] = field(default_factory=dict)  # behaviours needing other than thresholds.min_items


@dataclass(frozen=True)
class Calibration:
    """Per-cohort norms for one period; built from every person's totals, read one person at a time."""

    cohorts: dict[str, Cohort]
    parents: Mapping[str, str] = field(default_factory=dict)  # ticket thread -> its parent's: what totals fold

    def cohort_for(self, level: str | None) -> Cohort | None:
        return self.cohorts.get(level or "") or self.cohorts.get("all")


def active_weeks(start: dt.date | None, since: dt.date, until: dt.date) -> float:
    """Weeks of [since, until] (inclusive) from the person's start date on; at least one."""
    first = max(since, start) if start else since
    return max(1.0, ((until - first).days + 1) / 7.0)


def _scale(values: list[float], floor: float = MIN_SCALE) -> Scale:
    """Median and a robust spread: the largest of the MAD's, the lower tail's and the upper quartile's
    normal-equivalent spreads, and ``floor``.

    The far upper tail is where the specialists a report should recognise live: in an organisation with
    many of them a spread read there would make them look typical, so it stops at the upper quartile.
    Where most of the cohort has no evidence for a behaviour the MAD collapses; the quartile (when a
    quarter or more show some) and the floor then keep a few items from making an outlier.  A person's
    distance from a median estimated from n values carries that estimate's error too (the sample median's
    variance is about pi/2 * spread^2 / n), so the spread is widened by sqrt(1 + pi / 2n): a prediction
    interval rather than the cohort's own spread.
    """
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    q10 = statistics.quantiles(values, n=10, method="inclusive")[0] if len(values) > 1 else median
    q75 = statistics.quantiles(values, n=4, method="inclusive")[-1] if len(values) > 1 else median
    spread = max(1.4826 * mad, (median - q10) / 1.2816, (q75 - median) / 0.6745, floor)
    return Scale(median, spread * math.sqrt(1 + math.pi / (2 * len(values))))


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if len(ordered) < 2:
        return (ordered[0], ordered[0]) if ordered else (0.0, 0.0)
    q = statistics.quantiles(ordered, n=4, method="inclusive")
    return q[0], q[2]


def _focus(person: PersonTotals, behaviour: str, groups: frozenset[str], share: float) -> float:
    base = person.base(groups, behaviour)
    return math.log((person.value.get(behaviour, 0.0) + PRIOR_THREADS * share) / (base + PRIOR_THREADS))


def _rate(person: PersonTotals, behaviour: str) -> float:
    """Evidence weight per active week, as a count over the whole period, on the square-root scale that
    makes counts' chance variation the same size at every volume (Anscombe: sd ~ 1 for Poisson counts)."""
    return 2 * math.sqrt(person.value.get(behaviour, 0.0) * person.period_weeks / person.weeks + 0.375)


def _norms(people: list[PersonTotals], behaviours: dict[str, frozenset[str]]) -> dict[str, BehaviourNorm]:
    norms: dict[str, BehaviourNorm] = {}
    active = [p for p in people if p.active]
    if not active:
        return norms
    for beh, groups in behaviours.items():
        based = [p for p in active if p.base(groups, beh) > 0] or active
        share = max(statistics.fmean(p.value.get(beh, 0.0) / max(1, p.base(groups, beh)) for p in based), 1e-3)
        norms[beh] = BehaviourNorm(
            share=share,
            groups=groups,
            focus=_scale([_focus(p, beh, groups, share) for p in active]),
            rate=_scale([_rate(p, beh) for p in active], RATE_MIN_SCALE),
            typical_items=_quartiles([float(p.items.get(beh, 0)) for p in active]),
        )
    return norms


def base_groups(people: list[PersonTotals], behaviours: list[str]) -> dict[str, frozenset[str]]:
    """Per behaviour, the thread groups its evidence comes from across the whole organisation.

    Groups holding at least GROUP_MIN_SHARE of the behaviour's items form its base.  Where the behaviour
    covers nearly all threads of its base (DEGENERATE_COVERAGE; e.g. incident roles, which are all evidence
    of incident work), a share of that base says nothing, and all of a person's threads are the base.
    """
    threads: defaultdict[str, int] = defaultdict(int)
    for p in people:
        for g, n in p.threads.items():
            threads[g] += n
    out: dict[str, frozenset[str]] = {}
    for beh in behaviours:
        per_group: defaultdict[str, int] = defaultdict(int)
        for p in people:
            for g in GROUPS:
                per_group[g] += p.items_by_group.get((beh, g), 0)
        total = sum(per_group.values())
        groups = frozenset(g for g, n in per_group.items() if total and n / total >= GROUP_MIN_SHARE)
        base = sum(threads[g] for g in groups)
        if not groups or (base and total / base >= DEGENERATE_COVERAGE):
            groups = frozenset(GROUPS)
        out[beh] = groups
    return out


def _plural(level: str) -> str:
    return f"{level}s"


def calibrate(
    people: list[PersonTotals],
    behaviour_ids: list[str],
    *,
    thresholds: Scoring = DEFAULT_SCORING,
    min_items: dict[str, int] | None = None,
) -> Calibration:
    """Norms per level (a small level with its nearest levels, ``nearest_levels``) and for the whole organisation.

    ``min_items``: behaviours whose items are large enough to need fewer than ``thresholds.min_items``."""
    own = dict(min_items or {})
    behaviours = base_groups(people, behaviour_ids)
    by_level: dict[str, list[PersonTotals]] = defaultdict(list)
    for p in people:
        if p.level:
            by_level[p.level].append(p)
    everyone = Cohort("all", "everyone", sum(p.active for p in people), _norms(people, behaviours), thresholds, own)
    cohorts = {"all": everyone}
    active = {level: sum(p.active for p in members) for level, members in by_level.items()}
    neighbours: dict[str, Cohort] = {}
    for level, members in sorted(by_level.items()):
        if active[level] >= thresholds.min_cohort:
            cohorts[level] = Cohort(level, _plural(level), active[level], _norms(members, behaviours), thresholds, own)
            continue
        near = nearest_levels(level, active, thresholds.min_cohort)
        if near:
            key = f"{near[0]}-{near[-1]}"
            if key not in neighbours:  # small levels with the same neighbours share one cohort
                crowd = [p for lv in near for p in by_level[lv]]
                label = f"{near[0]}–{near[-1]}s" if len(near) > 1 else _plural(near[0])
                size = sum(active[lv] for lv in near)
                neighbours[key] = Cohort(key, label, size, _norms(crowd, behaviours), thresholds, own)
            cohorts[level] = neighbours[key]
    return Calibration(cohorts)


_LEVEL = re.compile(r"^([A-Za-z]+)(\d+)$")


def nearest_levels(level: str, active: dict[str, int], min_cohort: int) -> list[str]:
    """The levels of ``level``'s track (same letters: IC, M) nearest to it, a ring at a time (IC3 and IC5
    together around IC4), until they hold ``min_cohort`` active people; [] when the whole track holds fewer
    or the level has no number.  A cohort of neighbours compares like with like better than the whole
    organisation, managers and interns included."""
    m = _LEVEL.match(level)
    if m is None:
        return []
    track, rank = m.group(1), int(m.group(2))
    ranks = {}
    for other in active:
        o = _LEVEL.match(other)
        if o is not None and o.group(1) == track:
            ranks[other] = int(o.group(2))
    chosen: list[str] = []
    for distance in range(0, max((abs(r - rank) for r in ranks.values()), default=0) + 1):
        chosen += [lv for lv, r in ranks.items() if abs(r - rank) == distance]
        if sum(active[lv] for lv in chosen) >= min_cohort:
            return sorted(chosen, key=lambda lv: ranks[lv])
    return []


@dataclass(frozen=True)
class Judgement:
    strength: str
    lift: float | None  # min(focus z, rate z); None without evidence or norms
    typical_items: tuple[float, float] | None


def judge(person: PersonTotals, behaviour: str, cohort: Cohort | None) -> Judgement:
    """Strength of one behaviour for one person against their cohort."""
    items = person.items.get(behaviour, 0)
    norm = cohort.norms.get(behaviour) if cohort else None
    if items == 0:
        return Judgement("none", None, norm.typical_items if norm else None)
    if cohort is None or norm is None:
        return Judgement("emerging", None, None)
    focus = norm.focus.z(_focus(person, behaviour, norm.groups, norm.share))
    rate = norm.rate.z(_rate(person, behaviour))
    lift = min(focus, rate)
    t = cohort.thresholds
    enough = items >= cohort.min_items.get(behaviour, t.min_items)
    if enough and lift >= t.strong_lift:
        strength = "strong"
    elif enough and lift >= t.solid_lift:
        strength = "solid"
    else:
        strength = "emerging"
    return Judgement(strength, round(lift, 2), norm.typical_items)


def totals_from_rows(
    person_id: str,
    level: str | None,
    start: dt.date | None,
    rows: list[dict[str, Any]],
    *,
    since: dt.date,
    until: dt.date,
    parents: Mapping[str, str] | None = None,
) -> PersonTotals:
    """One person's totals from their evidence rows in [since, until] (EVIDENCE_SCHEMA dicts).

    ``parents``: a ticket's thread id -> its parent ticket's (``Calibration.parents``); a thread under one
    that earned the person a behaviour is folded into it for that behaviour (``PersonTotals.folded``).
    The same function feeds the cohort (everyone's rows) and the person's own report, so both
    always measure the same thing.
    """
    threads: dict[str, set[str]] = defaultdict(set)
    value: dict[str, float] = defaultdict(float)
    items: dict[str, int] = defaultdict(int)
    by_group: dict[tuple[str, str], int] = defaultdict(int)
    earned: dict[str, set[str]] = defaultdict(set)  # behaviour -> threads that earned it
    group_of: dict[str, str] = {}
    for row in rows:
        group = GROUP_OF_KIND.get(row.get("kind") or "", "pr")
        thread = row.get("thread_id") or row["activity_id"]
        threads[group].add(thread)
        group_of.setdefault(thread, group)
        earned[row["behaviour_id"]].add(thread)
        value[row["behaviour_id"]] += float(row["weight"] or 0.0)
        items[row["behaviour_id"]] += 1
        by_group[(row["behaviour_id"], group)] += 1
    return PersonTotals(
        person_id,
        level,
        active_weeks(start, since, until),
        ((until - since).days + 1) / 7.0,
        {g: len(t) for g, t in threads.items()},
        dict(value),
        dict(items),
        dict(by_group),
        _folded(group_of, earned, parents or {}),
    )


def _folded(
    group_of: dict[str, str], earned: dict[str, set[str]], parents: Mapping[str, str]
) -> dict[tuple[str, str], int]:
    """(behaviour, group) -> the person's threads that are not themselves evidence of the behaviour but lie
    under a thread that is (a parent, or a parent's parent, ...): part of that item's work."""
    folded: dict[tuple[str, str], int] = defaultdict(int)
    for thread, group in group_of.items():
        ancestors: list[str] = []
        parent = parents.get(thread)
        while parent is not None and parent not in ancestors and len(ancestors) < MAX_PARENT_DEPTH:
            ancestors.append(parent)
            parent = parents.get(parent)
        if not ancestors:
            continue
        for behaviour, theirs in earned.items():
            if thread not in theirs and any(a in theirs for a in ancestors):
                folded[(behaviour, group)] += 1
    return dict(folded)


def strongest(strengths: list[str]) -> str:
    return max(strengths, key=STRENGTHS.index) if strengths else "none"


def describe_typical(
    typical: tuple[float, float] | None, cohort: Cohort | None, since: dt.date, until: dt.date
) -> str | None:
    """'typical for IC4s here: 2–5 items in a period this long' (None without a cohort)."""
    if typical is None or cohort is None:
        return None
    low, high = (round(v) for v in typical)
    span = (
        "0 items" if high == 0 else (f"{low} item{'s' if low != 1 else ''}" if low == high else f"{low}–{high} items")
    )
    days = (until - since).days + 1
    plain = f"{days} day{'s' if days != 1 else ''}"
    period = "a quarter" if 80 <= days <= 100 else "a year" if 350 <= days <= 380 else plain
    return f"typical for {cohort.label} here: {span} in {period}"


def calibrate_rubric(
    rubric: Rubric,
    people: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    *,
    since: dt.date,
    until: dt.date,
    parents: Mapping[str, str] | None = None,
) -> Calibration:
    """The calibration for one period from every person's evidence rows (EVIDENCE_SCHEMA dicts, any order).

    ``people``: roster rows with person_id, level and start_date.  Rows must already be limited to
    [since, until] and to ``rubric``'s id and version.  ``parents``: each ticket's thread id -> its parent
    ticket's (the warehouse's parent links), kept in the calibration so a person's report folds the same.
    """
    parents = dict(parents or {})
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_person[row["person_id"]].append(row)
    totals = [
        totals_from_rows(
            p["person_id"],
            p.get("level"),
            p.get("start_date"),
            by_person.get(p["person_id"], []),
            since=since,
            until=until,
            parents=parents,
        )
        for p in people
    ]
    cal = calibrate(
        totals,
        [b.id for _, b in rubric.behaviours() if b.observable],
        thresholds=rubric.scoring,
        min_items={b.id: b.min_items for _, b in rubric.behaviours() if b.min_items is not None},
    )
    return Calibration(cal.cohorts, parents)
