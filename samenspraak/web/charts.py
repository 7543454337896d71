"""Charts for the staff pages: matplotlib, rendered server-side to SVG and embedded as data URIs.

An SVG shown as an image cannot run scripts, so the page's strict CSP stays as it is. Every chart has an
alt text in the template and the same numbers in a table next to it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend
from matplotlib.ticker import MaxNLocator  # noqa: E402

BAR_COLOUR = "#1d4f91"
HIGHLIGHT_COLOUR = "#b3261e"
TEXT_COLOUR = "#1f2328"
GRID_COLOUR = "#d0d7de"
# Colour-blind-safe palette (Okabe–Ito), so the map's themes stay apart for everyone.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999", "#F0E442")
MIN_DAY_SLOTS = 14
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")
# Drawing holds the web process's GIL for 30-150 ms per chart, delaying the chat proxy meanwhile; the same
# data gives the same SVG, so a chart is drawn again only when what it shows has changed.
CACHED_CHARTS = 32

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # real <text>, so the text is selectable and the file small
        "svg.hashsalt": "samenspraak",  # stable ids: the same data gives the same SVG
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "text.color": TEXT_COLOUR,
        "axes.labelcolor": TEXT_COLOUR,
        "xtick.color": TEXT_COLOUR,
        "ytick.color": TEXT_COLOUR,
    }
)


def _data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _shorten(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    labels: Sequence[str], values: Sequence[int], highlight: Sequence[bool] | None = None, width: float = 7.0
) -> str:
    """Horizontal bars in the order given; highlighted bars in red with a hatch (not only colour)."""
    return _bar_chart(tuple(labels), tuple(values), tuple(highlight) if highlight else None, width)


@lru_cache(maxsize=CACHED_CHARTS)
def _bar_chart(
    labels: tuple[str, ...], values: tuple[int, ...], highlight: tuple[bool, ...] | None, width: float
) -> str:
    figure = Figure(figsize=(width, max(1.6, 0.38 * len(labels) + 0.6)))
    axes = figure.add_subplot()
    marks = highlight or [False] * len(labels)
    bars = axes.barh(range(len(labels)), values, color=[HIGHLIGHT_COLOUR if mark else BAR_COLOUR for mark in marks])
    for bar, mark in zip(bars, marks, strict=True):
        if mark:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    axes.set_yticks(range(len(labels)), [_shorten(label, int(width * 5.5)) for label in labels])
    axes.invert_yaxis()
    axes.bar_label(bars, padding=3, fontsize=9)
    axes.set_xlim(0, max(1, max(values, default=0)) * 1.12)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.grid(True, color=GRID_COLOUR, linewidth=0.6)
    axes.set_axisbelow(True)
    return _data_uri(figure)


def timeline_chart(days: Sequence[str], values: Sequence[int], width: float = 7.0) -> str:
    """Responses per day; `days` are ISO dates in order."""
    return _timeline_chart(tuple(days), tuple(values), width)


@lru_cache(maxsize=CACHED_CHARTS)
def _timeline_chart(days: tuple[str, ...], values: tuple[int, ...], width: float) -> str:
    figure = Figure(figsize=(width, 2.6))
    axes = figure.add_subplot()
    axes.bar(range(len(days)), values, color=BAR_COLOUR, width=0.8)
    axes.set_xlim(-0.6, max(len(days), MIN_DAY_SLOTS) - 0.4)  # a few days still get narrow bars
    step = max(1, len(days) // 8)
    ticks = list(range(0, len(days), step))
    axes.set_xticks(ticks, [f"{days[i][8:10]}-{days[i][5:7]}" for i in ticks])
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.grid(True, color=GRID_COLOUR, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("reacties")
    return _data_uri(figure)


def theme_map(points: Sequence[tuple[float, float, int]], names: dict[int, str]) -> str:
    """A 2-D map of responses (x, y, theme id): colour and marker shape per theme, legend below."""
    return _theme_map(tuple(map(tuple, points)), tuple(names.items()))


@lru_cache(maxsize=CACHED_CHARTS)
def _theme_map(points: tuple[tuple[float, float, int], ...], names: tuple[tuple[int, str], ...]) -> str:
    names = dict(names)
    figure = Figure(figsize=(9.0, 6.8))
    axes = figure.add_subplot()
    theme_ids = [theme_id for theme_id in names if any(p[2] == theme_id for p in points)]
    for index, theme_id in enumerate(theme_ids):
        xs = [x for x, _, t in points if t == theme_id]
        ys = [y for _, y, t in points if t == theme_id]
        axes.scatter(
            xs,
            ys,
            s=30,
            color=PALETTE[index % len(PALETTE)],
            marker=MARKERS[index % len(MARKERS)],
            label=_shorten(names[theme_id], 48),
            alpha=0.85,
            linewidths=0,
        )
    axes.set_xticks([])
    axes.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_color(GRID_COLOUR)
    if theme_ids:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, frameon=False, fontsize=9)
    return _data_uri(figure)
