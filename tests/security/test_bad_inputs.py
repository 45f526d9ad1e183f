"""The bad-input corpus (issue 16, item 10): every bad input is one clear paragraph and exit 2.

The probe found, of 102 bad input files, 9 tracebacks and 12 silent accepts.  ``bad_inputs/manifest.yaml``
lists the cases (the files, the command, the message fragments that name the file, the key and the fix);
each runs through the real CLI in-process against a freshly synced tiny world.  A case fails on a
traceback (exit 1 or "Traceback" in the output), on a silent accept (exit 0), on a message missing a
fragment or longer than a paragraph, and when a file it must not create exists afterwards.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from flows.cli.main import main
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

CORPUS = Path(__file__).with_name("bad_inputs")
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))["cases"]
MAX_ERROR_LINES = 6  # click's usage line, hint and error, or our one paragraph (wrapped by nothing)


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    with synced_world(tiny_world(), tmp_path_factory.mktemp("synced")) as s:
        yield s


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/v3"


def _place(case: dict, folder: Path, subst) -> None:
    for entry in case.get("files", []):
        ((target, source),) = entry.items() if isinstance(entry, dict) else [(entry, entry)]
        data = (CORPUS / source).read_bytes()
        try:
            data = subst(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            pass  # binary files go as they are
        (folder / target).write_bytes(data)
    for name in case.get("mkdir", []):
        (folder / name).mkdir(parents=True)
    for name, sql in (case.get("duckdb") or {}).items():
        con = duckdb.connect(str(folder / name))
        con.execute(sql)
        con.close()


def run_case(case: dict, synced, folder: Path) -> tuple[str, str]:
    """(verdict, output): verdict is clear, traceback, silent or wrong (a clear error without the fragments)."""
    github = _closed_port_url() if case.get("github") == "closed" else synced.server.github_url

    def subst(text: str) -> str:
        return text.replace("@DIR@", str(folder)).replace("@SYNCED@", str(synced.dir)).replace("@GITHUB@", github)

    folder.mkdir()
    _place(case, folder, subst)
    for name in case.get("copy_synced", []):
        shutil.copy(synced.dir / name, folder / name)
    runner = CliRunner()
    for before in case.get("before", []):
        done = runner.invoke(main, [subst(a) for a in before])
        assert done.exit_code == 0, (case["id"], before, done.output)
    result = runner.invoke(main, [subst(a) for a in case["args"]], env=case.get("env"))
    output = result.output
    if result.exit_code == 0:
        return "silent", output
    if (
        result.exit_code != 2
        or "Traceback" in output
        or result.exception
        and not isinstance(result.exception, SystemExit)
    ):
        return "traceback", output
    missing = [f for f in (subst(x) for x in case["expect"]) if f not in output]
    leaked = [f for f in case.get("never", []) if f in output]
    lines = [line for line in output.splitlines() if line.strip() and " INFO " not in line]
    created = [name for name in case.get("absent", []) if (folder / name).exists()]
    if missing or leaked or len(lines) > MAX_ERROR_LINES or created:
        return "wrong", f"{output}\nmissing: {missing}; leaked: {leaked}; lines: {len(lines)}; created: {created}"
    return "clear", output


@pytest.mark.slow  # each case runs `ladder` against a company synced by the real stages
@pytest.mark.parametrize("case", MANIFEST, ids=[c["id"] for c in MANIFEST])
def test_bad_input_is_one_clear_error(case, synced, tmp_path):
    verdict, output = run_case(case, synced, tmp_path / case["id"])
    assert verdict == "clear", f"{case['id']}: {verdict}\n{output}"


def test_the_corpus_covers_what_the_probe_found():
    """Every traceback and silent accept the probe listed has a case here (docs/robustness.md has the counts)."""
    ids = {c["id"] for c in MANIFEST}
    listed = {
        "config-impossible-date",
        "config-base-url-not-a-url",
        "out-dir-is-a-file",
        "world-binary",
        "until-9999-12-31",
        "viewer-github-unreachable",
        "config-include-empty",
        "warehouse-of-another-application",
        "config-duplicate-key",
        "roster-overlapping-globs",
        "roster-csv-nul-in-login",
        "identities-without-a-warehouse",
    }
    assert listed <= ids
    assert len(ids) == len(MANIFEST) >= 60
    files = {p.name for p in CORPUS.iterdir()} - {"manifest.yaml"}
    used = set()
    for case in MANIFEST:
        for entry in case.get("files", []):
            used.update(entry.values() if isinstance(entry, dict) else [entry])
    assert files <= used | {"config_local.yaml"} and used <= files, (files - used, used - files)
