"""Identity by immutable id (issue 16, item 3): five identity mix-ups refused, the right people still let in.

The viewer check used to look the token owner's login up among roster ids first, then among every
GitHub login the roster lists, former ones included; GitHub's numeric id was never used.  Here the tiny
world is synced with a roster in which:

- dana's roster id is ``okafor`` (her login stays ``dana``), and a stranger's GitHub login is ``okafor``;
- ana (github_id 1001) renamed from ``ana-old``, which a stranger has since registered (and commented with);
- cyd's roster entry carries a github_id that is not the one GitHub shows for ``cyd`` (the login changed
  hands after the person left);
- eli's roster entry has eli's real id but a stale login (``eli-novak``);
- dana has no github_id in the roster, so she is known by her current login and the id the sync saw.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from miners.people.identity import Account, Person, resolve_identities
from sandbox.github.payloads import user_id
from sandbox.world import IssueComment
from sandbox.world import Person as WorldPerson
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world
from warehouse import open_warehouse

ANA_ID = 1001


def _stranger(login: str) -> WorldPerson:
    return WorldPerson(
        login=login,
        name=f"Stranger {login}",
        jira_account_id=f"acc-{login}",
        level="IC3",
        team="search",
        start_date=dt.date(2020, 1, 1),
        token=f"tok-{login}",
    )


def _world():
    world = tiny_world()
    ana = world.person("ana")
    ana.github_id, ana.former_logins = ANA_ID, ["ana-old"]
    world.people += [_stranger("okafor"), _stranger("ana-old")]
    pr = world.pull_requests[0]
    pr.issue_comments.append(
        IssueComment(
            id=9901,
            author="ana-old",
            body="Drive-by: is this still needed?",
            created_at=pr.created_at + dt.timedelta(hours=1),
            updated_at=pr.created_at + dt.timedelta(hours=1),
        )
    )
    return world


def _roster(world):
    def edit(doc: dict) -> None:
        doc["people"] = [p for p in doc["people"] if p["id"] not in ("okafor", "ana-old")]
        people = {p["id"]: p for p in doc["people"]}
        for p in doc["people"]:
            p["manager"] = "okafor" if p["manager"] == "dana" else p["manager"]
        people["dana"]["id"] = "okafor"
        people["dana"]["github_id"] = None
        assert people["ana"]["github_logins"] == ["ana", "ana-old"] and people["ana"]["github_id"] == ANA_ID
        people["cyd"]["github_id"] = 999_999  # not cyd's: GitHub shows another account under this login now
        eli = world.person("eli")
        people["eli"]["github_id"] = user_id(eli, "eli")
        people["eli"]["github_logins"] = ["eli-novak"]  # stale: eli's login is eli

    return edit


def _managers_too(doc: dict) -> None:
    # dana (M1) reads her own report in the controls: give managers the IC rubric's report too.
    doc.setdefault("reports", {})["rubrics"] = [{"levels": ["IC*", "M*"]}]


@pytest.fixture(scope="module")
def synced(tmp_path_factory, trained_models):
    world = _world()
    with synced_world(
        world, tmp_path_factory.mktemp("ids"), roster=_roster(world), config=_managers_too, models=trained_models
    ) as s:
        yield s


def _refused(result) -> str:
    assert result.exit_code == 2, result.output
    assert '"dimensions"' not in result.output and "Traceback" not in result.output
    return result.output


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_the_right_people_still_read(synced):
    """Controls: matched by id with the login agreeing (ana), by current login and synced id (dana/okafor)."""
    cases = [("ana", "ana"), ("dana", "ana"), ("dana", "bo"), ("dana", "okafor")]
    for viewer, engineer in cases:
        result = synced.report(engineer, synced.world.person(viewer).token)
        assert result.exit_code == 0, (viewer, engineer, result.output)
        assert json.loads(result.stdout)["engineer"]["login"] == engineer


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_1_a_stranger_whose_login_is_a_managers_roster_id_reads_nothing(synced):
    for engineer in ("okafor", "ana", "bo", "dana"):
        output = _refused(synced.report(engineer, "tok-okafor"))
        assert "GitHub user okafor" in output and "not a roster person" in output


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_2_the_new_owner_of_a_released_login_reads_nothing(synced):
    for engineer in ("ana", "ana-old", "okafor", "bo"):
        output = _refused(synced.report(engineer, "tok-ana-old"))
        assert "GitHub user ana-old" in output and "former logins" in output


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_3_a_login_that_changed_hands_grants_nothing(synced):
    """The roster's github_id for cyd is not the id GitHub shows for the login cyd: not the same account."""
    for engineer in ("cyd", "eli"):
        _refused(synced.report(engineer, synced.world.person("cyd").token))


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_4_the_login_must_agree_with_the_id(synced):
    output = _refused(synced.report("eli", synced.world.person("eli").token))
    assert "the login must agree with the id" in output


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_5_a_re_registered_login_of_a_person_without_roster_id_grants_nothing(synced):
    """dana's roster entry has no github_id; the account now answering to ``dana`` is not the one the sync saw."""
    dana = synced.world.person("dana")
    before = dana.github_id
    dana.github_id = 777_777  # GitHub's /user now names another account (a new owner of the login)
    try:
        for engineer in ("okafor", "ana", "bo"):
            output = _refused(synced.report(engineer, dana.token))
            assert "recorded another id" in output
    finally:
        dana.github_id = before
    assert synced.report("ana", dana.token).exit_code == 0


@pytest.mark.slow  # `ladder report` on a company synced by the real stages
def test_a_released_login_no_longer_credits_its_former_owner(synced):
    """Attribution by id too: the stranger's comment under ``ana-old`` is not ana's activity."""
    with open_warehouse(synced.config.warehouse_path, read_only=True) as wh:
        rows = wh.con.execute(
            "SELECT actor, person_id FROM fct_activity WHERE activity_id = 'gh:issue_comment:9901'"
        ).fetchall()
        links = wh.con.execute("SELECT person_id FROM dim_identity WHERE identity = 'ana-old'").fetchall()
    assert rows == [("ana-old", None)]
    assert links == []


def test_identity_resolution_prefers_the_id_over_a_login():
    people = [
        Person("ana", "Ana Lima", github_logins=("ana", "ana-old"), github_id=ANA_ID),
        Person("bo", "Bo Chen", github_logins=("bo",), github_id=2002),
        Person("cyd", "Cyd R", github_logins=("cyd",)),
    ]
    accounts = [
        Account("github", "ana-old", github_id=5555),  # the login's new owner
        Account("github", "ana", github_id=ANA_ID),
        Account("github", "ana-old-2", github_id=ANA_ID),  # ana renamed again, roster not updated: the id says ana
        Account("github", "bo", github_id=ANA_ID),  # a login the roster gives bo, on ana's account: ana's
        Account("github", "cyd", github_id=4242),  # no roster id: the login claim stands
    ]
    res = resolve_identities(people, accounts)
    found = {m.identity: (m.person_id, m.method) for m in res.matches}
    assert found == {
        "ana": ("ana", "roster"),
        "ana-old-2": ("ana", "github_id"),
        "bo": ("ana", "github_id"),
        "cyd": ("cyd", "roster"),
    }
    assert [a.identity for a in res.unmatched] == ["ana-old"]
