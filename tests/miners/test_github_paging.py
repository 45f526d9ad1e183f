"""REST paging when a full page comes without a ``next`` link: the last page of a list exactly a multiple of
the page size long (GitHub's own answer: no warning, one probe request), or a proxy that drops ``Link``
headers (the probe finds more: paging goes on by number, and the warning says so).  The real PyGithub
requester against the sandbox over loopback."""

from __future__ import annotations

import logging

import pytest
from github import Auth, Github

from miners.github.client import GitHubReader
from sandbox.faults import FaultProfile
from sandbox.server import SandboxServer
from tests.support.worlds import tiny_world

TEAMS = "/orgs/acme/teams"  # two teams in the tiny world


@pytest.fixture(scope="module")
def server():
    with SandboxServer(tiny_world(), faults=FaultProfile()) as srv:
        yield srv


def _reader(server) -> GitHubReader:
    return GitHubReader(Github(base_url=server.github_url, auth=Auth.Token("tok-ana")).requester)


def test_a_list_ending_on_a_full_page_costs_one_probe_and_no_warning(server, caplog):
    server.faults.enabled = False
    reader = _reader(server)
    with caplog.at_level(logging.DEBUG, logger="miners.github.client"):
        items = reader.fetch_all(TEAMS, {"per_page": 2}, what="acme's teams")
    assert len({t["slug"] for t in items}) == 2
    assert reader.requests == 2  # the full page, then the probe of page 2 (empty)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "asking for page 2" in caplog.text  # said at debug level only


def test_a_proxy_dropping_link_headers_is_paged_through_and_named(server, caplog):
    server.faults.use(
        FaultProfile.model_validate(
            {
                "rules": [
                    {
                        "kind": "malformed",
                        "mode": "no_page_info",
                        "rate": 1.0,
                        "apis": ["github"],
                        "paths": ["/api/v3/orgs/*/teams"],
                    }
                ]
            }
        )
    )
    server.faults.enabled = True
    try:
        reader = _reader(server)
        with caplog.at_level(logging.WARNING, logger="miners.github.client"):
            items = reader.fetch_all(TEAMS, {"per_page": 1}, what="acme's teams")
    finally:
        server.faults.enabled = False
        server.faults.use(FaultProfile())
    assert len({t["slug"] for t in items}) == 2  # nothing lost without the header
    assert reader.requests == 3  # two pages, then the empty third
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "drops Link headers" in warnings[0] and "acme's teams" in warnings[0]
