"""Derive the vendored training subsets from the source CSVs (a maintainer's tool, not run at runtime).

Usage: python -m classifiers.data.derive_subsets SOURCE_DIR
where SOURCE_DIR holds ``commits/*.csv`` and ``review_comments/wsu_seal_opendev_nova_labeled.csv``
as described in PROVENANCE.md.  Output is written next to this file, deterministically.
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
                writer.writerow([row["repo"], row["sha"][:12], row["subject"], _clean_body(row["body"]),
                                 files, row["files_changed"], row["insertions"], row["deletions"], row["label"]])
    return gzip.compress(out.getvalue().encode("utf-8"), mtime=0)


def build_review_comments(source: Path) -> bytes:
    """Comment id, its change (Gerrit Change-Id, the cross-validation group), file, text and category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["comment_id", "change_id", "file_name", "message", "category", "comment_group"])
    path = source / "review_comments" / "wsu_seal_opendev_nova_labeled.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            writer.writerow([row["comment_id"], row["change_id"], row["file_name"], row["message"], row["category"],
                             row["comment_group"]])
    return gzip.compress(out.getvalue().encode("utf-8"), mtime=0)


def main(argv: list[str]) -> None:
    csv.field_size_limit(sys.maxsize)
    if len(argv) != 1:
        raise SystemExit("usage: python -m classifiers.data.derive_subsets SOURCE_DIR")
    source = Path(argv[0])
    (HERE / "commits_conventional.csv.gz").write_bytes(build_commits(source))
    (HERE / "review_comments_nova.csv.gz").write_bytes(build_review_comments(source))


if __name__ == "__main__":
    main(sys.argv[1:])
