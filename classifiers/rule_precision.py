"""How often each rule is right: every rule's precision on the labelled data shipped in classifiers/data/.

    python -m classifiers.rule_precision [--rules PATH] [--json] [--doc docs/signals.md]

Three labelled data sets, each the ground truth for one family of labels:

- **commits** (``commits_conventional.csv.gz``, 18,161 commits): the work type is the author's
  conventional type (feat → ``work.feature`` …); rules see the title *with the header stripped* (the
  header is the label), the body and the files.  ``work.revert`` is also true when git's revert marker
  ("This reverts commit <sha>") is in the body, ``work.dependency_bump`` when the header's scope is
  deps / deps-dev / dependencies.
- **facets** (``facet_titles_labelled.csv.gz``, 296 commit and Jira titles labelled by hand following
  ``classifiers/data/FACET_LABELLING.md``): ``work.design_doc``, ``work.toil_automation``,
  ``work.monitoring``, ``work.playbook``, ``work.ml_experiment``; rules see the whole title (with its
  conventional header) and the files.
- **review comments** (``review_comments_nova.csv.gz``, 1,671 Nova comments with a category): the
  categories mapped onto ``review.*`` as for the review model; every comment is a reviewer's on someone
  else's change.

A rule is measured on the data set that has ground truth for its label; precision = labels it gives that
the truth has / labels it gives.  Rules whose labels no data set covers (structure, incidents, delivery,
knowledge transfer, GitHub/Jira labels a person gave) are listed as not measured, with the reason.
``check_precision`` returns the enabled rules that fire at least ``MIN_FIRES`` times below
``MIN_PRECISION``, and ``unlabelled_fires`` the facet-rule hits on vendored commits that the hand-labelled
set does not cover (each must be labelled before the rule's precision is believed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from classifiers.tabular import REVIEW_TASK, TASK_CLASSES, WORK_TYPE_TASK, activity_table, map_label
from classifiers.text import parse_conventional_header, strip_conventional_header
from classifiers.training_data import COMMITS_FILE, REVIEW_COMMENTS_FILE, _rows

FACETS_FILE = "facet_titles_labelled.csv.gz"
MIN_PRECISION = 0.8
MIN_FIRES = 20
FACET_LABELS = ("work.design_doc", "work.ml_experiment", "work.monitoring", "work.playbook", "work.toil_automation")
DEPENDENCY_SCOPES = frozenset({"deps", "deps-dev", "dependencies"})
GIT_REVERT_MARKER = re.compile(r"This reverts commit [0-9a-f]{7,40}")

# Rules that read the ground truth itself (on commits with their header stripped they only see what is left of
# a doubly-prefixed subject such as "revert: docs: …").
TRUTH_RULES = frozenset({"conventional-title"})
# Why a rule that fires on none of the data sets is not measured (shown in docs/signals.md).
NOT_MEASURED = {
    "conventional-title": "its label is the header itself, the commits' ground truth",
    "review-approval": "structure: approval state, body and inline-comment count",
    "mentorship": "structure: roster levels and start dates",
    "discussion": "structure: who owns the PR or ticket",
    "review-links": "no labelled data for knowledge transfer",
    "review-context-phrases": "no labelled data for knowledge transfer",
    "cross-team": "structure: roster teams and repository owners",
    "delivery": "structure: PR and ticket state, dates",
    "project-role": "structure: Jira issue type and links",
    "incident-role": "structure: incident roles",
    "incident-followup": "structure: incident links and status",
}
LABEL_RULE_REASON = "reads a label or Jira type a person gave; no labelled data carries them"


@dataclass(frozen=True)
class DataSet:
    """Activity rows for the rules and, per activity id, the labels that are true."""

    name: str
    description: str
    labels: frozenset[str]  # the labels this data set is ground truth for
    activities: list[dict]
    truth: dict[str, frozenset[str]]


def commits_dataset() -> DataSet:
    """Vendored conventional commits; titles without their header, truth from the header (see module doc)."""
    activities, truth = [], {}
    for _i, row in enumerate(_rows(COMMITS_FILE)):
        label = map_label(WORK_TYPE_TASK, row["label"])
        if label is None:
            continue
        activity_id = f"commit:{row['repo']}@{row['sha']}"
        parsed = parse_conventional_header(row["subject"])
        true = {label}
        if parsed and (parsed[1] or "").strip().lower() in DEPENDENCY_SCOPES:
            true.add("work.dependency_bump")
        if GIT_REVERT_MARKER.search(row["body"] or ""):
            true.add("work.revert")
        truth[activity_id] = frozenset(true)
        activities.append(
            {
                "activity_id": activity_id,
                "kind": "pull_request",
                "source": "github",
                "title": strip_conventional_header(row["subject"]),
                "body": row["body"],
                "paths": [p for p in row["files"].split(";") if p],
            }
        )
    return DataSet(
        "commits",
        "18,161 conventional commits of vuejs/core, vitejs/vite, semantic-release and "
        "conventional-changelog; truth: the author's conventional type (header stripped from the title), "
        "git's revert marker, a deps scope",
        frozenset(TASK_CLASSES[WORK_TYPE_TASK]) | {"work.dependency_bump"},
        activities,
        truth,
    )


def facets_dataset() -> DataSet:
    """The hand-labelled commit and Jira titles (classifiers/data/FACET_LABELLING.md)."""
    activities, truth = [], {}
    for row in _rows(FACETS_FILE):
        activity_id = f"{row['source']}:{row['item_id']}"
        truth[activity_id] = frozenset(x for x in row["labels"].split(";") if x)
        jira = row["source"] == "jira"
        activities.append(
            {
                "activity_id": activity_id,
                "kind": "ticket" if jira else "pull_request",
                "source": "jira" if jira else "github",
                "title": row["title"],
                "paths": [p for p in row["paths"].split(";") if p],
            }
        )
    return DataSet(
        "facets",
        f"{len(activities)} commit and Jira titles labelled by hand (classifiers/data/FACET_LABELLING.md)",
        frozenset(FACET_LABELS),
        activities,
        truth,
    )


def review_dataset() -> DataSet:
    """Nova review comments with a mappable category, as a reviewer's inline comments on someone else's change."""
    activities, truth = [], {}
    for row in _rows(REVIEW_COMMENTS_FILE):
        label = map_label(REVIEW_TASK, row["category"])
        if label is None or not row["message"].strip():
            continue
        activity_id = f"nova:{row['comment_id']}"
        truth[activity_id] = frozenset({label})
        activities.append(
            {
                "activity_id": activity_id,
                "kind": "review_comment",
                "source": "github",
                "body": row["message"],
                "paths": [row["file_name"]] if row["file_name"] else None,
                "person_id": "reviewer",
                "subject_person_id": "author",
            }
        )
    return DataSet(
        "review comments",
        f"{len(activities)} OpenStack Nova review comments hand-labelled by Turzo & "
        "Bosu; truth: their category mapped onto review signals",
        frozenset(TASK_CLASSES[REVIEW_TASK]) | {"review.design"},
        activities,
        truth,
    )


def _fires(dataset: DataSet, rules_path: Path | None) -> dict[tuple[str, str], list[str]]:
    """(rule, label) -> activity ids it labels, for the labels the data set is ground truth for."""
    from classifiers.classify import classify_activities

    table = classify_activities(activity_table(dataset.activities), rules_path=rules_path, use_models=False)
    out: dict[tuple[str, str], list[str]] = {}
    for activity_id, label, rule in zip(
        table.column("activity_id").to_pylist(),
        table.column("label").to_pylist(),
        table.column("classifier_id").to_pylist(),
    ):
        if label in dataset.labels:
            out.setdefault((rule, label), []).append(activity_id)
    return out


def unlabelled_fires(rules_path: Path | None = None) -> dict[str, list[str]]:
    """Facet-rule hits on vendored commits (whole titles) that the hand-labelled set does not hold, by rule."""
    from classifiers.classify import classify_activities

    labelled = {row["item_id"] for row in _rows(FACETS_FILE) if row["source"] == "commit"}
    activities = [
        {
            "activity_id": f"{row['repo']}@{row['sha']}",
            "kind": "pull_request",
            "source": "github",
            "title": row["subject"],
            "paths": [p for p in row["files"].split(";") if p],
        }
        for row in _rows(COMMITS_FILE)
    ]
    table = classify_activities(activity_table(activities), rules_path=rules_path, use_models=False)
    out: dict[str, list[str]] = {}
    for activity_id, label, rule in zip(
        table.column("activity_id").to_pylist(),
        table.column("label").to_pylist(),
        table.column("classifier_id").to_pylist(),
    ):
        if label in FACET_LABELS and activity_id not in labelled:
            out.setdefault(rule, []).append(activity_id)
    return out


def measure_rules(rules_path: Path | None = None) -> dict:
    """Every rule's precision on the data set that is ground truth for its label (JSON-ready)."""
    from classifiers.rules_config import build_rules, read_rule_file

    measured = []
    for dataset in (commits_dataset(), facets_dataset(), review_dataset()):
        for (rule, label), ids in sorted(_fires(dataset, rules_path).items()):
            if rule in TRUTH_RULES:
                continue
            correct = sum(1 for i in ids if label in dataset.truth[i])
            wrong = Counter(
                sorted(dataset.truth[i])[0] if dataset.truth[i] else "(none)"
                for i in ids
                if label not in dataset.truth[i]
            )
            measured.append(
                {
                    "rule": rule,
                    "label": label,
                    "dataset": dataset.name,
                    "fires": len(ids),
                    "correct": correct,
                    "precision": round(correct / len(ids), 4),
                    "wrong_truth": dict(wrong.most_common(3)),
                }
            )
    enabled = {r.name: r for r in build_rules(rules_path)}
    seen = {m["rule"] for m in measured}
    not_measured = []
    for name in enabled:
        if name in seen:
            continue
        reason = NOT_MEASURED.get(name) or (
            LABEL_RULE_REASON if name.startswith("labels-") else "fires on none of the labelled data"
        )
        not_measured.append({"rule": name, "reason": reason})
    disabled = []
    for rules_file in [read_rule_file(None)] + ([read_rule_file(rules_path)] if rules_path else []):
        for spec in rules_file.rules:
            if not spec.enabled and spec.name not in enabled:
                disabled.append({"rule": spec.name, "label": spec.label, "reason": " ".join(spec.description.split())})
    return {
        "min_precision": MIN_PRECISION,
        "min_fires": MIN_FIRES,
        "rules": measured,
        "not_measured": not_measured,
        "disabled": disabled,
        "unlabelled_facet_fires": {k: len(v) for k, v in unlabelled_fires(rules_path).items()},
    }


