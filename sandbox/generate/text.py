"""Text for the generator: the vendored corpus (real public text) plus composed phrases.

Titles and bodies of ordinary PRs come from real commit messages, review
texts from real labeled code-review comments, ticket titles and descriptions
from real Jira issues (see ``sandbox/corpus/PROVENANCE.md``).  The planted
personas' special work (runbooks, toil automation, ML experiments, incidents)
has no public corpus we may ship, so it is composed from parts here.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
from dataclasses import dataclass
from importlib import resources

DEFECT_CATEGORIES = ("Larger Defect", "Logical", "Validation", "Resource", "Interface", "Timing")
DESIGN_CATEGORIES = ("Design discussion", "Solution Approach", "Alternate Output")
TEACHING_CATEGORIES = ("Solution Approach", "Design discussion", "Documentation", "Support", "Organization of code")
CASUAL_CATEGORIES = (
    "Question",
    "Praise",
    "Naming Convention",
    "Visual Representation",
    "Documentation",
    "Organization of code",
    "Solution Approach",
    "False Positive",
)


@dataclass(frozen=True)
class Commit:
    label: str
    subject: str
    body: str
    files: int
    additions: int
    deletions: int


@dataclass(frozen=True)
class Corpus:
    commits: dict[str, tuple[Commit, ...]]
    dependency_updates: tuple[str, ...]
    review_comments: dict[str, tuple[str, ...]]
    tickets: tuple[tuple[str, str], ...]


def _rows(name: str) -> list[dict]:
    data = resources.files("sandbox.corpus").joinpath(name).read_bytes()
    return [json.loads(line) for line in gzip.decompress(data).decode("utf-8").splitlines() if line]


@functools.lru_cache(maxsize=1)
def read_corpus() -> Corpus:
    """Load the vendored corpus once per process (file order is fixed, so picks are deterministic)."""
    commits: dict[str, list[Commit]] = {}
    for r in _rows("commits.jsonl.gz"):
        commits.setdefault(r["l"], []).append(Commit(r["l"], r["s"], r["b"], r["n"], r["a"], r["d"]))
    comments: dict[str, list[str]] = {}
    for r in _rows("review_comments.jsonl.gz"):
        comments.setdefault(r["c"], []).append(r["m"])
    return Corpus(
        commits={k: tuple(v) for k, v in commits.items()},
        dependency_updates=tuple(r["s"] for r in _rows("dependency_updates.jsonl.gz")),
        review_comments={k: tuple(v) for k, v in comments.items()},
        tickets=tuple((r["t"], r["d"]) for r in _rows("tickets.jsonl.gz")),
    )


def pick_commit(rng: random.Random, label: str) -> Commit:
    return rng.choice(read_corpus().commits[label])


def pr_title_from_commit(rng: random.Random, commit: Commit) -> str:
    """Half the company writes Conventional Commit titles, half plain sentences."""
    subject = commit.subject
    if rng.random() < 0.5 and ": " in subject[:30]:
        rest = subject.split(": ", 1)[1].strip()
        if len(rest) >= 12:
            return rest[0].upper() + rest[1:]
    return subject


def pick_review_text(rng: random.Random, categories: tuple[str, ...], *, min_chars: int = 0) -> str:
    pool = read_corpus().review_comments
    for _ in range(12):
        text = rng.choice(pool[rng.choice(categories)])
        if len(text) >= min_chars:
            return text
    return text


def pick_ticket(rng: random.Random) -> tuple[str, str]:
    return rng.choice(read_corpus().tickets)


def pick_dependency_update(rng: random.Random) -> str:
    return rng.choice(read_corpus().dependency_updates)


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:48]


# --- composed text for the planted personas ------------------------------------

_ALERTS = (
    "p99 latency alerts",
    "OOM kills on GPU workers",
    "stale feature snapshots",
    "failed nightly backfills",
    "queue backlog growth",
    "GPU node drains",
    "disk pressure on the feature store",
    "5xx spikes",
    "model rollback",
    "certificate expiry",
    "embedding index drift",
    "training job preemption",
    "schema mismatch in the event stream",
    "Kafka consumer lag",
    "cold cache after deploy",
)
_DOC_KINDS = ("runbook", "on-call playbook", "incident playbook", "runbook section", "escalation playbook")
_DOC_VERBS = ("Add", "Update", "Expand", "Rewrite", "Clarify", "Document recovery steps in the")

_TOIL_TASKS = (
    "rotation of stale checkpoints",
    "cleanup of orphaned feature tables",
    "the weekly index rebuild",
    "retries of failed backfills",
    "the on-call handoff report",
    "pruning of old log buckets",
    "expiry of dataset snapshots",
    "the GPU quota report",
    "re-labelling of flaky CI jobs",
    "certificate renewal checks",
    "cleanup of abandoned experiment runs",
    "model registry garbage collection",
    "the monthly cost report",
    "restarts of wedged consumers",
    "cleanup of temporary S3 prefixes",
)
_TOIL_FORMS = (
    "Automate {t}",
    "Add cron job for {t}",
    "Replace manual {t} with a scheduled job",
    "Script {t}",
    "Remove toil: automate {t}",
    "cleanup: automate {t}",
)

_MODELS = (
    "the ranker",
    "the two-tower retrieval model",
    "the CTR model",
    "the query classifier",
    "the embedding model",
    "the churn model",
    "the spam filter",
    "the reranker",
    "the intent model",
)
_TWEAKS = (
    "focal loss",
    "label smoothing",
    "a larger batch size",
    "cosine LR decay",
    "hard-negative mining",
    "feature crosses",
    "mixed precision",
    "distillation from the large model",
    "dropout 0.2",
    "longer warmup",
    "a fresh vocabulary",
    "calibrated scores",
    "time-decayed sample weights",
)
_DATASETS = (
    "the October holdout",
    "last week's traffic sample",
    "the long-tail query set",
    "the cold-start cohort",
    "the multilingual eval set",
    "the fairness slice",
    "the golden set",
)
_EXPERIMENT_FORMS = (
    "Experiment: {w} for {m}",
    "Train {m} with {w}",
    "Eval {m} on {d}",
    "Ablation: {w} in {m}",
    "Sweep learning rate for {m} with {w}",
    "Offline eval of {m} on {d}",
)
_METRICS = ("NDCG@10", "AUC", "recall@100", "log loss", "MRR", "precision@5")

_SYMPTOMS = (
    "elevated 5xx rate",
    "p99 latency above SLO",
    "stale recommendations",
    "missing features in serving",
    "training pipeline stuck",
    "empty search results for some locales",
    "model serving OOM crash loop",
    "feature store writes failing",
    "duplicate events in the stream",
    "scores drifted after deploy",
)

REPLIES = (
    "Good catch, fixed.",
    "Done.",
    "Fixed in the latest push.",
    "Makes sense, updated.",
    "I'd rather keep it as is for now; it mirrors how the serving side does it.",
    "Not sure I follow, could you expand a bit?",
    "Moved it as suggested.",
    "Added a test for this case.",
    "Thanks, I didn't know about that helper.",
    "Renamed.",
    "Good point, I'll do it in a follow-up PR.",
    "Reverted this part, it wasn't needed.",
    "Agreed, simplified.",
    "Ah, right. Changed to the batch API.",
)


def compose_runbook(rng: random.Random) -> tuple[str, str, str]:
    """(title, body, file slug) of a runbook / playbook PR."""
    alert = rng.choice(_ALERTS)
    kind = rng.choice(_DOC_KINDS)
    title = f"{rng.choice(_DOC_VERBS)} {kind} for {alert}"
    body = (
        f"Captures what we learned handling {alert}: how to confirm it, the dashboards to check, "
        f"and the safe mitigation steps, in order."
    )
    return title, body, slug(alert)


def compose_toil(rng: random.Random) -> tuple[str, str, str]:
    task = rng.choice(_TOIL_TASKS)
    hours = rng.choice((1, 2, 3, 4, 6))
    title = rng.choice(_TOIL_FORMS).format(t=task)
    body = (
        f"We did {task} by hand every week (~{hours}h of on-call time). "
        "This runs it on a schedule and alerts on failure."
    )
    return title[0].upper() + title[1:], body, slug(task)


def compose_experiment(rng: random.Random) -> tuple[str, str, str]:
    model, tweak, data = rng.choice(_MODELS), rng.choice(_TWEAKS), rng.choice(_DATASETS)
    title = rng.choice(_EXPERIMENT_FORMS).format(m=model, w=tweak, d=data)
    metric = rng.choice(_METRICS)
    before = rng.uniform(0.55, 0.85)
    after = before + rng.uniform(-0.01, 0.03)
    body = (
        f"Hypothesis: {tweak} helps {model}.\n\nOffline {metric} on {data}: {before:.3f} -> {after:.3f}. "
        f"Config and seeds are in the experiment folder."
    )
    return title[0].upper() + title[1:], body, slug(f"{model} {tweak}")


def compose_incident(rng: random.Random, service: str, severity: str) -> tuple[str, str]:
    symptom = rng.choice(_SYMPTOMS)
    title = f"{severity}: {service} {symptom}"
    body = (
        f"Impact: {symptom} on {service}. Detected by alerting; customers affected: "
        f"{rng.choice(('none confirmed', 'a few percent of traffic', 'one region', 'internal users only'))}."
    )
    return title, body
