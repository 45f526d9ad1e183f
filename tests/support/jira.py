"""What the Jira miner must produce for a world, written from the world file, field by field; and the
tiny world's Jira as the miner tests read it (a flavour, the service account's client, a mining run)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from jira import JIRA

from miners.jira.miner import mine_jira
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
PROJECTS = ("ML", "SRCH")


def flavoured_world(flavour: str):
    """``tiny_world`` served as Jira ``flavour`` (``cloud`` or ``datacenter``)."""
    world = tiny_world()
    world.jira_flavour = flavour
    return world


def service_client(server: SandboxServer, token: str = "tok-service") -> JIRA:
    """The real ``jira`` client on the sandbox's Jira, as the sync's service account (no client retries)."""
    return JIRA(server=server.jira_url, basic_auth=("ladder-sync@example.com", token), max_retries=0)


def mine_projects(client, cursors=None, **kwargs) -> list:
    """Every batch ``mine_jira`` yields for ``PROJECTS``, stamped ``FETCHED``."""
    return list(mine_jira(client, PROJECTS, cursors or {}, now=lambda: FETCHED, **kwargs))


PHRASES = {
    "Blocks": ("blocks", "is blocked by"),
    "Causes": ("causes", "is caused by"),
    "Relates": ("relates to", "relates to"),
}


IGNORED = {"fetched_at", "raw", "url", "source", "partition"}


def comparable(record) -> dict:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in IGNORED}


def _login_by_name(world, name: str | None, login: str | None) -> str | None:
    """Who a changelog entry names: the world's login when it has one, else the first person with that name."""
    if login or name is None:
        return login
    return next((p.login for p in world.people if p.name == name), None)


def expected_records(world, now: dt.datetime) -> dict[tuple[str, str], dict]:
    """What the miner must return for ``world`` as of ``now``: written from the world, field by field."""
    acc = {p.login: p.jira_account_id for p in world.people}
    visible = {i.key for i in world.jira_issues if i.created <= now}
    out: dict[tuple[str, str], dict] = {}
    for i in world.jira_issues:
        if i.key not in visible:
            continue
        assert i.updated <= now, "expected values assume fully visible issues"
        out[("raw_jira_issues", i.key)] = dict(
            source_id=i.key,
            updated_at=i.updated,
            key=i.key,
            issue_id=i.id,
            project=i.project,
            issue_type=i.issue_type,
            summary=i.summary,
            description=i.description or None,
            status=i.status,
            status_category=i.status_category,
            priority=i.priority,
            reporter_id=acc[i.reporter],
            assignee_id=acc.get(i.assignee),
            created_at=i.created,
            resolved_at=i.resolved,
            due_date=i.due_date,
            labels=tuple(i.labels),
            components=tuple(i.components),
            parent_key=i.parent,
            is_incident=i.issue_type == "Incident",
            severity=i.severity,
            commander_id=acc.get(i.commander),
            postmortem_url=i.postmortem_url,
        )
        for link in i.links:
            if link.other in visible:
                sid = f"{i.key}:{link.direction}:{link.type}:{link.other}"
                phrase = PHRASES[link.type][0 if link.direction == "outward" else 1]
                out[("raw_jira_links", sid)] = dict(
                    source_id=sid,
                    updated_at=None,
                    issue_key=i.key,
                    link_type=link.type,
                    direction=link.direction,
                    description=phrase,
                    other_key=link.other,
                )
        for c in i.comments:
            sid = f"{i.key}:{c.id}"
            out[("raw_jira_comments", sid)] = dict(
                source_id=sid,
                updated_at=c.updated,
                issue_key=i.key,
                comment_id=c.id,
                author_id=acc[c.author],
                body=c.body,
                created_at=c.created,
            )
        seen: dict[str, int] = {}
        for change in i.changelog:
            index = seen[change.id] = seen.get(change.id, -1) + 1
            sid = f"{i.key}:{change.id}:{index}"
            out[("raw_jira_changes", sid)] = dict(
                source_id=sid,
                updated_at=change.created,
                issue_key=i.key,
                history_id=change.id,
                item_index=index,
                author_id=acc[change.author],
                changed_at=change.created,
                field_name=change.field,
                from_value=change.from_string,
                to_value=change.to_string,
            )
        if i.issue_type == "Incident":
            out.update(_expected_incident(world, i, visible, acc))
    return out


def _expected_incident(world, i, visible: set[str], acc: dict[str, str]) -> dict[tuple[str, str], dict]:
    mitigated = [c.created for c in i.changelog if c.field == "status" and c.to_string in ("Mitigated", "Monitoring")]
    out = {
        ("raw_jira_incidents", i.key): dict(
            source_id=i.key,
            updated_at=i.updated,
            issue_key=i.key,
            project=i.project,
            severity=i.severity,
            declared_by_id=acc[i.reporter],
            commander_id=acc.get(i.commander),
            opened_at=i.created,
            mitigated_at=min(mitigated) if mitigated else None,
            resolved_at=i.resolved,
            postmortem_url=i.postmortem_url,
            followup_keys=tuple(
                sorted(
                    link.other
                    for link in i.links
                    if link.type == "Causes" and link.direction == "outward" and link.other in visible
                )
            ),
        )
    }
    changes = sorted((c for c in i.changelog if c.field == "assignee"), key=lambda c: c.created)
    assignees = [(i.created, i.assignee)]
    if changes:
        assignees = [(i.created, _login_by_name(world, changes[0].from_string, changes[0].from_login))]
        assignees += [(c.created, _login_by_name(world, c.to_string, c.to_login)) for c in changes[:-1]]
        assignees.append((changes[-1].created, i.assignee))
    roles = {"declared": [(i.created, i.reporter)], "commander": [(i.created, i.commander)], "assignee": assignees}
    for role, held in roles.items():
        ends = [start for start, _ in held[1:]] + [None]
        kept = [(start, login, end) for (start, login), end in zip(held, ends) if login is not None]
        for seq, (start, login, end) in enumerate(kept):
            sid = f"{i.key}:{role}:{seq}"
            out[("raw_jira_incident_roles", sid)] = dict(
                source_id=sid,
                updated_at=i.updated,
                issue_key=i.key,
                role=role,
                seq=seq,
                person_id=acc[login],
                started_at=start,
                ended_at=end,
            )
    return out
