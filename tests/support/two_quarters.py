"""One synthetic company over two calendar quarters (2026-04-01..09-30), synced once per test session.

Real PyGithub and jira clients read it from the sandbox on loopback into a migrated DuckDB warehouse;
the sandbox keeps serving for the session, so viewers can prove who they are with their own tokens.
Its roster (the HR view, written by the sandbox) is edited as HR would: one engineer was promoted
IC3 → IC4 on 2026-08-17 and moved from ML Platform to Ranking on 2026-08-24, and the engineer whose
account was deleted has a last working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from sandbox.server import SandboxServer
from sandbox.world import World

PROMOTED_ON = dt.date(2026, 8, 17)
MOVED_ON = dt.date(2026, 8, 24)
LEFT_ON = dt.date(2026, 8, 14)
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


@dataclass
class Company:
    world: World
    server: SandboxServer
    config_path: Path
    mover: str  # promoted and moved mid-Q3
    old_manager: str
    new_manager: str
    director: str
    leaver: str
    left_on: dt.date

    def token(self, login: str) -> str:
        return self.world.person(login).token


def edit_roster(path: Path, world: World) -> dict:
    roster = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = {p["id"]: p for p in roster["people"]}
    mover = people["zoecosta"]  # IC3 on ml-platform under sorenn in this world
    assert (mover["level"], mover["team"], mover["manager"]) == ("IC3", "ml-platform", "sorenn")
    mover.update(
        level="IC4",
        team="ranking",
        manager="ananya-costa",
        level_changes=[{"date": PROMOTED_ON.isoformat(), "from_level": "IC3", "to_level": "IC4"}],
        team_changes=[{"date": MOVED_ON.isoformat(), "from_team": "ml-platform", "to_team": "ranking"}],
    )
    leaver = next(p for p in world.people if p.deleted)  # their account is gone; HR keeps their last day
    people[leaver.login]["end_date"] = LEFT_ON.isoformat()
    path.write_text(yaml.safe_dump(roster, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {"leaver": leaver.login, "left_on": LEFT_ON}
