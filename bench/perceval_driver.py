"""Run Perceval's GitHub and Jira backends against a running sandbox; print what they fetched as JSON.

Run by ``bench/bench_foreign_client.py`` with the Python of a separate venv that has Perceval
(``.venv-perceval``; the project does not depend on it), never imported by the project:

    .venv-perceval/bin/python bench/perceval_driver.py '{"github_url": ..., "jira_url": ..., ...}'

The only things patched are the clock and sleep, onto the sandbox's virtual clock: ``time.sleep``
(Perceval's wait for the rate-limit reset and urllib3's ``Retry-After`` waits) moves the clock
forward through ``POST /_sandbox/clock``, and the ``datetime_utcnow`` Perceval's GitHub backend
computes the time to the reset with reads it.  Everything else is Perceval as released: its HTTP
client, retries, rate-limit handling and item parsing.  A backend that raises is recorded as a crash
(type, message, category) and the run goes on with the next one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import traceback
import urllib.request

_real_sleep = time.sleep


class VirtualClock:
    """The sandbox's clock, read and moved over its ``/_sandbox/clock`` endpoint."""

    def __init__(self, base: str) -> None:
        self.url = base.rstrip("/") + "/_sandbox/clock"
        self.slept = 0.0
        self.sleeps = 0
        self.by_caller: dict[str, list] = {}

    def now(self) -> dt.datetime:
        with urllib.request.urlopen(self.url, timeout=30) as response:
            return dt.datetime.fromisoformat(json.load(response)["now"])

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        caller = sys._getframe(1).f_globals.get("__name__", "?")  # perceval.client: rate limit; urllib3: retry
        waits = self.by_caller.setdefault(caller, [0, 0.0])
        waits[0] += 1
        if seconds <= 0:
            return
        waits[1] += seconds
        self.slept += seconds
        body = json.dumps({"advance_seconds": seconds}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass


def _count(items, per_item) -> dict:
    out: dict = {"items": 0}
    for item in items:
        out["items"] += 1
        for key, value in per_item(item["data"]).items():
            out[key] = out.get(key, 0) + value
    return out


def _pull_parts(pull: dict) -> dict:
    return {
        "reviews": len(pull.get("reviews_data") or []),
        "review_comments": len(pull.get("review_comments_data") or []),
        "commits": len(pull.get("commits_data") or []),
        "requested_reviewers": len(pull.get("requested_reviewers_data") or []),
        "merged": int(bool(pull.get("merged"))),
    }


def _issue_parts(issue: dict) -> dict:
    return {"comments": len(issue.get("comments_data") or []), "pull_requests": int("pull_request" in issue)}


def _jira_parts(issue: dict) -> dict:
    histories = (issue.get("changelog") or {}).get("histories") or []
    return {"comments": len(issue.get("comments_data") or []), "changelog_entries": len(histories)}


def main(args: dict) -> dict:
    from perceval.backends.core import github as perceval_github
    from perceval.backends.core.github import GitHub
    from perceval.backends.core.jira import Jira

    clock = VirtualClock(args["clock_url"])
    time.sleep = clock.sleep  # Perceval's rate-limit wait and urllib3's Retry-After wait
    perceval_github.datetime_utcnow = clock.now  # Perceval's "seconds to the reset" reads this

    results: dict = {"github": {}, "jira": {}, "crashes": []}

    def run(kind: str, name: str, fetch, per_item) -> None:
        try:
            got = _count(fetch(), per_item)
        except Exception as exc:  # noqa: BLE001 - a crash is the measurement
            results["crashes"].append(
                {
                    "backend": kind,
                    "target": name,
                    "type": type(exc).__name__,
                    "message": str(exc)[:500],
                    "where": traceback.format_exc().strip().splitlines()[-3:],
                }
            )
            got = {"crashed": 1}
        totals = results[kind].setdefault(name.split(":", 1)[0], {})
        for key, value in got.items():
            totals[key] = totals.get(key, 0) + value

    for full_name in args["repos"]:
        owner, repo = full_name.split("/")
        for category in ("issue", "pull_request", "repository"):

            def fetch(owner=owner, repo=repo, category=category):
                backend = GitHub(
                    owner=owner,
                    repository=repo,
                    api_token=[args["github_token"]],
                    base_url=args["github_url"],
                    sleep_for_rate=True,
                    min_rate_to_sleep=10,
                    sleep_time=1,
                    max_retries=5,
                )
                return backend.fetch(category=category)

            per_item = {"issue": _issue_parts, "pull_request": _pull_parts, "repository": lambda _: {}}[category]
            run("github", f"{category}:{full_name}", fetch, per_item)

    for key in args["jira_projects"]:

        def fetch_jira(key=key):
            backend = Jira(args["jira_url"], project=key, api_token=args["jira_token"], max_results=100)
            return backend.fetch(from_date=dt.datetime(1970, 1, 2, tzinfo=dt.timezone.utc))

        run("jira", f"issue:{key}", fetch_jira, _jira_parts)

    results["virtual_seconds_slept"] = clock.slept
    results["sleeps"] = clock.sleeps
    results["sleeps_by_caller"] = clock.by_caller
    # Perceval swallows a failed /users/{login}/orgs (logs it, keeps []): report what it kept per login
    results["user_orgs"] = {
        login: [o["login"] for o in json.loads(raw)] for login, raw in perceval_github.GitHubClient._users_orgs.items()
    }
    return results


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
