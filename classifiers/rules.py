"""Named, versioned rules: each a pure function ``(row) -> [(label, reason)]`` over one activity row.

A row is one ``ACTIVITY_SCHEMA`` record as a dict.  Every rule states which
activity kinds it reads, so the engine only calls it where it can fire, and
every label comes with a reason a person can check against the activity.
Configurable keyword/path/label rules live in ``default_rules.yaml`` (see
``classifiers.rules_config``); the rules here need logic a table cannot hold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from classifiers.text import (
    CONVENTIONAL_TYPES,
    GIT_REVERT,
    is_stock_phrase,
    is_substantive_text,
    parse_conventional_header,
    shorten,
    strip_conventional_header,
)

Hit = tuple[str, str]
RuleFn = Callable[[dict], list[Hit]]

MENTORSHIP_NEW_DAYS = 180
PR_COMMENT_KINDS = ("review", "review_comment", "issue_comment")
THREAD_FEEDBACK_KINDS = (*PR_COMMENT_KINDS, "ticket_comment")


@dataclass(frozen=True)
class Rule:
    """A named rule with a version, the activity kinds it reads, and its function."""

    name: str
    version: str
    kinds: frozenset[str]
    apply: RuleFn
    description: str = ""


RULES: list[Rule] = []


def rule(name: str, *, version: str, kinds: tuple[str, ...]) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` in ``RULES`` under ``name``; the function stays callable on its own."""

    def register(fn: RuleFn) -> RuleFn:
        if any(r.name == name for r in RULES):
            raise ValueError(f"rule name {name!r} is registered twice; give {fn.__name__} another name")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        RULES.append(Rule(name=name, version=version, kinds=frozenset(kinds), apply=fn, description=summary))
        return fn

    return register


# --- helpers ---------------------------------------------------------------


def is_on_others_work(row: dict) -> bool:
    """The actor acts on work owned by a known, different person."""
    subject, person = row.get("subject_person_id"), row.get("person_id")
    return subject is not None and person is not None and subject != person


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).date() if value.tzinfo else value.date()
    return value


def _is_substantive_review(row: dict) -> bool:
    """A review with a non-stock written body or at least one inline comment."""
    return not is_stock_phrase(row.get("body")) or (row.get("comment_count") or 0) > 0


def _is_substantive(row: dict) -> bool:
    if row.get("kind") == "review":
        return _is_substantive_review(row)
    return is_substantive_text(row.get("body"))


# --- work type -------------------------------------------------------------


@rule("conventional-title", version="1", kinds=("pull_request", "ticket"))
def classify_conventional_title(row: dict) -> list[Hit]:
    """Work type from a Conventional Commits header in the title ('fix(api): …')."""
    title = row.get("title") or ""
    parsed = parse_conventional_header(title)
    if parsed is None:
        return []
    kind, scope = parsed
    header = title.strip().split(":", 1)[0] + ":"
    hits: list[Hit] = []
    label = CONVENTIONAL_TYPES.get(kind)
    if label is not None:
        hits.append((label, f"title starts with '{header}'"))
    if scope and scope.strip().lower() in ("deps", "deps-dev", "dependencies") and label != "work.dependency_bump":
        hits.append(("work.dependency_bump", f"title header '{header}' has scope '{scope.strip()}'"))
    return hits


@rule("revert-title", version="1", kinds=("pull_request", "ticket"))
def classify_revert_title(row: dict) -> list[Hit]:
    """A git-generated revert title ('Revert "…"')."""
    title = row.get("title") or ""
    if GIT_REVERT.match(title):
        return [("work.revert", f"title starts with 'Revert \"' ({shorten(title)})")]
    return []


