"""Access control the reader cannot change (issue 16, item 2): the three bypasses of the probe, refused.

(a) a config without ``require_viewer`` pointed at the nightly's warehouse read any report;
(b) a ``github.base_url`` pointing at a fake ``/user`` server passed the viewer check;
(c) the warehouse was 0644 and reports / models 0755 / 0644, so anyone could read all evidence.

The nightly's config here requires a viewer; the warehouse records that (``ladder_settings``) and the
GitHub it syncs from, and ``ladder report`` enforces the warehouse's word over any reader's config.
"""

from __future__ import annotations

import grp
import http.server
import json
import os
import shutil
import socket
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows import stages
from flows.cli.main import main
from flows.config import read_config
from sandbox.github.payloads import user_id
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

pytestmark = pytest.mark.slow  # `ladder report` with viewer tokens on a company synced by the real stages


def _require_viewer(doc: dict) -> None:
    doc["reports"]["require_viewer"] = True


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """The tiny world synced by an operator whose config requires a viewer; reports written by the nightly.

    The umask is the usual 022, under which an unguarded writer makes 0644 files and 0755 folders.
    """
    old = os.umask(0o022)
    try:
        with synced_world(tiny_world(), tmp_path_factory.mktemp("strict"), config=_require_viewer, reports=True) as s:
            yield s
    finally:
        os.umask(old)


def _no_report(result) -> None:
    assert result.exit_code == 2, result.output
    assert '"dimensions"' not in result.output and "Traceback" not in result.output


def test_the_engineer_and_their_manager_still_read(strict):
    for viewer, engineer in (("ana", "ana"), ("dana", "ana"), ("eli", "cyd")):
        result = strict.report(engineer, strict.world.person(viewer).token)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["engineer"]["login"] == engineer


@pytest.mark.parametrize("setting", [None, False])
def test_a_config_without_require_viewer_reads_nothing(strict, setting):
    """Bypass (a): the reader's own config drops (or disables) require_viewer; the warehouse still requires one."""

    def relax(doc: dict) -> None:
        if setting is None:
            doc["reports"].pop("require_viewer")
        else:
            doc["reports"]["require_viewer"] = setting

    relaxed = strict.variant("relaxed.yaml", relax)
    assert not read_config(relaxed).reports.require_viewer
    for engineer in ("ana", "bo", "dana"):
        result = strict.report(engineer, config=relaxed)
        _no_report(result)
        assert "need a viewer" in result.output and "--viewer-token-env" in result.output


class FakeUserServer:
    """An HTTP server that says every token belongs to dana (a manager), and counts what it was asked."""

    def __init__(self, answer: dict) -> None:
        requests: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                requests.append(self.path)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.requests = requests
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/api/v3"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_fake_user_server_is_never_asked(strict):
    """Bypass (b): the reader's config points github.base_url at a server that vouches for anyone."""
    dana = strict.world.person("dana")
    fake = FakeUserServer({"login": "dana", "id": user_id(dana, "dana"), "type": "User"})
    try:
        lying = strict.variant("lying.yaml", lambda doc: doc["github"].update(base_url=fake.url))
        for engineer in ("ana", "bo"):
            result = strict.report(engineer, "any-token-at-all", config=lying)
            _no_report(result)
            assert "synced from" in result.output and "any-token-at-all" not in result.output
        no_github = strict.variant("no-github.yaml", lambda doc: doc.pop("github"))
        _no_report(strict.report("ana", "any-token-at-all", config=no_github))
    finally:
        fake.close()
    assert fake.requests == []  # not even asked: no token ever left for it


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_the_nightly_writes_is_the_operators_alone(strict):
    """Bypass (c): the warehouse, the reports and the models are 0600 in 0700 folders, whatever the umask."""
    config = strict.config
    reports = sorted(config.reports_dir.rglob("*"))
    written = {
        "warehouse": [config.warehouse_path],
        "reports": [p for p in reports if p.is_file()],
        "models": sorted(config.model_dir.iterdir()),
    }
    assert all(written.values()), written
    # A report per IC (managers get a team page instead), a prep sheet per report, a team page per manager.
    assert len(list(config.reports_dir.glob("*.json"))) >= 4
    assert len(list((config.reports_dir / "prep").glob("*.html"))) >= 4
    assert len(list((config.reports_dir / "teams").glob("*.json"))) >= 2
    for what, files in written.items():
        for path in files:
            assert _mode(path) == 0o600, (what, path, oct(_mode(path)))
    for folder in (config.reports_dir, config.model_dir, *(p for p in reports if p.is_dir())):
        assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))


