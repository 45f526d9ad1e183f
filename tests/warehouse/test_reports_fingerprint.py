"""``reports_fingerprint``: unchanged by what a night that loaded nothing writes, changed by anything a report
can show (``warehouse.report_facts``; the reports stage skips building when it and the rest are unchanged)."""

from __future__ import annotations

import datetime as dt

from miners.base import Batch
from miners.people.roster import parse_roster, roster_records
from sandbox.roster import dump_roster, roster_from_world
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

FETCHED = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def roster_batch(doc: dict, fetched: dt.datetime = FETCHED) -> Batch:
    records = tuple(roster_records(parse_roster(dump_roster(doc), "roster.yaml"), fetched))
    return Batch(source="roster", partition="roster", records=records, cursor=None, is_complete=True)


def test_a_night_that_loads_nothing_leaves_it_and_anything_a_report_shows_changes_it(tmp_path):
    doc = roster_from_world(tiny_world())
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        wh.load_batch(roster_batch(doc))
        settled = wh.reports_fingerprint()

        # What a night that loaded nothing writes: a run in the log, a partition read without news, an HTTP
        # validator, an item quarantined again.
        run = wh.begin_run("github")
        wh.load_batch(Batch(source="github", partition="acme/trainer", records=(), cursor=None, done=True), run)
        wh.con.execute("INSERT INTO http_cache (\"key\", etag, body, stored_at) VALUES ('k', 'W/\"1\"', '{}', now())")
        wh.finish_run(run)
        assert wh.reports_fingerprint() == settled

        # A partition whose sync fails: the report marks the source stale.
        run = wh.begin_run("jira")
        wh.load_batch(Batch(source="jira", partition="ML", records=(), cursor=None, error="HTTP 503"), run)
        wh.finish_run(run)
        failing = wh.reports_fingerprint()
        assert failing != settled

        # It syncs again: back to a fingerprint without a failing partition (the success is not shown).
        wh.load_batch(Batch(source="jira", partition="ML", records=(), cursor=None, done=True))
        assert wh.reports_fingerprint() == settled

        # A roster change (a person's level), a table nobody listed: each changes it.
        doc["people"][0]["level"] = "IC5" if doc["people"][0].get("level") != "IC5" else "IC3"
        wh.load_batch(roster_batch(doc, FETCHED + dt.timedelta(days=1)))  # a changed row is stamped anew
        moved = wh.reports_fingerprint()
        assert moved != settled
        wh.con.execute("CREATE TABLE added_later (x INTEGER)")
        created = wh.reports_fingerprint()
        wh.con.execute("INSERT INTO added_later VALUES (1)")
        assert wh.reports_fingerprint() not in (created, moved)
