"""Derive the vendored text corpus from the public data sets (a one-off, not run at runtime).

Usage: ``python -m sandbox.corpus.derive SOURCE_DATA_DIR`` where SOURCE_DATA_DIR holds
``commits/*.csv``, ``review_comments/wsu_seal_opendev_nova_labeled.csv`` and
``jira/storypoints_gpt2sp/*.csv``.  Writes ``*.jsonl.gz`` next to this file; see
PROVENANCE.md for what each file is and its licence.  Sampling is seeded, so
re-running on the same inputs gives the same files.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
COMMIT_LABELS = ("feat", "fix", "docs", "refactor", "perf", "test", "build", "ci", "chore", "revert")
PER_LABEL = 700
DEPS_TOTAL = 300
TICKETS_PER_PROJECT = 240
TEXT_LIMIT = 700

_PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_MENTION = re.compile(r"(?<![\w.`/])@([A-Za-z0-9][A-Za-z0-9-]{1,38})(?![\w/.(-])")
_TRAILER = re.compile(r"^[A-Za-z-]+-by:.*$", re.MULTILINE)


def parse_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Scrub e-mails, @mentions and sign-off trailers; cut at ``limit`` on a line or word boundary."""
    text = _TRAILER.sub("", text or "")
    text = _EMAIL.sub("someone@example.com", text)
    text = _MENTION.sub("@maintainer", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > limit:
        cut = text[:limit]
        pos = max(cut.rfind("\n"), cut.rfind(". "))
        text = cut[: pos + 1] if pos > limit // 2 else cut.rsplit(" ", 1)[0] + " …"
    return text.strip()


def _write(name: str, rows: list[dict]) -> None:
    payload = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    with gzip.GzipFile(HERE / name, "wb", mtime=0) as fh:
        fh.write(payload.encode("utf-8"))
    print(f"{name}: {len(rows)} rows")


def build_commits(src: Path, rng: random.Random) -> None:
    by_label: dict[str, list[dict]] = {label: [] for label in COMMIT_LABELS}
    deps: list[dict] = []
    for path in sorted((src / "commits").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["is_merge"] == "True":
                    continue
                subject = _PR_SUFFIX.sub("", row["subject"]).strip()
                headline = subject.split(": ", 1)[-1]
                if not 12 <= len(subject) <= 100 or "release" in subject.lower() or not re.search(r"[a-z]{3}", headline):
                    continue
                item = {
                    "l": row["label"],
                    "s": parse_text(subject, 100),
                    "b": parse_text(row["body"]),
                    "n": int(row["files_changed"] or 1),
                    "a": int(row["insertions"] or 0),
                    "d": int(row["deletions"] or 0),
                }
                if "(deps" in subject or subject.lower().startswith(("bump ", "update dependency")):
                    deps.append({"s": item["s"]})
                elif row["label"] in by_label:
                    by_label[row["label"]].append(item)
    rows = []
    for label in COMMIT_LABELS:
        pool = by_label[label]
        rows += rng.sample(pool, min(PER_LABEL, len(pool)))
    _write("commits.jsonl.gz", rows)
    _write("dependency_updates.jsonl.gz", rng.sample(deps, min(DEPS_TOTAL, len(deps))))


def build_review_comments(src: Path) -> None:
    fix = {"Larger defect": "Larger Defect", "Organization of Code": "Organization of code"}
    rows = []
    path = src / "review_comments" / "wsu_seal_opendev_nova_labeled.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            message = parse_text(row["message"], 900)
            if len(message) < 3:
                continue
            rows.append({
                "c": fix.get(row["category"], row["category"]),
                "g": row["comment_group"],
                "r": int(row["manual_rating"] or 0),
                "m": message,
            })
    _write("review_comments.jsonl.gz", rows)


def build_tickets(src: Path, rng: random.Random) -> None:
    rows = []
    for path in sorted((src / "jira" / "storypoints_gpt2sp").glob("*.csv")):
        pool = []
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                title = parse_text(row["title"], 120)
                if 12 <= len(title) <= 120:
                    pool.append({"t": title, "d": parse_text(row["description"]), "p": path.stem})
        rows += rng.sample(pool, min(TICKETS_PER_PROJECT, len(pool)))
    _write("tickets.jsonl.gz", rows)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m sandbox.corpus.derive SOURCE_DATA_DIR")
    src = Path(argv[0])
    rng = random.Random(2026)
    build_commits(src, rng)
    build_review_comments(src)
    build_tickets(src, rng)


if __name__ == "__main__":
    main(sys.argv[1:])
