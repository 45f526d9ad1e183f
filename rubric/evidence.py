"""Map labelled activities onto rubric dimensions: the interpretation layer.

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

The rows are built set-wise by one SQL query (``rubric/evidence.sql``) run by DuckDB: over Arrow
tables in memory (``build_evidence``) or inside the warehouse over ``fct_activity`` and
``activity_labels`` for some people only (``build_evidence_sql``).  Only the epic sizes (one value
per epic) and the final rounding of weights are computed here.
"""

from __future__ import annotations

import hashlib
import logging
import math
import statistics
from collections.abc import Sequence
from importlib import resources
from typing import Any

import pyarrow as pa

from classifiers.contract import ACTIVITY_SCHEMA, LABEL_SCHEMA, SIGNALS
from rubric.contract import EVIDENCE_SCHEMA
from rubric.model import Rubric

log = logging.getLogger(__name__)

# Kinds that are feedback on someone's PR or ticket: they fold into a thread per (person, subject).
THREAD_KINDS = frozenset({"review", "review_comment", "issue_comment", "ticket_comment"})
# Labels that say a thread carries substance.
SUBSTANCE_SIGNALS = frozenset(
    {
        "review.substantive",
        "review.changes_requested",
        "review.defect",
        "review.design",
        "review.question",
        "review.suggestion",
        "review.knowledge_transfer",
        "review.documentation",
    }
)
# Labels that say feedback explains or teaches, rather than only flags.
EXPLANATORY_SIGNALS = frozenset({"review.knowledge_transfer", "review.suggestion", "review.design", "review.question"})
# Signals a thread without substance may not give: reviewing, mentoring, discussing, reaching across teams.
GATED_SIGNALS = frozenset(
    {s for s in SIGNALS if s.startswith("review.")}
    | {"mentorship", "collaboration.discussion", "cross_team", "cross_team.feedback"}
)
SUBSTANTIVE_MIN_WORDS = 12  # non-stock words a comment thread needs to count as substance by itself
EXPLANATORY_MIN_WORDS = 40  # ... and to count as explanatory (mentorship) without an explanatory label
EXCERPT_CHARS = 240
# Leading an epic is project leadership in proportion to how much larger than this organisation's typical
# epic it is (the rubric asks for "larger projects"): an epic of the median size (by child tickets) or
# smaller counts EPIC_MIN_FACTOR, as it is closer to a task list than to a project; one clearly larger than
# typical — the larger of the 90th percentile and median + 2 robust standard deviations (at most the largest
# epic), never fewer than EPIC_MIN_FULL children — counts in full; sizes between are interpolated on a log scale.
EPIC_MIN_FULL = 3
EPIC_MIN_FACTOR = 0.1

# Bump when the rules above or evidence.sql change what rows come out: stored evidence built by another
# version is rebuilt (flows.incremental).
EVIDENCE_VERSION = "issue13-sql-1"

# Python's str.isspace() characters (what ``\s`` and ``str.strip()`` mean in Python) as an RE2 class, so
# the SQL trims and collapses exactly the whitespace Python would.
_WS = r"[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
# classifiers.text.is_stock_phrase's pattern, in RE2 (matched against the stripped text).
_STOCK = (
    r"(?i)(lgtm|looks good( to me)?( now)?|ship ?it|approved?|thanks?( you)?|thx|ty|nice|great|\+1|:\+1:|👍|✅"
    r"|good catch,? fixed|done|fixed)(" + _WS + r"|[.!])*"
)
_INPUTS = ("ev_activities", "ev_labels", "ev_targets", "ev_sets", "ev_epics", "ev_scope")


def _words_sql(body: str) -> str:
    """SQL for the words of ``body`` that count (classifiers.text.is_stock_phrase: none), as the loop counted them."""
    stripped = f"regexp_replace(coalesce({body}, ''), '^{_WS}+|{_WS}+$', '', 'g')"
    stock = _STOCK.replace("'", "''")
    return (
        f"CASE WHEN {stripped} = '' OR regexp_full_match({stripped}, '{stock}') "
        f"THEN 0 ELSE len(regexp_extract_all({body}, '[A-Za-z0-9][A-Za-z0-9''_-]*')) END"
    )


