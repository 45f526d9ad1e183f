"""Identity resolution against the warehouse: read people and accounts, write identity_links.

The matching itself is ``miners.people.identity.resolve_identities`` (pure); this
module feeds it the roster people (``stg_roster_people``) and every account
the warehouse has seen (actors of ``fct_activity`` plus ``raw_accounts``),
and stores the links it finds beyond the roster's exact claims, so
``dim_identity`` and therefore ``fct_activity`` attribute them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources

import duckdb
import pyarrow as pa

from miners.people.identity import Account, Override, Person, Resolution, resolve_identities
from miners.records import identity_key
from warehouse.loading import sync_rows

LINK_SCHEMA = pa.schema(
    [
        ("system", pa.string()),
        ("identity", pa.string()),
        ("person_id", pa.string()),
        ("method", pa.string()),
        ("reason", pa.string()),
    ]
)

_ACCOUNTS = """
WITH seen AS (
    SELECT source AS system,
           identity_key(source, actor) AS identity_key,
           min(actor) AS identity, bool_or(is_bot AND person_id IS NULL) AS is_bot
    FROM fct_activity
    WHERE actor IS NOT NULL
    GROUP BY ALL
)
SELECT coalesce(s.system, a.system) AS system,
       coalesce(s.identity, a.identity) AS identity,
       a.display_name, coalesce(a.emails, []::VARCHAR[]) AS emails, a.github_id,
       coalesce(s.is_bot, false)
           OR coalesce((a.system = 'github' AND a.account_type = 'Bot')
                       OR (a.system = 'jira' AND a.account_type = 'app'), false) AS is_bot
FROM seen s
FULL OUTER JOIN stg_accounts a ON a.system = s.system AND a.identity_key = s.identity_key
ORDER BY 1, 2
"""


def read_people(con: duckdb.DuckDBPyConnection) -> list[Person]:
    """Roster people, service accounts included (they match their own accounts, which are then excluded)."""
    rows = con.execute(
        "SELECT person_id, name, emails, github_logins, jira_account_ids, github_id "
        "FROM stg_roster_people ORDER BY person_id"
    ).fetchall()
    return [
        Person(pid, name, tuple(emails), tuple(logins), tuple(jira), gid)
        for pid, name, emails, logins, jira, gid in rows
    ]


def read_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    """Every account seen in activity or described by a miner, with what the source showed of it."""
    return [
        Account(system, identity, name, tuple(emails), gid, bool(bot))
        for system, identity, name, emails, gid, bot in con.execute(_ACCOUNTS).fetchall()
    ]


def resolve(con: duckdb.DuckDBPyConnection, overrides: Sequence[Override]) -> Resolution:
    """Resolve every account; the caller stores the links with ``write_links`` in its transaction."""
    return resolve_identities(read_people(con), read_accounts(con), overrides)


def inputs_digest(con: duckdb.DuckDBPyConnection, overrides: Sequence[Override]) -> str:
    """A digest of what ``resolve`` reads: the raw tables (row count and newest ``fetched_at`` of each), the
    identity links and the views (``report_facts.activity_fingerprint``: milliseconds, from table statistics),
    the overrides and the matching code."""
    from warehouse.report_facts import activity_fingerprint

    digest = hashlib.sha256(activity_fingerprint(con).encode())
    for module, name in (("miners.people", "identity.py"), ("warehouse", "identities.py")):
        digest.update(resources.files(module).joinpath(name).read_bytes())
    for override in sorted(overrides, key=repr):
        digest.update(f"\n{override.system}\t{override.identity}\t{override.person_id}\t{override.decision}".encode())
    return digest.hexdigest()


def write_links(con: duckdb.DuckDBPyConnection, resolution: Resolution) -> int:
    """Make identity_links hold exactly the resolution's non-roster matches; return rows changed."""
    rows = [m for m in resolution.matches if m.method != "roster"]
    table = pa.table(
        {
            "system": [m.system for m in rows],
            "identity": [identity_key(m.system, m.identity) for m in rows],
            "person_id": [m.person_id for m in rows],
            "method": [m.method for m in rows],
            "reason": [m.reason for m in rows],
        },
        schema=LINK_SCHEMA,
    )
    return sync_rows(con, "identity_links", LINK_SCHEMA, ("system", "identity"), table)
