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

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

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


@cache
def _environment(fmt: str, extra_package: str | None = None) -> Environment:
    loader: BaseLoader = PackageLoader("rubric", "templates")
    if extra_package is not None:  # pages that extend the report templates (``ladder serve``'s)
        loader = ChoiceLoader([PackageLoader(extra_package, "templates"), loader])
    if fmt == "md":
        env = Environment(
            loader=loader,
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
            autoescape=select_autoescape(default=True, default_for_string=True),
            finalize=_finalize_html,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["safe_url"] = safe_url
    env.filters["pct"] = _pct
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


def render_report(report: dict, fmt: Literal["md", "html", "json"]) -> str:
    """Render a report dict from ``build_report`` as Markdown, self-contained HTML or JSON."""
    if fmt == "json":
        return render_json(report)
    if fmt not in ("md", "html"):
        raise ValueError(f"render_report: unknown format {fmt!r}; use one of md, html, json")
    areas = {a["id"]: a for a in report["areas"]}
    grouped = [(areas[area_id], [d for d in report["dimensions"] if d["area"] == area_id]) for area_id in areas]
    text = _environment(fmt).get_template(f"report.{fmt}.j2").render(r=report, grouped=grouped)
    return _BLANKS.sub("\n\n", text) if fmt == "md" else text


def render_report_page(report: dict, template: str, package: str, **context: object) -> str:
    """HTML of a template in ``package``'s templates that extends ``report.html.j2`` (its blocks
    ``page_top`` and ``item_extra``), with the same escaping, filters and data as ``render_report``."""
    areas = {a["id"]: a for a in report["areas"]}
    grouped = [(areas[area_id], [d for d in report["dimensions"] if d["area"] == area_id]) for area_id in areas]
    return _environment("html", package).get_template(template).render(r=report, grouped=grouped, **context)


def render_page(template: str, package: str, **context: object) -> str:
    """HTML of another template in ``package`` with the report's escaping and filters (sign-in, lists)."""
    return _environment("html", package).get_template(template).render(**context)


def render_index(entries: list[dict], fmt: Literal["md", "html"]) -> str:
    """An index of reports, alphabetical by login; lists links only, never scores (no ranking)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"render_index: unknown format {fmt!r}; use md or html")
    rows = []
    for entry in sorted(entries, key=lambda e: (str(e["engineer"]["login"]).lower(), str(e["engineer"]["login"]))):
        files = entry.get("files") or {}
        links = []
        for name in ("html", "md", "json"):
            path = files.get(name)
            if path and _relative_path(path):
                links.append((name, path))
        rows.append({"engineer": entry["engineer"], "period": entry.get("period"), "links": links})
    template = _environment(fmt).get_template(f"index.{fmt}.j2")
    return template.render(rows=rows)


def _relative_path(path: str) -> bool:
    """Index links must stay next to the index: no scheme, no absolute path, no parent directory."""
    return not (":" in path or path.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", path))
