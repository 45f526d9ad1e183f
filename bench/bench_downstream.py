"""Downstream bench (issue 13): incremental nightly, set-wise evidence, reports on a 1M-activity warehouse.

Part 1, on a mined world (a copy of a ``bench.bench_personas --cache`` folder, e.g. the 200-engineer year;
the cache itself is only read):

- today's downstream (every activity classified, the per-activity evidence loop — kept as the test oracle
  in tests/support/evidence_loop.py —, every report written) and the incremental stages' first run, then
  a night where nothing changed: activities re-classified, evidence rows and reports changed, seconds.

Part 2, a warehouse of ``--copies`` x the world's activities (60 x 18k = 1.08M for the 200-engineer year),
synthesised in DuckDB from the world's own rows rather than mined: each copy is one of ``--groups`` person
groups (person ids ``<id>~<g>``: 200 x 10 = 2,000 engineers with the world's distributions) shifted by
``k x 122`` days (6 shifts: two years), with its labels.  ``fct_activity`` and ``dim_person`` become tables
in the copy (reports open it read-only, so the views are not rebuilt):

- evidence build throughput (activities/s): the SQL build on all of it, and the SQL build and the old loop
  on the same subset (one group, ``--loop-shifts`` shifts), same run;
- one engineer's report as ``ladder report`` makes it (period calibration, their rows through the
  person index, coverage, HTML), and all 2,000 engineers' reports (one calibration, every format).

Part 3 (``--reports``; the source must already hold labels and evidence), the report read path, old vs new
in the same run, wall and CPU seconds: the world's evidence is copied with its activities instead of built;
one report as ``ladder report`` makes it and a sample of the nightly's reports before the nightly stored
anything (norms computed from everyone's evidence, ``fct_activity`` read), the nightly's preparation
(``report_activity``, identity suggestions, period norms), the same reports again, and ``ladder report`` in
a new process against ``ladder --help`` (what the CLI's start adds).

    python -m bench.bench_downstream --source /work/cache/e200-m12-s11 [--copies-groups 10 --shifts 6]
    python -m bench.bench_downstream --source DIR --groups 50 --shifts 3 --reports --old-sample 20 --new-sample 200
    python -m bench.bench_downstream --write-reports KEPT   # a folder `--reports --keep KEPT` left

Part 4 (``--write-reports``): the nightly's whole report stage on that warehouse, every engineer, into an
empty reports folder, then again with nothing changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flows import stages
from flows.config import read_config
from flows.report_manifest import MANIFEST
from flows.rubrics import Rubrics

SHIFT_DAYS = 122


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


class Counts(logging.Handler):
    """Keeps the stages' summary lines (what each stage did)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "ladder.stages":
            self.lines.append(record.getMessage())


def downstream(config) -> float:
    started = time.perf_counter()
    stages.classify(config)
    stages.build_evidence(config)
    stages.write_reports(config)
    return time.perf_counter() - started


