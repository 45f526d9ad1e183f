"""Report file names (issue 16, item 8): one file per person, from the person's stable roster id.

Roster ids ``a@b`` and ``a_b`` both used to be written as ``a_b.*``, so one report overwrote the other
and the index sent one person to the other's report.  Here five people get ids that collide under the
old rule, on a case-insensitive disk, or with the index itself; every report must be its own file and
every index link must lead to that person's report.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from flows.stages import report_stem
from tests.support.synced import synced_world
from tests.support.worlds import tiny_world

IDS = {"bo": "a@b", "cyd": "a_b", "eli": "index", "dana": "Dana", "ana": "dana"}


def _rename(doc: dict) -> None:
    for person in doc["people"]:
        person["id"] = IDS.get(person["id"], person["id"])
        person["manager"] = IDS.get(person["manager"], person["manager"])


def _everyone_gets_a_report(doc: dict) -> None:
    # The managers (dana, eli) get the IC rubric's report too, so that every colliding id has report files.
    doc.setdefault("reports", {})["rubrics"] = [{"levels": ["IC*", "M*"]}]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, trained_models):
    tmp = tmp_path_factory.mktemp("names")
    with synced_world(
        tiny_world(), tmp, roster=_rename, config=_everyone_gets_a_report, reports=True, models=trained_models
    ) as s:
        yield s.config.reports_dir


@pytest.mark.slow  # the nightly's reports of a synced company
def test_every_person_has_their_own_report_files(reports):
    people = {*IDS.values(), "gone"}
    by_login = {}
    for path in reports.glob("*.json"):
        by_login.setdefault(json.loads(path.read_text(encoding="utf-8"))["engineer"]["login"], []).append(path.name)
    assert set(by_login) == people
    assert all(len(names) == 1 for names in by_login.values()), by_login
    for person_id, (name,) in by_login.items():
        assert name == f"{report_stem(person_id)}.json"
        for fmt in ("md", "html"):
            assert (reports / f"{report_stem(person_id)}.{fmt}").is_file()
    assert len({name.lower() for names in by_login.values() for name in names}) == len(people)  # case-blind disks
    assert (reports / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")  # not overwritten


def _linked(reports, href: str) -> str:
    return json.loads((reports / href.rsplit(".", 1)[0]).with_suffix(".json").read_text(encoding="utf-8"))["engineer"][
        "login"
    ]


@pytest.mark.slow  # the nightly's reports of a synced company
def test_the_html_index_links_each_person_to_their_own_report(reports):
    page = (reports / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", page, re.DOTALL)
    assert {html.unescape(login) for login, _ in rows} == {*IDS.values(), "gone"}
    for login, rest in rows:
        hrefs = re.findall(r'href="([^"]+)"', rest)
        assert len(hrefs) == 3
        for href in hrefs:
            target = reports / re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), href)
            assert target.is_file(), href
            assert _linked(reports, target.name) == html.unescape(login)


@pytest.mark.slow  # the nightly's reports of a synced company
def test_the_markdown_index_links_each_person_to_their_own_report(reports):
    index = (reports / "index.md").read_text(encoding="utf-8").splitlines()
    lines = [line for line in index if "](" in line and line.startswith("| ")]  # the engineers' table
    assert len(lines) == len(IDS) + 1
    teams = [line for line in index if "](teams/" in line]  # a team page per manager, by their own id too
    assert len(teams) == 2
    for line in teams:
        login = re.search(r"\(([^()]*)\): \[", line).group(1)  # type: ignore[union-attr]
        for href in re.findall(r"\]\(([^)]+)\)", line):
            target = reports / re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), href)
            page = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
            assert page["manager"]["login"] == login.replace("&amp;", "&")
    for line in lines:
        login = re.sub(r"\\(.)", r"\1", line.split(" | ")[0].removeprefix("| "))
        for href in re.findall(r"\]\(([^)]+)\)", line):
            target = reports / re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), href)
            assert _linked(reports, target.name) == login.replace("&amp;", "&")


@pytest.mark.parametrize(
    "ids",
    [
        ["a@b", "a_b", "a b", "a/b", "A_B", "a__b", "a_b~0000000000000000"],
        ["index", "Index", "INDEX", "con", "nul", "lpt1"],
        ["Ana", "ana", "ANA", "anA"],
        ["../etc/passwd", "..", ".", "", "a" * 300, "a" * 301, "zoë", "zoe", "zo\u0065\u0308", "\u202eevil"],
    ],
)
def test_stems_are_distinct_safe_and_never_the_index(ids):
    stems = [report_stem(i) for i in ids]
    assert len(set(stems)) == len(ids)
    assert len({s.lower() for s in stems}) == len(ids)
    for stem in stems:
        assert re.fullmatch(r"[a-z0-9_-]{1,64}(~[0-9a-f]{16})?", stem), stem
        assert stem not in ("index", "con", "nul", "lpt1")


def test_plain_ids_keep_their_own_name():
    assert [report_stem(i) for i in ("ana", "zoe-m", "x_1")] == ["ana", "zoe-m", "x_1"]
