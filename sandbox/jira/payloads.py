"""Jira-shaped JSON for the sandbox: users, fields, projects, issues, comments, changelogs.

Pure functions from the world (as of the sandbox clock) to the payloads Jira
Cloud and Data Center return.  Differences the real clients and our miner must
cope with are reproduced on purpose:

- Cloud users carry ``accountId``; Data Center users carry ``key`` and
  ``name`` instead (we serve ``key = jira_account_id``, ``name = login``).
- ``/rest/api/3`` renders rich text (description, comment body) as Atlassian
  Document Format; ``/rest/api/2`` as plain strings.
- Cloud puts the epic in ``parent``; Data Center only uses ``parent`` for
  sub-tasks and keeps the epic in the "Epic Link" custom field.
- Timestamps are rendered in the caller's time zone, ``+0800`` style.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sandbox.world import JiraChange, JiraComment, JiraIssue, Person, World

# Custom fields: (id, name, schema).  Ids follow Jira Cloud's usual numbering.
SEVERITY_FIELD = "customfield_10040"
COMMANDER_FIELD = "customfield_10041"
POSTMORTEM_FIELD = "customfield_10042"
STORY_POINTS_FIELD = "customfield_10016"
EPIC_LINK_FIELD = "customfield_10014"

_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
CUSTOM_FIELDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (SEVERITY_FIELD, "Severity", {"type": "option", "custom": _CF + "select"}),
    (COMMANDER_FIELD, "Incident commander", {"type": "user", "custom": _CF + "userpicker"}),
    (POSTMORTEM_FIELD, "Postmortem link", {"type": "string", "custom": _CF + "url"}),
    (STORY_POINTS_FIELD, "Story Points", {"type": "number", "custom": _CF + "float"}),
    (EPIC_LINK_FIELD, "Epic Link", {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link"}),
)

SYSTEM_FIELDS: tuple[tuple[str, str, str], ...] = (  # id, name, schema type
    ("summary", "Summary", "string"),
    ("description", "Description", "string"),
    ("issuetype", "Issue Type", "issuetype"),
    ("project", "Project", "project"),
    ("status", "Status", "status"),
    ("priority", "Priority", "priority"),
    ("reporter", "Reporter", "user"),
    ("assignee", "Assignee", "user"),
    ("creator", "Creator", "user"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
    ("resolutiondate", "Resolved", "datetime"),
    ("resolution", "Resolution", "resolution"),
    ("duedate", "Due date", "date"),
    ("labels", "Labels", "array"),
    ("components", "Component/s", "array"),
    ("parent", "Parent", "issuelink"),
    ("issuelinks", "Linked Issues", "array"),
    ("comment", "Comment", "comments-page"),
)
NON_NAVIGABLE = frozenset({"comment"})  # left out of "*navigable", the DC search default
# Jira Cloud embeds only part of long lists in an issue (total says how many there are): the first
# comments of ``fields.comment`` and the first histories of ``expand=changelog``; the rest must be
# paged from issue/{key}/comment (100 a page) and the changelog endpoints.  Data Center embeds all.
CLOUD_EMBEDDED_COMMENTS = 20
CLOUD_EMBEDDED_HISTORIES = 40
CLOUD_COMMENT_PAGE = 100

LINK_PHRASES = {  # type name -> (outward, inward), as Jira shows them
    "Blocks": ("blocks", "is blocked by"),
    "Relates": ("relates to", "relates to"),
    "Causes": ("causes", "is caused by"),
}
ISSUE_TYPE_IDS = {
    "Epic": "10000",
    "Story": "10001",
    "Task": "10002",
    "Sub-task": "10003",
    "Bug": "10004",
    "Incident": "10005",
}
PRIORITY_IDS = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
CATEGORIES = {  # key -> (id, name, colour)
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
_DONE_NAMES = {"done", "resolved", "closed", "won't do", "cancelled"}
_NEW_NAMES = {"to do", "open", "backlog", "new", "selected for development"}


@dataclass(frozen=True)
class Render:
    """How to render for one request: where we are served, for whom, which API."""

    base: str  # e.g. http://127.0.0.1:5000/jira
    version: str  # "2", "3" or "latest"
    cloud: bool
    tz: dt.tzinfo

    @property
    def adf(self) -> bool:
        return self.version == "3"

    def api(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.version}/{path}"


def zone_for(person: Person | None) -> dt.tzinfo:
    """The time zone Jira renders and reads dates in for this caller (UTC for the service)."""
    if person is None:
        return dt.timezone.utc
    try:
        return ZoneInfo(person.timezone)
    except (KeyError, ValueError):
        return dt.timezone.utc


def render_time(when: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """Jira's timestamp style: ``2026-10-02T10:00:00.000+0000``."""
    if when is None:
        return None
    local = when.astimezone(tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def render_text(text: str | None, r: Render) -> Any:
    """Plain text on API v2, an Atlassian Document Format document on v3; empty is null."""
    if not text:
        return None
    if not r.adf:
        return text
    paragraphs = []
    for block in text.split("\n\n"):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def render_user(world: World, login: str | None, r: Render) -> dict[str, Any] | None:
    if login is None:
        return None
    try:
        p = world.person(login)
    except KeyError:
        return None
    out: dict[str, Any] = {
        "displayName": "Former user" if p.deleted else p.name,
        "active": not p.deleted,
        "timeZone": p.timezone,
        "avatarUrls": {"48x48": f"{r.base}/secure/useravatar?size=large&ownerId={p.jira_account_id}"},
    }
    if r.cloud:
        out["self"] = f"{r.base}/rest/api/{r.version}/user?accountId={p.jira_account_id}"
        out["accountId"] = p.jira_account_id
        out["accountType"] = "app" if p.is_bot else "atlassian"
    else:
        out["self"] = f"{r.base}/rest/api/{r.version}/user?username={p.login}"
        out["key"] = p.jira_account_id
        out["name"] = p.login
        if p.emails:
            out["emailAddress"] = p.emails[0]
    return out


def render_service_user(world: World, r: Render) -> dict[str, Any]:
    t = world.tokens
    out: dict[str, Any] = {
        "displayName": t.service_login,
        "active": True,
        "timeZone": "UTC",
        "emailAddress": t.service_jira_email,
    }
    if r.cloud:
        out.update(accountId=f"svc-{t.service_login}", accountType="app")
    else:
        out.update(key=f"svc-{t.service_login}", name=t.service_login)
    return out


def render_fields_list() -> list[dict[str, Any]]:
    """``GET /field``: system fields and our custom ones, with clause names."""
    out = []
    for fid, name, typ in SYSTEM_FIELDS:
        out.append(
            {
                "id": fid,
                "key": fid,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": fid not in NON_NAVIGABLE,
                "searchable": True,
                "clauseNames": [fid],
                "schema": {"type": typ, "system": fid},
            }
        )
    for fid, name, schema in CUSTOM_FIELDS:
        num = int(fid.rsplit("_", 1)[1])
        out.append(
            {
                "id": fid,
                "key": fid,
                "name": name,
                "untranslatedName": name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{num}]", name],
                "schema": {**schema, "customId": num},
            }
        )
    return out


