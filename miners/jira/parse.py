"""Pure parsing of Jira REST payloads (Cloud or Data Center, API v2 or v3) into records.

Nothing here touches the network.  Real payloads vary, and these functions
survive the variants seen in the wild: ``+0800`` offsets without a colon,
milliseconds, localized ``12/May/21 10:30 PM`` dates, Atlassian Document
Format bodies (v3) next to plain strings (v2), users with only ``accountId``
(Cloud) or only ``key``/``name`` (Data Center), ``comment`` as a page object
or a bare list, the epic in ``parent`` (Cloud) or in "Epic Link" (DC).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from miners.records import (
    AccountRecord,
    JiraChangeRecord,
    JiraCommentRecord,
    JiraIssueRecord,
    JiraLinkRecord,
    Record,
)

SOURCE = "jira"
STATUS_CATEGORIES = frozenset({"new", "indeterminate", "done"})

# Field roles the miner needs from custom fields, and the names Jira admins give them.
FIELD_NAMES: Mapping[str, tuple[str, ...]] = {
    "severity": ("Severity", "Incident severity", "Sev"),
    "commander": ("Incident commander", "Commander", "Incident lead"),
    "postmortem": ("Postmortem link", "Postmortem", "Post-mortem link", "Postmortem URL"),
    "epic_link": ("Epic Link",),
}

_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_LOCALIZED = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M")


class _Envelope(TypedDict):
    """The envelope fields every record of one issue shares."""

    source: str
    partition: str
    fetched_at: dt.datetime


@dataclass(frozen=True)
class IssueContext:
    """What parsing one issue needs besides its payload."""

    server: str  # browse links are f"{server}/browse/{key}"
    partition: str
    fetched_at: dt.datetime
    field_ids: Mapping[str, str] = field(default_factory=dict)  # role -> customfield id
    incident_types: frozenset[str] = frozenset({"Incident"})
    incident_projects: frozenset[str] = frozenset()


def parse_jira_time(value: Any) -> dt.datetime | None:
    """A Jira timestamp as an aware UTC datetime; None for null/empty; ValueError if unreadable.

    Naive values (localized renderings) are taken as UTC; numbers are epoch milliseconds.
    """
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # epoch milliseconds
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)
    text = str(value).strip()
    candidates = [text, _OFFSET_NO_COLON.sub(r"\1:\2", text)]
    for candidate in candidates:
        try:
            parsed = dt.datetime.fromisoformat(candidate)
            break
        except ValueError:
            continue
    else:
        for fmt in _LOCALIZED:
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unreadable Jira timestamp {text!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def parse_jira_date(value: Any) -> dt.date | None:
    """A ``duedate`` (``2026-10-10``) as a date."""
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value)[:10])


def parse_rich_text(value: Any) -> str | None:
    """Plain text of a v2 string or a v3 Atlassian Document Format document; None when empty."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        text = _adf_text(value).strip("\n")
        return text or None
    return str(value)


