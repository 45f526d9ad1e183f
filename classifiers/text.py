"""Pure text helpers shared by rules and models: conventional headers, path tokens, substance."""

from __future__ import annotations

import re

# "type(scope)!: subject" — the Conventional Commits header, also used in PR titles.
CONVENTIONAL_HEADER = re.compile(r"^\s*([A-Za-z]+)(?:\(([^)]*)\))?(!)?:\s*")
PR_NUMBER_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")
GIT_REVERT = re.compile(r'^\s*Revert\s+"')

# Conventional types (and common synonyms) -> work-type signal.
CONVENTIONAL_TYPES: dict[str, str] = {
    "feat": "work.feature",
    "feature": "work.feature",
    "fix": "work.bugfix",
    "bugfix": "work.bugfix",
    "hotfix": "work.bugfix",
    "docs": "work.docs",
    "doc": "work.docs",
    "refactor": "work.refactor",
    "test": "work.test",
    "tests": "work.test",
    "perf": "work.perf",
    "build": "work.build_ci",
    "ci": "work.build_ci",
    "chore": "work.chore",
    "style": "work.chore",
    "revert": "work.revert",
    "deps": "work.dependency_bump",
}

# Phrases that carry no review substance on their own.
_STOCK_PHRASES = re.compile(
    r"^(lgtm|looks good( to me)?( now)?|ship ?it|approved?|thanks?( you)?|thx|ty|nice|great|\+1|:\+1:|👍|✅"
    r"|good catch,? fixed|done|fixed)[\s.!]*$",
    re.IGNORECASE,
)
SUBSTANTIVE_MIN_WORDS = 4


def parse_conventional_header(title: str | None) -> tuple[str, str | None] | None:
    """Return (lower-cased type, scope) when ``title`` starts with a conventional header, else None."""
    if not title:
        return None
    match = CONVENTIONAL_HEADER.match(title)
    if match is None:
        return None
    return match.group(1).lower(), match.group(2)


def strip_conventional_header(title: str | None) -> str:
    """The title without its conventional header and trailing '(#123)': what a model may see."""
    if not title:
        return ""
    text = PR_NUMBER_SUFFIX.sub("", title)
    return CONVENTIONAL_HEADER.sub("", text, count=1).strip()


def is_stock_phrase(body: str | None) -> bool:
    """True when ``body`` is empty or only a stock approval/thanks phrase such as 'LGTM'."""
    text = (body or "").strip()
    return not text or bool(_STOCK_PHRASES.match(text))


def is_substantive_text(body: str | None) -> bool:
    """True when ``body`` says something: at least a few words and not a stock phrase."""
    text = (body or "").strip()
    if is_stock_phrase(text):
        return False
    return len(text.split()) >= SUBSTANTIVE_MIN_WORDS


def path_tokens(paths: list[str] | None) -> str:
    """Turn touched file paths into tokens a vectorizer can use: dirs, names, extensions, and the share of
    test / docs / CI files (all, some or none), since "only tests" means something else than "tests too"."""
    tokens: list[str] = []
    shares = {"test": 0, "docs": 0, "ci": 0}
    paths = [p for p in (paths or ()) if p and p.strip("/")]
    for path in paths:
        parts = [p for p in path.lower().split("/") if p]
        for part in parts[:-1][:3]:
            tokens.append(f"dir_{_slug(part)}")
        name = parts[-1]
        stem, dot, ext = name.rpartition(".")
        tokens.append(f"ext_{_slug(ext)}" if dot and stem else "ext_none")
        tokens.append(f"file_{_slug(stem if dot and stem else name)}")
        if _TEST_PATH.search(path.lower()):
            shares["test"] += 1
        if _DOCS_PATH.search(path.lower()):
            shares["docs"] += 1
        if _CI_PATH.search(path.lower()):
            shares["ci"] += 1
    if paths:
        for kind, count in shares.items():
            tokens.append(f"{kind}_{'all' if count == len(paths) else 'some' if count else 'none'}")
    else:
        tokens.append("no_paths")
    return " ".join(dict.fromkeys(tokens))


_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*$|[._-](test|spec)\.[a-z]+$|_test\.[a-z]+$")
_DOCS_PATH = re.compile(r"(^|/)docs?/|\.(md|rst|adoc)$")
_CI_PATH = re.compile(r"(^|/)\.github/|(^|/)\.circleci/|\.gitlab-ci\.yml$|(^|/)jenkinsfile$|(^|/)dockerfile$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "x"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