def check_precision(result: dict) -> list[dict]:
    """The measured rules that fire at least ``MIN_FIRES`` times with a precision below ``MIN_PRECISION``."""
    return [
        m for m in result["rules"] if m["fires"] >= result["min_fires"] and m["precision"] < result["min_precision"]
    ]


# --- docs/signals.md --------------------------------------------------------------------

START, END = "<!-- rule-precision:start -->", "<!-- rule-precision:end -->"


def render(result: dict) -> str:
    """Markdown tables: measured rules, rules not measured (and why), disabled rules (and why)."""
    lines = [
        f"Generated by `python -m classifiers.rule_precision --doc docs/signals.md`. A rule that fires at "
        f"least {result['min_fires']} times must be right at least {result['min_precision']:.0%} of the time "
        "(`tests/classifiers/test_classifiers_rule_precision.py`); below that it is reworked or disabled.",
        "",
        "| rule | label | data set | fires on | precision | wrong ones were (truth) |",
        "|---|---|---|---|---|---|",
    ]
    for m in sorted(result["rules"], key=lambda m: (m["dataset"], m["rule"], m["label"])):
        wrong = ", ".join(f"{k} {v}" for k, v in m["wrong_truth"].items()) or "—"
        flag = " ⚠" if m["fires"] >= result["min_fires"] and m["precision"] < result["min_precision"] else ""
        lines.append(
            f"| `{m['rule']}` | `{m['label']}` | {m['dataset']} | {m['fires']} | {m['precision']:.2f}{flag} | {wrong} |"
        )
    if result["unlabelled_facet_fires"]:
        lines += [
            "",
            "Facet rules also fire on vendored commits the hand-labelled set lacks: "
            + ", ".join(f"`{k}` {v}" for k, v in sorted(result["unlabelled_facet_fires"].items()))
            + " (label them).",
        ]
    lines += ["", "Not measured:", "", "| rule | why |", "|---|---|"]
    lines += [f"| `{m['rule']}` | {m['reason']} |" for m in result["not_measured"]]
    if result["disabled"]:
        lines += ["", "Disabled by default:", "", "| rule | label | why |", "|---|---|---|"]
        lines += [f"| `{m['rule']}` | `{m['label']}` | {m['reason']} |" for m in result["disabled"]]
    return "\n".join(lines)


def update_doc(path: Path, result: dict) -> Path:
    """Replace the text between the rule-precision markers of ``path`` (appended when missing)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = f"{START}\n{render(result)}\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _m: section, text, count=1) if pattern.search(text) else f"{text.rstrip()}\n\n{section}\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m classifiers.rule_precision",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rules", type=Path, help="an extra rules YAML (adds, overrides or disables rules)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--doc", type=Path, help="rewrite the rule-precision section of this Markdown file")
    args = parser.parse_args(argv)
    result = measure_rules(args.rules)
    if args.doc:
        update_doc(args.doc, result)
    print(json.dumps(result, indent=2, sort_keys=True) if args.json else render(result))
    failing = check_precision(result)
    for m in failing:
        print(
            f"below {MIN_PRECISION:.0%}: {m['rule']} -> {m['label']} on {m['dataset']}: {m['precision']:.2f} "
            f"over {m['fires']}",
            file=sys.stderr,
        )
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
