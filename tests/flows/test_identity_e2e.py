"""Identity resolution end to end (issue 6): a messy roster, the real miners over the sandbox, the warehouse.

A generated company; its HR roster is messy (missing logins and Jira ids,
stale logins after renames, only the work e-mail, name variants) and kept as
teams YAML + people CSV.  The roster, GitHub and Jira stages sync it through
the real PyGithub and jira clients; identity resolution then runs on what the
warehouse holds.  Scored against the world's ground truth
(``sandbox.roster.identity_truth``): automatic matches must be right every
time (precision 1.0), find >= 95 % of the human accounts, and every account
left unmatched must have its true person among the suggestions.
"""

from __future__ import annotations

import datetime as dt

import pytest

from flows import sources, stages
from flows.config import read_config
from miners.jira.miner import mine_jira
from miners.people.people_csv import people_to_csv
from sandbox.config_writer import sandbox_env, write_sandbox_config
from sandbox.generate import generate_world
from sandbox.roster import dump_roster, identity_truth, roster_from_world
from sandbox.server import SandboxServer
from warehouse import open_warehouse
from warehouse.identities import read_accounts, resolve

pytestmark = pytest.mark.slow  # full syncs of generated worlds (Cloud and Data Center) through the real miners

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


def _sync_jira_with_accounts(config) -> list[dict]:
    """``stages.sync_jira`` plus the Jira AccountRecords (``mine_jira(accounts=True)``), same client and cursors.

    Until the stage passes ``accounts=True`` itself (a one-line change in flows/stages.py).
    """
    jc = config.jira
    with stages.open_writer(config) as wh:
        batches = mine_jira(
            sources.jira_client(config),
            jc.projects,
            wh.read_cursors("jira"),
            incident_types=jc.incident_types,
            now=lambda: FETCHED,
            known=wh.read_jira_updated,
            accounts=True,
        )
        return stages._load_batches(wh, batches)


@pytest.fixture(params=["cloud", "datacenter"], scope="module")
def synced(request, tmp_path_factory):
    world = generate_world(engineers=40, months=2, seed=5)
    world.jira_flavour = request.param
    tmp = tmp_path_factory.mktemp(f"identity-{request.param}")
    with SandboxServer(world) as server, pytest.MonkeyPatch.context() as mp:
        for key, value in sandbox_env(world).items():
            mp.setenv(key, value)
        path = write_sandbox_config(world, server, tmp / "ladder.yaml")
        doc = roster_from_world(world, history=True, messy=True)
        (tmp / "people.csv").write_text(people_to_csv(doc.pop("people")), encoding="utf-8")
        (tmp / "roster.yaml").write_text(dump_roster({**doc, "people_csv": "people.csv"}), encoding="utf-8")
        config = read_config(path)
        stages.sync_roster(config, now=lambda: FETCHED)
        stages.sync_github(config, now=lambda: FETCHED)
        _sync_jira_with_accounts(config)
        summary = stages.resolve_identities(config)
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        accounts = read_accounts(wh.con)
        resolution = resolve(wh.con, [])  # what the stage resolved, as objects (it stored the same links)
    yield world, config, summary, accounts, resolution


def _score(world, resolution, accounts):
    truth = identity_truth(world)
    by_key = {k.lower(): v for k, v in truth.items()}

    def true_person(system: str, identity: str) -> str | None:
        return by_key.get(identity.lower()) if system == "github" else truth.get(identity)

    matched = {(m.system, m.identity): m.person_id for m in resolution.matches}
    suggested: dict[tuple[str, str], list[str]] = {}
    for s in resolution.suggestions:
        suggested.setdefault((s.system, s.identity), []).append(s.person_id)
    humans = [(a.system, a.identity) for a in accounts if true_person(a.system, a.identity)]
    wrong = {k: (p, true_person(*k)) for k, p in matched.items() if true_person(*k) != p}
    found = [k for k in humans if k in matched]
    missed = [
        (k, true_person(*k), suggested.get(k, []))
        for k in ((a.system, a.identity) for a in resolution.unmatched)
        if true_person(*k) and true_person(*k) not in suggested.get(k, [])
    ]
    return wrong, len(found) / len(humans), missed, humans