def _adf_text(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date", "inlineCard"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or "")
    children = [_adf_text(child) for child in node.get("content") or () if isinstance(child, Mapping)]
    if kind in (
        "doc",
        "bulletList",
        "orderedList",
        "blockquote",
        "panel",
        "table",
        "tableRow",
        "expand",
        "layoutSection",
        "layoutColumn",
    ):
        return "\n\n".join(c for c in children if c) if kind == "doc" else "\n".join(children)
    if kind == "listItem":
        return "- " + "".join(children)
    return "".join(children)


def parse_user_id(user: Any) -> str | None:
    """The source identity of a Jira user: Cloud ``accountId``, else DC ``key``, else ``name``."""
    if isinstance(user, list):
        user = user[0] if user else None
    if not isinstance(user, Mapping):
        return None
    for key in ("accountId", "key", "name"):
        if user.get(key):
            return str(user[key])
    return None


def parse_account(user: Any, partition: str, fetched_at: dt.datetime) -> AccountRecord | None:
    """What a Jira user object shows of its account, for identity resolution; None if it has no identity.

    ``emailAddress`` is kept only when the server shows it (Cloud hides it by
    default; Data Center usually shows it).  ``accountType`` is Cloud's
    ``atlassian`` | ``app`` | ``customer`` (None on Data Center).  Inactive
    users keep their record: their history still needs an owner.
    """
    identity = parse_user_id(user)
    if identity is None:
        return None
    email = str(user.get("emailAddress") or "").strip()
    name = str(user.get("displayName") or "").strip()
    kept = {k: user[k] for k in ("accountId", "key", "name", "active") if k in user}
    return AccountRecord(
        source=SOURCE,
        source_id=f"jira:{identity}",
        partition=partition,
        updated_at=None,
        fetched_at=fetched_at,
        raw=kept,
        system="jira",
        identity=identity,
        display_name=name or None,
        emails=(email,) if email else (),
        account_type=str(user["accountType"]) if user.get("accountType") else None,
    )


def issue_users(
    issue: Mapping[str, Any],
    field_ids: Mapping[str, str] | None = None,
    comments: Iterable[Mapping[str, Any]] | None = None,
) -> list[Mapping[str, Any]]:
    """Every user object an issue payload carries: reporter, assignee, commander, comment and history authors."""
    fields: Mapping[str, Any] = issue.get("fields") or {}
    users: list[Any] = [fields.get("reporter"), fields.get("assignee"), fields.get("creator")]
    if field_ids and "commander" in field_ids:
        value = fields.get(field_ids["commander"])
        users.extend(value if isinstance(value, list) else [value])
    embedded, _ = _comments(fields)
    for c in embedded if comments is None else comments:
        users.extend([c.get("author"), c.get("updateAuthor")])
    for history in (issue.get("changelog") or {}).get("histories") or ():
        users.append(history.get("author"))
    return [u for u in users if isinstance(u, Mapping)]


def parse_option(value: Any) -> str | None:
    """A select-list value (``{"value": "SEV2"}``), a bare string, or the first of a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("value") or value.get("name")
    return str(value) if value not in (None, "") else None


def _name(value: Any) -> str | None:
    return str(value["name"]) if isinstance(value, Mapping) and value.get("name") is not None else None


def _comments(fields: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], int]:
    """The embedded comments and how many the issue has in total."""
    page = fields.get("comment")
    if isinstance(page, list):  # some payloads carry a bare list
        return page, len(page)
    if isinstance(page, Mapping):
        comments = list(page.get("comments") or [])
        return comments, int(page.get("total", len(comments)))
    return [], 0


def comments_truncated(issue: Mapping[str, Any]) -> bool:
    """True when the search page embedded fewer comments than the issue has."""
    comments, total = _comments(issue.get("fields") or {})
    return total > len(comments)


def changelog_truncated(issue: Mapping[str, Any]) -> bool:
    log = issue.get("changelog") or {}
    histories = log.get("histories") or []
    return int(log.get("total", len(histories))) > len(histories)


def parse_issue(
    issue: Mapping[str, Any], ctx: IssueContext, comments: Iterable[Mapping[str, Any]] | None = None
) -> list[Record]:
    """One search result (fields + ``expand=changelog``) as issue, link, comment and change records.

    ``comments`` replaces the embedded ones when the caller fetched them separately.
    """
    key = str(issue["key"])
    fields: Mapping[str, Any] = issue.get("fields") or {}
    url = f"{ctx.server}/browse/{key}"
    envelope = _Envelope(source=SOURCE, partition=ctx.partition, fetched_at=ctx.fetched_at)
    updated_at = parse_jira_time(fields.get("updated"))
    project = (fields.get("project") or {}).get("key") or key.rpartition("-")[0]
    issue_type = _name(fields.get("issuetype")) or "Unknown"
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    parent = fields.get("parent") or {}
    ids = ctx.field_ids
    epic_link = fields.get(ids["epic_link"]) if "epic_link" in ids else None
    postmortem = fields.get(ids["postmortem"]) if "postmortem" in ids else None
    records: list[Record] = [
        JiraIssueRecord(
            **envelope,
            source_id=key,
            updated_at=updated_at,
            url=url,
            raw={"id": issue.get("id"), "key": key, "self": issue.get("self")},
            key=key,
            issue_id=str(issue.get("id", "")),
            project=project,
            issue_type=issue_type,
            summary=str(fields.get("summary") or ""),
            description=parse_rich_text(fields.get("description")),
            status=_name(status) or "Unknown",
            status_category=category if category in STATUS_CATEGORIES else None,
            priority=_name(fields.get("priority")),
            reporter_id=parse_user_id(fields.get("reporter")),
            assignee_id=parse_user_id(fields.get("assignee")),
            created_at=parse_jira_time(fields.get("created")) or _require(updated_at, key, "created"),
            resolved_at=parse_jira_time(fields.get("resolutiondate")),
            due_date=parse_jira_date(fields.get("duedate")),
            labels=tuple(str(label) for label in fields.get("labels") or ()),
            components=tuple(n for n in (_name(c) for c in fields.get("components") or ()) if n),
            parent_key=parent.get("key") or (str(epic_link) if isinstance(epic_link, str) and epic_link else None),
            is_incident=issue_type in ctx.incident_types or project in ctx.incident_projects,
            severity=parse_option(fields.get(ids["severity"])) if "severity" in ids else None,
            commander_id=parse_user_id(fields.get(ids["commander"])) if "commander" in ids else None,
            postmortem_url=parse_rich_text(postmortem) if postmortem else None,
        )
    ]
    for link in fields.get("issuelinks") or ():
        link_type = link.get("type") or {}
        direction = "outward" if link.get("outwardIssue") else "inward"
        other = link.get(f"{direction}Issue") or {}
        if not other.get("key"):
            continue
        name = str(link_type.get("name") or "")
        records.append(
            JiraLinkRecord(
                **envelope,
                source_id=f"{key}:{direction}:{name}:{other['key']}",
                updated_at=None,
                url=url,
                raw={"id": link.get("id")},
                issue_key=key,
                link_type=name,
                direction=direction,
                description=str(link_type.get(direction) or name.lower()),
                other_key=str(other["key"]),
            )
        )
    embedded, _ = _comments(fields)
    for c in embedded if comments is None else comments:
        if not c.get("id"):
            continue  # nothing stable to key it by
        created_at = parse_jira_time(c.get("created"))
        records.append(
            JiraCommentRecord(
                **envelope,
                source_id=f"{key}:{c['id']}",
                updated_at=parse_jira_time(c.get("updated")) or created_at,
                url=f"{url}?focusedCommentId={c['id']}",
                raw={"id": c.get("id")},
                issue_key=key,
                comment_id=str(c["id"]),
                author_id=parse_user_id(c.get("author")),
                body=parse_rich_text(c.get("body")),
                created_at=_present(created_at, f"Jira comment {c['id']} of {key}"),
            )
        )
    for history in (issue.get("changelog") or {}).get("histories") or ():
        changed_at = parse_jira_time(history.get("created"))
        author_id = parse_user_id(history.get("author"))
        history_id = str(history.get("id") or f"at-{history.get('created')}")  # some payloads omit the id
        for index, item in enumerate(history.get("items") or ()):
            records.append(
                JiraChangeRecord(
                    **envelope,
                    source_id=f"{key}:{history_id}:{index}",
                    updated_at=changed_at,
                    url=url,
                    raw={"field": item.get("field"), "fieldtype": item.get("fieldtype")},
                    issue_key=key,
                    history_id=history_id,
                    item_index=index,
                    author_id=author_id,
                    changed_at=_present(changed_at, f"Jira changelog entry {history_id} of {key}"),
                    field_name=str(item.get("field") or ""),
                    from_value=item.get("fromString"),
                    to_value=item.get("toString"),
                )
            )
    return records


def _require(value: dt.datetime | None, key: str, name: str) -> dt.datetime:
    """A stand-in for a missing timestamp (``created`` falls back to ``updated``), or a clear error."""
    if value is None:
        raise ValueError(f"Jira issue {key} has neither '{name}' nor 'updated'; request both fields in the search")
    return value


def _present(value: dt.datetime | None, what: str) -> dt.datetime:
    """A timestamp Jira always sends (a comment's or a changelog entry's ``created``).

    The record field is not optional (its warehouse column is NOT NULL), so a payload
    without it fails here, naming the object, instead of at load time.
    """
    if value is None:
        raise ValueError(f"{what} has no 'created' timestamp; the payload is incomplete")
    return value


def resolve_field_ids(fields: Iterable[Mapping[str, Any]], overrides: Mapping[str, str]) -> dict[str, str]:
    """Map roles (severity, commander, postmortem, epic_link) to field ids, by name; overrides win."""
    by_name: dict[str, str] = {}
    for f in fields:
        if f.get("name") and f.get("id"):
            by_name.setdefault(str(f["name"]).casefold(), str(f["id"]))
    out: dict[str, str] = {}
    for role, names in FIELD_NAMES.items():
        found = next((by_name[n.casefold()] for n in names if n.casefold() in by_name), None)
        if found:
            out[role] = found
    out.update(overrides)
    return out
