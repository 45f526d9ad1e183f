"""People from a CSV roster: same result as YAML, and every problem named by file, line and column."""

from __future__ import annotations

import datetime as dt

import pytest

from miners.people.people_csv import parse_people_csv, people_to_csv
from miners.people.roster import RosterError, parse_roster, read_roster, roster_records
from sandbox.generate import generate_world
from sandbox.roster import dump_roster, roster_from_world
from tests.support.worlds import tiny_world

FETCHED = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)
TEAMS = """\
teams:
  - {id: search, name: Search, repos: ["acme/search-*"]}
  - {id: ml-platform, name: ML Platform, repos: ["acme/trainer"]}
"""
HEADER = "id,name,emails,github_logins,jira_account_ids,team,manager,level,start_date,team_changes,level_changes\n"


def _split(doc: dict, tmp_path):
    """The roster document as teams.yaml + people.csv (and a YAML naming the CSV)."""
    people = doc.pop("people")
    (tmp_path / "people.csv").write_text(people_to_csv(people), encoding="utf-8")
    (tmp_path / "teams.yaml").write_text(dump_roster(doc), encoding="utf-8")
    (tmp_path / "roster.yaml").write_text(dump_roster({**doc, "people_csv": "people.csv"}), encoding="utf-8")
    return people


@pytest.mark.parametrize("messy", [False, True])
def test_a_csv_roster_gives_the_same_records_as_the_yaml_one(tmp_path, messy):
    world = generate_world(engineers=30, months=3, seed=4)
    doc = roster_from_world(world, history=True, messy=messy)
    assert any(p["team_changes"] for p in doc["people"]) and any(p["level_changes"] for p in doc["people"])
    expected = roster_records(parse_roster(dump_roster(doc)), FETCHED)
    _split(doc, tmp_path)
    via_config_pair = roster_records(read_roster(tmp_path / "people.csv", teams=tmp_path / "teams.yaml"), FETCHED)
    via_people_csv = roster_records(read_roster(tmp_path / "roster.yaml"), FETCHED)
    key = lambda r: (r.TABLE, r.source_id, r.content_hash())  # noqa: E731
    assert sorted(map(key, via_config_pair)) == sorted(map(key, expected)) == sorted(map(key, via_people_csv))


def test_cells_lists_changes_quotes_and_bom():
    text = (
        "\ufeff" + "id,name,emails,github_logins,service_account,github_id,team_changes,level_changes\n"
        '"zoe","Müller, Zoë"," a@x.test ; b@x.test ;",zoe-m;zmueller,yes,583231,'
        "2026-08-01:search>ml-platform,2026-04-01:IC3>IC4;2026-09-01:IC4>IC5\n"
        "\n"
        "bot,CI bot,,,true,,,\n"
    )
    table, problems = parse_people_csv(text, "people.csv")
    assert problems == []
    zoe, bot = table.people
    assert zoe == {
        "id": "zoe",
        "name": "Müller, Zoë",
        "emails": ["a@x.test", "b@x.test"],
        "github_logins": ["zoe-m", "zmueller"],
        "service_account": "yes",
        "github_id": "583231",
        "team_changes": [{"date": "2026-08-01", "from_team": "search", "to_team": "ml-platform"}],
        "level_changes": [
            {"date": "2026-04-01", "from_level": "IC3", "to_level": "IC4"},
            {"date": "2026-09-01", "from_level": "IC4", "to_level": "IC5"},
        ],
    }
    assert bot == {"id": "bot", "name": "CI bot", "service_account": "true"}
    assert table.lines == [2, 4]