def test_messy_roster_automatic_matches_are_exact_and_the_rest_are_suggested(synced):
    world, config, summary, accounts, resolution = synced
    wrong, recall, missed, humans = _score(world, resolution, accounts)
    assert summary["matched"] == len(resolution.matches) and len(summary["unmatched"]) == len(resolution.unmatched)
    systems = {s for s, _ in humans}
    assert systems == {"github", "jira"} and len(humans) >= 2 * 35
    assert wrong == {}, "an automatic match linked an account to the wrong person"
    assert missed == [], "an unmatched account's true person is not among its suggestions"
    assert summary["bots"] and all("[bot]" in b or b.startswith("jira:") for b in summary["bots"])
    assert recall >= 0.95, f"recall {recall:.3f} over {len(humans)} human accounts"
    assert set(summary["matched_by"]) >= {"roster", "email"}  # the e-mails do part of the work


def test_links_attribute_activity_and_suggestions_never_do(synced):
    world, config, summary, accounts, resolution = synced
    key = lambda system, identity: (system, identity.lower() if system == "github" else identity)  # noqa: E731
    suggested_only = {key(a.system, a.identity) for a in resolution.unmatched}
    linked = {key(m.system, m.identity): m.person_id for m in resolution.matches}
    with open_warehouse(config.warehouse_path, read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT DISTINCT source, CASE WHEN source = 'github' THEN lower(actor) ELSE actor END, person_id "
            "FROM fct_activity WHERE actor IS NOT NULL AND NOT is_bot"
        ).fetchall()
    assert rows
    for system, identity, person in rows:
        assert person == linked.get((system, identity)), (system, identity, person)
        if (system, identity) in suggested_only:
            assert person is None


def test_a_night_where_nothing_identities_read_changed_resolves_nothing(synced, tmp_path, caplog):
    """The nightly's identity stage is remembered once a resolution left the links as it found them: the next
    night with the same inputs returns that summary without resolving; an overrides file, a new account or a
    lost link makes it resolve again (and the links are what a resolution gives)."""
    import logging
    import shutil

    import yaml

    _, config, summary, _, _ = synced
    copy = tmp_path / "ladder.duckdb"
    shutil.copy(config.warehouse_path, copy)
    local = config.model_copy(update={"warehouse": copy})
    resolved = []
    with caplog.at_level(logging.INFO, logger="warehouse.store"):

        def night() -> dict:
            caplog.clear()
            result = stages.resolve_identities(local)
            resolved.append("identities of" in caplog.text)
            return result

        first, second, third = night(), night(), night()
    # the fixture's resolution already linked everything: the first night changes nothing and is remembered
    assert resolved == [True, False, False]
    assert first == second == third and first["matched"] == summary["matched"]

    # a decision in the overrides file (accept an unmatched account, or reject an automatic link): resolved again
    overrides = tmp_path / "identities.yaml"
    if summary["unmatched"]:
        account = summary["unmatched"][0]
        with open_warehouse(copy, read_only=True) as wh:
            person = wh.query_people()[0]["person_id"]
        decision, delta = "accept", 1
    else:
        account = summary["links"][0]
        person, decision, delta = account["person_id"], "reject", -1
    entry = {account["system"]: account["identity"], "person": person}
    overrides.write_text(yaml.safe_dump({decision: [entry]}), encoding="utf-8")
    local = local.model_copy(update={"identities": overrides})
    with caplog.at_level(logging.INFO, logger="warehouse.store"):
        decided = night()
        assert resolved[-1] is True and decided["matched"] == first["matched"] + delta
        night()  # the links it made are an input too: once more, then settled
        assert night() == decided and resolved[-1] is False
        # a link lost (an older release's file, a hand edit): resolved again, and put back
        with open_warehouse(copy) as wh:
            [(links,)] = wh.con.execute("SELECT count(*) FROM identity_links").fetchall()
            wh.con.execute("DELETE FROM identity_links WHERE rowid = (SELECT min(rowid) FROM identity_links)")
        night()
        assert resolved[-1] is True
        with open_warehouse(copy, read_only=True) as wh:
            assert wh.con.execute("SELECT count(*) FROM identity_links").fetchall() == [(links,)]
        night()
        assert resolved[-1] is False
