"""Who may read whose report through ``ladder serve``: every (viewer, subject) pair of the demo roster, over HTTP.

The expected answer comes from the roster file itself (each person's ``manager:`` walked upwards, plus
the configured admin), never from the app's policy; the app must allow exactly those pairs (200) and
answer every other pair 404, the same as for a person who does not exist.  Then the roster changes (a
team move to another manager, a person who left) and the whole matrix is checked again.
"""

from __future__ import annotations

import pytest
import yaml

from flows import stages
from flows.snapshot import publish_snapshot
from sandbox.generate import generate_world
from tests.support.synced import edit_yaml, synced_world
from tests.support.web import served, token_sign_in, token_sign_in_refused

pytestmark = pytest.mark.slow
ADMIN = "ingridd"  # an engineer made admin in web.admins


def expected_pairs(roster_path) -> set[tuple[str, str]]:
    """(viewer, subject) pairs the roster allows: self, every manager above, the admin on everyone."""
    people = yaml.safe_load(roster_path.read_text(encoding="utf-8"))["people"]
    manager = {p["id"]: p.get("manager") for p in people}
    allowed = set()
    for subject in manager:
        allowed.add((subject, subject))
        allowed.add((ADMIN, subject))
        seen, boss = {subject}, manager[subject]
        while boss and boss not in seen:
            allowed.add((boss, subject))
            seen.add(boss)
            boss = manager.get(boss)
    return {(v, s) for v, s in allowed if v in manager}


def check_matrix(web_url: str, world, roster_path, viewers, subjects) -> tuple[int, int]:
    allowed = expected_pairs(roster_path)
    tokens = {p.login: p.token for p in world.people}
    leaks, denials, seen_allowed = [], [], 0
    for viewer in viewers:
        session = token_sign_in(web_url, tokens[viewer], viewer)
        for subject in subjects:
            answer = session.get(f"{web_url}/people/{subject}", allow_redirects=False, timeout=60)
            if (viewer, subject) in allowed:
                seen_allowed += 1
                if answer.status_code != 200:
                    denials.append((viewer, subject, answer.status_code))
            elif answer.status_code != 404 or "report" in answer.text.lower():
                leaks.append((viewer, subject, answer.status_code))
        missing = session.get(f"{web_url}/people/no-such-person", timeout=60)
        assert missing.status_code == 404
    assert leaks == [], f"{len(leaks)} leaks, e.g. {leaks[:5]}"
    assert denials == [], f"{len(denials)} allowed pairs refused, e.g. {denials[:5]}"
    return seen_allowed, len(viewers) * len(subjects)


def test_every_pair_of_the_demo_roster_before_and_after_a_team_move_and_a_leaver(tmp_path):
    world = generate_world(engineers=40, seed=7)  # the demo's company (`ladder demo` defaults)

    def admin(doc):
        doc["web"]["admins"] = [ADMIN]

    with synced_world(world, tmp_path, config=admin, stage_names=("sync_roster",)) as synced:
        roster_path = synced.dir / "roster.yaml"
        people = [p["id"] for p in yaml.safe_load(roster_path.read_text(encoding="utf-8"))["people"]]
        # Viewers prove who they are with a GitHub token; the few without a GitHub account cannot sign in.
        viewers = [p.login for p in world.people if p.token and p.login in people]
        assert len(viewers) >= len(people) - 5
        with served(synced) as web:
            allowed, pairs = check_matrix(web.url, world, roster_path, viewers, people)
            assert pairs == len(viewers) * len(people)
            assert allowed > 2 * len(people)  # self, managers, the admin: the matrix is not trivially all-404

            # syildiz moves from kostergaard's team to emekayildiz's; sofiao leaves the company.
            mover, old_boss, new_boss, leaver = "syildiz", "kostergaard", "emekayildiz", "sofiao"

            def change(doc):
                by_id = {p["id"]: p for p in doc["people"]}
                by_id[mover]["manager"] = new_boss
                by_id[mover]["team_changes"] = [
                    {"date": "2024-06-01", "from_team": by_id[mover]["team"], "to_team": by_id[new_boss]["team"]}
                ]
                by_id[mover]["team"] = by_id[new_boss]["team"]
                doc["people"] = [p for p in doc["people"] if p["id"] != leaver]

            edit_yaml(roster_path, change)
            stages.sync_roster(synced.config)
            publish_snapshot(synced.config)
            after = expected_pairs(roster_path)
            assert (old_boss, mover) not in after and (new_boss, mover) in after
            check_matrix(web.url, world, roster_path, [v for v in viewers if v != leaver], people)
            # The leaver cannot sign in any more, and nobody but the admin would see them: they are gone.
            s = token_sign_in_refused(web.url, {p.login: p.token for p in world.people}[leaver])
            assert s.status_code == 403
