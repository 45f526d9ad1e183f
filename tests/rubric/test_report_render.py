"""Rendering: golden files, escaping of user-written text, offline HTML, stable JSON, a rank-free index.

Regenerate the golden files deliberately with ``UPDATE_GOLDEN=1 pytest tests/rubric/test_report_render.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import markupsafe
import pytest
from markdown_it import MarkdownIt

from rubric import render_index, render_report
from rubric.render import escape_md, safe_url
from tests.support import GOLDEN
from tests.support.evidence import small_report

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it, then review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if intended, re-run with UPDATE_GOLDEN=1 and review the diff"
    )


def index_entries() -> list[dict]:
    def entry(login: str, name: str) -> dict:
        return {
            "engineer": {
                "login": login,
                "name": name,
                "team": {"id": "t", "name": "Search & <Relevance>"},
                "level": "IC3",
                "manager": None,
            },
            "period": {"since": "2026-10-01", "until": "2026-10-31"},
            "files": {"md": f"{login}.md", "html": f"{login}.html", "json": f"{login}.json"},
        }

    return [entry("cyd", "Cyd Ramírez"), entry("ana", "Ana <i>Lima</i>"), entry("Bo", "Bo Chen")]


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_report_golden(fmt):
    check_golden(f"report_small.{fmt}", render_report(small_report(), fmt))


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_index_golden(fmt):
    check_golden(f"index.{fmt}", render_index(index_entries(), fmt))


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


def test_html_escapes_user_text_and_only_links_http():
    html = render_report(small_report(), "html")
    assert "<script" not in html.lower()
    assert "<b>pattern</b>" not in html
    parsed = parse_html(html)
    text = "".join(parsed.text)
    # Rendered literally: the reader sees the title as written.
    assert "Review of <script>alert(1)</script> [click](javascript:alert(1)) *early* stopping" in text
    hrefs = [a.get("href", "") for tag, a in parsed.tags if tag == "a"]
    assert "https://acme.atlassian.test/browse/SRCH-1" in hrefs
    assert not [h for h in hrefs if not (h.startswith(("https://", "http://", "#")))]
    assert "Review: looks good now" in text  # the javascript: URL's item is listed, unlinked


def test_html_is_self_contained():
    html = render_report(small_report(), "html")
    tags = parse_html(html).tags
    assert not [t for t, a in tags if t in ("script", "link", "img", "iframe")]
    assert not [a for t, a in tags if "src" in a]
    assert "<style>" in html and "@import" not in html and "url(" not in html
    assert re.search(r'class="fill s-emerging" style="width: 34%"', html)  # emerging as a CSS bar


def test_markdown_neutralises_html_and_link_injection():
    md = render_report(small_report(), "md")
    assert "<script" not in md.lower()
    html = MarkdownIt("commonmark").render(md)  # commonmark passes raw HTML through: a real check
    assert "<script" not in html.lower() and "<b>" not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    assert "Review of &lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(1)) *early* stopping" in html
    assert "<em>early</em>" not in html


@pytest.mark.parametrize(
    "hostile",
    [
        "x](javascript:alert(1)) [y",
        "line one\n\n# heading\n[ref]: javascript:alert(1)",
        "<img src=x onerror=alert(1)>",
        "`code` **bold** _it_ ~~s~~ | cell |",
        "1. not a list",
        "- not a bullet",
        "&lt;already&gt;",
        "\\](a)",
    ],
)
def test_escape_md_renders_literally(hostile):
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(f"- {escape_md(hostile)}\n")
    assert html.count("<li>") == 1 and "<a " not in html and "<img" not in html and "<h1" not in html
    for tag in ("<code>", "<strong>", "<em>", "<s>", "<td>"):
        assert tag not in html
    inner = re.sub(r"^<ul>\n<li>|</li>\n</ul>\n$", "", html)
    from html import unescape

    assert unescape(inner) == " ".join(hostile.split())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/trainer/pull/1", "https://github.com/acme/trainer/pull/1"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.test/x", None),
        ("", None),
        (None, None),
        ("https://x.test/a b)c<d>", "https://x.test/a%20b%29c%3Cd%3E"),
    ],
)
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_json_is_stable_and_round_trips():
    report = small_report()
    text = render_report(report, "json")
    assert json.loads(text) == report
    assert text == render_report(json.loads(text), "json")
    keys = list(json.loads(text))
    assert keys == sorted(keys)


def test_every_rendering_names_what_the_data_cannot_see():
    report = small_report()
    md, html = render_report(report, "md"), render_report(report, "html")
    for text, escape in ((md, escape_md), (html, lambda t: str(markupsafe.escape(t)))):
        assert "What this data cannot see" in text
        for d in report["dimensions"]:
            for c in d["cannot_show"]:  # every behaviour the data cannot show, verbatim, with why
                assert escape(c["text"]) in text and escape(c["why"]) in text, c["id"]
        assert "Interviewing is not recorded in GitHub or Jira." in text
    assert "ML development lifecycle refers to" in md and "ML development lifecycle refers to" in html


def test_index_is_alphabetical_links_relative_files_and_shows_no_scores():
    for fmt in ("md", "html"):
        text = render_index(index_entries(), fmt)
        assert text.index("| ana |" if fmt == "md" else "<td>ana</td>") < text.index("Bo Chen") < text.index("Cyd")
        table = text[text.index("Login") :].lower()
        for word in ("score", "strength", "emerging", "solid", "strong", "rank", "%"):
            assert word not in table
        assert "<i>" not in text and "<Relevance>" not in text


def test_index_refuses_links_outside_the_report_folder():
    entries = index_entries()
    entries[0]["files"] = {"html": "../../etc/passwd", "md": "javascript:alert(1)", "json": "cyd.json"}
    for fmt in ("md", "html"):
        text = render_index(entries, fmt)
        assert "passwd" not in text and "javascript" not in text and "cyd.json" in text


def test_unknown_format_says_which_are_allowed():
    with pytest.raises(ValueError, match="md, html, json"):
        render_report(small_report(), "pdf")  # type: ignore[arg-type]


def test_trend_is_rendered_when_present():
    from rubric import build_report
    from tests.support.evidence import ANA, GENERATED_AT, RUBRIC, SINCE, UNTIL, small_evidence

    report = build_report(
        ANA,
        small_evidence(),
        RUBRIC,
        since=SINCE,
        until=UNTIL,
        generated_at=GENERATED_AT,
        previous_evidence=small_evidence(),
    )
    for fmt in ("md", "html"):
        text = render_report(report, fmt)
        assert "2026-09-01 to 2026-09-30" in text and "compared: " in text and "↑" in text
        assert "no history" not in text
        quiet = render_report(small_report(), fmt)
        assert "no history" in quiet and "↑" not in quiet
