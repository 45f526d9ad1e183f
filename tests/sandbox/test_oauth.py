"""The sandbox's GitHub OAuth web flow: authorize (sign-in form → code), access token, GitHub's error shapes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from github import Auth, Github

from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

CALLBACK = "http://127.0.0.1:9/auth/callback"


@pytest.fixture(scope="module")
def server():
    with SandboxServer(tiny_world()) as running:
        yield running


def _code(server, login="ana", password="tok-ana", state="s1") -> str:
    world = server.state.world
    form = {
        "client_id": world.tokens.oauth_client_id,
        "redirect_uri": CALLBACK,
        "state": state,
        "login": login,
        "password": password,
    }
    answer = requests.post(f"{server.base_url}/login/oauth/authorize", data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CALLBACK
    query = parse_qs(target.query)
    assert query["state"] == [state]
    return query["code"][0]


def _exchange(server, code: str, secret: str | None = None, redirect_uri: str = CALLBACK) -> dict:
    world = server.state.world
    data = {
        "client_id": world.tokens.oauth_client_id,
        "client_secret": secret or world.tokens.oauth_client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
    }
    return requests.post(
        f"{server.base_url}/login/oauth/access_token", data=data, headers={"Accept": "application/json"}, timeout=30
    ).json()


def test_sign_in_gives_a_code_and_the_code_a_token_that_get_user_answers_for(server):
    world = server.state.world
    page = requests.get(
        f"{server.base_url}/login/oauth/authorize",
        timeout=30,
        params={"client_id": world.tokens.oauth_client_id, "redirect_uri": CALLBACK, "state": "s"},
    )
    assert page.status_code == 200 and 'name="login"' in page.text.replace("'", '"')
    token = _exchange(server, _code(server))["access_token"]
    assert token.startswith("gho_")
    user = Github(base_url=server.github_url, auth=Auth.Token(token), retry=None).get_user()
    assert (user.login, user.id) == ("ana", next(p for p in world.people if p.login == "ana").github_id or user.id)


def test_errors_have_githubs_shapes(server):
    world = server.state.world
    bad_client = requests.get(
        f"{server.base_url}/login/oauth/authorize", timeout=30, params={"client_id": "nope", "redirect_uri": CALLBACK}
    )
    assert bad_client.status_code == 404
    no_redirect = requests.get(
        f"{server.base_url}/login/oauth/authorize",
        timeout=30,
        params={"client_id": world.tokens.oauth_client_id, "redirect_uri": "javascript:x"},
    )
    assert no_redirect.status_code == 400
    wrong = requests.post(
        f"{server.base_url}/login/oauth/authorize",
        allow_redirects=False,
        timeout=30,
        data={
            "client_id": world.tokens.oauth_client_id,
            "redirect_uri": CALLBACK,
            "login": "ana",
            "password": "tok-bo",
        },
    )
    assert wrong.status_code == 401 and "Incorrect username or password" in wrong.text
    assert _exchange(server, _code(server), secret="wrong")["error"] == "incorrect_client_credentials"
    code = _code(server)
    assert _exchange(server, code, redirect_uri="http://127.0.0.1:9/elsewhere")["error"] == "bad_verification_code"
    code = _code(server)
    assert "access_token" in _exchange(server, code)
    assert _exchange(server, code)["error"] == "bad_verification_code"  # a code is used once


def test_a_code_expires_after_ten_minutes_of_the_virtual_clock(server):
    code = _code(server)
    start = server.state.now
    try:
        requests.post(f"{server.base_url}/_sandbox/clock", json={"advance_seconds": 601}, timeout=30)
        assert _exchange(server, code)["error"] == "bad_verification_code"
    finally:
        server.state.now = start


def test_form_encoded_answer_by_default_and_escaped_fields(server):
    world = server.state.world
    page = requests.get(
        f"{server.base_url}/login/oauth/authorize",
        timeout=30,
        params={"client_id": world.tokens.oauth_client_id, "redirect_uri": CALLBACK, "state": '"><script>x</script>'},
    )
    assert "<script>" not in page.text and re.search(r"&quot;&gt;&lt;script&gt;", page.text)
    data = {
        "client_id": world.tokens.oauth_client_id,
        "client_secret": world.tokens.oauth_client_secret,
        "code": _code(server),
    }
    answer = requests.post(f"{server.base_url}/login/oauth/access_token", data=data, timeout=30)
    assert answer.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(answer.text)["token_type"] == ["bearer"]
