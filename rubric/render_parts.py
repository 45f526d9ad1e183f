"""Sentences the renderings share: role history in words, notes said once per report, times and kinds.

Plain strings only; the Markdown and HTML environments escape them like every other value.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any
from urllib.parse import urlsplit

KIND_WORDS = {
    "pull_request": "PR",
    "review": "review",
    "review_comment": "review comments",
    "issue_comment": "PR comments",
    "ticket": "ticket",
    "ticket_comment": "ticket comments",
    "incident": "incident",
}
# Names that never resolve on the public internet (RFC 2606 / 6761) and loopback: links that only work
# inside a sandbox or a test setup.
_RESERVED_SUFFIXES = (".test", ".invalid", ".example", ".localhost", ".local")


def when(stamp: str | None) -> str:
    """``2026-10-01T06:00:00Z`` as ``2026-10-01 06:00 UTC`` (whole minutes: nobody needs more)."""
    if not stamp:
        return "unknown"
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def kind_word(kind: str | None) -> str:
    return KIND_WORDS.get(kind or "", kind or "item")


def _chain(changes: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['from']['name']} → {c['to']['name']} on {c['date']}" for c in changes)


def role_lines(report: dict[str, Any]) -> list[str]:
    """The person's own role history in a few phrases: level and team (with changes in the period and their
    dates), earlier changes, start and last day."""
    e, h = report["engineer"], report.get("role_history") or {}
    changes = h.get("changes") or []
    now = [c for c in changes if c["in_period"]]
    earlier = [c for c in changes if not c["in_period"] and c["date"] < report["period"]["since"]]
    lines = []
    levels = [c for c in now if c["kind"] == "level"]
    level = e.get("level") or "unknown"
    lines.append(f"level {level}" + (f" ({_chain(levels)})" if levels else ""))
    teams = [c for c in now if c["kind"] == "team"]
    team = (e.get("team") or {}).get("name") or "unknown"
    lines.append(f"team {team}" + (f" (moved {_chain(teams)})" if teams else ""))
    if earlier:
        lines.append(f"earlier: {_chain(earlier[-3:])}")
    if h.get("start_date"):
        lines.append(f"started {h['start_date']}")
    if h.get("end_date"):
        lines.append(f"last day {h['end_date']}")
    return lines


def link_note(report: dict[str, Any]) -> str | None:
    """Said once when evidence links point at loopback or reserved host names (the demo's sandbox, a test):
    such links do not open outside the setup that served them."""
    hosts: set[str] = set()
    for d in report["dimensions"]:
        for b in d["behaviours"]:
            for item in b.get("evidence") or []:
                try:
                    parts = urlsplit(item.get("url") or "")
                except ValueError:
                    continue
                host = (parts.hostname or "").lower()
                if host and _local(host):
                    hosts.add(parts.netloc.lower())
    if not hosts:
        return None
    return (
        f"Links point at {', '.join(sorted(hosts))}: local or reserved addresses (a sandbox such as the demo's, "
        "or a test) that open only while that server runs, and never from another machine."
    )


def _local(host: str) -> bool:
    if host == "localhost" or host.endswith(_RESERVED_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def report_notes(report: dict[str, Any]) -> list[str]:
    """The notes said once per report: the rubric's source, dead-end links, the renderer's promise."""
    r = report["rubric"]
    notes = [f"Rubric {r['id']} v{r['version']} ({r['title']})." + (f" {r['source']}" if r.get("source") else "")]
    link = link_note(report)
    if link:
        notes.append(link)
    return notes
