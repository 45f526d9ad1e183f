"""Failed sign-ins are throttled per client address and per GitHub account: 429 with Retry-After, the same answer
whoever the account is, nothing sent to GitHub while throttled; the app's clock (patched here) lifts it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from tests.support.web import csrf_of, served
from warehouse.feedback import open_feedback

START = dt.datetime(2026, 10, 25, 9, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def limited(tiny_web):
    """``ladder serve`` on tiny_world with at most 3 failures in 10 minutes, on a clock the test moves."""
    synced, _ = tiny_web
    web = synced.config.web.model_copy(update={"sign_in_failures": 3, "sign_in_window_minutes": 10})
    config = synced.config.model_copy(update={"web": web})
    clock = Clock()
    with served(type(synced)(synced.world, synced.server, synced.config_path, config), clock=clock) as server:
        yield synced, server, clock


def _sign_in(url: str, token: str, address: str) -> requests.Response:
    """A pasted-token sign-in from ``address`` (the app sees it as the client's: X-Forwarded-For from loopback)."""
    s = requests.Session()
    s.headers["X-Forwarded-For"] = address
    page = s.get(f"{url}/sign-in", timeout=30)
    return s.post(f"{url}/sign-in/token", data={"csrf": csrf_of(page.text), "token": token}, timeout=30)


def _github_requests(synced) -> int:
    return requests.get(synced.server.base_url + "/_sandbox/stats", timeout=30).json()["github"]["requests"]


def _problem(answer: requests.Response) -> str:
    found = re.search(r"Too many failed sign-ins[^<]*", answer.text)
    assert found, answer.text[:500]
    return found.group(0)


def test_an_address_is_throttled_after_its_failures_and_freed_by_the_window(limited):
    synced, web, clock = limited
    clock.now = START
    for _ in range(3):
        assert _sign_in(web.url, "not-a-token", "203.0.113.1").status_code == 403
    asked = _github_requests(synced)
    blocked = _sign_in(web.url, "tok-ana", "203.0.113.1")  # even a good token: the address waits
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "600"
    assert _problem(blocked) == "Too many failed sign-ins lately: try again in 10 minutes."
    assert "signed in as" not in blocked.text
    assert _github_requests(synced) == asked  # nothing went to GitHub for it
    # Another address is not affected.
    assert "signed in as" in _sign_in(web.url, "tok-ana", "203.0.113.2").text
    clock.now = START + dt.timedelta(seconds=599)
    assert _sign_in(web.url, "tok-ana", "203.0.113.1").headers["Retry-After"] == "1"
    clock.now = START + dt.timedelta(seconds=600)
    freed = _sign_in(web.url, "tok-ana", "203.0.113.1")
    assert freed.status_code == 200 and "signed in as" in freed.text


def test_an_account_is_throttled_from_any_address_without_saying_whether_it_exists(limited):
    synced, web, clock = limited
    clock.now = START + dt.timedelta(hours=1)
    outsider = synced.world.tokens.service  # a real GitHub account, not a roster person
    for n in range(3):
        assert _sign_in(web.url, outsider, f"198.51.100.{n}").status_code == 403
    blocked = _sign_in(web.url, outsider, "198.51.100.9")  # a fresh address: the account waits
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "600"
    # The same words as for a throttled address: nothing says the account is (or is not) in the roster.
    assert _problem(blocked) == "Too many failed sign-ins lately: try again in 10 minutes."
    assert "roster" not in blocked.text.split("Too many failed sign-ins")[1].split("</")[0]
    # Someone else from that address signs in: it was the account that waited.
    assert "signed in as" in _sign_in(web.url, "tok-bo", "198.51.100.9").text


def test_oauth_callback_failures_count_too(limited):
    synced, web, clock = limited
    clock.now = START + dt.timedelta(hours=2)
    s = requests.Session()
    s.headers["X-Forwarded-For"] = "192.0.2.7"
    for _ in range(3):
        answer = s.get(f"{web.url}/auth/callback?state=forged&code=whatever", timeout=30)
        assert answer.status_code == 403
    asked = _github_requests(synced)
    blocked = s.get(f"{web.url}/auth/callback?state=forged&code=whatever", timeout=30)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) == 600
    assert _github_requests(synced) == asked
    with open_feedback(synced.config.feedback_path, read_only=True) as store:
        audit = store.query_audit()
    throttled = [a for a in audit if a["action"] == "sign_in_throttled"]
    assert {a["detail"] for a in throttled} == {"token", "oauth"} and all(a["status"] == 429 for a in throttled)
    assert not [a for a in audit if "tok-" in str(a) or synced.world.tokens.service in str(a)]