_FIX_VERBS = frozenset({"fix", "fixes", "fixed", "fixing", "hotfix", "bugfix"})
_FIRST_WORD = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*([A-Za-z]+)\b(?!\s*[(:!])")
# "Fix typo", "Fix lint", "Fix flaky test", "Fix CI", "Fix types" are not bug fixes.
_NOT_A_BUG = re.compile(
    r"(?<![\w-])(typos?|spelling|grammar|wording|lint|linting|eslint|prettier|format|formatting|links?|docs?|"
    r"documentation|readme|comments?|jsdoc|tsdoc|examples?|tests?|specs?|flaky|snapshots?|ci|build|workflows?|"
    r"changelog|types?|typings?|typecheck|typescript|ts|deps|dependencies|lockfile|imports?|playground)(?![\w-])",
    re.IGNORECASE,
)
# Files whose change says nothing about a defect in the product: docs, tests, CI, manifests, lock files, config.
_NON_SOURCE = re.compile(
    r"(^|/)(docs?|tests?|__tests__|spec|playground|scripts|\.github|\.circleci|\.vitepress)/|"
    r"\.(md|rst|adoc|txt|snap|json|ya?ml|toml|ini|cfg|lock)$|(^|/)[^/]*\.config\.[a-z]+$|"
    r"(^|/)(test_[^/]*|[^/]*_test\.[a-z]+|[^/]*\.(spec|test)\.[a-z]+|conftest\.py|jenkinsfile|dockerfile|"
    r"makefile|pnpm-lock\.yaml|package-lock\.json|yarn\.lock)$",
    re.IGNORECASE,
)


@rule("title-verb", version="2", kinds=("pull_request", "ticket"))
def classify_title_verb(row: dict) -> list[Hit]:
    """A title that opens with 'Fix …' (no conventional header, or a non-type one like 'WIP:'), when it does not
    name a typo, lint, docs, tests, CI or types and, if files are known, touches a source file."""
    title = row.get("title") or ""
    parsed = parse_conventional_header(title)
    if parsed is not None:
        if parsed[0] in CONVENTIONAL_TYPES:
            return []  # conventional-title decides
        title = strip_conventional_header(title)
    match = _FIRST_WORD.match(title)
    if match is None or match.group(1).lower() not in _FIX_VERBS or _NOT_A_BUG.search(title):
        return []
    paths = [p for p in row.get("paths") or () if p]
    source = next((p for p in paths if not _NON_SOURCE.search(p)), None)
    if paths and source is None:
        return []
    where = f", touches {source}" if source else ""
    return [("work.bugfix", f"title starts with '{match.group(1)}'" + (" after its prefix" if parsed else "") + where)]


_BUMP = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:[a-z]+(?:\([^)]*\))?!?:\s*)?"
    r"(bump|update|upgrade)\s+(?:the\s+)?(\S+)(?:\s+requirement)?\s+(?:from\s+\S+\s+)?to\s+v?\d",
    re.IGNORECASE,
)


@rule("dependency-bump-title", version="1", kinds=("pull_request", "ticket"))
def classify_dependency_bump_title(row: dict) -> list[Hit]:
    """Titles in the shape bots and people use for version bumps ('Bump numpy from 1.26 to 2.0')."""
    match = _BUMP.match(row.get("title") or "")
    if match is None:
        return []
    return [("work.dependency_bump", f"title '{shorten(row['title'])}' bumps {match.group(2)} to a new version")]


# --- reviews, mentorship, discussion ----------------------------------------


@rule("review-approval", version="1", kinds=("review",))
def classify_review_substance(row: dict) -> list[Hit]:
    """Approval with no written substance vs a review that says something."""
    body = (row.get("body") or "").strip()
    comments = row.get("comment_count") or 0
    state = (row.get("state") or "").upper()
    if state == "APPROVED" and comments == 0 and is_stock_phrase(body):
        said = f"only '{shorten(body, 30)}'" if body else "an empty body"
        return [("review.approval_only", f"approved with {said} and no inline comments")]
    if not _is_substantive_review(row):
        return []
    parts = []
    if not is_stock_phrase(body):
        parts.append(f"{len(body.split())} words of review text")
    if comments:
        parts.append(f"{comments} inline comment{'s' if comments != 1 else ''}")
    return [("review.substantive", f"{state.lower() or 'review'} with " + " and ".join(parts))]


@rule("review-changes-requested", version="2", kinds=("review",))
def classify_changes_requested(row: dict) -> list[Hit]:
    """A substantive review that requested changes on someone else's PR: the reviewer held the merge until fixed.

    The label is the review's own state (GitHub's CHANGES_REQUESTED), so it is exact; what it means for the
    rubric (holding the quality bar) is the rubric's judgement.
    """
    if (row.get("state") or "").upper() != "CHANGES_REQUESTED" or not is_on_others_work(row):
        return []
    if not _is_substantive_review(row):
        return []
    comments = row.get("comment_count") or 0
    said = f" with {comments} inline comment{'s' if comments != 1 else ''}" if comments else ""
    # Reasons reach reports, which never name another person or show their level (docs/report-schema.md).
    return [("review.changes_requested", f"requested changes on someone else's PR{said}")]


@rule("mentorship", version="2", kinds=PR_COMMENT_KINDS)
def classify_mentorship(row: dict) -> list[Hit]:
    """Substantive review/comment on the PR of a less senior or newer (< 180 days) engineer.

    The reason describes the work, never the other person's HR data: no level, rank or start date, and
    not their name next to "less senior" or "newer" (issue 16: a report is read by its engineer, who must
    not learn a teammate's level or start date from it).
    """
    if not is_on_others_work(row) or not _is_substantive(row):
        return []
    mine, theirs = row.get("person_level_rank"), row.get("subject_level_rank")
    junior = mine is not None and theirs is not None and theirs < mine
    started, occurred = row.get("subject_start_date"), _day(row.get("occurred_at"))
    newer = started is not None and occurred is not None and 0 <= (occurred - started).days < MENTORSHIP_NEW_DAYS
    if not junior and not newer:
        return []
    who = "newer, less senior" if junior and newer else "less senior" if junior else "newer"
    what = {"review": "substantive review of", "review_comment": "inline comment on", "issue_comment": "comment on"}
    return [("mentorship", f"{what[row['kind']]} a {who} teammate's change")]


