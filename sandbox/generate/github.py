"""GitHub activity for the generator: pull requests with files, labels, commits and their timeline."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from sandbox.generate import text
from sandbox.generate.commits import build_commits
from sandbox.generate.org import Company
from sandbox.generate.reviews import Ids, build_conversation
from sandbox.generate.timing import later, work_moment
from sandbox.world import Person, PullFile, PullRequest, Repo

KIND_WEIGHTS = {
    "feat": 30,
    "fix": 27,
    "refactor": 8,
    "docs": 6,
    "test": 6,
    "perf": 3,
    "build": 2,
    "ci": 3,
    "chore": 10,
    "revert": 1,
    "ml_experiment": 2,
    "toil": 1,
    "runbook": 1,
}
PERSONA_KINDS = {
    "playbook_keeper": ("runbook", 0.4),
    "toil_reducer": ("toil", 0.45),
    "ml_experimenter": ("ml_experiment", 0.5),
}
LABELS = {
    "feat": "enhancement",
    "fix": "bug",
    "docs": "documentation",
    "test": "tests",
    "perf": "performance",
    "build": "build",
    "ci": "ci",
    "refactor": "refactor",
    "revert": "revert",
    "ml_experiment": "ml-experiment",
    "toil": "automation",
    "runbook": "documentation",
    "deps": "dependencies",
}
LEVEL_RATE = {"IC1": 0.6, "IC2": 0.9, "IC3": 1.0, "IC4": 1.0, "IC5": 0.8, "IC6": 0.6, "M1": 0.12, "M2": 0.02}
MEDIAN_PRS_PER_MONTH = 8.5


@dataclass(frozen=True)
class Plan:
    created_at: dt.datetime
    author: str
    repo: str
    kind: str


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def build_pull_requests(c: Company, ids: Ids) -> list:
    """All PRs of the period, numbered per repo in creation order."""
    plans = sorted(plan_pull_requests(c), key=lambda p: (p.created_at, p.author, p.repo))
    people = c.by_login()
    next_number = {r.full_name: c.rng.randrange(40, 900) for r in c.repos}
    prs = []
    for plan in plans:
        number = next_number[plan.repo]
        next_number[plan.repo] += 1 + (c.rng.random() < 0.15)  # issues share the number space
        prs.append(_build_pr(c, plan, number, ids, people))
    return prs


def plan_pull_requests(c: Company) -> list[Plan]:
    rng = c.rng
    months = (c.end - c.start).days / 30.4
    plans: list[Plan] = []
    for person in c.humans():
        begin, until = c.active_from(person), c.active_until(person)
        if until <= begin:
            continue
        share = (until - begin) / (c.end - c.start)
        rate = rng.lognormvariate(math.log(MEDIAN_PRS_PER_MONTH), 1.0) * LEVEL_RATE.get(person.level, 1.0)
        if person.deleted or set(person.personas) - {"newcomer"} or person.team_changes or person.level_changes:
            rate = max(rate, MEDIAN_PRS_PER_MONTH)  # planted people must leave evidence to find
        if "newcomer" in person.personas:
            rate *= 0.6
            begin += dt.timedelta(days=3)  # laptop, access, onboarding
        for _ in range(poisson(rng, rate * months * share)):
            created = work_moment(rng, person.timezone, begin, until)
            if created is not None:
                full_name = _pick_repo(c, person, created).full_name
                plans.append(Plan(created, person.login, full_name, _pick_kind(rng, person)))
    for repo in c.repos:
        if repo.archived:
            continue
        bot = "dependabot[bot]" if rng.random() < 0.6 else "renovate[bot]"
        for _ in range(poisson(rng, 1.6 * months)):
            created = c.start + (c.end - c.start) * rng.random()
            plans.append(Plan(created.replace(microsecond=0), bot, repo.full_name, "deps"))
    return plans


def _pick_repo(c: Company, person: Person, when: dt.datetime) -> Repo:
    """Mostly a repo of the team ``person`` is in at ``when`` (movers switch repos with their team)."""
    rng = c.rng
    team = c.team_on(person, when)
    own = c.team_repos(team)
    away = 0.45 if "cross_team_driver" in person.personas else 0.06
    if not own or rng.random() < away:
        active = c.team_repos(None)
        if any(r.owner_team != team for r in active):
            while True:  # another team's repo, uniformly
                repo = rng.choice(active)
                if repo.owner_team != team:
                    return repo
    return rng.choice(own)


def _pick_kind(rng: random.Random, person: Person) -> str:
    for persona in person.personas:
        if persona in PERSONA_KINDS and rng.random() < PERSONA_KINDS[persona][1]:
            return PERSONA_KINDS[persona][0]
    return rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]


def _build_pr(c: Company, plan: Plan, number: int, ids: Ids, people: dict[str, Person]) -> PullRequest:
    rng = c.rng
    title, body, files, labels = _content(c, plan)
    pr = PullRequest(
        id=ids.next("pr"),
        repo=plan.repo,
        number=number,
        author=plan.author,
        title=title,
        body=body,
        created_at=plan.created_at,
        updated_at=plan.created_at,
        labels=labels,
        files=files,
    )
    author = people[plan.author]
    if not author.is_bot and c.end - plan.created_at < dt.timedelta(days=10) and rng.random() < 0.3:
        pr.draft = True
        build_commits(c, pr, author)
        return pr
    last = build_conversation(c, pr, author, ids, people)
    outcome = rng.random()
    approved = any(r.state == "APPROVED" for r in pr.reviews)
    closer_tz = None if author.is_bot else author.timezone
    if approved and outcome < 0.9:
        pr.merged_at = later(rng, closer_tz, last, 1.2, c.end, sigma=1.2)
        pr.closed_at = pr.merged_at
    elif outcome > 0.93 or (author.is_bot and outcome > 0.85):
        pr.closed_at = later(rng, closer_tz, last, 30.0, c.end, sigma=1.0)
    pr.updated_at = max([pr.created_at, last] + [t for t in (pr.closed_at,) if t])
    build_commits(c, pr, author)
    return pr


def _content(c: Company, plan: Plan) -> tuple[str, str, list[PullFile], list[str]]:
    rng = c.rng
    kind = plan.kind
    if kind == "deps":
        title = text.pick_dependency_update(rng)
        body = "Updates the dependency to the latest version.\n\nRelease notes and compatibility score are attached."
        files = _spread(rng, ["requirements.txt", "constraints.txt"][: rng.randrange(1, 3)], 4, 3)
        return title, body, files, ["dependencies"]
    if kind in ("runbook", "toil", "ml_experiment"):
        compose = {
            "runbook": text.compose_runbook,
            "toil": text.compose_toil,
            "ml_experiment": text.compose_experiment,
        }[kind]
        title, body, stem = compose(rng)
        files = _special_files(c, plan.repo, kind, stem)
    else:
        commit = text.pick_commit(rng, kind)
        title = text.pr_title_from_commit(rng, commit)
        body = commit.body
        if not body and rng.random() < 0.35:
            body = text.pick_ticket(rng)[1]
        files = _code_files(c, plan.repo, kind, commit)
    labels = [LABELS[kind]] if kind in LABELS and rng.random() < 0.85 else []
    if kind == "ml_experiment" and "ml-experiment" not in labels:
        labels.append("ml-experiment")
    if rng.random() < 0.05:
        labels.append(rng.choice(("needs-review", "good first issue", "breaking-change", "do-not-merge")))
    return title, body, files, labels


def _code_files(c: Company, repo: str, kind: str, commit: text.Commit) -> list[PullFile]:
    rng = c.rng
    pkg = repo.split("/", 1)[1].replace("-", "_")
    modules = c.modules[repo]
    n = max(1, min(commit.files, 9))
    mods = rng.sample(modules, min(n, len(modules)))
    if kind in ("feat", "fix", "perf", "refactor", "revert", "chore"):
        paths = [f"src/{pkg}/{m}.py" for m in mods]
        if kind in ("feat", "fix") and rng.random() < 0.6:
            paths.append(f"tests/test_{mods[0]}.py")
        if kind == "chore" and rng.random() < 0.5:
            paths[-1] = rng.choice((".pre-commit-config.yaml", "setup.cfg", ".gitignore", "CODEOWNERS"))
    elif kind == "test":
        paths = [f"tests/test_{m}.py" for m in mods] + (["tests/conftest.py"] if rng.random() < 0.3 else [])
    elif kind == "docs":
        paths = [f"docs/{m}.md" for m in mods[:3]] + (["README.md"] if rng.random() < 0.4 else [])
    elif kind == "build":
        paths = rng.sample(
            ["pyproject.toml", "Dockerfile", "requirements.txt", "Makefile", "uv.lock"], rng.randrange(1, 4)
        )
    else:  # ci
        paths = rng.sample(
            [
                ".github/workflows/ci.yml",
                ".github/workflows/lint.yml",
                ".github/workflows/nightly.yml",
                ".github/workflows/release.yml",
            ],
            rng.randrange(1, 3),
        )
    files = _spread(rng, paths, min(commit.additions, 1500) or rng.randrange(1, 30), min(commit.deletions, 900))
    for f in files:
        if f.path.startswith("tests/test_") and kind in ("feat", "test") and rng.random() < 0.3:
            f.status, f.deletions = "added", 0
    return files


def _special_files(c: Company, repo: str, kind: str, stem: str) -> list[PullFile]:
    rng = c.rng
    mod = rng.choice(c.modules[repo])
    if kind == "runbook":
        folder = rng.choice(("docs/runbooks", "docs/runbooks", "docs/playbooks"))
        files = [
            PullFile(
                path=f"{folder}/{stem}.md",
                additions=rng.randrange(20, 220),
                deletions=rng.randrange(0, 30),
                status=rng.choice(("added", "modified")),
            )
        ]
        if rng.random() < 0.4:
            files.append(
                PullFile(path=f"{folder}/README.md", additions=rng.randrange(1, 6), deletions=rng.randrange(0, 2))
            )
    elif kind == "toil":
        files = [
            PullFile(path=f"scripts/{stem}.py", additions=rng.randrange(30, 250), status="added"),
            PullFile(path=f"cron/{stem}.yaml", additions=rng.randrange(8, 30), status="added"),
        ]
        if rng.random() < 0.3:
            files.append(
                PullFile(
                    path=".github/workflows/scheduled-cleanup.yml",
                    additions=rng.randrange(5, 20),
                    deletions=rng.randrange(0, 5),
                )
            )
    else:
        files = [
            PullFile(path=f"experiments/{stem}/config.yaml", additions=rng.randrange(15, 80), status="added"),
            PullFile(path=f"training/{mod}.py", additions=rng.randrange(5, 200), deletions=rng.randrange(0, 60)),
        ]
        if rng.random() < 0.5:
            files.append(PullFile(path=f"eval/{stem}.md", additions=rng.randrange(10, 60), status="added"))
    return files


def _spread(rng: random.Random, paths: list[str], additions: int, deletions: int) -> list[PullFile]:
    """Split line counts over ``paths`` with random weights (first file gets the most)."""
    paths = list(dict.fromkeys(paths))
    weights = sorted((rng.random() + 0.05 for _ in paths), reverse=True)
    total = sum(weights)
    return [
        PullFile(
            path=p,
            additions=max(1 if additions else 0, round(additions * w / total)),
            deletions=round(deletions * w / total),
        )
        for p, w in zip(paths, weights)
    ]
