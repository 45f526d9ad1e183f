"""The report read path (issue 13): the nightly stores each rubric's period norms, ``ladder report`` reads
them instead of everyone's evidence, never when they are stale, and the reports are the same either way."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from flows import stages
from flows.config import read_config
from flows.rubrics import Rubrics
from rubric.norms_store import dump_calibration, load_calibration
from rubric.report import previous_period
from tests.support.synced import edit_yaml
from warehouse import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nightly(synced_tiny, tmp_path_factory):
    """A copy of the shared synced tiny world, after its nightly's reports stage (read only by the tests)."""
    folder = tmp_path_factory.mktemp("read-path") / "world"
    shutil.copytree(synced_tiny[2].parent, folder)
    path = folder / synced_tiny[2].name
    with open_warehouse(read_config(path).warehouse_path, read_only=True) as wh:
        first, last = wh.query_activity_span()
    # The second half of the world's data: the first half covers the trend's period.
    middle = first.date() + (last.date() - first.date()) / 2 + dt.timedelta(days=1)
    edit_yaml(path, lambda doc: doc["reports"].update(since=middle.isoformat(), until=last.date().isoformat()))
    config = read_config(path)
    stages.write_reports(config)
    return config


@pytest.fixture()
def world(nightly, tmp_path):
    """A writable copy of ``nightly``."""
    shutil.copytree(nightly.source_path.parent, tmp_path / "world")
    return read_config(tmp_path / "world" / nightly.source_path.name)


def period(config) -> tuple[dt.date, dt.date]:
    return stages.report_period(config, dt.datetime.now(dt.timezone.utc).date())


def stored(config, rubric, since, until):
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        return wh.read_period_norms(rubric.id, rubric.version, since, until)


def tamper(config, rubric, since, until) -> None:
    """Give the stored norms a cohort label no computation makes, keeping their fingerprint."""
    fingerprint, text = stored(config, rubric, since, until)
    norms = json.loads(text)
    for cohort in norms["cohorts"].values():
        cohort["label"] = "TAMPERED"
    with open_warehouse(config.warehouse_path) as wh:
        wh.write_period_norms(rubric.id, rubric.version, since, until, fingerprint, json.dumps(norms))


def read(config, rubric, since, until):
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        return stages.period_calibration(wh, rubric, since, until)


def computed(config, rubric, since, until):
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        return stages._compute_calibration(wh, rubric, since, until, None)


def labels(calibration) -> set[str]:
    return {cohort.label for cohort in calibration.cohorts.values()}


def test_the_nightly_stores_the_periods_norms_and_a_report_reads_them(world):
    rubric = Rubrics(world).all()[0]
    since, until = period(world)
    fingerprint, text = stored(world, rubric, since, until)
    norms = computed(world, rubric, since, until)
    assert norms.parents  # the tiny world has tickets under epics: the stored text leaves them to the reader
    assert "parents" not in json.loads(text) or json.loads(text)["parents"] == {}
    with open_warehouse(world.warehouse_path, read_only=True) as wh:
        assert load_calibration(text, wh.query_ticket_parents()) == norms
        # one report's tickets: those threads' parents (and theirs), read in a few queries
        child = sorted(norms.parents)[0]
        scoped = wh.query_ticket_parents([child, "github:pr:acme/api#1"])
        assert scoped.items() <= norms.parents.items() and child in scoped
        ancestors, thread = set(), child
        while thread in norms.parents:
            ancestors.add(thread)
            thread = norms.parents[thread]
        assert set(scoped) == ancestors
    assert read(world, rubric, since, until) == norms  # stored norms, every ticket's parents
    assert stored(world, rubric, *previous_period(since, until)) is not None  # the tiny world covers the trend
    # A second night with nothing changed computes nothing again.
    assert stages.store_period_norms(world, since, until) == 0
    assert stored(world, rubric, since, until)[0] == fingerprint

    tamper(world, rubric, since, until)
    assert labels(read(world, rubric, since, until)) == {"TAMPERED"}  # read, not computed
    # Another period has no stored norms: computed.
    other = read(world, rubric, since + dt.timedelta(days=1), until)
    assert "TAMPERED" not in labels(other)


