"""``ladder serve`` refuses what it must: no session, forged or expired cookies, missing CSRF, another
person's note, hostile text; and no token or secret reaches the audit log, the logs or a page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
from html.parser import HTMLParser

import pytest
import requests
from itsdangerous import TimestampSigner

from flows.web.core import COOKIE
from tests.support.web import SECRET, csrf_of, oauth_sign_in, served, token_sign_in
from warehouse.feedback import open_feedback


def _cookie(payload: dict, secret: str, *, age_seconds: int = 0) -> str:
    """A session cookie as Starlette signs one, with ``secret``, ``age_seconds`` old."""

    class Aged(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - age_seconds

    data = base64.b64encode(json.dumps(payload).encode())
    return Aged(secret).sign(data).decode()


def _dana(hours: float = 1) -> dict:
    exp = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()
    return {"user": {"person_id": "dana", "login": "dana", "name": "Dana", "exp": exp}, "csrf": "x" * 32}


def _first_item(html: str) -> tuple[str, str]:
    found = re.search(
        r'name="activity_id" value="([^"]+)"><input type="hidden" name="behaviour_id" value="([^"]+)"', html
    )
    assert found, "no evidence item with a note form on the page"
    return found.group(1), found.group(2)


def _notes(synced) -> list:
    with open_feedback(synced.config.feedback_path, read_only=True) as store:
        return store.query_notes()


def test_without_a_session_nothing_is_shown_and_nothing_written(tiny_web):
    synced, web = tiny_web
    for path in ("/", "/people/ana", "/people/ana/report.json", "/people/nobody"):
        answer = requests.get(web.url + path, allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in", path
        assert "Ana" not in answer.text
    before = len(_notes(synced)) if synced.config.feedback_path.exists() else 0
    post = requests.post(web.url + "/people/ana/notes", data={"kind": "context", "body": "x"}, timeout=30)
    assert post.status_code == 403
    assert len(_notes(synced)) == before


@pytest.mark.parametrize(
    "cookie",
    [
        _cookie(_dana(), "not-the-secret"),  # forged: signed with another key
        _cookie(_dana(), SECRET, age_seconds=9 * 3600),  # expired: older than web.session_hours (8)
        _cookie(_dana(hours=-1), SECRET),  # expired: its own exp has passed
        "eyJ1c2VyIjogeyJwZXJzb25faWQiOiAiZGFuYSJ9fQ==.tampered.sig",  # unsigned JSON
    ],
    ids=["forged", "expired-signature", "expired-exp", "unsigned"],
)
def test_forged_or_expired_cookies_are_no_session(tiny_web, cookie):
    _, web = tiny_web
    answer = requests.get(web.url + "/people/ana", cookies={COOKIE: cookie}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
    # The same payload, correctly signed and current, is a session: the refusals above are the cookie's.
    good = requests.get(web.url + "/people/ana", cookies={COOKIE: _cookie(_dana(), SECRET)}, timeout=30)
    assert good.status_code == 200 and "Ana Lima" in good.text


def test_session_cookie_flags_and_headers_on_every_page(tiny_web):
    _, web = tiny_web
    s = requests.Session()
    page = s.get(web.url + "/sign-in", timeout=30)
    set_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "max-age=28800" in set_cookie
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    for path in ("/sign-in", "/", "/people/ana", "/people/cyd", "/no/such/route"):
        answer = ana.get(web.url + path, timeout=30)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp, path
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_secure_cookie_behind_tls(tiny_web, tmp_path):
    synced, _ = tiny_web
    https = synced.config.model_copy(
        update={"web": synced.config.web.model_copy(update={"public_url": "https://ladder.test"})}
    )
    synced_https = type(synced)(synced.world, synced.server, synced.config_path, https)
    with served(synced_https, publish=False) as web:
        answer = requests.get(web.url + "/sign-in", timeout=30)
        assert "secure" in answer.headers["set-cookie"].lower()


def test_missing_or_wrong_csrf_is_refused(tiny_web):
    synced, web = tiny_web
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    page = ana.get(web.url + "/people/ana", timeout=30).text
    activity, behaviour = _first_item(page)
    before = len(_notes(synced))
    fields = {"kind": "context", "activity_id": activity, "behaviour_id": behaviour, "body": "csrf?"}
    assert ana.post(web.url + "/people/ana/notes", data=fields, timeout=30).status_code == 403
    assert ana.post(web.url + "/people/ana/notes", data=dict(fields, csrf="wrong"), timeout=30).status_code == 403
    assert ana.post(web.url + "/sign-out", data={}, timeout=30).status_code == 403
    assert len(_notes(synced)) == before
    assert "signed in as" in ana.get(web.url + "/", timeout=30).text  # the refused sign-out changed nothing
    # With the page's token the same note is saved: the refusals were the CSRF check's.
    ok = ana.post(web.url + "/people/ana/notes", data=dict(fields, csrf=csrf_of(page)), timeout=30)
    assert ok.status_code == 200 and len(_notes(synced)) == before + 1


def test_another_persons_note_id_is_refused(tiny_web):
    synced, web = tiny_web
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    page = ana.get(web.url + "/people/ana", timeout=30).text
    activity, behaviour = _first_item(page)
    ana.post(
        web.url + "/people/ana/notes",
        data={
            "csrf": csrf_of(page),
            "kind": "dispute",
            "reason": "not_my_work",
            "activity_id": activity,
            "behaviour_id": behaviour,
            "body": "pair-programmed, not mine",
        },
        timeout=30,
    )
    dispute = [n for n in _notes(synced) if n.kind == "dispute" and n.subject_id == "ana"][-1]
    eli = oauth_sign_in(web.url, "eli", "tok-eli")  # cyd's manager, not ana's
    eli_csrf = csrf_of(eli.get(web.url + "/", timeout=30).text)
    for path in (f"/people/cyd/notes/{dispute.note_id}/confirm", f"/people/ana/notes/{dispute.note_id}/confirm"):
        assert eli.post(web.url + path, data={"csrf": eli_csrf}, timeout=30).status_code == 404
    # ana cannot confirm her own dispute; a note on someone else's item or a made-up item is refused too
    ana_csrf = csrf_of(page)
    assert (
        ana.post(web.url + f"/people/ana/notes/{dispute.note_id}/confirm", data={"csrf": ana_csrf}).status_code == 404
    )
    for target in ("/people/cyd/notes", "/people/dana/notes"):
        answer = ana.post(
            web.url + target,
            data={"csrf": ana_csrf, "kind": "context", "activity_id": activity, "behaviour_id": behaviour, "body": "x"},
            timeout=30,
        )
        assert answer.status_code == 404
    made_up = {"csrf": ana_csrf, "kind": "context", "activity_id": "gh:nope", "behaviour_id": behaviour, "body": "x"}
    assert ana.post(web.url + "/people/ana/notes", data=made_up, timeout=30).status_code == 404
    assert not [n for n in _notes(synced) if n.kind == "confirm" and n.refers_to == dispute.note_id]
    # dana, ana's manager, may: the refusals above were about who asked
    dana = oauth_sign_in(web.url, "dana", "tok-dana")
    dana_csrf = csrf_of(dana.get(web.url + "/", timeout=30).text)
    assert (
        dana.post(web.url + f"/people/ana/notes/{dispute.note_id}/confirm", data={"csrf": dana_csrf}).status_code == 200
    )
    assert [n for n in _notes(synced) if n.kind == "confirm" and n.refers_to == dispute.note_id]


def test_a_manager_rejects_a_dispute_the_item_stays_and_both_see_who_did(tiny_web):
    synced, web = tiny_web
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    page = ana.get(web.url + "/people/ana", timeout=30).text
    activity, behaviour = _first_item(page)
    fields = {"kind": "dispute", "reason": "not_my_work", "activity_id": activity, "behaviour_id": behaviour}
    ana.post(web.url + "/people/ana/notes", data=dict(fields, csrf=csrf_of(page), body="not mine"), timeout=30)
    dispute = [n for n in _notes(synced) if n.kind == "dispute" and n.subject_id == "ana"][-1]
    reject = f"{web.url}/people/ana/notes/{dispute.note_id}/reject"
    why = "You wrote the <b>retry</b> part yourself."
    # Refused: the subject, a manager of someone else, a wrong note path, a missing CSRF token.
    eli = oauth_sign_in(web.url, "eli", "tok-eli")
    eli_csrf = csrf_of(eli.get(web.url + "/", timeout=30).text)
    assert ana.post(reject, data={"csrf": csrf_of(page), "body": why}, timeout=30).status_code == 404
    assert eli.post(reject, data={"csrf": eli_csrf, "body": why}, timeout=30).status_code == 404
    dana = oauth_sign_in(web.url, "dana", "tok-dana")
    dana_csrf = csrf_of(dana.get(web.url + "/", timeout=30).text)
    assert dana.post(reject.replace("/people/ana/", "/people/bo/"), data={"csrf": dana_csrf}).status_code == 404
    assert dana.post(reject, data={"body": why}, timeout=30).status_code == 403
    assert not [n for n in _notes(synced) if n.refers_to == dispute.note_id]

    # dana, ana's manager, rejects it with a reason: a new row, the dispute untouched (append-only).
    assert dana.post(reject, data={"csrf": dana_csrf, "body": why}, timeout=30).status_code == 200
    rows = [n for n in _notes(synced) if n.refers_to == dispute.note_id]
    assert [(n.kind, n.author_id, n.author_role, n.body) for n in rows] == [("reject", "dana", "manager", why)]
    assert dispute in _notes(synced)
    # Decided once: a later confirmation (or rejection) is refused and writes nothing.
    confirm = reject.replace("/reject", "/confirm")
    assert dana.post(confirm, data={"csrf": dana_csrf}, timeout=30).status_code == 409
    assert len([n for n in _notes(synced) if n.refers_to == dispute.note_id]) == 1

    # Both see the rejection, who and when, the reason escaped; the item is still evidence for both.
    for session in (ana, dana):
        html = session.get(web.url + "/people/ana", timeout=30).text
        assert f"Rejected by Dana Okafor (manager), {rows[0].created_at.isoformat(timespec='minutes')}" in html
        assert "You wrote the &lt;b&gt;retry&lt;/b&gt; part yourself." in html
        data = session.get(web.url + "/people/ana/report.json", timeout=30).json()
        items = {
            (i["activity_id"], i["behaviour_id"]): i
            for d in data["dimensions"]
            for b in d["behaviours"]
            for i in b.get("evidence", [])
        }
        shown = next(n for n in items[(activity, behaviour)]["notes"] if n["note_id"] == dispute.note_id)
        assert shown["rejected"] and shown["decision"]["by"] == "Dana Okafor"
    dana_page = dana.get(web.url + "/people/ana", timeout=30).text
    assert f"/notes/{dispute.note_id}/reject" not in dana_page  # no buttons on a decided dispute
    with open_feedback(synced.config.feedback_path, read_only=True) as store:
        audit = [(a["action"], a["viewer_id"], a["status"]) for a in store.query_audit()]
    assert [a for a in audit if a[0] == "reject_dispute"] == [
        ("reject_dispute", "ana", 404),
        ("reject_dispute", "eli", 404),
        ("reject_dispute", "dana", 404),
        ("reject_dispute", "dana", 303),
    ]
    assert ("write_refused", "dana", 403) in audit and ("confirm_dispute", "dana", 409) in audit


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element a browser would build from ``html``: (tag, attributes)."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Parser().feed(html)
    return found


HOSTILE = {
    "script": "<script>alert('x')</script>",
    "markup": '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">click</a></li></ol><h1>fake</h1>',
    "bidi": "signed off \u202egnp.exe\u202c by \u2066me\u2069",
    "nul": "before\x00after\x07bell",
}


def test_hostile_note_text_is_inert_or_refused(tiny_web):
    synced, web = tiny_web
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    page = ana.get(web.url + "/people/ana", timeout=30).text
    activity, behaviour = _first_item(page)
    base = {"csrf": csrf_of(page), "kind": "context", "activity_id": activity, "behaviour_id": behaviour}
    for name, text in HOSTILE.items():
        assert ana.post(web.url + "/people/ana/notes", data=dict(base, body=text), timeout=30).status_code == 200, name
    huge = ana.post(web.url + "/people/ana/notes", data=dict(base, body="x" * 1_000_000), timeout=60)
    assert huge.status_code == 413
    long = ana.post(web.url + "/people/ana/notes", data=dict(base, body="y" * 6000), timeout=30)
    assert long.status_code == 400
    bad_link = dict(base, kind="extra", body="talk", link="javascript:alert(1)")
    assert ana.post(web.url + "/people/ana/notes", data=bad_link, timeout=30).status_code == 400
    dana = oauth_sign_in(web.url, "dana", "tok-dana")
    for reader in (ana, dana):
        html = reader.get(web.url + "/people/ana", timeout=30).text
        tags = _elements(html)
        assert not [t for t, _ in tags if t == "script"], "a script element on the page"
        assert not [a for _, attrs in tags for a, _ in attrs if a.startswith("on")], "an event-handler attribute"
        assert not [v for _, attrs in tags for a, v in attrs if a == "href" and "javascript" in (v or "").lower()]
        assert [t for t, _ in tags if t == "h1"] == ["h1"]  # the note's <h1> stayed text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "&lt;h1&gt;fake&lt;/h1&gt;" in html
        assert not re.search("[\u202a-\u202e\u2066-\u2069\x00\x07]", html)
        assert "beforeafterbell" in html and "signed off gnp.exe by me" in html
    assert not any("y" * 6000 in n.body or "x" * 5001 in n.body for n in _notes(synced))


def test_no_token_or_secret_in_audit_logs_or_pages(tiny_web, caplog):
    synced, web = tiny_web
    world = synced.world
    caplog.set_level(logging.DEBUG)
    pages = []
    ana = oauth_sign_in(web.url, "ana", "tok-ana")
    bo = token_sign_in(web.url, "tok-bo", "bo")
    for session, who in ((ana, "ana"), (bo, "bo")):
        for path in ("/", f"/people/{who}", f"/people/{who}/report.json", "/people/cyd"):
            pages.append(session.get(web.url + path, timeout=30).text)
    with open_feedback(synced.config.feedback_path, read_only=True) as store:
        audit = json.dumps(store.query_audit(), default=str)
    stored = synced.config.feedback_path.read_bytes().decode("latin-1")
    issued = [t for t in synced.server.state._tokens if t.startswith("gho_")]  # what the OAuth flow handed out
    assert issued
    secrets_ = ["tok-ana", "tok-bo", world.tokens.oauth_client_secret, SECRET, world.tokens.service, *issued]
    # urllib3's lines are this test's own browser side (the callback URL a browser shows carries the code)
    # and the server's GET /user, which logs no header; everything else is the server's.
    logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    assert "GET /auth/callback 303" in logs
    for where, text in (("audit", audit), ("logs", logs), ("pages", "".join(pages)), ("feedback file", stored)):
        for secret in secrets_:
            assert secret not in text, f"{secret[:6]}… in the {where}"
        assert "gho_" not in text, f"an OAuth user token in the {where}"
        assert "code=" not in text, f"an OAuth code in the {where}"
    assert '"sign_in"' in audit and '"view_report"' in audit and '"export_report"' in audit
    assert json.loads(audit)[-1]["status"] == 404  # bo asked for cyd: denied, and recorded