def render_project(world: World, key: str, r: Render) -> dict[str, Any]:
    p = next(p for p in world.jira_projects if p.key == key)
    out = {
        "self": r.api(f"project/{p.id}"),
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
    }
    if p.lead:
        out["lead"] = render_user(world, p.lead, r)
    return out


# --- issues as of the sandbox clock ------------------------------------------


@dataclass(frozen=True)
class IssueView:
    """An issue as it looked at ``now``: later comments and history hidden, state rolled back."""

    issue: JiraIssue
    status: str
    status_category: str
    assignee: str | None
    resolved: dt.datetime | None
    updated: dt.datetime
    comments: tuple[JiraComment, ...]
    histories: tuple[tuple[str, str, dt.datetime, tuple[JiraChange, ...]], ...]  # id, author, created, items
    links: tuple[Any, ...]


def view_issue(world: World, issue: JiraIssue, now: dt.datetime, visible_keys: set[str]) -> IssueView:
    """The issue as of ``now`` (the caller checked that it was created by then)."""
    shown = [c for c in issue.changelog if c.created <= now]
    hidden = sorted((c for c in issue.changelog if c.created > now), key=lambda c: c.created)
    status, category, assignee = issue.status, issue.status_category, issue.assignee
    for field in ("status", "assignee"):
        first = next((c for c in hidden if c.field == field), None)
        if first is None:
            continue
        if field == "status" and first.from_string:
            status, category = first.from_string, _category_for(first.from_string)
        elif field == "assignee":
            assignee = first.from_login or _login_for_name(world, first.from_string)
    comments = tuple(c for c in issue.comments if c.created <= now)
    histories: dict[str, list[JiraChange]] = {}
    for change in shown:
        histories.setdefault(change.id, []).append(change)
    resolved = issue.resolved if issue.resolved is not None and issue.resolved <= now else None
    if issue.updated <= now:
        updated = issue.updated
    else:
        moments = [issue.created, *(min(c.updated, now) for c in comments), *(c.created for c in shown)]
        updated = max(moments + ([resolved] if resolved else []))
    return IssueView(
        issue=issue,
        status=status,
        status_category=category,
        assignee=assignee,
        resolved=resolved,
        updated=updated,
        comments=comments,
        histories=tuple((hid, items[0].author, items[0].created, tuple(items)) for hid, items in histories.items()),
        links=tuple(link for link in issue.links if link.other in visible_keys),
    )


