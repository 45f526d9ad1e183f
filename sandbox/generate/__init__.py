"""Generate a whole synthetic company (a ``World``) from a seed.

``generate_world(seed=s)`` is a pure function of its arguments: it draws from
one ``random.Random(seed)`` in a fixed order and never reads the wall clock, so
the same arguments give a byte-identical ``dump_world``.  The pieces live in
``generate_org`` (teams, people, personas, repos, projects), ``generate_people``
(GitHub ids, e-mails, renamed logins, team moves and promotions),
``generate_github``, ``generate_reviews`` and ``generate_commits`` (PRs, their
conversations, review-request history and commits), ``generate_jira``
(tickets, incidents, links) and ``generate_text`` (the vendored corpus).
"""

from __future__ import annotations

import datetime as dt
import random

from sandbox.generate.github import build_pull_requests
from sandbox.generate.heavy import plant_heavy_tail
from sandbox.generate.jira import build_jira_issues
from sandbox.generate.org import PERSONAS, Company, build_org
from sandbox.generate.people import plant_career_moves, plant_identities
from sandbox.generate.reviews import Ids
from sandbox.world import Tokens, World

DEFAULT_END = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
DEFAULT_ORG = "acme"

__all__ = ["DEFAULT_END", "PERSONAS", "generate_world"]


def generate_world(
    engineers: int = 40, months: int = 3, seed: int = 0, *, end: dt.datetime | None = None, heavy_tail: float = 0.0
) -> World:
    """A realistic company of about ``engineers`` people and ``months`` of activity ending at ``end``.

    ``end`` defaults to 2026-10-01T00:00Z and becomes both ``period_end`` and
    ``now``; naive values are taken as UTC.  ``heavy_tail`` (a share, e.g. 0.03)
    grows that share of PRs and tickets past 100 files, timeline items, review
    comments, comments and changelog entries (``sandbox.generate.heavy``); 0
    leaves the world as it was.  Raises ValueError for sizes that cannot make a
    company.
    """
    if engineers < 3:
        raise ValueError(
            f"generate_world: engineers={engineers} is too small; use at least 3 (a director, a manager, an IC)"
        )
    if months < 1:
        raise ValueError(f"generate_world: months={months} must be at least 1")
    end = end or DEFAULT_END
    end = end.replace(tzinfo=dt.timezone.utc) if end.tzinfo is None else end.astimezone(dt.timezone.utc)
    end = end.replace(microsecond=0)
    start = _months_before(end, months)
    company = Company(rng=random.Random(seed), org=DEFAULT_ORG, start=start, end=end)
    build_org(company, engineers)
    plant_identities(company)
    plant_career_moves(company, engineers)
    pull_requests = build_pull_requests(company, Ids())
    jira_issues = build_jira_issues(company)
    if not 0.0 <= heavy_tail <= 1.0:
        raise ValueError(f"generate_world: heavy_tail={heavy_tail} must be a share between 0 and 1")
    plant_heavy_tail(seed, heavy_tail, pull_requests, jira_issues)
    return World(
        name=f"generated-{engineers}x{months}m-seed{seed}" + (f"-heavy{heavy_tail:g}" if heavy_tail else ""),
        seed=seed,
        org=company.org,
        period_start=start,
        period_end=end,
        now=end,
        tokens=Tokens(
            service="sbx-service", service_login="ladder-sync", service_jira_email=f"ladder-sync@{company.org}.test"
        ),
        teams=company.teams,
        people=company.people,
        repos=company.repos,
        pull_requests=pull_requests,
        jira_projects=company.projects,
        jira_issues=jira_issues,
    )


def _months_before(end: dt.datetime, months: int) -> dt.datetime:
    month_index = end.year * 12 + end.month - 1 - months
    day = min(end.day, 28)
    return end.replace(year=month_index // 12, month=month_index % 12 + 1, day=day)
