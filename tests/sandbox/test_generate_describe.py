"""`ladder sandbox describe`: counts that match the world file, text and JSON, and clean errors."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from flows.cli.main import LadderGroup
from sandbox.describe import COUNT_KEYS, describe_world, register
from sandbox.generate import generate_world
from sandbox.world import WorldError, write_world
from tests.support.worlds import tiny_world


@pytest.fixture(scope="module")
def world():
    return generate_world(engineers=20, months=2, seed=3)


def _cli() -> click.Group:
    @click.group(cls=LadderGroup)
    def ladder() -> None:
        """ladder"""

    @ladder.group(cls=LadderGroup)
    def sandbox() -> None:
        """sandbox"""

    register(sandbox)
    return ladder


def test_counts_of_a_hand_written_world():
    summary = describe_world(tiny_world())
    world = tiny_world()
    assert summary["people"] == 7 and summary["humans"] == 6 and summary["bots"] == 1
    assert summary["pull_requests"] == len(world.pull_requests) == 5
    assert summary["tickets"] == len(world.jira_issues) == 8
    assert summary["incidents"] == 1 and summary["teams"] == 2 and summary["repos"] == 3
    assert summary["reviews"] == sum(len(pr.reviews) for pr in world.pull_requests)
    assert summary["personas"] == {"mentor": 1, "newcomer": 1, "rubber_stamper": 1, "sev_owner": 1}
    assert summary["identities"]["deleted_accounts"] == 1


def test_json_command_matches_the_world_file(tmp_path, world):
    path = tmp_path / "world.json"
    write_world(world, path)
    result = CliRunner().invoke(_cli(), ["sandbox", "describe", "--world", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary == json.loads(json.dumps(describe_world(world)))
    prs = world.pull_requests
    assert summary["review_requests"] == sum(len(pr.review_requests) for pr in prs) > summary["pull_requests"] / 2
    assert summary["review_comments"] == sum(len(pr.review_comments) for pr in prs) > 0
    assert summary["issue_comments"] == sum(len(pr.issue_comments) for pr in prs) > 0
    assert summary["commits"] >= summary["pull_requests"]
    assert summary["jira_projects"] == len(world.jira_projects)
    assert summary["incidents"] == sum(1 for i in world.jira_issues if i.issue_type == "Incident") > 0
    assert set(summary["personas"]) >= {"mentor", "rubber_stamper", "newcomer"}
    assert summary["career"] == {"team_moves": 1, "level_changes": 1}
    assert summary["identities"]["renamed_logins"] >= 1 and summary["identities"]["co_authored_commits"] > 0

    text = CliRunner().invoke(_cli(), ["sandbox", "describe", "--world", str(path)])
    assert text.exit_code == 0
    for key in COUNT_KEYS:
        assert f"{key} " in text.output
    assert f"{summary['pull_requests']:,}" in text.output


def test_a_bad_world_file_is_a_clean_error(tmp_path):
    path = tmp_path / "world.json"
    path.write_text('{"format_version": 1, "name": "x"}', encoding="utf-8")
    result = CliRunner().invoke(_cli(), ["sandbox", "describe", "--world", str(path)])
    assert result.exit_code == 2
    assert "world.json" in result.output and "invalid world file" in result.output
    assert "Traceback" not in result.output
    plain = click.Group("sandbox")  # outside the ladder CLI the WorldError itself comes out
    register(plain)
    with pytest.raises(WorldError, match="cannot read world file .*none.json"):
        CliRunner().invoke(plain, ["describe", "--world", str(tmp_path / "none.json")], catch_exceptions=False)
