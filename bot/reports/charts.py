"""The report's charts: matplotlib figures written as inline SVG, so the page needs no request.

Drawn on figures from bot.core.charts (the object API, here on the SVG canvas, fixed margins;
a bar chart's left margin measured from its longest label). Text stays text (``svg.fonttype:
none``): the browser draws it in its own sans-serif, with no font embedded or fetched, and a
screen reader can read it. Every label comes from ``prompts/templates/report/charts.j2``. A
week whose value was held back (fewer than K answers) or had none is a gap, never a zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from io import StringIO
from typing import Any

from markupsafe import Markup

from bot.core.charts import DPI, Margins, new_figure
from bot.reports.model import Figure, Share
from prompts import Renderer

TEAL = "#2c5f5d"
LIGHT_TEAL = "#8fb9b7"
AMBER = "#b5651d"
GREY = "#9aa5a4"
# Text large enough to read when a phone scales the chart to its width (about two thirds).
SMALL = 9
LABEL = 10
WIDTH = 6.5  # inches
_SVG_START = re.compile(r"<svg\b")
_SIZE = re.compile(r'\s(width|height)="[\d.]+pt"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)  # RDF naming other sites
# Room for a scale and its name at each side that has one, and the week labels below.
WEEKS_MARGINS = Margins(left=0.7, right=0.2, top=0.2, bottom=0.35)
TWO_SCALES_MARGINS = Margins(left=0.7, right=0.7, top=0.2, bottom=0.35)
BARS_MARGINS = Margins(left=0.0, right=0.3, top=0.1, bottom=0.35)  # left: the labels' width


def _label_width(labels: Sequence[str]) -> float:
    """The width in inches of the widest label at the bars' size, as matplotlib draws it."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=SMALL)
    measure = RendererAgg(1, 1, DPI).get_text_width_height_descent
    return max((measure(label, font, ismath=False)[0] for label in labels), default=0.0) / DPI


def _svg(figure: Any, title: str) -> Markup:
    """The figure as an ``<svg>`` element to place in the page: scalable, titled, no header."""
    import matplotlib

    buffer = StringIO()
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "retrobot", "font.family": "sans-serif"}
    ):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[_SVG_START.search(text).start() :]  # type: ignore[union-attr]
    text = _SIZE.sub("", text, count=2)  # the viewBox stays: CSS sizes it to the page
    text = _METADATA.sub("", text, count=1)
    head, _, rest = text.partition(">")
    label = Markup.escape(title)
    return Markup(f'{head} role="img" aria-label="{label}"><title>{label}</title>{rest}')