def _sql() -> str:
    text = resources.files("rubric").joinpath("evidence.sql").read_text(encoding="utf-8")
    kinds = ", ".join(f"'{k}'" for k in sorted(THREAD_KINDS))
    for name, value in (
        ("{WORDS}", _words_sql("body")),
        ("{WORDS_M}", _words_sql("m.body")),
        ("{WS}", _WS),
        ("{THREAD_KINDS}", kinds),
        ("{SUBSTANTIVE_MIN_WORDS}", str(SUBSTANTIVE_MIN_WORDS)),
        ("{EXPLANATORY_MIN_WORDS}", str(EXPLANATORY_MIN_WORDS)),
        ("{EXCERPT_CHARS}", str(EXCERPT_CHARS)),
    ):
        text = text.replace(name, value)
    return text


def evidence_version(rubric: Rubric) -> str:
    """A hash of how ``rubric``'s evidence is built (the rubric, this module, the query): evidence stored under
    another version is rebuilt for everyone."""
    digest = hashlib.sha256(f"{EVIDENCE_VERSION}\n{_sql()}\n{rubric.model_dump_json()}\n".encode())
    digest.update(resources.files("rubric").joinpath("evidence.py").read_bytes())
    return digest.hexdigest()


def targets_table(rubric: Rubric) -> pa.Table:
    """signal -> every (dimension, behaviour, weight) it can evidence, in document order."""
    rows: list[dict[str, Any]] = []
    beh_index = 0
    for dim_index, (_, dim) in enumerate(rubric.dimensions()):
        for beh in dim.behaviours:
            for sw in beh.signals:
                rows.append(
                    {
                        "signal": sw.signal,
                        "dim_index": dim_index,
                        "beh_index": beh_index,
                        "dimension_id": dim.id,
                        "behaviour_id": beh.id,
                        "weight": float(sw.weight),
                    }
                )
            beh_index += 1
    schema = pa.schema(
        [
            ("signal", pa.string()),
            ("dim_index", pa.int32()),
            ("beh_index", pa.int32()),
            ("dimension_id", pa.string()),
            ("behaviour_id", pa.string()),
            ("weight", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _sets_table() -> pa.Table:
    names = sorted(SIGNALS)
    return pa.table(
        {
            "signal": names,
            "is_substance": [s in SUBSTANCE_SIGNALS for s in names],
            "is_explanatory": [s in EXPLANATORY_SIGNALS for s in names],
            "is_gated": [s in GATED_SIGNALS for s in names],
        }
    )


def epic_threshold(sizes: list[int]) -> tuple[float, float]:
    """(typical, full): the size (child tickets) at or below which an epic counts EPIC_MIN_FACTOR, and the size
    at which it counts in full, from every epic's size."""
    if not sizes:
        return 1.0, float(EPIC_MIN_FULL)
    sizes = sorted(sizes)
    typical = float(statistics.median(sizes))
    spread = 1.4826 * statistics.median(abs(n - typical) for n in sizes)
    q90 = float(sizes[(9 * len(sizes)) // 10])
    full = max(float(EPIC_MIN_FULL), q90, min(typical + 2 * spread, float(sizes[-1])))
    return max(1.0, typical), full


def epic_scale(n: int, people: int, typical: float, full: float) -> tuple[float, str]:
    """(factor, reason) for leading an epic of ``n`` child tickets worked by ``people`` people."""
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
    return factor, said


_EPIC_SIZES = f"""
    WITH children AS (
        SELECT parent_key AS epic_key, count(*) AS n,
               count(DISTINCT coalesce(nullif(person_id, ''), nullif(actor, ''))) AS people
        FROM ev_activities WHERE coalesce(parent_key, '') <> '' AND kind = 'ticket' GROUP BY parent_key
    ),
    epics AS (
        SELECT DISTINCT regexp_extract(activity_id, '[^:]*$') AS epic_key FROM ev_activities
        WHERE lower(regexp_replace(coalesce(issue_type, ''), '^{_WS}+|{_WS}+$', '', 'g')) = 'epic'
    )
    SELECT coalesce(c.n, 0) FROM epics e LEFT JOIN children c USING (epic_key)
"""
_EPIC_LEADS = """
    WITH children AS (
        SELECT parent_key AS epic_key, count(*) AS n,
               count(DISTINCT coalesce(nullif(person_id, ''), nullif(actor, ''))) AS people
        FROM ev_activities WHERE coalesce(parent_key, '') <> '' AND kind = 'ticket' GROUP BY parent_key
    ),
    leads AS (
        SELECT DISTINCT regexp_extract(activity_id, '[^:]*$') AS epic_key FROM ev_labels
        WHERE label = 'project.epic_lead' AND starts_with(activity_id, 'jira:ticket:')
    )
    SELECT l.epic_key, coalesce(c.n, 0), coalesce(c.people, 0) FROM leads l LEFT JOIN children c USING (epic_key)
    ORDER BY 1
"""
_EPICS_SCHEMA = pa.schema(
    [
        ("epic_key", pa.string()),
        ("n", pa.int64()),
        ("people", pa.int64()),
        ("factor", pa.float64()),
        ("said", pa.string()),
    ]
)


def epics_table(con: Any) -> pa.Table:
    """Each led epic's size, factor and reason, from ``ev_activities`` / ``ev_labels`` on ``con``.

    One row per epic (never per activity): the thresholds come from every epic's size."""
    typical, full = epic_threshold([int(n) for (n,) in con.execute(_EPIC_SIZES).fetchall()])
    rows = []
    for key, n, people in con.execute(_EPIC_LEADS).fetchall():
        factor, said = epic_scale(int(n), int(people), typical, full)
        rows.append({"epic_key": key, "n": n, "people": people, "factor": factor, "said": said})
    return pa.Table.from_pylist(rows, schema=_EPICS_SCHEMA)


def build_evidence_sql(
    con: Any, rubric: Rubric, people: Sequence[str] | None = None, epics: pa.Table | None = None
) -> pa.Table:
    """Evidence rows (EVIDENCE_SCHEMA) from the relations ``ev_activities`` (ACTIVITY_SCHEMA + ``ord``) and
    ``ev_labels`` (LABEL_SCHEMA) on the DuckDB connection ``con``; only ``people``'s when given.

    The epic sizes (``epics``: ``epics_table(con)``, computed when not given) come from every activity,
    whoever's evidence is built.
    """
    registered = {
        "ev_targets": targets_table(rubric),
        "ev_sets": _sets_table(),
        "ev_scope": pa.table({"person_id": pa.array(sorted(people or ()), pa.string())}),
    }
    for name, table in registered.items():
        con.register(name, table)
    try:
        unknown = con.execute(
            "SELECT DISTINCT label FROM ev_labels "
            "WHERE label IS NOT NULL AND label NOT IN (SELECT signal FROM ev_sets) ORDER BY 1"
        ).fetchall()
        if unknown:
            log.warning("build_evidence: ignored labels not in SIGNALS: %s", ", ".join(u for (u,) in unknown))
        con.register("ev_epics", epics if epics is not None else epics_table(con))
        sql = _sql().replace("{SCOPED}", "0" if people is None else "1")
        out = con.sql(sql).to_arrow_table()
    finally:
        for name in (*registered, "ev_epics"):
            con.unregister(name)
    # Python's round() (correctly rounded, half to even), as every build before this one used.
    weights = [round(w, 6) for w in out.column("weight").to_pylist()]
    n = out.num_rows
    data = {
        "rubric_id": pa.array([rubric.id] * n, pa.string()),
        "rubric_version": pa.array([rubric.version] * n, pa.string()),
        "weight": pa.array(weights, pa.float64()),
    }
    columns = [data[name] if name in data else out.column(name) for name in EVIDENCE_SCHEMA.names]
    return pa.Table.from_arrays(columns, schema=EVIDENCE_SCHEMA) if n else EVIDENCE_SCHEMA.empty_table()


def _complete(table: pa.Table, schema: pa.Schema, what: str, required: Sequence[str]) -> pa.Table:
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise ValueError(
            f"build_evidence: the {what} table lacks columns {missing}; "
            f"pass a table with the schema in classifiers/contract.py"
        )
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def build_evidence(activities: pa.Table, labels: pa.Table, rubric: Rubric) -> pa.Table:
    """Evidence rows (EVIDENCE_SCHEMA) for every person's labelled threads, one per matched dimension."""
    from warehouse.connection import MEMORY, connect

    acts = _complete(
        activities,
        ACTIVITY_SCHEMA,
        "activities",
        ("activity_id", "person_id", "is_bot", "kind", "occurred_at", "url", "title"),
    )
    acts = acts.append_column("ord", pa.array(range(acts.num_rows), pa.int64()))
    labs = _complete(labels, LABEL_SCHEMA, "labels", ("activity_id", "label", "confidence", "reason"))
    con = connect(MEMORY, read_only=False)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("ev_activities", acts)
        con.register("ev_labels", labs)
        return build_evidence_sql(con, rubric)
    finally:
        con.close()