def _category_for(status: str) -> Literal["new", "indeterminate", "done"]:
    name = status.lower()
    return "done" if name in _DONE_NAMES else "new" if name in _NEW_NAMES else "indeterminate"


def _login_for_name(world: World, display_name: str | None) -> str | None:
    if display_name is None:
        return None
    return next((p.login for p in world.people if p.name == display_name), None)


def render_comment(world: World, issue: JiraIssue, c: JiraComment, now: dt.datetime, r: Render) -> dict[str, Any]:
    author = render_user(world, c.author, r)
    return {
        "self": r.api(f"issue/{issue.id}/comment/{c.id}"),
        "id": c.id,
        "author": author,
        "body": render_text(c.body, r),
        "updateAuthor": author,
        "created": render_time(c.created, r.tz),
        "updated": render_time(c.updated if c.updated <= now else c.created, r.tz),
        "jsdPublic": True,
    }


def render_history(
    world: World, history: tuple[str, str, dt.datetime, tuple[JiraChange, ...]], r: Render
) -> dict[str, Any]:
    hid, author, created, items = history
    return {
        "id": hid,
        "author": render_user(world, author, r),
        "created": render_time(created, r.tz),
        "items": [_history_item(world, c, r) for c in items],
    }


def _history_item(world: World, c: JiraChange, r: Render) -> dict[str, Any]:
    """One changed field; user fields carry the user's id in from/to (accountId on Cloud, key on DC)."""
    ids: tuple[str | None, str | None] = (None, None)
    if c.field == "assignee":
        ids = (_user_ref(world, c.from_login, c.from_string), _user_ref(world, c.to_login, c.to_string))
    elif c.field == "status":
        ids = tuple(
            _status(s, _category_for(s), r)["id"] if s else None  # type: ignore[assignment]
            for s in (c.from_string, c.to_string)
        )
    return {
        "field": c.field,
        "fieldtype": "jira",
        "fieldId": c.field,
        "from": ids[0],
        "fromString": c.from_string,
        "to": ids[1],
        "toString": c.to_string,
    }


def _user_ref(world: World, login: str | None, display_name: str | None) -> str | None:
    """The API id of a user named in a change: by login when the world has it, else by display name."""
    login = login or _login_for_name(world, display_name)
    return world.person(login).jira_account_id if login else None


def _issue_ref(world: World, key: str, r: Render) -> dict[str, Any]:
    other = issue_by_key(world, key)
    if other is None:
        raise LookupError(f"no Jira issue {key!r} in the world (a link or parent names an unknown key)")
    return {
        "id": other.id,
        "key": other.key,
        "self": r.api(f"issue/{other.id}"),
        "fields": {"summary": other.summary, "issuetype": _issue_type(other.issue_type, r)},
    }


_INDEX: dict[int, tuple[int, dict[str, JiraIssue]]] = {}  # id(world.jira_issues) -> (length, key -> issue)


