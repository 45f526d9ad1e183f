"""Jira activity for the generator: epics, stories, sub-tasks, bugs, incidents, follow-ups and links."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Literal

from sandbox.generate import text
from sandbox.generate.github import poisson
from sandbox.generate.org import Company
from sandbox.generate.timing import later, minutes_after, work_moment
from sandbox.world import JiraChange, JiraComment, JiraIssue, JiraLink, Person

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
_FOLLOWUPS = (
    "Add an alert for {s}",
    "Add a timeout and retry budget to {s}",
    "Load-test {s} at 2x peak",
    "Backfill data lost during the {s} incident",
    "Document recovery steps for {s}",
    "Add a canary stage to {s} deploys",
    "Cap memory of {s} workers",
    "Add a circuit breaker in {s}",
)


class JiraIds(collections.Counter):
    """Counters for comment, history and link ids."""

    def next(self, kind: str) -> str:
        self[kind] += 1
        return str({"comment": 40000, "change": 30000, "link": 50000}[kind] + self[kind])


def build_jira_issues(c: Company) -> list[JiraIssue]:
    """All tickets of the period, keyed per project in creation order."""
    ids = JiraIds()
    issues: list[JiraIssue] = []
    temp: collections.Counter[str] = collections.Counter()

    def new(project: str, **fields) -> JiraIssue:
        temp[project] += 1
        issue = JiraIssue(id="0", key=f"{project}-T{temp[project]}", project=project, **fields)
        issues.append(issue)
        return issue

    for team in c.delivery_teams():
        project = c.project_of(team.id).key
        members = [p for p in c.members_ever(team.id) if _until(c, p, team.id) > _from(c, p, team.id)]
        ics = [p for p in members if p.level.startswith("IC")] or members
        _epics(c, new, project, members, ics, ids)
        _standalone(c, new, project, ics, ids)
        _incidents(c, new, project, members, ids)
    _cross_team_blocks(c, issues, ids)
    return _renumber(issues)


def _from(c: Company, person: Person, team: str) -> dt.datetime:
    return c.stint(person, team)[0]


def _until(c: Company, person: Person, team: str) -> dt.datetime:
    return c.stint(person, team)[1]


def _team_of(c: Company, project: str) -> str:
    return next(p.owner_team for p in c.projects if p.key == project)


def _lifecycle(
    c: Company, issue: JiraIssue, assignee: Person | None, ids: JiraIds, *, closer: Person | None = None
) -> None:
    """Walk a ticket through To Do -> In Progress -> (In Review) -> Done as far as the period allows."""
    rng = c.rng
    worker = assignee or closer
    if worker is None:
        return
    until = c.active_until(worker)
    steps = [("In Progress", 30.0)] + ([("In Review", 20.0)] if rng.random() < 0.4 else []) + [("Done", 40.0)]
    at = max([issue.created] + [ch.created for ch in issue.changelog])
    for status, median in steps:
        nxt = later(rng, worker.timezone, at, median, until)
        if nxt is None:
            break
        issue.changelog.append(
            JiraChange(
                id=ids.next("change"),
                author=(closer or worker).login if status == "Done" else worker.login,
                created=nxt,
                field="status",
                from_string=issue.status,
                to_string=status,
            )
        )
        issue.status, at = status, nxt
        issue.status_category = "done" if status == "Done" else "indeterminate"
        if status == "Done":
            issue.resolved = nxt


def _comments(c: Company, issue: JiraIssue, pool: list[Person], ids: JiraIds, mean: float = 1.2) -> None:
    rng = c.rng
    at = issue.created
    for _ in range(poisson(rng, mean)):
        who = rng.choice(pool)
        step = later(rng, who.timezone, at, 18.0, c.active_until(who))
        if step is None:
            return
        at = step
        body = (
            text.pick_ticket(rng)[1]
            if rng.random() < 0.4
            else text.pick_review_text(rng, ("Question", "Support", "Solution Approach"))
        )
        issue.comments.append(
            JiraComment(id=ids.next("comment"), author=who.login, body=body or "+1", created=at, updated=at)
        )


def _ticket(
    c: Company,
    new,
    project: str,
    kind: str,
    reporter: Person,
    assignee: Person,
    start: dt.datetime,
    ids: JiraIds,
    pool: list[Person],
    parent: str | None = None,
    latest: dt.datetime | None = None,
    reassign: bool = True,
) -> JiraIssue | None:
    rng = c.rng
    team = _team_of(c, project)  # people work on their team's project while they are in the team
    created = work_moment(
        rng,
        reporter.timezone,
        max(start, _from(c, reporter, team), _from(c, assignee, team)),
        min(_until(c, reporter, team), _until(c, assignee, team), latest or c.end),
    )
    if created is None:
        return None
    summary, description = text.pick_ticket(rng)
    issue = new(
        project,
        issue_type=kind,
        summary=summary,
        description=description,
        status="To Do",
        status_category="new",
        priority=rng.choices(("Lowest", "Low", "Medium", "High", "Highest"), (0.05, 0.2, 0.5, 0.2, 0.05))[0],
        reporter=reporter.login,
        assignee=assignee.login,
        created=created,
        updated=created,
        parent=parent,
        labels=rng.sample(("tech-debt", "q4-okr", "customer", "oncall", "ml", "data"), rng.randrange(0, 2)),
    )
    if kind in ("Story", "Task") and rng.random() < 0.3:
        issue.due_date = (created + dt.timedelta(days=rng.randrange(5, 25))).date()
    if reassign and rng.random() < 0.12:  # re-assigned once before work starts
        other = rng.choice(pool)
        at = later(rng, reporter.timezone, created, 10.0, c.end)
        if at is not None and other.login != assignee.login and _from(c, other, team) <= at <= _until(c, other, team):
            issue.changelog.append(
                JiraChange(
                    id=ids.next("change"),
                    author=reporter.login,
                    created=at,
                    field="assignee",
                    from_string=assignee.name,
                    to_string=other.name,
                )
            )
            issue.assignee, assignee, issue.updated = other.login, other, at
    _lifecycle(c, issue, assignee, ids)
    _comments(c, issue, pool, ids)
    return issue


def _epics(c: Company, new, project: str, members: list[Person], ics: list[Person], ids: JiraIds) -> None:
    rng = c.rng
    months = (c.end - c.start).days / 30.4
    manager = next((p for p in members if p.level.startswith("M")), members[0])
    leads = [p for p in members if "project_lead" in p.personas]
    seniors = [p for p in ics if p.level in ("IC4", "IC5", "IC6")] or ics
    n_epics = max(1, round(len(members) * months / 4))
    for i in range(n_epics):
        owner = leads[i % len(leads)] if leads and i < 2 * len(leads) else rng.choice(seniors + [manager])
        epic = _ticket(
            c,
            new,
            project,
            "Epic",
            manager,
            owner,
            c.start,
            ids,
            members,
            latest=c.start + (c.end - c.start) * 0.6,
            reassign=False,
        )
        if epic is None:
            continue
        epic.changelog.clear()  # epics move with their children, below
        epic.status, epic.status_category, epic.resolved = "To Do", "new", None
        children = rng.randrange(10, 17) if owner in leads else rng.randrange(3, 9)
        kids = []
        for _ in range(children):
            assignee = owner if owner in leads and rng.random() < 0.25 else rng.choice(ics)
            kind = rng.choices(("Story", "Task", "Bug"), (0.55, 0.3, 0.15))[0]
            kid = _ticket(
                c,
                new,
                project,
                kind,
                owner if rng.random() < 0.6 else manager,
                assignee,
                epic.created,
                ids,
                members,
                parent=epic.key,
            )
            if kid is not None:
                kids.append(kid)
                if kind == "Story" and rng.random() < 0.2:
                    for _ in range(rng.randrange(1, 4)):
                        _ticket(
                            c,
                            new,
                            project,
                            "Sub-task",
                            assignee,
                            rng.choice([assignee] + ics),
                            kid.created,
                            ids,
                            members,
                            parent=kid.key,
                        )
        started = [k.changelog[0].created for k in kids if k.changelog and k.changelog[0].field == "status"]
        if started:
            first = min(started)
            epic.changelog.append(
                JiraChange(
                    id=ids.next("change"),
                    author=owner.login,
                    created=first,
                    field="status",
                    from_string="To Do",
                    to_string="In Progress",
                )
            )
            epic.status, epic.status_category = "In Progress", "indeterminate"
        kids_resolved = [k.resolved for k in kids if k.resolved is not None]
        if kids and len(kids_resolved) == len(kids):
            done = later(rng, owner.timezone, max(kids_resolved), 24.0, c.active_until(owner))
            if done is not None and epic.status == "In Progress":
                epic.changelog.append(
                    JiraChange(
                        id=ids.next("change"),
                        author=owner.login,
                        created=done,
                        field="status",
                        from_string="In Progress",
                        to_string="Done",
                    )
                )
                epic.status, epic.status_category, epic.resolved = "Done", "done", done


def _standalone(c: Company, new, project: str, ics: list[Person], ids: JiraIds) -> None:
    rng = c.rng
    months = (c.end - c.start).days / 30.4
    team = _team_of(c, project)
    for person in ics:
        share = (_until(c, person, team) - _from(c, person, team)) / (c.end - c.start)
        for _ in range(poisson(rng, 4.6 * months * share)):
            kind = rng.choices(("Story", "Task", "Bug"), (0.35, 0.4, 0.25))[0]
            reporter = person if rng.random() < 0.5 else rng.choice(ics)
            _ticket(c, new, project, kind, reporter, person, c.start, ids, ics)


def _incidents(c: Company, new, project: str, members: list[Person], ids: JiraIds) -> None:
    rng = c.rng
    months = (c.end - c.start).days / 30.4
    owners = [p for p in c.with_persona("sev_owner") if not p.deleted]
    seniors = [p for p in members if p.level in ("IC3", "IC4", "IC5", "IC6")] or members
    team = _team_of(c, project)
    for _ in range(poisson(rng, 1.0 * months)):
        created = (c.start + (c.end - c.start) * rng.uniform(0.02, 0.97)).replace(microsecond=0)
        on_call = [p for p in members if _from(c, p, team) <= created <= _until(c, p, team)]
        if not on_call:
            continue
        reporter = rng.choice(on_call)
        home_owner = [p for p in owners if p.team == team]
        if owners and rng.random() < (0.8 if home_owner else 0.45):
            commander = rng.choice(home_owner or owners)
        else:
            commander = rng.choice([p for p in seniors if p in on_call] or on_call)
        severity = rng.choices(SEVERITIES, (0.08, 0.25, 0.4, 0.27))[0]
        service = rng.choice([r.name for r in c.team_repos(team)] or [team])
        summary, description = text.compose_incident(rng, service, severity)
        incident = new(
            project,
            issue_type="Incident",
            summary=summary,
            description=description,
            status="Open",
            status_category="new",
            priority="Highest" if severity in ("SEV1", "SEV2") else "High",
            reporter=reporter.login,
            assignee=commander.login,
            created=created,
            updated=created,
            severity=severity,
            commander=commander.login,
            components=[service],
            labels=["incident"],
        )
        at = created
        for status, lo, hi in (("Investigating", 3, 25), ("Mitigated", 20, 240), ("Resolved", 30, 600)):
            step = minutes_after(rng, at, lo, hi, c.end)
            if step is None:
                break
            at = step
            incident.changelog.append(
                JiraChange(
                    id=ids.next("change"),
                    author=commander.login,
                    created=at,
                    field="status",
                    from_string=incident.status,
                    to_string=status,
                )
            )
            incident.status = status
            incident.status_category = "done" if status == "Resolved" else "indeterminate"
        if incident.status != "Resolved":
            continue
        incident.resolved = at
        pm_odds = {"SEV1": 1.0, "SEV2": 1.0, "SEV3": 0.4, "SEV4": 0.1}[severity]
        if commander in owners:
            pm_odds = max(pm_odds, 0.85)
        pm_at = later(rng, commander.timezone, at, 40.0, c.active_until(commander), sigma=0.6)
        if pm_at is not None and rng.random() < pm_odds:
            url = f"https://wiki.{c.org}.test/postmortems/{created:%Y-%m-%d}-{text.slug(service)}-{severity.lower()}"
            incident.postmortem_url = url
            incident.comments.append(
                JiraComment(
                    id=ids.next("comment"),
                    author=commander.login,
                    body=f"Postmortem is up: {url}",
                    created=pm_at,
                    updated=pm_at,
                )
            )
        _comments(c, incident, on_call, ids, mean=1.5)
        for _ in range(rng.randrange(1, 4 if severity in ("SEV1", "SEV2") else 3)):
            _followup(c, new, project, incident, commander, on_call, service, ids)


def _followup(
    c: Company,
    new,
    project: str,
    incident: JiraIssue,
    commander: Person,
    pool: list[Person],
    service: str,
    ids: JiraIds,
) -> None:
    rng = c.rng
    assert incident.resolved is not None  # follow-ups are filed for resolved incidents only
    created = later(rng, commander.timezone, incident.resolved, 20.0, c.active_until(commander))
    if created is None:
        return
    is_owner = "sev_owner" in commander.personas
    assignee = commander if is_owner and rng.random() < 0.6 else rng.choice(pool)
    if not c.active_from(assignee) <= created <= c.active_until(assignee):
        assignee = commander
    summary = "Follow-up: " + rng.choice(_FOLLOWUPS).format(s=service)
    issue = new(
        project,
        issue_type=rng.choice(("Task", "Bug")),
        summary=summary,
        description=f"From the postmortem of the incident on {service}.",
        status="To Do",
        status_category="new",
        priority="High",
        reporter=commander.login,
        assignee=assignee.login,
        created=created,
        updated=created,
        labels=["incident-followup"],
    )
    _lifecycle(c, issue, assignee, ids, closer=commander if is_owner else None)
    link = ids.next("link")
    incident.links.append(JiraLink(id=link, type="Causes", direction="outward", other=issue.key))
    issue.links.append(JiraLink(id=link, type="Causes", direction="inward", other=incident.key))


def _cross_team_blocks(c: Company, issues: list[JiraIssue], ids: JiraIds) -> None:
    """Blocks links across projects (many for cross-team drivers), plus a few Relates links inside one."""
    rng = c.rng
    by_project: dict[str, list[JiraIssue]] = collections.defaultdict(list)
    for issue in issues:
        if issue.issue_type in ("Story", "Task", "Bug"):
            by_project[issue.project].append(issue)
    drivers = {p.login for p in c.with_persona("cross_team_driver")}
    everything = [i for lst in by_project.values() for i in lst]
    for issue in everything:
        driven = issue.assignee in drivers
        kind: Literal["Blocks", "Relates"]
        if rng.random() < (0.6 if driven else 0.03):
            kind, other = "Blocks", _pick(rng, everything, lambda i: i.project != issue.project)  # noqa: B023 (called here)
        elif rng.random() < 0.03:
            kind, other = "Relates", _pick(rng, by_project[issue.project], lambda i: i is not issue)  # noqa: B023
        else:
            continue
        if other is None:
            continue
        if any(link.other == other.key for link in issue.links):
            continue
        link, out = ids.next("link"), rng.random() < 0.5
        issue.links.append(JiraLink(id=link, type=kind, direction="outward" if out else "inward", other=other.key))
        other.links.append(JiraLink(id=link, type=kind, direction="inward" if out else "outward", other=issue.key))
        linked_at = max(issue.created, other.created) + dt.timedelta(minutes=rng.randrange(5, 600))
        for i in (issue, other):
            i.updated = max(i.updated, min(linked_at, c.end))


def _pick(rng, pool: list[JiraIssue], ok) -> JiraIssue | None:
    """A uniform pick among the ``ok`` issues of ``pool`` (rejection sampling; None when there is none)."""
    for _ in range(64):
        if not pool:
            return None
        candidate = rng.choice(pool)
        if ok(candidate):
            return candidate
    fitting = [i for i in pool if ok(i)]
    return rng.choice(fitting) if fitting else None


def _renumber(issues: list[JiraIssue]) -> list[JiraIssue]:
    """Give keys and ids in creation order (as Jira does) and settle ``updated``."""
    issues.sort(key=lambda i: (i.created, i.project, i.key))
    mapping: dict[str, str] = {}
    counters: collections.Counter[str] = collections.Counter()
    for index, issue in enumerate(issues):
        counters[issue.project] += 1
        mapping[issue.key] = f"{issue.project}-{counters[issue.project]}"
        issue.id = str(20000 + index)
    for issue in issues:
        issue.key = mapping[issue.key]
        issue.parent = mapping.get(issue.parent) if issue.parent else None
        for link in issue.links:
            link.other = mapping[link.other]
        times = [issue.created, issue.updated] + [x for x in (issue.resolved,) if x]
        times += [ch.created for ch in issue.changelog] + [cm.updated for cm in issue.comments]
        issue.updated = max(times)
    return issues
