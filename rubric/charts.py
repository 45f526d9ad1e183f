"""Chart geometry for the HTML renderings: a monthly timeline, evidence per area, sparklines.

No chart library on purpose: a report is one self-contained HTML file that must open offline, print,
pass a Content-Security-Policy with no scripts and never fetch anything.  JavaScript chart libraries
need scripts (or a CDN), and Python ones (matplotlib, plotly) would add heavy dependencies to draw a
few bars.  So this module computes plain numbers (positions, sizes, labels) and the jinja2 macros in
``templates/charts.svg.j2`` write them as small inline SVG, escaped like every other value.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

SERIES_LABELS = {
    "pull_requests": "PRs",
    "reviews": "reviews",
    "tickets": "tickets",
    "incidents": "incidents",
}
SERIES_COLOURS = {
    "pull_requests": "#4c8dcc",
    "reviews": "#2da44e",
    "tickets": "#d4a72c",
    "incidents": "#cf222e",
}
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _nice_max(value: float) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above ``value`` (at least 1): a readable axis top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def _month_bounds(month: str, since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    year, number = (int(x) for x in month.split("-"))
    first = dt.date(year, number, 1)
    following = dt.date(year + (number == 12), number % 12 + 1, 1)
    return max(first, since), min(following - dt.timedelta(days=1), until)


def timeline(report: dict[str, Any], width: int = 440, height: int = 170) -> dict[str, Any] | None:
    """Grouped monthly bars of PRs, reviews, tickets and incidents, each month as wide as its days in the
    period, with the person's start, leave, level and team changes in the period marked at their dates."""
    activity = report.get("activity")
    if not activity or not activity["months"]:
        return None
    since = dt.date.fromisoformat(report["period"]["since"])
    until = dt.date.fromisoformat(report["period"]["until"])
    series = activity["series"]
    left, right, top, bottom = 34, 8, 34, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    days = (until - since).days + 1
    top_value = _nice_max(max((m[s] for m in activity["months"] for s in series), default=0))

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - since).days / days

    bars, labels = [], []
    for m in activity["months"]:
        first, last = _month_bounds(m["month"], since, until)
        x0, x1 = x_of(first), x_of(last + dt.timedelta(days=1))
        pad = min(6.0, (x1 - x0) * 0.12)
        slot = (x1 - x0 - 2 * pad) / len(series)
        for i, s in enumerate(series):
            h = plot_h * m[s] / top_value
            bars.append(
                {
                    "x": round(x0 + pad + i * slot, 1),
                    "y": round(top + plot_h - h, 1),
                    "w": round(max(slot - 1, 1), 1),
                    "h": round(h, 1),
                    "colour": SERIES_COLOURS[s],
                    "title": f"{m['month']}: {m[s]} {SERIES_LABELS[s]}",
                }
            )
        name = MONTH_NAMES[int(m["month"][5:]) - 1]
        labels.append({"x": round((x0 + x1) / 2, 1), "text": f"{name} {m['month'][:4]}" if x1 - x0 > 70 else name})
    history = report.get("role_history") or {}
    marks = []
    for change in history.get("changes", []):
        if change["in_period"]:
            word = "promoted" if change["kind"] == "level" else "moved"
            marks.append((change["date"], f"{word}: {change['from']['name']} → {change['to']['name']}"))
    if history.get("started_in_period"):
        marks.append((history["start_date"], "started"))
    if history.get("left_in_period"):
        marks.append((history["end_date"], "last day"))
    markers = []
    for i, (day, text) in enumerate(sorted(marks)):
        x = round(x_of(dt.date.fromisoformat(day)), 1)
        label = f"{day[5:]} {text}"
        # about 5.6 px a character at font-size 10: a label that would run off the right edge reads leftwards
        anchor = "end" if x + 3 + 5.6 * len(label) > width else "start"
        markers.append({"x": x, "y": 11 + 11 * (i % 2), "text": label, "anchor": anchor})
    return {
        "width": width,
        "height": height,
        "plot": {"x": left, "y": top, "w": plot_w, "h": plot_h},
        "top_value": top_value,
        "bars": bars,
        "labels": labels,
        "markers": markers,
        "legend": [{"label": SERIES_LABELS[s], "colour": SERIES_COLOURS[s]} for s in series],
        "summary": "; ".join(
            f"{m['month']}: " + ", ".join(f"{m[s]} {SERIES_LABELS[s]}" for s in series) for m in activity["months"]
        ),
    }


def area_bars(report: dict[str, Any], width: int = 320) -> dict[str, Any]:
    """Evidence items per rubric area, this period and (when the warehouse covers it) the previous one."""
    areas = report["areas"]
    covered = report["previous_period"]["covered"]
    label_w, right, row_h, bar_h = 96, 40, 24, 8
    plot_w = width - label_w - right
    top_value = _nice_max(
        max([a["evidence_total"] for a in areas] + [a.get("previous_evidence_total") or 0 for a in areas])
    )
    rows = []
    for i, a in enumerate(areas):
        y = 22 + i * row_h
        now_w = plot_w * a["evidence_total"] / top_value
        row = {
            "y": y,
            "label": a["title"],
            "now": {"w": round(now_w, 1), "value": a["evidence_total"]},
            "previous": None,
        }
        if covered:
            before = a.get("previous_evidence_total") or 0
            row["previous"] = {"w": round(plot_w * before / top_value, 1), "value": before}
        rows.append(row)
    return {
        "width": width,
        "height": 22 + len(areas) * row_h + 6,
        "label_w": label_w,
        "bar_h": bar_h,
        "rows": rows,
        "covered": covered,
        "summary": "; ".join(
            f"{a['title']}: {a['evidence_total']}"
            + (f" (previous {a.get('previous_evidence_total') or 0})" if covered else "")
            for a in areas
        ),
    }


def sparkline(values: list[int], colour: str, width: int = 54, height: int = 16) -> dict[str, Any]:
    """Tiny monthly columns of one series (the team page), scaled to the series' own largest month."""
    top_value = max(values) if values and max(values) > 0 else 1
    n = max(1, len(values))
    slot = width / n
    bars = []
    for i, v in enumerate(values):
        h = max(1.0, (height - 2) * v / top_value) if v else 1.0
        bars.append(
            {"x": round(i * slot + 1, 1), "y": round(height - h, 1), "w": round(max(slot - 2, 1), 1), "h": round(h, 1)}
        )
    return {"width": width, "height": height, "bars": bars, "colour": colour, "values": values}
