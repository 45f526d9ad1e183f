"""Reports are read from the nightly's published snapshot: served (200) while a sync holds the warehouse's
write lock and writes, never half a run, and the next published snapshot is picked up at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from flows.snapshot import current_snapshot, publish_snapshot
from tests.support.web import token_sign_in
from warehouse import WarehouseError, open_warehouse

WRITER = textwrap.dedent(
    """
    import sys
    from flows.config import read_config
    from flows.writer import open_writer

    config = read_config(sys.argv[1])
    with open_writer(config) as wh:  # what every nightly stage does: the warehouse opened to write
        tick = 0
        print("writing", flush=True)
        while True:
            tick += 1
            wh.write_settings({"test.nightly_tick": tick})
            if tick == 50:
                print("still writing", flush=True)
            if tick >= 50 and sys.stdin.readline().strip() == "stop":
                break
    print("done", tick, flush=True)
    """
)


def test_reports_served_while_the_nightly_writes_then_the_new_snapshot(tiny_web):
    synced, web = tiny_web
    ana = token_sign_in(web.url, "tok-ana", "ana")
    before = ana.get(f"{web.url}/people/ana", timeout=60)
    assert before.status_code == 200
    first = before.headers["x-ladder-snapshot"]
    assert first == current_snapshot(synced.config).name

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(synced.config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        assert writer.stdout.readline().strip() == "still writing"
        # The live warehouse is locked by the writer: a reader of it would wait or fail ...
        with pytest.raises(WarehouseError, match="locked"):
            open_warehouse(synced.config.warehouse_path, read_only=True, sleep=lambda _: None).close()
        # ... while the app answers from the snapshot, every time, with the same published run.
        for path in ("/people/ana", "/people/ana/report.json", "/people/bo", "/"):
            answer = (ana if path != "/people/bo" else token_sign_in(web.url, "tok-dana", "dana")).get(
                web.url + path, timeout=60
            )
            assert answer.status_code == 200, path
            if path.startswith("/people"):
                assert answer.headers["x-ladder-snapshot"] == first
        writer.stdin.write("stop\n")
        writer.stdin.flush()
        assert writer.stdout.readline().startswith("done")
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
    assert writer.returncode == 0

    publish_snapshot(synced.config)  # the nightly's last task
    reader = web.app.state.web.reader
    assert reader.warm() is True  # the server's warmer opens it before anyone asks ...
    assert reader.warm() is False  # ... once
    after = ana.get(f"{web.url}/people/ana", timeout=60)
    assert after.status_code == 200
    assert after.headers["x-ladder-snapshot"] == current_snapshot(synced.config).name != first
    snapshots = sorted(p.name for p in synced.config.snapshots_dir.glob("*.duckdb"))
    assert len(snapshots) <= 2 and not list(synced.config.snapshots_dir.glob("*.partial"))