def todays_downstream(config) -> float:
    """What every night did before issue 13: classify all, the per-activity evidence loop, write every report."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from classifiers import classify_activities
    from tests.support.evidence_loop import build_evidence as loop
    from warehouse import open_warehouse

    started = time.perf_counter()
    rubric = Rubrics(config).all()[0]
    with open_warehouse(config.warehouse_path) as wh:
        activities = wh.query_activities()
        wh.write_labels(classify_activities(activities, model_dir=config.model_dir))
        wh.write_evidence(loop(wh.query_activities(), wh.query_labels(), rubric))
    (config.reports_dir / MANIFEST).unlink(missing_ok=True)
    stages.write_reports(config)
    return time.perf_counter() - started


def part_nightly(folder: Path) -> dict:
    from warehouse import open_warehouse

    config = read_config(folder / "ladder.yaml")
    counts = Counts()
    logging.getLogger("ladder.stages").addHandler(counts)
    logging.getLogger("ladder.stages").setLevel(logging.INFO)
    out: dict = {}
    with open_warehouse(config.warehouse_path) as wh:  # migrate the copy; forget any earlier stage state
        wh.con.execute("DELETE FROM stage_versions")
        out["activities"] = wh.con.execute("SELECT count(*) FROM fct_activity").fetchall()[0][0]
    stages.classify(config)  # models trained once, outside the timings
    with open_warehouse(config.warehouse_path) as wh:
        wh.con.execute("DELETE FROM stage_versions")
    out["today_s"] = todays_downstream(config)
    with open_warehouse(config.warehouse_path) as wh:
        wh.con.execute("DELETE FROM stage_versions")
    (config.reports_dir / MANIFEST).unlink(missing_ok=True)
    out["full_s"] = downstream(config)
    counts.lines.clear()
    out["unchanged_s"] = downstream(config)
    out["unchanged_lines"] = list(counts.lines)
    return out


def synthesise(path: Path, groups: int, shifts: int, evidence: bool = False) -> int:
    """Replace fct_activity, activity_labels and dim_person of the warehouse copy at ``path`` by ``groups`` x
    ``shifts`` copies of its own rows (see the module docstring); returns the activities.

    ``evidence``: copy the world's evidence rows (and their build state) the same way instead of deleting
    them, for measuring reports without building evidence first (each copy's evidence is what the build
    gives its copied activities, except where a thread crosses a shift boundary)."""
    from warehouse.connection import connect

    con = connect(path, read_only=False)
    try:
        con.execute("CREATE TABLE bench_activity_src AS SELECT * FROM fct_activity")
        con.execute("CREATE TABLE bench_labels_src AS SELECT * FROM activity_labels")
        con.execute("CREATE TABLE bench_person_src AS SELECT * FROM dim_person")
        con.execute("DROP VIEW fct_activity")
        con.execute("DROP VIEW dim_person")
        suffix = "'~' || g.g"
        copy = "'~' || g.g || '.' || s.s"
        con.execute(
            f"""CREATE TABLE fct_activity AS SELECT a.* REPLACE (
                activity_id || {copy} AS activity_id,
                person_id || {suffix} AS person_id,
                actor || {suffix} AS actor,
                subject_activity_id || {copy} AS subject_activity_id,
                subject_person_id || {suffix} AS subject_person_id,
                parent_key || {copy} AS parent_key,
                occurred_at + to_days(CAST(s.s * {SHIFT_DAYS} AS INTEGER)) AS occurred_at
            ) FROM bench_activity_src a, range({groups}) g(g), range({shifts}) s(s)
            ORDER BY activity_id"""
        )
        con.execute("DELETE FROM activity_labels")
        con.execute(
            f"INSERT INTO activity_labels SELECT l.* REPLACE (activity_id || {copy} AS activity_id) "
            f"FROM bench_labels_src l, range({groups}) g(g), range({shifts}) s(s)"
        )
        con.execute(
            f"CREATE TABLE dim_person AS SELECT p.* REPLACE (person_id || {suffix} AS person_id, "
            f"manager_id || {suffix} AS manager_id, name || ' ' || g.g AS name) "
            f"FROM bench_person_src p, range({groups}) g(g)"
        )
        if evidence:
            con.execute("CREATE TABLE bench_evidence_src AS SELECT * FROM rubric_evidence")
            con.execute("CREATE TABLE bench_inputs_src AS SELECT * FROM evidence_inputs")
            con.execute("DELETE FROM rubric_evidence")
            con.execute("DELETE FROM evidence_inputs")
            con.execute(
                f"""INSERT INTO rubric_evidence SELECT e.* REPLACE (
                    person_id || {suffix} AS person_id,
                    activity_id || {copy} AS activity_id,
                    thread_id || {copy} AS thread_id,
                    occurred_at + to_days(CAST(s.s * {SHIFT_DAYS} AS INTEGER)) AS occurred_at
                ) FROM bench_evidence_src e, range({groups}) g(g), range({shifts}) s(s)
                ORDER BY person_id, occurred_at"""
            )
            con.execute(
                f"INSERT INTO evidence_inputs SELECT i.* REPLACE (person_id || {suffix} AS person_id, "
                f"md5(input_hash || {suffix}) AS input_hash) FROM bench_inputs_src i, range({groups}) g(g)"
            )
            con.execute("DELETE FROM stage_versions WHERE stage NOT LIKE 'evidence:%'")
        else:
            con.execute("DELETE FROM rubric_evidence")
            con.execute("DELETE FROM evidence_inputs")
            con.execute("DELETE FROM stage_versions")
        return con.execute("SELECT count(*) FROM fct_activity").fetchall()[0][0]
    finally:
        con.close()


def part_million(folder: Path, groups: int, shifts: int, loop_shifts: int) -> dict:
    import pyarrow as pa

    from rubric import build_evidence, render_report
    from rubric.evidence import build_evidence_sql, epics_table, evidence_version
    from tests.support.evidence_loop import build_evidence as loop
    from warehouse import downstream as ds
    from warehouse import open_warehouse
    from warehouse.connection import connect

    config = read_config(folder / "ladder.yaml")
    rubric = Rubrics(config).all()[0]
    out: dict = {}
    out["activities"], out["synthesise_s"] = timed(synthesise, config.warehouse_path, groups, shifts)

    con = connect(config.warehouse_path, read_only=False)
    try:

        def transaction(action, work):
            con.begin()
            try:
                result = work(con)
                con.commit()
            except BaseException:
                con.rollback()
                raise
            return result

        result, out["evidence_sql_s"] = timed(
            ds.evidence_changed,
            con,
            transaction,
            (rubric.id, rubric.version),
            evidence_version(rubric),
            epics_table,
            lambda c, epics, people: build_evidence_sql(c, rubric, people, epics),
            dt.datetime.now(dt.timezone.utc),
        )
        out["evidence_rows"] = result.rows
        out["people"] = result.people
        # The same subset through both builds: one person group, the first loop_shifts shifts.
        subset = con.sql(
            "SELECT * EXCLUDE (input_hash, ord) FROM ev_activities "
            f"WHERE regexp_matches(activity_id, '~0\\.[0-{loop_shifts - 1}]$') ORDER BY activity_id"
        ).to_arrow_table()
        labels = con.sql(
            "SELECT * FROM activity_labels WHERE activity_id IN (SELECT activity_id FROM ev_activities "
            f"WHERE regexp_matches(activity_id, '~0\\.[0-{loop_shifts - 1}]$'))"
        ).to_arrow_table()
    finally:
        con.close()
    out["subset"] = subset.num_rows
    new, out["subset_sql_s"] = timed(build_evidence, subset, labels, rubric)
    old, out["subset_loop_s"] = timed(loop, subset, labels, rubric)
    out["subset_identical"] = new.equals(old)
    assert isinstance(new, pa.Table)

    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        _, last = wh.query_activity_span()
        until = last.date()
        since = until - dt.timedelta(days=90)
        people = wh.query_people()
        history_start, _ = wh.query_activity_span()
        plan = wh.con.execute(
            "EXPLAIN SELECT * FROM rubric_evidence WHERE person_id = ?", [people[0]["person_id"]]
        ).fetchall()
        out["person_read_plan"] = "INDEX_SCAN" if "INDEX_SCAN" in str(plan) else "SEQ_SCAN"

    def one_report(person: dict) -> str:
        with open_warehouse(config.warehouse_path, read_only=True) as wh:
            report = stages.render_person_report(
                wh,
                rubric,
                person,
                since=since,
                until=until,
                generated_at=dt.datetime.now(dt.timezone.utc),
                history_start=history_start,
                coverage=stages.coverage_inputs(config),
            )
        return render_report(report, "html")

    _, out["one_report_s"] = timed(one_report, people[len(people) // 2])
    _, out["one_report_again_s"] = timed(one_report, people[len(people) // 3])

    def everyone() -> int:
        n = 0
        for report in stages.everyone_reports(
            config, since=since, until=until, generated_at=dt.datetime.now(dt.timezone.utc)
        ):
            for fmt in config.reports.formats:
                render_report(report, fmt)
            n += 1
        return n

    out["reports"], out["all_reports_s"] = timed(everyone)
    return out


def part_reports(folder: Path, old_sample: int, new_sample: int | None = None) -> dict:
    """One report and all reports on the synthesised warehouse at ``folder`` (evidence copied, ``synthesise``
    with ``evidence=True``), the old path and the new one in the same run.

    Old: nothing stored yet, so each report computes the period's norms from everyone's evidence and reads
    ``fct_activity`` (as before issue 13's read path).  Then the nightly's preparation (``report_activity``,
    stored suggestions and norms) and the same again; ``ladder report`` run as a user runs it (a new
    process) and the CLI's start alone (``ladder --help``) to separate what the start adds."""
    import os
    import subprocess

    import yaml

    from flows import report_views
    from rubric import render_report
    from warehouse import open_warehouse

    config_path = folder / "ladder.yaml"
    config = read_config(config_path)
    with open_warehouse(config.warehouse_path) as wh:  # migrates the copy (its views are tables: kept)
        _, last = wh.query_activity_span()
        people = wh.query_people()
    assert last is not None
    until = last.date()
    since = until - dt.timedelta(days=90)
    doc = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    doc["reports"].update(since=since.isoformat(), until=until.isoformat())
    config_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    config = read_config(config_path)
    now = dt.datetime.now(dt.timezone.utc)
    engineers = [people[len(people) // 2]["person_id"], people[len(people) // 3]["person_id"]]
    out: dict = {"people": len(people), "period": f"{since}..{until}"}

    def clocked(fn, *args):
        """(result, wall seconds, this process's CPU seconds): on a loaded machine the CPU time is what the
        work itself cost."""
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        return result, round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)

    def one(engineer: str) -> tuple[float, float]:
        def run() -> None:
            report = report_views.person_report(config, engineer, None, None, viewer_token_env=None, now=now)
            render_report(report, "html")

        return clocked(run)[1:]

    def everyone(limit: int | None) -> tuple:
        def run() -> int:
            n = 0
            for report in stages.everyone_reports(config, since=since, until=until, generated_at=now):
                for fmt in config.reports.formats:
                    render_report(report, fmt)
                n += 1
                if limit is not None and n >= limit:
                    break
            return n

        return clocked(run)

    def log(key: str, value) -> None:
        out[key] = value
        print(f"  {key}: {value}", flush=True)

    log("old_one_report_wall_cpu_s", one(engineers[0]))
    log("old_reports_n_wall_cpu_s", everyone(old_sample))
    log("prepare_facts", clocked(stages.refresh_report_facts, config))
    log("prepare_norms", clocked(stages.store_period_norms, config, since, until))
    log("new_one_report_wall_cpu_s", [one(e) for e in engineers])
    log("new_reports_n_wall_cpu_s", everyone(new_sample))
    if new_sample is None:
        # the nightly's stage: files, prep sheets, team pages (facts and norms current)
        log("write_reports", clocked(stages.write_reports, config)[1:])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    ladder = str(Path(sys.executable).with_name("ladder"))
    for name, args in (
        ("cli_help_s", [ladder, "--help"]),
        ("cli_report_s", [ladder, "report", "--config", str(config_path), "--engineer", engineers[0], "--format=html"]),
    ):
        started = time.perf_counter()
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, cwd=folder)
        log(name, round(time.perf_counter() - started, 2))
    return out


def part_write_reports(folder: Path) -> dict:
    """The nightly's report stage on the synthesised warehouse at ``folder``, as ``ladder sync`` runs it: every
    engineer's report in every format, their prep sheets, the team pages and the index, into an empty reports
    folder (everything built and written); then again with nothing changed (nothing built)."""
    import resource

    config = read_config(folder / "ladder.yaml")
    shutil.rmtree(config.reports_dir, ignore_errors=True)
    out: dict = {}
    for run in ("first", "unchanged"):
        wall, cpu = time.perf_counter(), time.process_time()
        stages.write_reports(config)
        out[f"{run}_wall_s"] = round(time.perf_counter() - wall, 1)
        out[f"{run}_cpu_s"] = round(time.process_time() - cpu, 1)
        print(f"  {run}: {out[f'{run}_wall_s']} s wall, {out[f'{run}_cpu_s']} s CPU", flush=True)
    out["reports"] = len(list(config.reports_dir.glob("*.json")))
    out["team_pages"] = len(list((config.reports_dir / "teams").glob("*.json")))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, help="a bench_personas cache folder (only read; not for --write-reports)"
    )
    parser.add_argument("--groups", type=int, default=10, help="person groups in the synthesised warehouse")
    parser.add_argument("--shifts", type=int, default=6, help=f"time shifts of {SHIFT_DAYS} days")
    parser.add_argument("--loop-shifts", type=int, default=3, help="shifts of group 0 given to the old loop")
    parser.add_argument("--skip-nightly", action="store_true", help="only the synthesised warehouse")
    parser.add_argument(
        "--reports",
        action="store_true",
        help="only reports, old path vs new (the world's evidence copied into the synthesised warehouse)",
    )
    parser.add_argument("--old-sample", type=int, default=100, help="reports timed on the old path (--reports)")
    parser.add_argument("--new-sample", type=int, help="reports timed on the new path (--reports; default: all)")
    parser.add_argument("--keep", type=Path, help="synthesise into this folder and keep it (--reports)")
    parser.add_argument(
        "--write-reports",
        type=Path,
        metavar="DIR",
        help="only the nightly's report stage, all engineers, on a folder --reports --keep DIR left",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
    if args.write_reports:
        print("write_reports:", part_write_reports(args.write_reports), flush=True)
        return
    if args.source is None:
        parser.error("--source is required (unless --write-reports)")
    if args.reports:
        # The source must hold labels and evidence (run classify and evidence on it first).
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-downstream-")) / "world"
        if not (folder / "ladder.duckdb").exists():
            shutil.copytree(args.source, folder)
            n, took = timed(synthesise, folder / "ladder.duckdb", args.groups, args.shifts, True)
            print("synthesised:", {"activities": n, "seconds": round(took, 1)}, flush=True)
        print("reports:", part_reports(folder, args.old_sample, args.new_sample), flush=True)
        if args.keep is None:
            shutil.rmtree(folder.parent)
        return
    with tempfile.TemporaryDirectory(prefix="bench-downstream-") as tmp:
        folder = Path(tmp) / "world"
        shutil.copytree(args.source, folder)
        if not args.skip_nightly:
            print("nightly:", part_nightly(folder), flush=True)
        else:
            from warehouse import open_warehouse

            config = read_config(folder / "ladder.yaml")
            with open_warehouse(config.warehouse_path):
                pass
            stages.classify(config)
        print("million:", part_million(folder, args.groups, args.shifts, args.loop_shifts), flush=True)


if __name__ == "__main__":
    main()
