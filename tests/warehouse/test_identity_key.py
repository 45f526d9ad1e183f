"""One rule for comparing account identities, with one home in Python and one in SQL, and they agree."""

from __future__ import annotations

from miners.records import identity_key
from warehouse import open_warehouse

CASES = [
    ("github", "Ana-Lima"),
    ("github", "dependabot[bot]"),
    ("github", "ÉLODIE"),
    ("jira", "5b10ac8d82e05b22cc7d4ef5"),
    ("jira", "JIRAUSER10100"),
    ("gitlab", "MixedCase"),
]


def test_the_warehouse_macro_and_the_python_rule_agree(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        for system, identity in CASES:
            (sql,) = wh.con.execute("SELECT identity_key(?, ?)", [system, identity]).fetchone()
            assert sql == identity_key(system, identity), (system, identity)
            assert (sql == identity.lower()) == (system == "github" or identity == identity.lower())
