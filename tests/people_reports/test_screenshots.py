"""The pages as people see them: rendered by headless Chromium (Debian's ``chromium``) through Playwright.

Checks what a person would notice: no console errors, nothing fetched from anywhere (the pages are
self-contained), charts that are really drawn, a quarter's highlights within two printed A4 pages and a
prep sheet within two.  Screenshots go to a temporary folder; ``UPDATE_SCREENSHOTS=1`` writes them to
``docs/screenshots/`` instead (the README shows those).  Playwright drives the system Chromium
(``executable_path``): its own browser download is never used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PNG = b"\x89PNG\r\n\x1a\n"


def _open(browser, path: Path, width: int = 1100, height: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests


def _check_clean(path: Path, problems: list[str], requests: list[str]) -> None:
    assert problems == [], problems
    assert requests == [path.resolve().as_uri()], f"the page fetched more than itself: {requests}"


def _drawn(page, selector: str) -> int:
    """How many charts matching ``selector`` are on screen with at least one mark of non-zero size."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)].filter(svg => {
            const box = svg.getBoundingClientRect();
            const marks = [...svg.querySelectorAll('rect, line, polyline, path')].filter(m => {
                const b = m.getBBox(); return b.width > 0 && b.height > 0; });
            return box.width > 0 && box.height > 0 && marks.length > 0;
        }).length""",
        selector,
    )


def _shot(page, name: str, tmp_path: Path, *, full_page: bool) -> Path:
    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    page.screenshot(path=str(target), full_page=full_page)
    data = target.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000, f"{target} is not a real screenshot"
    return target


def _printed_pages(page, keep: str | None = None) -> int:
    """A4 pages of Chromium's PDF print of the page, or of only the section ``keep`` of it."""
    if keep:
        page.evaluate("sel => document.querySelectorAll(`main > section:not(${sel})`).forEach(s => s.remove())", keep)
    pdf = page.pdf(format="A4")
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_a_report_renders_cleanly_with_its_charts(browser, company, written, tmp_path):
    path = written / f"{company.mover}.html"
    page, problems, requests = _open(browser, path)
    _check_clean(path, problems, requests)
    assert _drawn(page, "svg.chart.timeline") == 1 and _drawn(page, "svg.chart.areas") == 1
    markers = page.locator("svg.chart.timeline text", has_text="promoted")
    assert markers.count() == 1 and page.locator("svg.chart.timeline text", has_text="moved").count() == 1
    assert page.locator("details.behaviour").count() > 0  # the evidence folds away under each behaviour
    emoji = [c for c in page.inner_text("body") if ord(c) >= 0x1F000]
    assert emoji == []  # headings without emoji: Chromium without an emoji font drew them as boxes
    _shot(page, "report.png", tmp_path, full_page=False)
    page.close()


def test_a_team_page_renders_cleanly_with_sparklines(browser, company, written, tmp_path):
    path = written / "teams" / f"{company.director}.html"
    page, problems, requests = _open(browser, path)
    _check_clean(path, problems, requests)
    people = page.locator("tr[id^=person-]").count()
    assert people >= 8
    assert _drawn(page, "svg.chart.spark") >= 3 * people  # one per series and person (with activity)
    _shot(page, "team-page.png", tmp_path, full_page=True)
    page.close()


def test_a_prep_sheet_renders_cleanly_and_prints_on_at_most_two_pages(browser, company, written, tmp_path):
    path = written / "prep" / f"{company.mover}.html"
    page, problems, requests = _open(browser, path, height=1200)
    _check_clean(path, problems, requests)
    assert page.locator("#ask li").count() > 0 and page.locator(".notes-box").count() == 1
    _shot(page, "prep-sheet.png", tmp_path, full_page=True)
    for sheet in sorted((written / "prep").glob("*.html")):
        sheet_page, _, _ = _open(browser, sheet)
        assert _printed_pages(sheet_page) <= 2, sheet.name
        sheet_page.close()
    page.close()


def test_every_quarter_reports_highlights_print_on_at_most_two_pages(browser, written):
    reports = sorted(p for p in written.glob("*.html") if p.name != "index.html")
    assert len(reports) >= 8
    for path in reports:
        page, _, _ = _open(browser, path)
        assert _printed_pages(page, keep="#highlights") <= 2, path.name
        page.close()