def test_changed_evidence_a_changed_level_or_unknown_evidence_never_reads_stale_norms(world):
    rubric = Rubrics(world).all()[0]
    since, until = period(world)

    # Evidence rebuilt from other inputs (its evidence_inputs hash changes): the stored norms are not used.
    tamper(world, rubric, since, until)
    with open_warehouse(world.warehouse_path) as wh:
        [(person,)] = wh.con.execute(
            "SELECT min(person_id) FROM evidence_inputs WHERE rubric_id = ?", [rubric.id]
        ).fetchall()
        wh.con.execute(
            "UPDATE evidence_inputs SET input_hash = 'other' WHERE rubric_id = ? AND person_id = ?",
            [rubric.id, person],
        )
    assert "TAMPERED" not in labels(read(world, rubric, since, until))
    assert stages.store_period_norms(world, since, until) >= 1  # the nightly replaces them
    assert "TAMPERED" not in labels(read(world, rubric, since, until))

    # A person's level changes in the roster: not used either.
    tamper(world, rubric, since, until)
    with open_warehouse(world.warehouse_path) as wh:
        wh.con.execute("UPDATE raw_roster_people SET level = 'IC9' WHERE person_id = ?", [person])
    calibration = read(world, rubric, since, until)
    assert "TAMPERED" not in labels(calibration) and calibration == computed(world, rubric, since, until)

    # Evidence written without the evidence stage (no build state): the norms are dropped with it.
    stages.store_period_norms(world, since, until)
    with open_warehouse(world.warehouse_path) as wh:
        evidence = wh.con.sql(
            "SELECT * EXCLUDE (thread_id, activity_count, excerpt), thread_id, activity_count, excerpt "
            "FROM rubric_evidence WHERE rubric_id = ?",
            params=[rubric.id],
        ).to_arrow_table()
        wh.write_evidence(evidence.slice(1))
        assert wh.read_period_norms(rubric.id, rubric.version, since, until) is None


def test_norms_survive_the_json_round_trip_exactly(nightly):
    world = nightly
    for rubric in Rubrics(world).all():
        norms = computed(world, rubric, *period(world))
        assert load_calibration(dump_calibration(norms), norms.parents) == norms


def test_every_report_is_the_same_read_from_the_nightlys_facts_as_from_fct_activity_and_everyones_evidence(
    nightly, tmp_path
):
    """The fast path (stored norms, report_activity, stored suggestions) against the old one: a copy of the
    same warehouse with neither, so every report computes its norms and reads fct_activity."""
    old_path = tmp_path / "old.duckdb"
    shutil.copy(nightly.warehouse_path, old_path)
    with open_warehouse(old_path) as wh:
        wh.con.execute("DELETE FROM period_norms")
        wh.con.execute("DELETE FROM report_state")
    since, until = period(nightly)
    rubrics = Rubrics(nightly)
    coverage = stages.coverage_inputs(nightly)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    with (
        open_warehouse(nightly.warehouse_path, read_only=True) as fast,
        open_warehouse(old_path, read_only=True) as slow,
    ):
        assert fast._activity() == "report_activity" and slow._activity() == "fct_activity"
        assert fast.query_activity_span() == slow.query_activity_span()
        assert fast.query_monthly_activity(since, until) == slow.query_monthly_activity(since, until)
        people = [p for p in fast.query_people() if rubrics.for_person(p) is not None]
        assert len(people) > 3
        reports = []
        for wh in (fast, slow):
            history_start = wh.query_activity_span()[0]
            common = dict(since=since, until=until, generated_at=now, history_start=history_start, coverage=coverage)
            reports.append([stages.render_person_report(wh, rubrics.for_person(p), p, **common) for p in people])
        assert reports[0] == reports[1]
        assert any(report["coverage"] for report in reports[0])  # the coverage facts were compared too
    # The nightly's path: everyone's evidence in one read, norms and facts shared.
    assert list(stages.everyone_reports(nightly, since=since, until=until, generated_at=now)) == reports[1]


def test_a_report_reads_fct_activity_again_once_the_data_changed_after_the_nightly(world):
    since, until = period(world)
    with open_warehouse(world.warehouse_path, read_only=True) as wh:
        assert wh._activity() == "report_activity"
        [(person, reviews)] = wh.con.execute(
            "SELECT person_id, count(*) FROM fct_activity WHERE kind = 'review' AND person_id IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchall()
    with open_warehouse(world.warehouse_path) as wh:  # a sync removes one of their reviews
        wh.con.execute(
            "DELETE FROM raw_github_reviews WHERE review_id = (SELECT min(r.review_id) FROM raw_github_reviews r "
            "JOIN fct_activity f ON f.kind = 'review' AND f.person_id = ? "
            "AND f.activity_id = 'gh:review:' || CAST(r.review_id AS VARCHAR))",
            [person],
        )
    with open_warehouse(world.warehouse_path, read_only=True) as wh:
        assert wh._activity() == "fct_activity"
        [(now,)] = wh.con.execute(
            "SELECT count(*) FROM fct_activity WHERE kind = 'review' AND person_id = ?", [person]
        ).fetchall()
        assert now == reviews - 1
    assert stages.refresh_report_facts(world) == {"activity": True, "suggestions": True}
    assert stages.refresh_report_facts(world) == {"activity": False, "suggestions": False}
    with open_warehouse(world.warehouse_path, read_only=True) as wh:
        assert wh._activity() == "report_activity"
        [(stored,)] = wh.con.execute(
            "SELECT count(*) FROM report_activity WHERE kind = 'review' AND person_id = ?", [person]
        ).fetchall()
        assert stored == reviews - 1