@rule("discussion", version="2", kinds=("issue_comment", "ticket_comment"))
def classify_discussion(row: dict) -> list[Hit]:
    """A comment on a PR or ticket that belongs to someone else."""
    if not is_on_others_work(row):
        return []
    where = "PR" if row["kind"] == "issue_comment" else "ticket"
    return [("collaboration.discussion", f"commented on someone else's {where}")]


_URL = re.compile(r"https?://[^\s)>\]]+")


@rule("review-links", version="1", kinds=PR_COMMENT_KINDS)
def classify_review_links(row: dict) -> list[Hit]:
    """A review or comment on someone else's PR that links to context (docs, code, issues)."""
    if not is_on_others_work(row):
        return []
    match = _URL.search(row.get("body") or "")
    if match is None:
        return []
    return [("review.knowledge_transfer", f"links {shorten(match.group(0), 80)} for context")]


# --- structure --------------------------------------------------------------


@rule(
    "cross-team",
    version="2",
    kinds=("pull_request", "review", "review_comment", "issue_comment", "ticket", "ticket_comment", "incident"),
)
def classify_cross_team(row: dict) -> list[Hit]:
    """Activity on a repo/project owned by a team other than the actor's (on the activity's date): one's own
    work there (a PR, a ticket, an incident role) is ``cross_team``; feedback on others' work there is
    ``cross_team.feedback`` — reviewing another team's PR is reach, not yet driving an initiative."""
    mine, owner = row.get("person_team_id"), row.get("container_team_id")
    if mine is None or owner is None or mine == owner:
        return []
    where = row.get("container") or "the container"
    if row.get("kind") in THREAD_FEEDBACK_KINDS:
        return [("cross_team.feedback", f"feedback on work in {where}, owned by {owner}, not their own team")]
    return [("cross_team", f"own work in {where}, owned by {owner}, not their own team")]


@rule("delivery", version="1", kinds=("pull_request", "ticket"))
def classify_delivery(row: dict) -> list[Hit]:
    """Merged PRs; resolved tickets, and whether they were resolved by their due date."""
    state = (row.get("state") or "").lower()
    if row["kind"] == "pull_request":
        return [("delivery.merged", "pull request state is merged")] if state == "merged" else []
    resolved = _day(row.get("resolved_at"))
    if resolved is None and state != "done":
        return []
    hits: list[Hit] = [
        ("delivery.resolved", f"resolved {resolved.isoformat()}" if resolved else "ticket status category is done")
    ]
    due = row.get("due_date")
    if resolved is not None and due is not None and resolved <= due:
        hits.append(("delivery.on_time", f"resolved {resolved.isoformat()}, due {due.isoformat()}"))
    return hits


@rule("project-role", version="1", kinds=("ticket",))
def classify_project_role(row: dict) -> list[Hit]:
    """Epics a person holds, and tickets linked to other teams' projects."""
    hits: list[Hit] = []
    if (row.get("issue_type") or "").strip().lower() == "epic":
        hits.append(("project.epic_lead", "assigned the epic (issue type Epic)"))
    links = row.get("cross_team_links") or 0
    if links > 0:
        hits.append(
            (
                "project.cross_team_dependency",
                f"{links} link{'s' if links != 1 else ''} to issues in other teams' projects",
            )
        )
    return hits


_INCIDENT_ROLES = {
    "declared": ("incident.declared", "declared the incident"),
    "commander": ("incident.commander", "incident commander / owner"),
    "assignee": ("incident.responder", "assigned to the incident"),
}


@rule("incident-role", version="1", kinds=("incident",))
def classify_incident_role(row: dict) -> list[Hit]:
    """The role a person held on an incident, and the postmortem its commander linked."""
    role = (row.get("role") or "").strip().lower()
    if role not in _INCIDENT_ROLES:
        return []
    label, reason = _INCIDENT_ROLES[role]
    severity = row.get("severity")
    hits: list[Hit] = [(label, f"{reason}{f' ({severity})' if severity else ''}")]
    postmortem = (row.get("postmortem_url") or "").strip()
    if role == "commander" and postmortem:
        hits.append(("incident.postmortem", f"commander of an incident with postmortem {postmortem}"))
    return hits


@rule("incident-followup", version="1", kinds=("ticket",))
def classify_incident_followup(row: dict) -> list[Hit]:
    """A finished ticket linked to an incident as its follow-up."""
    if row.get("is_incident_followup") and (row.get("state") or "").lower() == "done":
        return [("incident.followup_done", "incident follow-up ticket, status category done")]
    return []
