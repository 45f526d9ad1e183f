"""``ladder serve`` against a synced sandbox world: the snapshot published, the app on loopback, sign-ins.

Sign-ins go through the real routes: GitHub's OAuth web flow served by the sandbox (the browser's part
played by ``requests``, following redirects and posting the sandbox's sign-in form), or a pasted token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import requests

from flows.snapshot import publish_snapshot
from flows.web.serve import WebServer
from tests.support.synced import Synced

SECRET = "test-session-secret-0123456789abcdef"


@contextmanager
def served(synced: Synced, *, publish: bool = True, **options) -> Iterator[WebServer]:
    """The app for ``synced``'s config (after publishing a snapshot), serving in a thread."""
    if publish:
        publish_snapshot(synced.config)
    with WebServer(synced.config, secret=SECRET, **options) as server:
        yield server


class _Forms(HTMLParser):
    """Every form's action and its inputs' names and values (hidden fields included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "id": a.get("id"), "fields": {}})
        elif tag in ("input", "button", "select", "textarea") and self.forms and a.get("name"):
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value") or "")


def forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def oauth_sign_in(web_url: str, login: str, password: str) -> requests.Session:
    """A browser session signed in through the sandbox's OAuth app as ``login``."""
    s = requests.Session()
    page = s.get(f"{web_url}/sign-in/github", timeout=30)  # → the sandbox's authorize form
    assert page.status_code == 200 and "/login/oauth/authorize" in page.text, page.text[:300]
    form = forms(page.text)[0]
    fields = dict(form["fields"], login=login, password=password)
    answer = s.post(page.url.split("?")[0], data=fields, timeout=30)  # → /auth/callback → /
    return _signed_in(s, answer, login)


def token_sign_in(web_url: str, token: str, login: str = "") -> requests.Session:
    s = requests.Session()
    page = s.get(f"{web_url}/sign-in", timeout=30)
    answer = s.post(f"{web_url}/sign-in/token", data={"csrf": csrf_of(page.text), "token": token}, timeout=30)
    return _signed_in(s, answer, login)


def _signed_in(s: requests.Session, answer: requests.Response, login: str) -> requests.Session:
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    assert "signed in as" in answer.text, answer.text[:500]
    if login:
        assert f"({login})" in answer.text
    return s


def token_sign_in_refused(web_url: str, token: str) -> requests.Response:
    """The answer to a token sign-in that must fail (the caller checks the status)."""
    s = requests.Session()
    page = s.get(f"{web_url}/sign-in", timeout=30)
    return s.post(f"{web_url}/sign-in/token", data={"csrf": csrf_of(page.text), "token": token}, timeout=30)
