"""Run by test_token_host.py in a subprocess (with and without ``python -O``): a sandbox whose answers point
the clients at a trap (a Link header, 301/302/307/308 redirects), the real miners against it, and a JSON
line of what the trap received.  Loopback only; waits run on the sandbox's virtual clock."""

from __future__ import annotations

import json
import sys

from jira import JIRA

from miners.github.miner import mine_github
from miners.jira.client import RetryPolicy
from miners.jira.miner import mine_jira
from sandbox.faults import FaultProfile
from sandbox.generate import generate_world
from sandbox.server import SandboxServer
from tests.support.harness import VirtualTime, github_client, policy_for
from tests.support.trap import Trap


def main() -> None:
    world = generate_world(engineers=12, months=2, seed=1)
    out: dict[str, object] = {"asserts": __debug__}
    with Trap() as trap:
        comments = "/api/v3/repos/acme/model-registry/pulls/comments"  # 256 comments: a next page exists
        cases = {
            "link": {"kind": "foreign_link", "target": trap.url, "apis": ["github"], "paths": [comments], "rate": 1.0},
            **{
                f"redirect-{status}": {
                    "kind": "redirect",
                    "status": status,
                    "target": trap.url,
                    "apis": ["github"],
                    "paths": ["/api/graphql", comments],
                    "at": [2],
                }
                for status in (301, 302, 307, 308)
            },
            "jira-redirect": {"kind": "redirect", "status": 302, "target": trap.url, "apis": ["jira"], "at": [3]},
        }
        for name, rule in cases.items():
            with SandboxServer(world, faults=FaultProfile.model_validate({"rules": [rule]})) as server:
                if name.startswith("jira"):
                    vt = VirtualTime(server.state)
                    client = JIRA(
                        server=server.jira_url, basic_auth=("x@acme.test", world.tokens.service), max_retries=0
                    )
                    batches = list(mine_jira(client, ["ML", "RANK"], {}, retry=RetryPolicy(sleep=vt.sleep)))
                else:
                    policy, _ = policy_for(server)
                    gh = github_client(server, world.tokens.service)
                    batches = list(mine_github(gh, [world.org], {}, include_archived=True, policy=policy))
                out[name] = {
                    "errors": sorted({b.error for b in batches if b.error}),
                    "failed": sorted(b.partition for b in batches if b.error),
                    "injected": server.state.stats().get("faults", {}).get("injected", {}),
                }
        out["trap_requests"] = len(trap.requests)
        out["trap_tokens"] = len(trap.tokens)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
