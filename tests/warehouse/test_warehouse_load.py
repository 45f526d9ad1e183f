"""Loads: idempotent upserts, cursors committed with their rows, record round-trips."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miners.base import Batch
from miners.records import ALL_RECORD_TYPES, PullRequestRecord, Record, ReviewRecord
from warehouse import LoadResult, WarehouseError, open_warehouse
from warehouse.records import columns_for

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
PART = "github:acme/api"


class Clock:
    """A settable clock for the warehouse (cursor updated_at)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 10, 2, tzinfo=UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def pr(number: int, *, title: str = "Add a thing", fetched_at: dt.datetime = T0, **changes) -> PullRequestRecord:
    base = PullRequestRecord(
        source="github",
        source_id=f"acme/api#{number}",
        partition=PART,
        updated_at=T0,
        fetched_at=fetched_at,
        url=f"https://github.test/acme/api/pull/{number}",
        raw={"number": number},
        repo="acme/api",
        number=number,
        author_login="ana",
        author_type="User",
        title=title,
        body="body",
        state="open",
        draft=False,
        created_at=T0,
        closed_at=None,
        merged_at=None,
        labels=("a", "b"),
    )
    return dataclasses.replace(base, **changes)


def review(review_id: int, **changes) -> ReviewRecord:
    base = ReviewRecord(
        source="github",
        source_id=str(review_id),
        partition=PART,
        updated_at=T0,
        fetched_at=T0,
        url=None,
        repo="acme/api",
        number=1,
        review_id=review_id,
        author_login="bo",
        author_type="User",
        state="APPROVED",
        body="",
        submitted_at=T0,
    )
    return dataclasses.replace(base, **changes)


def batch(*records: Record, cursor: str | None = "c1") -> Batch:
    return Batch(source="github", partition=PART, records=records, cursor=cursor)


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def wh(tmp_path, clock):
    with open_warehouse(tmp_path / "w.duckdb", clock=clock) as warehouse:
        yield warehouse


def test_loading_the_same_batch_twice_changes_nothing(wh, clock):
    first = batch(pr(1), pr(2), review(10))
    assert wh.load_batch(first) == LoadResult(inserted=3, updated=0, unchanged=0)
    before = wh.fingerprint()
    clock.now += dt.timedelta(hours=1)
    refetched = batch(pr(1, fetched_at=T0 + dt.timedelta(days=1)), pr(2), review(10))
    assert wh.load_batch(refetched) == LoadResult(inserted=0, updated=0, unchanged=3)
    assert wh.fingerprint() == before  # fetched_at and cursor updated_at included


def test_changed_content_updates_the_row(wh):
    wh.load_batch(batch(pr(1), pr(2)))
    before = wh.fingerprint()
    later = T0 + dt.timedelta(days=2)
    result = wh.load_batch(batch(pr(1, title="Add a better thing", fetched_at=later), pr(2)))
    assert result == LoadResult(inserted=0, updated=1, unchanged=1)
    stored = {r.number: r for r in wh.read_records(PullRequestRecord)}
    assert (stored[1].title, stored[1].fetched_at, stored[2].title) == ("Add a better thing", later, "Add a thing")
    after = wh.fingerprint()
    assert {t for t in before if before[t] != after[t]} == {"raw_github_pull_requests"}


def test_a_batch_keeps_the_last_copy_of_a_repeated_record(wh):
    result = wh.load_batch(batch(pr(1, title="old"), pr(1, title="new")))
    assert result == LoadResult(inserted=1, updated=0, unchanged=0)
    assert [r.title for r in wh.read_records(PullRequestRecord)] == ["new"]


def test_cursor_moves_with_its_rows_and_only_when_it_changes(wh, clock):
    wh.load_batch(batch(pr(1), cursor="2026-10-01T09:00:00Z"))
    assert wh.read_cursors("github") == {PART: "2026-10-01T09:00:00Z"}
    stamped = wh.fingerprint()["sync_cursors"]
    clock.now += dt.timedelta(hours=5)
    wh.load_batch(batch(pr(1), cursor="2026-10-01T09:00:00Z"))
    assert wh.fingerprint()["sync_cursors"] == stamped  # same value: row (and its updated_at) untouched
    wh.load_batch(batch(pr(2), cursor=None))
    assert wh.read_cursors("github") == {PART: "2026-10-01T09:00:00Z"}
    wh.load_batch(batch(pr(3), cursor="2026-10-03T00:00:00Z"))
    assert wh.read_cursors("github") == {PART: "2026-10-03T00:00:00Z"}
    assert wh.read_cursors("jira") == {}


def test_a_failure_inside_the_transaction_moves_neither_rows_nor_cursor(wh):
    wh.load_batch(batch(pr(1), cursor="old"))
    before = wh.fingerprint()
    # reviews load after pull requests, so the PR rows and the cursor are already
    # written in the transaction when the NOT NULL constraint on state fails
    broken = batch(pr(1, title="changed"), pr(2), review(11, state=None), cursor="new")
    with pytest.raises(WarehouseError, match="rolled back: .*NOT NULL constraint failed: raw_github_reviews.state"):
        wh.load_batch(broken)
    assert wh.fingerprint() == before
    assert wh.read_cursors("github") == {PART: "old"}
    assert wh.load_batch(batch(pr(2), cursor="new")) == LoadResult(inserted=1, updated=0, unchanged=0)


