"""Issue 15: an established client that is not ours — Perceval — against the strict sandbox, past an hour's budget.

    python -m bench.bench_foreign_client [--engineers 40] [--months 6] [--seed 3] [--heavy-tail 0.03]

Perceval (GrimoireLab's data retriever, https://pypi.org/project/perceval/, GPL-3.0) is installed into
a venv of its own, ``.venv-perceval`` (created on first use; the project does not depend on it), and
run as released by ``bench/perceval_driver.py``: its GitHub backend (categories issue, pull_request and
repository, GitHub Enterprise base URL = the sandbox, ``sleep_for_rate``) over every repo of the world,
and its Jira backend over every project of the same world served as Jira Data Center (Perceval 1.6.1
still calls ``/rest/api/2/search``, which Jira Cloud removed; the sandbox's Cloud flavour answers it
410 like the real service).  Only the clock and sleep are patched, onto the sandbox's virtual clock.

The sandbox is strict as in the tests and benches (5,000 REST requests per token per virtual hour,
900 per virtual minute with ``Retry-After``).  Prints: items fetched per category against the world,
requests and their statuses, budget windows used and virtual hours, rate-limit and secondary-limit
waits, and every crash (there must be none).  Bounded: one world, loopback only, one pass.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from sandbox.generate import generate_world
from sandbox.github.http import side
from sandbox.github.payloads import org_logins
from sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-perceval"
PERCEVAL = "perceval==1.6.1"


def perceval_python() -> Path:
    """The Python of ``.venv-perceval``, creating the venv and installing Perceval there on first use."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed-stamp"
    if not stamp.exists():
        print(f"setting up {VENV.name} with {PERCEVAL} (first run only)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "-q", PERCEVAL]
        subprocess.run(pip, check=True)
        stamp.write_text(PERCEVAL + "\n")
    return python


def world_counts(world) -> dict[str, dict[str, int]]:
    now = world.now
    prs = [p for p in world.pull_requests if p.created_at <= now]
    issues = [i for i in world.jira_issues if i.created <= now]
    return {
        "issue": {
            "items": len(prs),  # every sandbox issue is a PR
            "pull_requests": len(prs),
            "comments": sum(sum(c.created_at <= now for c in p.issue_comments) for p in prs),
        },
        "pull_request": {
            "items": len(prs),
            "reviews": sum(sum(r.submitted_at <= now for r in p.reviews) for p in prs),
            "review_comments": sum(sum(c.created_at <= now for c in p.review_comments) for p in prs),
            "commits": sum(sum(c.committed_at <= now for c in p.commits) or 1 for p in prs),
            "merged": sum(p.merged_at is not None and p.merged_at <= now for p in prs),
        },
        "repository": {"items": len(world.repos)},
        "jira_issue": {
            "items": len(issues),
            "comments": sum(sum(c.created <= now for c in i.comments) for i in issues),
            "changelog_entries": sum(sum(c.created <= now for c in i.changelog) for i in issues),
        },
    }


def expected_orgs(world, login: str) -> list[str]:
    """What ``/users/{login}/orgs`` must list: every org the world serves for a person, none for a bot."""
    person = next((p for p in world.people if p.login == login), None)
    if login == "ghost" or (person is not None and person.is_bot):
        return []
    return org_logins(world)


def run(engineers: int, months: int, seed: int, heavy_tail: float, report=print) -> dict:
    python = perceval_python()
    world = generate_world(engineers=engineers, months=months, seed=seed, heavy_tail=heavy_tail)
    world.jira_flavour = "datacenter"
    report(
        f"world: {engineers} engineers, {months} months, seed {seed}, heavy tail {heavy_tail}: "
        f"{len(world.repos)} repos, {len(world.pull_requests)} PRs, {len(world.jira_issues)} tickets (Jira Data Center)"
    )
    with SandboxServer(world) as server:
        base = server.github_url.rsplit("/api/v3", 1)[0]  # Perceval appends /api/v3 to an Enterprise URL
        args = {
            "github_url": base,
            "clock_url": base,
            "jira_url": server.jira_url,
            "github_token": world.tokens.service,
            "jira_token": world.tokens.service,
            "repos": [r.full_name for r in world.repos],
            "jira_projects": [p.key for p in world.jira_projects],
        }
        start = server.state.now
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(python), str(ROOT / "bench" / "perceval_driver.py"), json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"the Perceval driver failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        got = json.loads(done.stdout.strip().splitlines()[-1])
        stats = server.state.stats()
        windows = sorted(v for (token, _), v in side(server.state).used.items() if token == world.tokens.service)
        hours = (server.state.now - start).total_seconds() / 3600
    want = world_counts(world)
    fetched = {**got["github"], "jira_issue": got["jira"].get("issue", {})}
    rows = []
    for category, kinds in want.items():
        for kind, expected in kinds.items():
            rows.append((category, kind, fetched.get(category, {}).get(kind, 0), expected))
    out = {
        "seconds": round(seconds, 1),
        "github_requests": stats["github"]["requests"],
        "github_by_status": stats["github"]["by_status"],
        "jira_requests": stats["jira"]["requests"],
        "jira_by_status": stats["jira"]["by_status"],
        "budget_windows": len(windows),
        "requests_per_window": windows,
        "virtual_hours": round(hours, 2),
        "virtual_seconds_slept": got["virtual_seconds_slept"],
        "sleeps": got["sleeps"],
        "sleeps_by_caller": got["sleeps_by_caller"],
        "github_403_by_endpoint": {
            k[: -len(".403")]: v for k, v in stats["github"]["by_endpoint"].items() if k.endswith(".403")
        },
        "user_orgs_wrong": sorted(
            login for login, orgs in got["user_orgs"].items() if orgs != expected_orgs(world, login)
        ),
        "users_read": len(got["user_orgs"]),
        "crashes": got["crashes"],
        "rows": rows,
    }
    out["equal"] = all(a == b for _, _, a, b in rows) and not out["user_orgs_wrong"]
    report(
        f"Perceval fetched in {out['seconds']} s: GitHub {out['github_requests']} requests {out['github_by_status']}, "
        f"Jira {out['jira_requests']} requests {out['jira_by_status']}"
    )
    report(
        f"budget windows (virtual hours) used: {out['budget_windows']}, charged requests per window "
        f"{out['requests_per_window']}; virtual clock moved {out['virtual_hours']} h in {out['sleeps']} sleeps"
    )
    report(
        f"waits by who slept (count, virtual seconds): {out['sleeps_by_caller']}; "
        f"403 answers by endpoint: {out['github_403_by_endpoint']}"
    )
    report(
        f"user orgs as Perceval kept them: {out['users_read']} accounts read, "
        f"{len(out['user_orgs_wrong'])} wrong {out['user_orgs_wrong'][:5]}"
    )
    report("fetched / in the world: " + ", ".join(f"{c}.{k} {a}/{b}" for c, k, a, b in rows))
    report(f"every count equal to the world: {out['equal']}; crashes: {len(out['crashes'])}")
    for crash in out["crashes"]:
        report(f"crash: {crash}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engineers", type=int, default=40)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--heavy-tail", type=float, default=0.03)
    args = parser.parse_args()
    print(
        f"`python -m bench.bench_foreign_client --engineers {args.engineers} --months {args.months} "
        f"--seed {args.seed} --heavy-tail {args.heavy_tail}`\n",
        flush=True,
    )
    out = run(args.engineers, args.months, args.seed, args.heavy_tail, report=lambda s: print(f"- {s}", flush=True))
    if out["crashes"] or not out["equal"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