def _week_ticks(axes: Any, labels: Sequence[str]) -> None:
    """Week numbers under the bars, thinned out so that a year's 52 stay legible."""
    step = max(1, -(-len(labels) // 13))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [f"W{labels[i][-2:]}" for i in positions], fontsize=SMALL)
    axes.set_xlim(-0.6, len(labels) - 0.4)


def _tidy(axes: Any) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", labelsize=SMALL)


def participation_chart(renderer: Renderer, participation: Figure, mood: Figure) -> Markup:
    """Bars of the share of check-ins answered each week, and the mood line on its own scale."""
    labels = [week.week for week in participation.weeks]
    figure = new_figure(WIDTH, 2.8, TWO_SCALES_MARGINS, canvas="svg")
    axes = figure.add_subplot(1, 1, 1)
    rates = [week.value.rate for week in participation.weeks]
    axes.bar(
        range(len(labels)),
        [rate * 100 if rate is not None else 0 for rate in rates],
        color=[LIGHT_TEAL if rate is not None else "none" for rate in rates],
        width=0.75,
    )
    axes.set_ylim(0, 100)
    axes.set_ylabel(renderer.plain("report/charts.participation_axis"), fontsize=LABEL)
    _week_ticks(axes, labels)
    _tidy(axes)
    moods = axes.twinx()
    values = [w.value.mean if w.value.mean is not None else float("nan") for w in mood.weeks]
    moods.plot(range(len(labels)), values, color=TEAL, marker="o", markersize=2.5, linewidth=1.4)
    moods.set_ylim(1, 5)
    moods.set_ylabel(renderer.plain("report/charts.mood_axis"), fontsize=LABEL)
    moods.tick_params(axis="y", labelsize=SMALL)
    moods.spines["top"].set_visible(False)
    return _svg(figure, renderer.plain("report/charts.participation_title"))


def metric_chart(renderer: Renderer, metric: Figure) -> Markup:
    """A metric's weekly totals as bars (a held-back week is a gap)."""
    labels = [week.week for week in metric.weeks]
    totals = [week.value.total for week in metric.weeks]
    figure = new_figure(WIDTH, 2.2, WEEKS_MARGINS, canvas="svg")
    axes = figure.add_subplot(1, 1, 1)
    axes.bar(
        range(len(labels)),
        [total if total is not None else 0 for total in totals],
        color=[AMBER if total is not None else "none" for total in totals],
        width=0.75,
    )
    axes.set_ylabel(renderer.plain("report/charts.metric_axis", f=metric), fontsize=LABEL)
    _week_ticks(axes, labels)
    _tidy(axes)
    return _svg(figure, renderer.plain("report/charts.metric_title", f=metric))


def tension_chart(renderer: Renderer, tensions: Figure) -> Markup:
    """Tensions raised and closed each week, side by side."""
    labels = [week.week for week in tensions.weeks]
    figure = new_figure(WIDTH, 2.4, WEEKS_MARGINS, canvas="svg")
    axes = figure.add_subplot(1, 1, 1)
    positions = range(len(labels))
    axes.bar(
        [p - 0.2 for p in positions],
        [w.value.raised for w in tensions.weeks],
        width=0.4,
        color=AMBER,
        label=renderer.plain("report/charts.raised"),
    )
    axes.bar(
        [p + 0.2 for p in positions],
        [w.value.closed for w in tensions.weeks],
        width=0.4,
        color=TEAL,
        label=renderer.plain("report/charts.closed"),
    )
    axes.legend(fontsize=SMALL, frameon=False, loc="upper left", ncols=2)
    _week_ticks(axes, labels)
    _tidy(axes)
    return _svg(figure, renderer.plain("report/charts.tensions_title"))


def _horizontal_bars(
    labels: Sequence[str], values: Sequence[float | None], *, maximum: float | None, colour: str
) -> Any:
    shown = [_short(label) for label in labels]
    margins = replace(BARS_MARGINS, left=_label_width(shown) + 0.2)  # and the ticks' length
    figure = new_figure(WIDTH, 0.5 + 0.36 * max(1, len(labels)), margins, canvas="svg")
    axes = figure.add_subplot(1, 1, 1)
    positions = list(range(len(labels)))
    axes.barh(positions, [v if v is not None else 0 for v in values], color=colour, height=0.6)
    axes.set_yticks(positions, shown, fontsize=SMALL)
    axes.invert_yaxis()
    if maximum is not None:
        axes.set_xlim(0, maximum)
    axes.tick_params(axis="x", labelsize=SMALL)
    _tidy(axes)
    return figure


def _short(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def values_chart(renderer: Renderer, feedback: Figure) -> Markup:
    """How often each of the organisation's values was named by an appreciation."""
    values = list(feedback.value.values)
    figure = _horizontal_bars(
        values, [feedback.value.values[v] for v in values], maximum=None, colour=TEAL
    )
    return _svg(figure, renderer.plain("report/charts.values_title"))


def checklist_chart(renderer: Renderer, items: Sequence[Figure]) -> Markup:
    """The share of check-ins that ticked each checklist item (held-back items left empty)."""
    shares: list[float | None] = []
    for item in items:
        share = item.value.share if isinstance(item.value, Share) else None
        shares.append(share * 100 if share is not None else None)
    figure = _horizontal_bars(
        [item.title for item in items], shares, maximum=100, colour=LIGHT_TEAL
    )
    return _svg(figure, renderer.plain("report/charts.checklist_title"))