def test_several_batches_load_in_one_transaction_each_with_its_cursor(wh):
    """``load_batches`` (a task's or a plan's batches): all commit together, or none does."""
    other = "github:acme/web"
    settled = Batch(source="github", partition=other, records=(), cursor="w1", done=True)
    results = wh.load_batches([batch(pr(1), cursor="c1"), settled, batch(pr(2), cursor="c2")])
    assert results == [LoadResult(inserted=1), LoadResult(), LoadResult(inserted=1)]
    assert wh.read_cursors("github") == {PART: "c2", other: "w1"}
    before = wh.fingerprint()
    broken = batch(pr(3), review(11, state=None), cursor="c3")
    moved = Batch(source="github", partition=other, records=(), cursor="w2", done=True)
    with pytest.raises(WarehouseError, match="rolled back"):
        wh.load_batches([moved, broken])
    assert wh.fingerprint() == before  # the first batch's cursor went back with the second's failure
    assert wh.read_cursors("github") == {PART: "c2", other: "w1"}
    assert wh.load_batches([]) == []


def test_a_quiet_batch_records_its_partition_synced_as_a_batch_on_its_own_does(wh, clock):
    """Batches with nothing but a cursor load set-wise; the partition's outcome is what ``load_batch`` records:
    synced now, its failure streak and error cleared, the unusable answer of an earlier run resolved."""
    from miners.base import Quarantined

    answer = Quarantined(item="acme/api answer", error="not JSON", raw="<html>", kind="answer")
    poison = Quarantined(item="acme/api#9", error="bad date", raw="{}", kind="record")
    first = wh.begin_run("github")
    wh.load_batch(Batch.failed("github", PART, "GitHub answered 502", (answer, poison)), first)
    assert [p["partition"] for p in wh.read_failing_partitions()] == [PART]
    clock.now += dt.timedelta(days=1)
    second = wh.begin_run("github")
    quiet = Batch(source="github", partition=PART, records=(), cursor="c9", done=True)
    assert wh.load_batches([quiet, dataclasses.replace(quiet, partition="github:acme/web")], second) == [
        LoadResult(),
        LoadResult(),
    ]
    assert wh.read_failing_partitions() == []
    rows = wh.con.execute(
        'SELECT "partition", last_success_at, consecutive_failures, last_error, last_run_id FROM sync_partitions '
        'ORDER BY "partition"'
    ).fetchall()
    assert [(p, s.astimezone(UTC), f, e, r) for p, s, f, e, r in rows] == [
        (PART, clock.now, 0, None, second),
        ("github:acme/web", clock.now, 0, None, second),
    ]
    kept = wh.con.execute("SELECT item, kind FROM quarantined_records ORDER BY item").fetchall()
    assert kept == [("acme/api#9", "record")]  # the record stays until it parses; the answer was resolved
    assert wh.read_cursors("github") == {PART: "c9", "github:acme/web": "c9"}


def test_a_batch_with_records_of_another_partition_is_refused(wh):
    stray = pr(1, partition="github:acme/other")
    with pytest.raises(WarehouseError, match="github:acme/other.*one partition"):
        wh.load_batch(batch(stray))
    assert wh.read_records(PullRequestRecord) == []


def test_a_raw_payload_that_is_not_json_is_refused_with_the_record_named(wh):
    with pytest.raises(WarehouseError, match="PullRequestRecord acme/api#7: field raw cannot be stored"):
        wh.load_batch(batch(pr(7, raw={"when": object()})))
    assert wh.read_records(PullRequestRecord) == []


def test_read_only_warehouse_refuses_loads(tmp_path):
    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    with open_warehouse(path, read_only=True) as ro:
        with pytest.raises(WarehouseError, match="read-only"):
            ro.load_batch(batch(pr(1)))
        assert ro.read_cursors("github") == {}


# --- Hypothesis: records -> Arrow -> DuckDB -> records ------------------------

_TEXT = st.text(max_size=20)
_STRATEGIES = {
    "str": _TEXT,
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "bool": st.booleans(),
    "datetime": st.datetimes(
        min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    "date": st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    "strings": st.lists(_TEXT, max_size=3).map(tuple),
    "json": st.dictionaries(_TEXT, st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), _TEXT), max_size=3),
}


def record_strategy(record_type: type[Record]) -> st.SearchStrategy[Record]:
    fields = {}
    for column in columns_for(record_type)[:-1]:  # all but content_hash
        strategy = _STRATEGIES[column.kind]
        fields[column.name] = st.one_of(st.none(), strategy) if column.nullable else strategy
    return st.fixed_dictionaries(fields).map(lambda kw: record_type(**kw))


@st.composite
def same_type_records(draw) -> tuple[type[Record], list[Record]]:
    record_type = draw(st.sampled_from(ALL_RECORD_TYPES))
    records = draw(st.lists(record_strategy(record_type), max_size=4, unique_by=lambda r: r.source_id))
    return record_type, records


@pytest.fixture(scope="module")
def shared_wh():
    with open_warehouse(":memory:") as warehouse:
        yield warehouse


_example = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=same_type_records())
def test_records_round_trip_through_the_warehouse(shared_wh, drawn):
    record_type, records = drawn
    # one warehouse for all examples: give this example's records their own source_id prefix
    prefix = f"{next(_example)}:"
    records = [dataclasses.replace(r, source_id=prefix + r.source_id) for r in records]
    for record in records:
        shared_wh.load_batch(Batch(source=record.source, partition=record.partition, records=(record,), cursor=None))
    back = [r for r in shared_wh.read_records(record_type) if r.source_id.startswith(prefix)]
    expected = sorted(records, key=lambda r: r.source_id)
    assert back == expected
    assert [r.raw for r in back] == [r.raw for r in expected]
    assert [r.fetched_at for r in back] == [r.fetched_at for r in expected]
