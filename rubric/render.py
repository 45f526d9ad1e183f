"""Render reports and the report index as Markdown, self-contained HTML or JSON.

Everything a person wrote (titles, names, reasons) is escaped: HTML through
jinja2 autoescape, Markdown through ``escape_md`` applied by the environment's
``finalize`` hook to every ``{{ }}`` so a template cannot forget it.  Links are
emitted only for http(s) URLs.  The same hooks drop characters that are not
text: NUL and the other control characters (tab and newline aside) and the
bidirectional embedding, override and isolate controls (U+202A–U+202E,
U+2066–U+2069), so an unclosed override in a title cannot reverse the rest of
an evidence line.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Literal
from urllib.parse import quote, urlsplit

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from rubric.charts import area_bars, timeline
from rubric.highlights import TREND_ARROWS, evidence_index
from rubric.render_parts import kind_word, report_notes, role_lines, when

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#!])")
# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings / overrides / isolates.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def drop_unsafe_chars(text: str) -> str:
    """``text`` without control and bidi-control characters (see module doc)."""
    return UNSAFE_CHARS.sub("", text)


_WS = re.compile(r"\s+")
_BLANKS = re.compile(r"\n{3,}")


class Md(str):
    """Markdown our code built from escaped parts; ``finalize`` passes it through untouched."""


def escape_md(value: object) -> str:
    """Inline Markdown that renders ``value`` literally: one line, no markup, no raw HTML."""
    text = _WS.sub(" ", drop_unsafe_chars(str(value)))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A leading 1. / - / + / = would start a list or heading when the value begins a line.
    if text[:1].isdigit():
        return re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return "\\" + text if text[:1] and text[:1] in "-+=" else text


def safe_url(url: object) -> str | None:
    """The URL when it is absolute http(s), with characters that could break out of a link quoted."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url.strip(), safe="/:?#@!$&'*+,;=%-._~")


def _md_link(text: object, url: object) -> Md:
    label = escape_md(text) or "(untitled)"
    href = safe_url(url)
    return Md(f"[{label}]({href})" if href else label)


def _finalize_md(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Md):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return escape_md(value)


def _finalize_html(value: object) -> object:
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return drop_unsafe_chars(value)
    return value


def _bar(score: float, width: int = 10) -> str:
    filled = max(0, min(width, round(score * width)))
    return "▰" * filled + "▱" * (width - filled)


def _pct(score: float) -> str:
    return f"{round(score * 100)}"


def _bytecode_cache(fmt: str, extra_package: str | None) -> FileSystemBytecodeCache | None:
    """Jinja's cache of compiled templates, in its per-user folder of the temporary directory (created private,
    its owner checked by Jinja): a one-report command compiled them anew each time (~0.07 s of a 1 s budget).
    Keyed by template, file and source checksum; one file pattern per environment, as their settings differ.
    None (compile each time) where no such folder can be made."""
    try:
        return FileSystemBytecodeCache(pattern=f"__ladder_{fmt}_{extra_package or 'rubric'}_%s.cache")
    except (OSError, RuntimeError):
        return None


