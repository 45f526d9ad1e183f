"""``ladder serve`` in a real browser: Playwright driving Debian's chromium through the sandbox's GitHub OAuth.

An engineer signs in, sees their own report, adds context and a dispute to an evidence item and signs
out; their manager signs in and sees both, marked as the engineer's words; a peer on another team
gets 404 for that report.  No page runs a script or fetches anything from elsewhere.
"""

from __future__ import annotations


def _sign_in(browser, web_url: str, login: str, password: str, sandbox_url: str):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((web_url, sandbox_url)) else foreign.append(r.url))
    page.goto(f"{web_url}/")
    assert page.url == f"{web_url}/sign-in"
    page.click("#sign-in-github")
    assert page.url.startswith(f"{sandbox_url}/login/oauth/authorize")  # GitHub's (the sandbox's) sign-in
    page.fill("#login_field", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{web_url}/")
    assert "signed in as" in page.inner_text("nav")
    return context, page, problems, foreign


def _open_first_item(page):
    """The first evidence item, with its behaviour and its note actions opened as a person would (clicks)."""
    behaviour = page.locator("details.behaviour", has=page.locator("ol.evidence > li")).first
    if behaviour.get_attribute("open") is None:
        behaviour.locator("summary").first.click()
    item = behaviour.locator("ol.evidence > li").first
    item.locator(".actions summary").click()
    return item


def test_engineer_annotates_and_disputes_manager_reads_peer_gets_404(tiny_web, browser):
    synced, web = tiny_web
    sandbox_url = synced.server.base_url

    context, page, problems, foreign = _sign_in(browser, web.url, "ana", "tok-ana", sandbox_url)
    page.click("#people >> text=Ana Lima")
    page.wait_for_url(f"{web.url}/people/ana")
    assert "This is your own report" in page.inner_text("#reading-as")
    item = _open_first_item(page)
    item_title = item.locator("a").first.inner_text()
    form = item.locator("form.note-form")
    form.locator("select[name=kind]").select_option("context")
    form.locator("textarea[name=body]").fill("Paired with the search team for a week on this.")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{web.url}/people/ana")
    item = _open_first_item(page)
    assert "Paired with the search team" in (item.text_content() or "")
    form = item.locator("form.note-form")
    form.locator("select[name=kind]").select_option("dispute")
    form.locator("select[name=reason]").select_option("wrong_label")
    form.locator("textarea[name=body]").fill("This was a refactor, not a feature.")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{web.url}/people/ana")
    text = (
        page.locator("details.behaviour", has=page.locator("ol.evidence > li"))
        .first.locator("ol.evidence > li")
        .first.text_content()
    )
    assert text and "disputed (wrong label" in text and "This was a refactor" in text
    page.click("#sign-out")
    page.wait_for_url(f"{web.url}/sign-in")
    page.goto(f"{web.url}/people/ana")
    assert page.url == f"{web.url}/sign-in"  # signed out: the report is gone
    assert problems == [] and foreign == []
    context.close()

    context, page, problems, foreign = _sign_in(browser, web.url, "dana", "tok-dana", sandbox_url)
    page.click("#people >> text=Ana Lima")
    page.wait_for_url(f"{web.url}/people/ana")
    assert "as Ana Lima’s manager" in page.inner_text("#reading-as")
    item = page.locator("ol.evidence > li", has_text=item_title).first
    notes = item.locator(".note-subject")
    assert notes.count() == 2
    first, second = notes.nth(0).text_content() or "", notes.nth(1).text_content() or ""
    assert "Ana Lima wrote" in first and "Paired with the search team" in first
    assert "Ana Lima wrote" in second and "disputed (wrong label" in second and "This was a refactor" in second
    assert item.locator("form.confirm-form").count() == 1  # the manager may confirm; no note form for them
    assert item.locator("form.note-form").count() == 0
    assert problems == [] and foreign == []
    context.close()

    context, page, problems, _ = _sign_in(browser, web.url, "cyd", "tok-cyd", sandbox_url)
    answer = page.goto(f"{web.url}/people/ana")
    assert answer is not None and answer.status == 404
    assert "Ana" not in page.inner_text("body")
    missing = page.goto(f"{web.url}/people/nobody-at-all")
    assert missing is not None and missing.status == 404 and page.inner_text("main") == page.inner_text("main")
    context.close()
