"""Team pages and prep sheets: who is below whom, who moved away, which files to link.

Composition only: the pages' content is ``rubric.team``; the reports are ``flows.stages``.  People are
grouped by their current team; the page orders teams and people alphabetically (``rubric.team``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Org:
    """The roster's people and the period's team history, read once: enough to lay out every team page."""

    people: dict[str, dict[str, Any]]
    members: list[dict[str, Any]]  # Warehouse.query_team_members for the period
    team_managers: dict[str, list[str]]  # Warehouse.query_team_managers
    facts: dict[str, dict[str, int]]  # Warehouse.query_load_facts for the period
    _chains: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, wh, since: dt.date, until: dt.date) -> Org:
        return cls(
            {p["person_id"]: p for p in wh.query_people()},
            wh.query_team_members(since, until),
            wh.query_team_managers(),
            wh.query_load_facts(since, until),
        )

    def chain(self, person_id: str) -> list[str]:
        """The person's managers, nearest first (stops at a cycle)."""
        if person_id not in self._chains:
            out: list[str] = []
            manager = (self.people.get(person_id) or {}).get("manager_id")
            while manager and manager not in out and manager != person_id:
                out.append(manager)
                manager = (self.people.get(manager) or {}).get("manager_id")
            self._chains[person_id] = out
        return self._chains[person_id]

    def managers(self) -> list[str]:
        """Everyone who manages someone, by id."""
        return sorted({p["manager_id"] for p in self.people.values() if p.get("manager_id") in self.people})

    def subtree(self, manager_id: str) -> list[str]:
        return sorted(pid for pid in self.people if manager_id in self.chain(pid))

    def moved_away(self, manager_id: str) -> list[dict[str, Any]]:
        """People on a team ``manager_id`` managed (or is above the manager of) during the period, no longer below
        them: their last day on that team."""
        below = set(self.subtree(manager_id))
        out: dict[str, dict[str, Any]] = {}
        for span in self.members:
            pid = span["person_id"]
            if pid in below or pid == manager_id or pid not in self.people:
                continue
            leads = self.team_managers.get(span["team_id"], [])
            if any(manager_id == m or manager_id in self.chain(m) for m in leads):
                person = self.people[pid]
                out[pid] = {
                    "login": pid,
                    "name": person.get("name") or pid,
                    "team_name": span["team_name"],
                    "until": span["until"].isoformat(),
                }
        return list(out.values())


def team_page(
    org: Org,
    manager_id: str,
    summaries: dict[str, dict[str, Any]],
    *,
    since: dt.date,
    until: dt.date,
    generated_at: str,
) -> dict[str, Any]:
    """The team page of ``manager_id`` from per-person summaries (``rubric.team.person_summary``)."""
    from rubric.team import build_team_page, person_summary

    days = (until - since).days + 1
    teams: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    by_team: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    for pid in org.subtree(manager_id):
        person = org.people[pid]
        team_id = person.get("team_id") or "(no team)"
        names[team_id] = person.get("team_name") or team_id
        summary = summaries.get(pid) or person_summary(None, person, org.facts.get(pid, {}), days)
        by_team[team_id].append(summary)
    for team_id, people in by_team.items():
        teams[team_id] = (names[team_id], people)
    return build_team_page(
        org.people[manager_id],
        teams,
        moved_away=org.moved_away(manager_id),
        since=since,
        until=until,
        generated_at=generated_at,
    )
