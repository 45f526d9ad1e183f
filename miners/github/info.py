"""What the GitHub source is (its name, partitions, cursor, record types, views), without importing its miner
or client library: the registry (``flows.sources``) and the report commands need only this."""

from __future__ import annotations

from miners.records import AccountRecord
from miners.records import github as records
from miners.source import SnapshotKeys, SourceInfo

INFO = SourceInfo(
    name="github",
    partitions=("github:{org}", "github:{org}/{repo}", "github:accounts"),
    cursor="per repository: the newest PR or review-comment updated_at seen (ISO-8601 UTC)",
    record_types=records.RECORD_TYPES + (AccountRecord,),
    staging_views=(
        "stg_github_repos",
        "stg_github_pull_requests",
        "stg_github_pull_request_files",
        "stg_github_reviews",
        "stg_github_review_comments",
        "stg_github_issue_comments",
        "stg_github_review_requests",
        "stg_github_pull_request_commits",
        "stg_github_co_authors",
        "stg_codeowners",
        "stg_org_teams",
        "stg_accounts",
    ),
    account_system="github",
    progress_unit="PRs",
    # the org listings' kept answers, and every repository's stored PRs: a repository the listing shows unchanged
    # since its cursor, with all its PRs stored, is settled by the plan (no task, no request)
    plan_keys=SnapshotKeys(counts_under=((records.PullRequestRecord, "github:"),), http_cache_containing="/orgs/"),
)