def test_an_operator_group_may_share_read_only(strict, tmp_path):
    group = grp.getgrgid(os.getgid()).gr_name
    shared = tmp_path / "shared"
    shutil.copytree(strict.dir, shared, ignore=shutil.ignore_patterns("reports"))
    (shared / "ladder.duckdb").chmod(0o644)  # as an older release left it: fixed on the next write
    path = shared / "ladder.yaml"
    text = path.read_text(encoding="utf-8") + f'files:\n  mode: "0640"\n  group: {group}\n'
    path.write_text(text, encoding="utf-8")
    config = read_config(path)
    with stages.open_writer(config):
        pass
    stages.write_reports(config)
    assert _mode(config.warehouse_path) == 0o640
    assert _mode(config.reports_dir) == 0o750
    reports = list(config.reports_dir.rglob("*"))
    files, folders = [p for p in reports if p.is_file()], [p for p in reports if p.is_dir()]
    assert files and {_mode(p) for p in files} == {0o640}
    assert folders and {_mode(p) for p in folders} == {0o750}  # prep/ and teams/
    assert {p.stat().st_gid for p in [config.warehouse_path, config.reports_dir, *reports]} == {os.getgid()}


@pytest.mark.parametrize(
    "files, fragment",
    [
        ({"mode": "0644"}, "every user of the machine"),
        ({"mode": "0604"}, "every user of the machine"),
        ({"mode": "0400"}, "read and write"),
        ({"mode": "rw"}, "octal file mode"),
        ({"group": "no-such-group-here"}, "no group 'no-such-group-here'"),
    ],
)
def test_world_readable_modes_and_unknown_groups_are_refused(strict, files, fragment):
    config = strict.variant("files.yaml", lambda doc: doc.update(files=files))
    result = CliRunner().invoke(main, ["sync", "--config", str(config)])
    assert result.exit_code == 2 and fragment in result.output, result.output


def test_the_viewer_check_trusts_only_the_operators_own_config(strict):
    """A config another user may edit, or that another user owns, could point the check elsewhere."""
    token = strict.world.person("ana").token
    shared = strict.variant("group-writable.yaml", lambda doc: None)
    shared.chmod(0o664)
    result = strict.report("ana", token, config=shared)
    _no_report(result)
    assert "writable by its group" in result.output and "chmod go-w" in result.output
    shared.chmod(0o646)
    assert "writable by everyone" in strict.report("ana", token, config=shared).output
    shared.chmod(0o644)
    assert strict.report("ana", token, config=shared).exit_code == 0  # the same file, now the operator's alone
    if os.getuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(shared, 65534, -1)
    result = strict.report("ana", token, config=shared)
    _no_report(result)
    assert "belongs to uid 65534, not to you" in result.output


def test_the_viewer_is_checked_before_anyone_is_said_to_exist(strict):
    bo = strict.world.person("bo").token
    unknown, forbidden = strict.report("nobody-by-that-name", bo), strict.report("ana", bo)
    for result in (unknown, forbidden):
        _no_report(result)
        assert "bo may not read the report of" in result.output
    assert "no engineer" not in unknown.output
    stranger = strict.report("nobody-by-that-name", "not-a-token")
    _no_report(stranger)
    assert "invalid or expired" in stranger.output and "no engineer" not in stranger.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_github_is_one_clear_error(strict, tmp_path):
    """The operator's GitHub is down: one paragraph, exit 2, no traceback, no report."""
    down = tmp_path / "down"
    shutil.copytree(strict.dir, down, ignore=shutil.ignore_patterns("reports", "models"))
    url = f"http://127.0.0.1:{_closed_port()}/api/v3"
    path = down / "ladder.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(strict.server.github_url, url), encoding="utf-8")
    with stages.open_writer(read_config(path)):  # the operator's sync records the (now unreachable) server
        pass
    result = strict.report("ana", strict.world.person("ana").token, config=path)
    _no_report(result)
    assert f"cannot reach GitHub at {url}" in result.output
    assert result.output.count("\n") <= 2
