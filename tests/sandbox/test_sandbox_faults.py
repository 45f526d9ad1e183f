"""Fault injection (sandbox/faults.py): each fault kind as a real client sees it, determinism, metering."""

from __future__ import annotations

import http.client

import pytest
import requests
from github import Auth, Github, GithubException

from sandbox.faults import FaultProfile, FaultProfileError, load_profile
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

TOKEN = {"Authorization": "token tok-service"}


def profile(*rules: dict, seed: int = 0) -> FaultProfile:
    return FaultProfile.model_validate({"seed": seed, "rules": list(rules)})


def get(server: SandboxServer, path: str = "/api/v3/repos/acme/trainer/pulls/comments") -> requests.Response:
    return requests.get(server.base_url + path, headers=TOKEN, timeout=10)


def test_error_burst_at_a_scheduled_request_then_recovery():
    rules = {"kind": "error", "at": [2], "burst": 3, "statuses": [502, 503]}
    with SandboxServer(tiny_world(), faults=profile(rules)) as server:
        statuses = [get(server).status_code for _ in range(6)]
        stats = server.state.stats()
    assert statuses[0] == 200 and statuses[4:] == [200, 200]
    assert set(statuses[1:4]) <= {502, 503} and len(statuses[1:4]) == 3
    assert stats["faults"]["injected"] == {"error": 3}
    by_endpoint = stats["github"]["by_endpoint"]
    assert sum(v for k, v in by_endpoint.items() if k.startswith("(fault).")) == 3
    assert by_endpoint["/repos/{owner}/{repo}/pulls/comments.200"] == 3
    assert stats["github"]["rest_counted"] == 3  # faults are not charged to the budget


def test_decisions_are_deterministic_per_seed():
    def run(seed: int) -> list[int]:
        rules = {"kind": "error", "rate": 0.3, "statuses": [500, 502, 503]}
        with SandboxServer(tiny_world(), faults=profile(rules, seed=seed)) as server:
            return [get(server).status_code for _ in range(40)]

    first, again, other = run(11), run(11), run(12)
    assert first == again
    assert first != other
    assert 3 <= sum(s != 200 for s in first) <= 25


def test_secondary_limit_on_github_and_jira_carries_retry_after():
    rules = {"kind": "secondary_limit", "at": [1, 2], "retry_after_seconds": 7}
    with SandboxServer(tiny_world(), faults=profile(rules)) as server:
        gh = get(server)
        jira = requests.get(
            server.jira_url + "/rest/api/3/myself", headers={"Authorization": "Bearer tok-service"}, timeout=10
        )
    assert (gh.status_code, gh.headers["Retry-After"]) == (403, "7")
    assert "secondary rate limit" in gh.json()["message"]
    assert (jira.status_code, jira.headers["Retry-After"]) == (429, "7")


def test_budget_exhaustion_is_what_pygithub_reads_as_a_rate_limit():
    rules = {"kind": "budget_exhaustion", "apis": ["github"], "at": [1]}
    with SandboxServer(tiny_world(), faults=profile(rules)) as server:
        gh = Github(
            base_url=server.github_url,
            auth=Auth.Token("tok-service"),
            retry=None,
            seconds_between_requests=0,
            lazy=True,
        )
        repo = gh.get_repo("acme/trainer")  # lazy: no request until the comments are listed
        with pytest.raises(GithubException) as info:
            list(repo.get_pulls_comments())
        assert info.value.status == 403
        assert info.value.headers["x-ratelimit-remaining"] == "0"
        reset = int(info.value.headers["x-ratelimit-reset"])
        assert reset > server.state.now.timestamp()
        assert [c.id for c in repo.get_pulls_comments()] == [7001, 7002]  # one refusal (burst 1), then served


def test_reset_closes_the_connection_without_a_response():
    with SandboxServer(tiny_world(), faults=profile({"kind": "reset", "at": [1]})) as server:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.request("GET", "/api/v3/user", headers=TOKEN)
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            conn.getresponse()
        conn.close()
        assert get(server, "/api/v3/user").status_code == 200
        assert server.state.stats()["github"]["by_endpoint"]["(fault).reset"] == 1


def test_truncated_body_is_detected_by_the_client():
    with SandboxServer(tiny_world(), faults=profile({"kind": "truncate", "at": [1], "keep_fraction": 0.3})) as srv:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            get(srv)
        whole = get(srv)
        assert whole.status_code == 200 and len(whole.json()) >= 1
        assert srv.state.stats()["faults"]["injected"] == {"truncate": 1}


def test_slow_answers_still_arrive_and_filters_select_requests():
    rules = [
        {"kind": "slow", "rate": 1.0, "delay_ms": 1, "apis": ["jira"]},
        {"kind": "error", "rate": 1.0, "paths": ["/api/v3/orgs/*"], "methods": ["GET"]},
    ]
    with SandboxServer(tiny_world(), faults=FaultProfile.model_validate({"rules": rules})) as server:
        assert get(server, "/api/v3/repos/acme/trainer/pulls/comments").status_code == 200
        assert get(server, "/api/v3/orgs/acme/teams").status_code >= 500
        assert requests.get(server.base_url + "/_sandbox/stats", timeout=10).status_code == 200  # never faulted
        jira = requests.get(
            server.jira_url + "/rest/api/3/myself", headers={"Authorization": "Bearer tok-service"}, timeout=10
        )
        assert jira.status_code == 200
        assert server.state.stats()["faults"]["injected"] == {"slow": 1, "error": 1}


def test_shipped_profiles_load_and_bad_profiles_name_the_key(tmp_path):
    for name in ("flaky", "outage", "throttled"):
        assert load_profile(name).rules
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - kind: error\n    rate: 2\n", encoding="utf-8")
    with pytest.raises(FaultProfileError, match=r"rules\.0\.error\.rate"):
        load_profile(bad)
    with pytest.raises(FaultProfileError, match="flaky"):
        load_profile("no-such-profile")