def issue_by_key(world: World, key: str) -> JiraIssue | None:
    """The world's issue with ``key`` (an index rebuilt whenever the issue list grows or shrinks)."""
    issues = world.jira_issues
    cached = _INDEX.get(id(issues))
    if cached is None or cached[0] != len(issues) or (key in cached[1] and cached[1][key].key != key):
        cached = (len(issues), {i.key: i for i in issues})
        _INDEX.clear()  # one world served at a time in practice; keep the cache small
        _INDEX[id(issues)] = cached
    return cached[1].get(key)


def _issue_type(name: str, r: Render) -> dict[str, Any]:
    tid = ISSUE_TYPE_IDS.get(name, "10099")
    return {"self": r.api(f"issuetype/{tid}"), "id": tid, "name": name, "subtask": name == "Sub-task"}


def _status(name: str, category: str, r: Render) -> dict[str, Any]:
    cid, cname, colour = CATEGORIES[category]
    sid = str(10000 + zlib.crc32(name.encode()) % 1000)
    return {
        "self": r.api(f"status/{sid}"),
        "id": sid,
        "name": name,
        "statusCategory": {"id": cid, "key": category, "name": cname, "colorName": colour},
    }


def _option(value: str | None, r: Render) -> dict[str, Any] | None:
    """A select-list custom field value."""
    if value is None:
        return None
    oid = str(10100 + zlib.crc32(value.encode()) % 1000)
    return {"self": r.api(f"customFieldOption/{oid}"), "value": value, "id": oid}


def render_all_fields(world: World, view: IssueView, now: dt.datetime, r: Render) -> dict[str, Any]:
    """Every field of the issue, keyed by field id (the caller picks the requested ones)."""
    i = view.issue
    links = []
    for link in view.links:
        outward, inward = LINK_PHRASES[link.type]
        entry: dict[str, Any] = {
            "id": link.id,
            "self": r.api(f"issueLink/{link.id}"),
            "type": {
                "id": str(10000 + list(LINK_PHRASES).index(link.type)),
                "name": link.type,
                "inward": inward,
                "outward": outward,
            },
        }
        entry["outwardIssue" if link.direction == "outward" else "inwardIssue"] = _issue_ref(world, link.other, r)
        links.append(entry)
    parent_issue = issue_by_key(world, i.parent) if i.parent else None
    epic_link = parent_issue is not None and parent_issue.issue_type == "Epic" and not r.cloud
    shown = view.comments[:CLOUD_EMBEDDED_COMMENTS] if r.cloud else view.comments
    comments = [render_comment(world, i, c, now, r) for c in shown]
    return {
        "summary": i.summary,
        "description": render_text(i.description, r),
        "issuetype": _issue_type(i.issue_type, r),
        "project": render_project(world, i.project, r),
        "status": _status(view.status, view.status_category, r),
        "priority": {
            "self": r.api(f"priority/{PRIORITY_IDS.get(i.priority, '3')}"),
            "id": PRIORITY_IDS.get(i.priority, "3"),
            "name": i.priority,
        }
        if i.priority
        else None,
        "reporter": render_user(world, i.reporter, r),
        "creator": render_user(world, i.reporter, r),
        "assignee": render_user(world, view.assignee, r),
        "created": render_time(i.created, r.tz),
        "updated": render_time(view.updated, r.tz),
        "resolutiondate": render_time(view.resolved, r.tz),
        "resolution": {"id": "10000", "name": "Done"} if view.resolved else None,
        "duedate": i.due_date.isoformat() if i.due_date else None,
        "labels": list(i.labels),
        "components": [{"id": str(10000 + zlib.crc32(c.encode()) % 1000), "name": c} for c in i.components],
        "parent": _issue_ref(world, i.parent, r)
        if i.parent is not None and parent_issue is not None and not epic_link
        else None,
        "issuelinks": links,
        "comment": {
            "comments": comments,
            "self": r.api(f"issue/{i.id}/comment"),
            "maxResults": CLOUD_EMBEDDED_COMMENTS if r.cloud else len(comments),
            "total": len(view.comments),
            "startAt": 0,
        },
        SEVERITY_FIELD: _option(i.severity, r),
        COMMANDER_FIELD: render_user(world, i.commander, r),
        POSTMORTEM_FIELD: i.postmortem_url,
        STORY_POINTS_FIELD: None,
        EPIC_LINK_FIELD: i.parent if epic_link else None,
    }
