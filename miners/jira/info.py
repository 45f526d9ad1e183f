"""What the Jira source is (its name, partitions, cursor, record types, views), without importing its miner
or client library: the registry (``flows.sources``) and the report commands need only this."""

from __future__ import annotations

from miners.records import AccountRecord
from miners.records import jira as records
from miners.source import SourceInfo

INFO = SourceInfo(
    name="jira",
    partitions=("jira:{KEY}", "jira:accounts"),
    cursor="per project: the newest issue updated seen, at Jira's minute resolution (yyyy-MM-dd HH:mm UTC)",
    record_types=records.RECORD_TYPES + (AccountRecord,),
    staging_views=(
        "stg_jira_issues",
        "stg_jira_links",
        "stg_jira_comments",
        "stg_jira_changes",
        "stg_jira_incidents",
        "stg_jira_incident_roles",
        "stg_jira_incident_followups",
        "stg_accounts",
    ),
    account_system="jira",
)