@cache
def _environment(fmt: str, extra_package: str | None = None) -> Environment:
    loader: BaseLoader = PackageLoader("rubric", "templates")
    bytecode_cache = _bytecode_cache(fmt, extra_package)
    if extra_package is not None:  # pages that extend the report templates (``ladder serve``'s)
        loader = ChoiceLoader([PackageLoader(extra_package, "templates"), loader])
    if fmt == "md":
        env = Environment(
            loader=loader,
            bytecode_cache=bytecode_cache,
            autoescape=False,
            finalize=_finalize_md,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["link"] = _md_link
        env.filters["raw"] = Md
        env.filters["bar"] = lambda s: Md(_bar(s))
        env.filters["link_rel"] = lambda text, path: Md(f"[{escape_md(text)}]({quote(path)})")
    else:
        env = Environment(
            loader=loader,
            bytecode_cache=bytecode_cache,
            autoescape=select_autoescape(default=True, default_for_string=True),
            finalize=_finalize_html,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["safe_url"] = safe_url
    env.filters["pct"] = _pct
    env.filters["when"] = when
    env.filters["kind"] = kind_word
    env.globals["arrows"] = TREND_ARROWS
    env.globals["strength_words"] = {
        "none": "no evidence in this period",
        "emerging": "emerging",
        "solid": "solid",
        "strong": "strong",
    }
    return env


def render_json(report: dict) -> str:
    """Stable JSON: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def report_context(report: dict, *, every_item_under_its_behaviour: bool = False) -> dict:
    """What the report templates read besides the report itself: areas with their dimensions, the evidence
    index (each thread numbered and shown in full once), role history and notes in words, chart geometry.

    ``every_item_under_its_behaviour``: the highlights' items are also shown in full under their behaviour
    (``ladder serve``'s page, where each item under a behaviour carries its notes and note forms)."""
    areas = {a["id"]: a for a in report["areas"]}
    indexed = (
        {**report, "highlights": {**report["highlights"], "items": []}} if every_item_under_its_behaviour else report
    )
    return {
        "r": report,
        "areas": areas,
        "grouped": [(areas[aid], [d for d in report["dimensions"] if d["area"] == aid]) for aid in areas],
        "index": evidence_index(indexed),
        "role_lines": role_lines(report),
        "notes": report_notes(report),
        "charts": {"timeline": timeline(report), "areas": area_bars(report)},
        "no_evidence": _by_dimension(report["highlights"]["no_evidence"]),
        "trend_words": _trend_words(report),
    }


def _trend_words(report: dict) -> str | None:
    """The header's trend in a phrase: how many dimensions went up, down or stayed, with what the arrows mean."""
    changes = [d["trend"]["change"] for d in report["dimensions"] if d["observable"] and "trend" in d]
    if not changes:
        return None
    counts = ", ".join(f"{TREND_ARROWS[c]} {changes.count(c)}" for c in ("up", "down", "same"))
    return (
        f"compared: {counts} dimensions (evidence per active week up by a quarter or more, down by a fifth or "
        "more, or about the same; the strength then is in the table)"
    )


def _by_dimension(behaviours: list[dict]) -> list[tuple[str, list[str]]]:
    """``[(dimension title, [behaviour texts])]`` in the rubric's order."""
    groups: dict[str, list[str]] = {}
    for b in behaviours:
        groups.setdefault(b["dimension_title"], []).append(b["text"])
    return list(groups.items())


def render_report(report: dict, fmt: Literal["md", "html", "json"]) -> str:
    """Render a report dict from ``build_report`` as Markdown, self-contained HTML or JSON."""
    if fmt == "json":
        return render_json(report)
    if fmt not in ("md", "html"):
        raise ValueError(f"render_report: unknown format {fmt!r}; use one of md, html, json")
    text = _environment(fmt).get_template(f"report.{fmt}.j2").render(**report_context(report))
    return _BLANKS.sub("\n\n", text) if fmt == "md" else text


def render_self_review(report: dict) -> str:
    """A Markdown self-review draft from the person's own report (``rubric.self_review``)."""
    from rubric.self_review import self_review

    context = report_context(report)
    text = _environment("md").get_template("self_review.md.j2").render(**{**context, "areas": self_review(report)})
    return _BLANKS.sub("\n\n", text)


def render_team_page(page: dict, fmt: Literal["md", "html", "json"]) -> str:
    """A manager's team page (``rubric.team.build_team_page``) as Markdown, self-contained HTML or JSON.

    People are rendered in the page's order: by team, then by name, alphabetically."""
    from rubric.team import sparklines

    if fmt == "json":
        return render_json(page)
    if fmt not in ("md", "html"):
        raise ValueError(f"render_team_page: unknown format {fmt!r}; use one of md, html, json")
    for team in page["teams"]:
        for person in team["people"]:
            person["files"] = [(n, p) for n, p in (person.get("files") or []) if _sibling_path(p)]
    text = _environment(fmt).get_template(f"team.{fmt}.j2").render(t=page, sparks=sparklines)
    return _BLANKS.sub("\n\n", text) if fmt == "md" else text


def render_prep_sheet(sheet: dict, fmt: Literal["md", "html"], report_link: str | None = None) -> str:
    """One person's 1:1 prep sheet (``rubric.team.prep_sheet``) as Markdown or self-contained HTML."""
    if fmt not in ("md", "html"):
        raise ValueError(f"render_prep_sheet: unknown format {fmt!r}; use md or html")
    link = report_link if report_link and _sibling_path(report_link) else None
    text = (
        _environment(fmt)
        .get_template(f"prep.{fmt}.j2")
        .render(s=sheet, role_lines=role_lines(sheet["report"]), report_link=link)
    )
    return _BLANKS.sub("\n\n", text) if fmt == "md" else text


def render_report_page(report: dict, template: str, package: str, **context: object) -> str:
    """HTML of a template in ``package``'s templates that extends ``report.html.j2`` (its blocks
    ``page_top`` and ``item_extra``), with the same escaping, filters and data as ``render_report``."""
    page = report_context(report, every_item_under_its_behaviour=True)
    return _environment("html", package).get_template(template).render(**{**page, **context})


def render_page(template: str, package: str, **context: object) -> str:
    """HTML of another template in ``package`` with the report's escaping and filters (sign-in, lists)."""
    return _environment("html", package).get_template(template).render(**context)


def render_index(entries: list[dict], fmt: Literal["md", "html"], teams: list[dict] | None = None) -> str:
    """An index of reports, alphabetical by login, and of team pages, alphabetical by manager login; lists
    links only, never scores (no ranking)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"render_index: unknown format {fmt!r}; use md or html")

    def links(files: dict) -> list[tuple[str, str]]:
        return [(n, files[n]) for n in ("html", "md", "json") if files.get(n) and _relative_path(files[n])]

    rows = []
    for entry in sorted(entries, key=lambda e: (str(e["engineer"]["login"]).lower(), str(e["engineer"]["login"]))):
        files = entry.get("files") or {}
        rows.append({"engineer": entry["engineer"], "period": entry.get("period"), "links": links(files)})
    pages = [
        {"manager": t["manager"], "links": links(t.get("files") or {})}
        for t in sorted(teams or [], key=lambda t: (str(t["manager"]["login"]).lower(), str(t["manager"]["login"])))
    ]
    template = _environment(fmt).get_template(f"index.{fmt}.j2")
    return template.render(rows=rows, teams=pages)


def _relative_path(path: str) -> bool:
    """Index links must stay next to the index: no scheme, no absolute path, no parent directory."""
    return not (":" in path or path.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", path))


def _sibling_path(path: str) -> bool:
    """Team pages and prep sheets live one folder down from the reports: a relative path, optionally one
    leading ``../``, and nothing that climbs further."""
    return _relative_path(path.removeprefix("../"))