def test_a_bad_csv_roster_lists_every_problem_with_file_line_and_column_and_loads_nothing(tmp_path):
    (tmp_path / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    (tmp_path / "people.csv").write_text(
        HEADER
        + "ana,Ana,ana@x.test,ana,,search,bo,IC3,2021-01-01,,\n"  # line 2: manager cycle with bo
        + "bo,Bo,,ANA,,serch,ana,IC9,2021-01-01,,\n"  # line 3: login claimed twice, unknown team and level
        + "ana,Ana Two,,,,search,,IC3,,,\n"  # line 4: duplicate id
        + "cy,Cy,,cy,,ml-platform,,IC4,2021-01-01,2026-08-01:search,\n"  # line 5: malformed change
        + 'dee,"Dee,,,,search,,IC3,,,\n',  # line 6: unterminated quote
        encoding="utf-8",
    )
    with pytest.raises(RosterError) as err:
        read_roster(tmp_path / "people.csv", teams=tmp_path / "teams.yaml")
    message = str(err.value)
    csv = str(tmp_path / "people.csv")
    for expected in [
        f"{csv}:2: column manager: 'ana' manages themself",
        f"{csv}:3: column github_logins, entry 1: 'ANA' also belongs to line 2 (ana)",
        f"{csv}:3: column team: unknown team 'serch'; use one of: ml-platform, search",
        f"{csv}:3: column level: unknown level 'IC9'",
        f"{csv}:4: column id: duplicate person id 'ana' (also line 2)",
        f"{csv}:5: column team_changes, entry 1: '2026-08-01:search' is not DATE:FROM>TO",
    ]:
        assert expected in message, (expected, message)
    assert f"{csv}:6" in message  # the unterminated quote swallows the rest of the file: one cell, one row
    assert message.startswith(f"invalid roster {tmp_path / 'teams.yaml'} + {csv} (")


def test_bad_headers_and_bad_values_name_the_column(tmp_path):
    with pytest.raises(
        RosterError,
        match=r"(?s)people.csv:1: unknown column 'tem' \(column 3\).*"
        r"people.csv:1: required column 'name' is missing",
    ):
        parse_roster(TEAMS, "teams.yaml", people_csv=_write(tmp_path, "id,github_logins,tem\nana,ana,search\n"))
    with pytest.raises(
        RosterError,
        match=r"(?s)people.csv:2: column start_date: .*got 'last spring'.*\n"
        r".*people.csv:3: column team_changes, entry 1 \(date\): ",
    ):
        parse_roster(
            TEAMS,
            "teams.yaml",
            people_csv=_write(
                tmp_path,
                "id,name,team,start_date,team_changes\nana,Ana,search,last spring,\n"
                "bo,Bo,search,,2026-13-01:ml-platform>search\n",
            ),
        )


def _write(tmp_path, text: str):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_how_to_point_at_a_csv_is_explained(tmp_path):
    people = _write(tmp_path, "id,name\nana,Ana\n")
    with pytest.raises(RosterError, match="set `roster_teams:` in the config"):
        read_roster(people)
    (tmp_path / "roster.yaml").write_text(TEAMS + "people_csv: missing.csv\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"roster.yaml:4: people CSV .*missing.csv not found"):
        read_roster(tmp_path / "roster.yaml")
    (tmp_path / "roster.yaml").write_text(TEAMS + "people_csv: people.csv\npeople: []\n", encoding="utf-8")
    with pytest.raises(RosterError, match="both given; keep one"):
        read_roster(tmp_path / "roster.yaml")
    (tmp_path / "teams.yaml").write_text(TEAMS + "people: []\n", encoding="utf-8")
    with pytest.raises(RosterError, match="must not list people"):
        read_roster(people, teams=tmp_path / "teams.yaml")
    (tmp_path / "teams.yaml").write_text(TEAMS.replace("teams:\n", "teams:\n  - {id: x, name: X, repos: [x]}\n"))
    with pytest.raises(RosterError, match=r"teams.yaml:2: teams\[0\].repos\[0\]: 'x' is not an org/name glob"):
        read_roster(people, teams=tmp_path / "teams.yaml")


def test_tiny_world_roster_round_trips_through_csv():
    doc = roster_from_world(tiny_world(), history=True)
    table, problems = parse_people_csv(people_to_csv(doc["people"]))
    assert problems == []
    assert [p["id"] for p in table.people] == [p["id"] for p in doc["people"]]
