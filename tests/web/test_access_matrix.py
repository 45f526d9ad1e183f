"""Who may read whose report through ``ladder serve``: every (viewer, subject) pair of the demo roster, over HTTP.

The expected answer comes from the roster file itself (``roster_access`` below walks each person's
``manager:`` upwards, dates their teams from ``team_changes`` and ``end_date``, and names the admin),
never from the app's policy; the app must allow exactly those pairs (200: the whole report, or a former
manager's part with its dates) and answer every other pair 404, the same as for a person who does not
exist.  Then the roster changes — a team move to another manager mid-period, a person who left, one
leaving on the app's today, one taken out of the roster — and the whole matrix is checked again with
the sessions signed in before the change, so a session follows the roster, not the roster it began with.
``ladder report --viewer-token-env`` gives the same answers for the telling pairs.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from flows import stages
from flows.snapshot import publish_snapshot
from sandbox.generate import generate_world
from tests.support.reports import run_report
from tests.support.synced import edit_yaml, synced_world
from tests.support.web import served, token_sign_in, token_sign_in_refused

pytestmark = pytest.mark.slow
ADMIN = "ingridd"  # an engineer made admin in web.admins
NOW = dt.datetime(2026, 10, 1, 12, tzinfo=dt.timezone.utc)  # the app's clock: the day after the period
MOVER, OLD_BOSS, NEW_BOSS = "syildiz", "kostergaard", "emekayildiz"
MOVED_ON = dt.date(2026, 8, 17)
LEAVER, LEFT_ON = "sofiao", dt.date(2026, 9, 11)  # left during the period: reads nothing now
LEAVING = "ingrid-moreau"  # their last day is the app's today: still reads
REMOVED = "haeuno"  # taken out of the roster altogether

Access = dict[tuple[str, str], tuple[dt.date, dt.date] | None]  # None: the whole report; else a former manager's part


def _day(value) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value))


def roster_access(roster_path, period: tuple[dt.date, dt.date], today: dt.date) -> Access:
    """Who may read whose report, from the roster file alone (the rules of docs/web.md, "Who sees what")."""
    people = {p["id"]: p for p in yaml.safe_load(roster_path.read_text(encoding="utf-8"))["people"]}

    def chain(pid: str) -> list[str]:
        out, boss = [], people[pid].get("manager")
        while boss and boss not in out and boss != pid:
            out.append(boss)
            boss = people.get(boss, {}).get("manager")
        return out

    managing = {p.get("manager") for p in people.values()}
    team_bosses: dict[str, set[str]] = {}
    for team in {p["team"] for p in people.values()}:
        members = [p for p in people.values() if p["team"] == team and p.get("manager")]
        ics = [p for p in members if p["id"] not in managing]
        team_bosses[team] = {m for p in ics or members for m in [p["manager"], *chain(p["id"])]}

    def team_spans(p: dict) -> list[tuple[str, dt.date, dt.date]]:
        """(team, first day, last day) clipped to the period, from team_changes and end_date."""
        changes = sorted(p.get("team_changes") or [], key=lambda c: str(c["date"]))
        teams = [changes[0]["from_team"]] if changes else [p["team"]]
        starts: list[dt.date | None] = [None]
        for c in changes:
            teams.append(c["to_team"])
            starts.append(_day(c["date"]))
        ends = [s - dt.timedelta(days=1) for s in starts[1:] if s] + [_day(p.get("end_date"))]
        spans = []
        for team, first, last in zip(teams, starts, ends):
            lo, hi = max(first or period[0], period[0]), min(last or period[1], period[1])
            if lo <= hi:
                spans.append((team, lo, hi))
        return spans

    access: Access = {}
    for viewer, v in people.items():
        left = _day(v.get("end_date"))
        if left is not None and left < today:
            continue  # people who left read nothing
        for subject in people:
            if viewer == subject or viewer in chain(subject) or viewer == ADMIN:
                access[(viewer, subject)] = None
                continue
            for team, lo, hi in sorted(team_spans(people[subject]), key=lambda s: s[1], reverse=True):
                if viewer in team_bosses[team]:
                    access[(viewer, subject)] = (lo, hi)
                    break
    return access


def check_matrix(web_url, sessions, subjects, access: Access) -> dict[str, int]:
    """Every viewer's session asks for every subject's report; counts of whole / part reads."""
    leaks, wrong = [], []
    seen = {"whole": 0, "part": 0}
    for viewer, session in sessions.items():
        for subject in subjects:
            answer = session.get(f"{web_url}/people/{subject}", allow_redirects=False, timeout=60)
            if (viewer, subject) not in access:
                if answer.status_code != 404 or "report" in answer.text.lower():
                    leaks.append((viewer, subject, answer.status_code))
                continue
            window = access[(viewer, subject)]
            part = f"this report covers {window[0]} to {window[1]}" if window else None
            if answer.status_code != 200:
                wrong.append((viewer, subject, answer.status_code))
            elif part is None and 'class="note access"' in answer.text:
                wrong.append((viewer, subject, "narrowed, should be whole"))
            elif part is not None and part not in answer.text:
                wrong.append((viewer, subject, f"should read only {window}"))
            else:
                seen["part" if window else "whole"] += 1
        assert session.get(f"{web_url}/people/no-such-person", timeout=60).status_code == 404
    assert leaks == [], f"{len(leaks)} leaks, e.g. {leaks[:5]}"
    assert wrong == [], f"{len(wrong)} allowed pairs answered wrongly, e.g. {wrong[:5]}"
    return seen


def test_every_pair_of_the_demo_roster_before_and_after_a_team_move_and_leavers(tmp_path):
    world = generate_world(engineers=40, seed=7)  # the demo's company (`ladder demo` defaults)

    def admin(doc):
        doc["web"]["admins"] = [ADMIN]

    with synced_world(world, tmp_path, config=admin, stage_names=("sync_roster",)) as synced:
        roster_path = synced.dir / "roster.yaml"
        period = stages.report_period(synced.config, NOW.date())
        assert period[0] < MOVED_ON <= LEFT_ON <= period[1] < NOW.date()
        people = [p["id"] for p in yaml.safe_load(roster_path.read_text(encoding="utf-8"))["people"]]
        tokens = {p.login: p.token for p in world.people}
        # Viewers prove who they are with a GitHub token; the few without a GitHub account cannot sign in.
        viewers = [login for login in people if tokens.get(login)]
        assert len(viewers) >= len(people) - 5 and {MOVER, OLD_BOSS, LEAVER, LEAVING, REMOVED} <= set(viewers)
        with served(synced, clock=lambda: NOW) as web:
            # One sign-in each, kept across the roster change below.
            sessions = {login: token_sign_in(web.url, tokens[login], login) for login in viewers}
            before = roster_access(roster_path, period, NOW.date())
            seen = check_matrix(web.url, sessions, people, before)
            assert seen["whole"] > 2 * len(people)  # self, managers, the admin: not trivially all-404
            assert seen["part"] >= 1  # the demo company has a team move of its own (azhang's)

            def change(doc):
                by_id = {p["id"]: p for p in doc["people"]}
                old_team, new_team = by_id[MOVER]["team"], by_id[NEW_BOSS]["team"]
                move = {"date": MOVED_ON.isoformat(), "from_team": old_team, "to_team": new_team}
                by_id[MOVER].update(manager=NEW_BOSS, team=new_team, team_changes=[move])
                by_id[LEAVER]["end_date"] = LEFT_ON.isoformat()
                by_id[LEAVING]["end_date"] = NOW.date().isoformat()
                doc["people"] = [p for p in doc["people"] if p["id"] != REMOVED]

            edit_yaml(roster_path, change)
            stages.sync_roster(synced.config)
            publish_snapshot(synced.config)
            after = roster_access(roster_path, period, NOW.date())
            # What the roster change means, as the oracle reads it: the cases this test is about.
            assert after[(OLD_BOSS, MOVER)] == (period[0], MOVED_ON - dt.timedelta(days=1))
            assert after[(NEW_BOSS, MOVER)] is None and (OLD_BOSS, LEAVER) in after and (LEAVING, LEAVING) in after
            assert not any(LEAVER == v or REMOVED in (v, s) for v, s in after)
            assert check_matrix(web.url, sessions, people, after)["part"] >= 2

            # Nobody who left (or is gone from the roster) can sign in again; someone who moved can.
            for gone in (LEAVER, REMOVED):
                assert token_sign_in_refused(web.url, tokens[gone]).status_code == 403
            token_sign_in(web.url, tokens[MOVER], MOVER)

        # `ladder report --viewer-token-env` answers as the app does (its today is later still).
        pairs = [(OLD_BOSS, MOVER), (NEW_BOSS, MOVER), (OLD_BOSS, LEAVER), (LEAVER, LEAVER), ("mwojcik", MOVER)]
        for viewer, subject in pairs:
            result = run_report(synced.config_path, subject, tokens[viewer])
            if (viewer, subject) not in after:
                assert result.exit_code == 2 and '"dimensions"' not in result.output, (viewer, subject)
                continue
            assert result.exit_code == 0, (viewer, subject, result.output)
            data = json.loads(result.stdout)
            window = after[(viewer, subject)] or period
            assert (data["period"]["since"], data["period"]["until"]) == (window[0].isoformat(), window[1].isoformat())
