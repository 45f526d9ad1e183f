"""No page sorts people by a score, and a person's own pages show no one else."""

from __future__ import annotations

import datetime as dt
import json
import random
import re

from rubric.team import build_team_page


def _names(people: list[dict]) -> list[str]:
    return [p["name"] for p in people]


def test_team_page_order_is_alphabetical_whatever_the_strengths():
    strengths = {"Zed Ali": "strong", "amy Bo": "none", "Mia Cho": "solid", "Émile Dufour": "emerging"}

    def summary(name: str) -> dict:
        strong = [{"dimension_id": "x", "title": "X", "strength": strengths[name]}] if strengths[name] != "none" else []
        return {"login": name.split()[0].lower(), "name": name, "strengths": strong, "flags": []}

    for seed in range(5):
        people = [summary(n) for n in strengths]
        random.Random(seed).shuffle(people)
        page = build_team_page(
            {"person_id": "m", "name": "M"},
            {"b": ("Beta", people[:2]), "a": ("alpha", people[2:])},
            moved_away=[],
            since=dt.date(2026, 7, 1),
            until=dt.date(2026, 9, 30),
            generated_at="2026-10-01T06:00:00Z",
        )
        assert [t["name"] for t in page["teams"]] == ["alpha", "Beta"]
        for team in page["teams"]:
            assert _names(team["people"]) == sorted(_names(team["people"]), key=str.casefold)


def _keys(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_every_written_team_page_lists_people_alphabetically_in_every_format(written):
    for page_file in sorted((written / "teams").glob("*.json")):
        page = json.loads(page_file.read_text(encoding="utf-8"))
        assert not {k for k in _keys(page) if any(w in k for w in ("rank", "score", "percentile", "position"))}
        team_names = [t["name"] for t in page["teams"]]
        assert team_names == sorted(team_names, key=str.casefold)
        expected = [p["login"] for t in page["teams"] for p in t["people"]]
        for team in page["teams"]:
            assert _names(team["people"]) == sorted(_names(team["people"]), key=str.casefold), page_file
        html = page_file.with_suffix(".html").read_text(encoding="utf-8")
        assert re.findall(r'<tr id="person-([^"]+)">', html) == expected
        md = page_file.with_suffix(".md").read_text(encoding="utf-8")
        assert re.findall(r"^- \*\*.+?\*\* \(([^,)\n]+),", md, flags=re.M) == expected


def test_the_index_is_alphabetical_and_shows_no_strengths(written):
    for fmt, row in (("md", r"^\| ([a-z0-9-]+) \|"), ("html", r"<tr><td>([^<]+)</td>")):
        text = (written / f"index.{fmt}").read_text(encoding="utf-8")
        listed = text[text.index("Login") :]  # the tables and lists, after the explanation
        for word in ("emerging", "solid", "strong", "score", "rank", "percentile"):
            assert not re.search(rf"\b{word}\b", listed, flags=re.I), (fmt, word)
        logins = re.findall(row, listed, flags=re.M)
        assert logins and logins == sorted(logins, key=str.lower)


def test_a_persons_report_and_prep_sheet_name_no_one_else(company, written):
    people = [p for p in company.world.people if not p.is_bot]
    for person in people:
        pages = [written / f"{person.login}.{fmt}" for fmt in ("md", "html")]
        pages += [written / "prep" / f"{person.login}.{fmt}" for fmt in ("md", "html")]
        for page in (p for p in pages if p.exists()):
            text = page.read_text(encoding="utf-8")
            for other in people:
                if other.login == person.login:
                    continue
                assert other.name not in text, (page.name, other.name)
                assert not re.search(rf"\b{re.escape(other.login)}\b", text), (page.name, other.login)
