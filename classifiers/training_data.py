"""Read the vendored, labelled training data (classifiers/data/, see PROVENANCE.md) into examples."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
from dataclasses import dataclass, field
from importlib import resources

from classifiers.text import CONVENTIONAL_TYPES, path_tokens, strip_conventional_header

COMMITS_FILE = "commits_conventional.csv.gz"
REVIEW_COMMENTS_FILE = "review_comments_nova.csv.gz"

# Review signals the review-substance model learns as one class (the data cannot separate them).
MERGED_REVIEW_LABELS: dict[str, str] = {"review.design": "review.suggestion"}

# The dataset's `label` is a canonical conventional-commit type; the rules' mapping serves both.
COMMIT_LABELS = CONVENTIONAL_TYPES

# WSU-SEAL / OpenStack Nova review-comment category -> review signal (documented in docs/signals.md).
# "False Positive" (the reviewer's concern turned out not to be an issue) says nothing about the kind
# of comment, so those rows are left out of training.  "Design discussion" is learnt together with the
# suggestions: no model tried could tell the two apart (design F1 0.08-0.16, docs/signals.md), so the
# model says "suggestion" for both and never emits review.design.
REVIEW_CATEGORY_LABELS: dict[str, str | None] = {
    "documentation": "review.documentation",
    "question": "review.question",
    "design discussion": "review.suggestion",
    "praise": "review.praise",
    "solution approach": "review.suggestion",
    "organization of code": "review.suggestion",
    "alternate output": "review.suggestion",
    "naming convention": "review.nit",
    "visual representation": "review.nit",
    "validation": "review.defect",
    "logical": "review.defect",
    "resource": "review.defect",
    "interface": "review.defect",
    "support": "review.defect",
    "timing": "review.defect",
    "larger defect": "review.defect",
    "false positive": None,
}


@dataclass(frozen=True)
class Examples:
    """Model inputs, their labels, an id per example (to trace a prediction to its source row) and a group
    per example (repository, or the change a review comment belongs to) for grouped cross-validation."""

    inputs: list
    labels: list[str]
    ids: list[str]
    groups: list[str] = field(default_factory=list)


def read_data_bytes(name: str) -> bytes:
    """The raw bytes of a vendored data file."""
    return resources.files("classifiers.data").joinpath(name).read_bytes()


def data_sha256(name: str) -> str:
    """sha256 of a vendored data file, recorded in model metadata."""
    return hashlib.sha256(read_data_bytes(name)).hexdigest()


def examples_sha256(examples: Examples) -> str:
    """A stable hash of examples (inputs and labels), recorded in the model's metadata."""
    payload = json.dumps(
        [list(map(str, x)) + [y] for x, y in zip(examples.inputs, examples.labels)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _rows(name: str) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    text = gzip.decompress(read_data_bytes(name)).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _count(value) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def work_type_input(
    title: str | None, body: str | None, paths: list[str] | None, additions=None, deletions=None, files_changed=None
) -> tuple[str, str, int, int]:
    """What the work-type model sees: title without its conventional header and body (text), path tokens,
    lines changed and files changed (structure).  Unknown sizes count as 0."""
    text = strip_conventional_header(title)
    if body:
        text = f"{text}\n{body}"
    n_files = _count(files_changed) or len([p for p in paths or () if p])
    return text, path_tokens(paths), _count(additions) + _count(deletions), n_files


def review_input(message: str | None, path: str | None = None) -> tuple[str, str]:
    """What the review-substance model sees: the comment text, and structure tokens: the file it was written
    on and the comment's shape (question marks, code, links, length), which word features drop."""
    text = message or ""
    return text, f"{path_tokens([path] if path else None)} {comment_shape_tokens(text)}"


def comment_shape_tokens(text: str) -> str:
    """Tokens for what TF-IDF on words cannot see: '?' (anywhere / at the end), code, links, quotes, length."""
    stripped = text.strip()
    tokens = []
    if "?" in stripped:
        tokens.append("shape_qmark")
    if stripped.endswith("?"):
        tokens.append("shape_qmark_end")
    if "`" in stripped or "()" in stripped or "_" in stripped:
        tokens.append("shape_code")
    if "http://" in stripped or "https://" in stripped:
        tokens.append("shape_link")
    if stripped.startswith(">") or "\n>" in stripped:
        tokens.append("shape_quote")
    if "!" in stripped:
        tokens.append("shape_exclaim")
    words = len(stripped.split())
    tokens.append("shape_len_short" if words <= 5 else "shape_len_medium" if words <= 30 else "shape_len_long")
    return " ".join(tokens)


def read_commit_examples() -> Examples:
    """Conventional commits as work-type examples; the header that carries the label is stripped."""
    inputs, labels, ids, groups = [], [], [], []
    for row in _rows(COMMITS_FILE):
        label = COMMIT_LABELS.get(row["label"])
        if label is None:
            continue
        files = [f for f in row["files"].split(";") if f]
        inputs.append(
            work_type_input(
                row["subject"], row["body"], files, row["insertions"], row["deletions"], row["files_changed"]
            )
        )
        labels.append(label)
        ids.append(f"{row['repo']}@{row['sha']}")
        groups.append(row["repo"])
    return Examples(inputs, labels, ids, groups)


def read_review_examples() -> Examples:
    """Hand-labelled Nova review comments mapped onto review signals, grouped by change."""
    inputs, labels, ids, groups = [], [], [], []
    for row in _rows(REVIEW_COMMENTS_FILE):
        category = row["category"].strip().lower()
        if category not in REVIEW_CATEGORY_LABELS:
            raise ValueError(
                f"{REVIEW_COMMENTS_FILE}: comment {row['comment_id']} has unmapped category "
                f"{row['category']!r}; add it to REVIEW_CATEGORY_LABELS"
            )
        label = REVIEW_CATEGORY_LABELS[category]
        if label is None or not row["message"].strip():
            continue
        inputs.append(review_input(row["message"], row["file_name"]))
        labels.append(label)
        ids.append(row["comment_id"])
        groups.append(row["change_id"])
    return Examples(inputs, labels, ids, groups)
