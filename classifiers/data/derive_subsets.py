"""Derive the vendored training subsets from the source CSVs (a maintainer's tool, not run at runtime).

Usage: python -m classifiers.data.derive_subsets SOURCE_DIR
where SOURCE_DIR holds ``commits/*.csv``, ``review_comments/wsu_seal_opendev_nova_labeled.csv`` and
``jira/storypoints_gpt2sp/*.csv`` as described in PROVENANCE.md.  Output is written next to this file,
deterministically.

``python -m classifiers.data.derive_subsets --facet-candidates SOURCE_DIR OUT.csv`` writes the unlabelled
candidates of the hand-labelled facet set (``facet_titles_labelled.csv.gz``, FACET_LABELLING.md): the
labels in that file were then given by hand, row by row, following FACET_LABELLING.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
COMMIT_SOURCES = (
    "vuejs_core.csv",
    "vitejs_vite.csv",
    "semantic-release_semantic-release.csv",
    "conventional-changelog_conventional-changelog.csv",
)
BODY_CHARS = 400
MAX_FILES = 20
TRAILER = re.compile(r"^[A-Za-z][A-Za-z-]*: .*$")


def _clean_body(body: str) -> str:
    """Drop trailer lines (Co-authored-by, Signed-off-by …) and cut the body short."""
    lines = [line for line in body.splitlines() if not TRAILER.match(line.strip())]
    return "\n".join(lines).strip()[:BODY_CHARS]


def build_commits(source: Path) -> bytes:
    """Non-merge commits with a canonical conventional type, trimmed to the columns training needs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["repo", "sha", "subject", "body", "files", "files_changed", "insertions", "deletions", "label"])
    for name in COMMIT_SOURCES:
        with open(source / "commits" / name, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["is_merge"] == "True" or not row["label"]:
                    continue
                files = ";".join(row["files"].split(";")[:MAX_FILES])
                writer.writerow(
                    [
                        row["repo"],
                        row["sha"][:12],
                        row["subject"],
                        _clean_body(row["body"]),
                        files,
                        row["files_changed"],
                        row["insertions"],
                        row["deletions"],
                        row["label"],
                    ]
                )
    return gzip.compress(out.getvalue().encode("utf-8"), mtime=0)


def build_review_comments(source: Path) -> bytes:
    """Comment id, its change (Gerrit Change-Id, the cross-validation group), file, text and category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["comment_id", "change_id", "file_name", "message", "category", "comment_group"])
    path = source / "review_comments" / "wsu_seal_opendev_nova_labeled.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            writer.writerow(
                [
                    row["comment_id"],
                    row["change_id"],
                    row["file_name"],
                    row["message"],
                    row["category"],
                    row["comment_group"],
                ]
            )
    return gzip.compress(out.getvalue().encode("utf-8"), mtime=0)


# --- facet candidates --------------------------------------------------------------------------

# Broad words per facet (the keywords of the version-1 default rules, and close variants): a title with one
# of them is a candidate for hand labelling, whether or not today's rules fire on it.
FACET_WORDS = {
    "toil": r"\b(automate[ds]?|automating|automation|cron|cronjob|self-service|auto-remediation|toil|scheduled job"
    r"|script|scripts|clean ?up|clean-up)\b",
    "design": r"\b(rfcs?|adrs?|design docs?|design documents?|tech spec|technical design|design)\b",
    "ml": r"\b(experiments?|ablation|hyperparameters?|training|train|retrain|retraining|eval|evals|evaluation"
    r"|evaluate|models?|notebook|fine-tun\w*|finetun\w*|classifier)\b",
    "monitoring": r"\b(alert|alerts|alerting|dashboards?|monitoring|monitor|monitors|slos?|grafana|prometheus"
    r"|pagerduty|observability|metrics|health ?check)\b",
    "playbook": r"\b(runbooks?|playbooks?)\b",
}
JIRA_PER_FACET = 40
COMMITS_PER_FACET = 20


def _jira_titles(source: Path) -> list[dict]:
    rows = []
    for path in sorted((source / "jira" / "storypoints_gpt2sp").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows.append(
                    {
                        "item_id": row["issuekey"],
                        "source": "jira",
                        "dataset": path.stem,
                        "title": " ".join(row["title"].split()),
                        "paths": "",
                    }
                )
    return rows


def _commit_titles() -> list[dict]:
    text = gzip.decompress((HERE / "commits_conventional.csv.gz").read_bytes()).decode("utf-8")
    return [
        {
            "item_id": f"{row['repo']}@{row['sha']}",
            "source": "commit",
            "dataset": row["repo"],
            "title": row["subject"],
            "paths": row["files"],
        }
        for row in csv.DictReader(io.StringIO(text))
    ]


SELECTION_RULES = HERE / "facet_selection_rules.yaml"


def select_facet_candidates(source: Path, rules_path: Path | None = SELECTION_RULES) -> list[dict]:
    """Candidates for the hand-labelled facet set: every vendored commit and Jira title on which a facet rule
    fires (the default rules with ``rules_path`` added: ``facet_selection_rules.yaml`` restores the rules as
    they were when the set was labelled), then, per facet, a seeded sample of up to ``COMMITS_PER_FACET``
    commits and ``JIRA_PER_FACET`` Jira titles with one of ``FACET_WORDS`` among the titles not chosen yet.
    Deterministic for a given source and rules; with the shipped files it gives exactly the 296 titles of
    ``facet_titles_labelled.csv.gz``."""
    import random

    from classifiers.classify import classify_activities
    from classifiers.tabular import activity_table

    facets = {"work.ml_experiment", "work.monitoring", "work.playbook", "work.toil_automation", "work.design_doc"}
    chosen: dict[str, dict] = {}
    for items, kind, per_facet in (
        (_commit_titles(), "pull_request", COMMITS_PER_FACET),
        (_jira_titles(source), "ticket", JIRA_PER_FACET),
    ):
        activities = [
            {
                "activity_id": item["item_id"],
                "kind": kind,
                "source": "github" if kind == "pull_request" else "jira",
                "title": item["title"],
                "paths": [p for p in item["paths"].split(";") if p],
            }
            for item in items
        ]
        labels = classify_activities(activity_table(activities), rules_path=rules_path, use_models=False).to_pylist()
        fired = {label["activity_id"] for label in labels if label["label"] in facets}
        by_id = {item["item_id"]: item for item in items}
        for item_id in sorted(fired):
            chosen[item_id] = by_id[item_id]
        rng = random.Random(0)
        for pattern in FACET_WORDS.values():
            matching = [
                item
                for item in items
                if re.search(pattern, item["title"], re.IGNORECASE) and item["item_id"] not in chosen
            ]
            for item in rng.sample(matching, min(per_facet, len(matching))):
                chosen[item["item_id"]] = item
    return sorted(chosen.values(), key=lambda item: (item["source"], item["item_id"]))


def main(argv: list[str]) -> None:
    csv.field_size_limit(sys.maxsize)
    if len(argv) == 3 and argv[0] == "--facet-candidates":
        candidates = select_facet_candidates(Path(argv[1]))
        with open(argv[2], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["item_id", "source", "dataset", "title", "paths"])
            writer.writeheader()
            writer.writerows(candidates)
        return
    if len(argv) != 1:
        raise SystemExit(
            "usage: python -m classifiers.data.derive_subsets SOURCE_DIR\n"
            "       python -m classifiers.data.derive_subsets --facet-candidates SOURCE_DIR OUT.csv"
        )
    source = Path(argv[0])
    (HERE / "commits_conventional.csv.gz").write_bytes(build_commits(source))
    (HERE / "review_comments_nova.csv.gz").write_bytes(build_review_comments(source))


if __name__ == "__main__":
    main(sys.argv[1:])
