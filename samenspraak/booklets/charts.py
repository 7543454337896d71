"""Charts as SVG (matplotlib, no pyplot state), each with the alt text that describes its numbers."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure

from samenspraak.booklets.text import number, percent, short_date

# House colours for charts; CSS cannot reach inside an image, so they live here.
BAR_COLOUR = "#00689e"
TEXT_COLOUR = "#1f1f1f"
GRID_COLOUR = "#d0d0d0"
WIDTH_INCHES = 6.6
_SVG_SIZE = re.compile(rb'<svg[^>]*? width="([0-9.]+)pt" height="([0-9.]+)pt"')
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "samenspraak",  # stable ids, so the same data gives the same file
    "font.family": ["Liberation Sans", "DejaVu Sans", "sans-serif"],
    "font.size": 9.5,
}


@dataclass(frozen=True)
class Chart:
    src: str  # data: URI, so a single HTML file carries its charts
    alt: str
    width: int  # CSS pixels; given on the <img> so every chart prints at its true size
    height: int


def _to_chart(figure: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    width, height = (float(value) for value in _SVG_SIZE.search(svg).groups())
    encoded = base64.b64encode(svg).decode("ascii")
    # 1 CSS pixel is 0.75 pt
    return Chart(f"data:image/svg+xml;base64,{encoded}", alt, round(width / 0.75), round(height / 0.75))


def bar_chart(title: str, items: list[tuple[str, int]], total: int | None = None) -> Chart:
    """Horizontal bars in the order given, each with its number and its share of `total` (default: the sum)."""
    total = total if total is not None else sum(count for _, count in items)
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(WIDTH_INCHES, 0.25 * len(items) + 0.35))
        axes = figure.add_subplot()
        labels = [label for label, _ in items]
        counts = [count for _, count in items]
        positions = range(len(items))
        axes.barh(positions, counts, color=BAR_COLOUR, height=0.7)
        axes.set_yticks(list(positions), labels=labels, color=TEXT_COLOUR)
        axes.invert_yaxis()
        peak = max(counts, default=0) or 1
        for position, count in zip(positions, counts):
            axes.text(count + peak * 0.01, position, f"{number(count)} ({percent(count, total)})",
                      va="center", color=TEXT_COLOUR)
        axes.set_xlim(0, peak * 1.25)
        axes.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
        axes.spines["left"].set_color(GRID_COLOUR)
        axes.tick_params(axis="y", length=0)
    parts = "; ".join(f"{label}: {number(count)}" for label, count in items)
    return _to_chart(figure, f"Staafdiagram: {title}. {parts}.")


def weekly_chart(title: str, per_day: dict[dt.date, int]) -> Chart:
    """Contributions per week (weeks start on Monday), as columns."""
    weeks: dict[dt.date, int] = {}
    for day, count in per_day.items():
        monday = day - dt.timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    if weeks:
        first, last = min(weeks), max(weeks)
        week = first
        while week <= last:  # weeks without contributions are shown as empty, not skipped
            weeks.setdefault(week, 0)
            week += dt.timedelta(days=7)
    ordered = sorted(weeks.items())
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(WIDTH_INCHES, 2.2))
        axes = figure.add_subplot()
        axes.bar(range(len(ordered)), [count for _, count in ordered], color=BAR_COLOUR, width=0.7)
        step = max(1, -(-len(ordered) // 8))  # at most 8 labels, so they never overlap
        ticks = list(range(0, len(ordered), step))
        axes.set_xticks(ticks, labels=[short_date(ordered[i][0]) for i in ticks], color=TEXT_COLOUR)
        axes.set_ylabel("reacties", color=TEXT_COLOUR)
        axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    if ordered:
        busiest, most = max(ordered, key=lambda item: item[1])
        alt = (f"Staafdiagram: {title}, {len(ordered)} weken vanaf {short_date(ordered[0][0])}. "
               f"De drukste week begon op {short_date(busiest)}: {number(most)} reacties.")
    else:
        alt = f"Staafdiagram: {title}. Geen reacties."
    return _to_chart(figure, alt)
