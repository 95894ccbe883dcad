"""The retrospective's health chart: a radar of this time's averages against last time's.

Drawn on a figure from bot.core.charts (the object API on the Agg canvas, fixed margins wide
enough for questions wrapped at LABEL_WIDTH); every label comes from ``prompts/``.
A question without an average (fewer than 3 answers, or one that would give answers away:
bot.core.privacy) is a gap in its polygon, never a zero.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from bot.core.charts import Margins, new_figure, png, title
from bot.retros.model import HealthFigure
from prompts import Renderer

THIS_COLOUR = "#2c5f5d"
LAST_COLOUR = "#b5651d"
LABEL_WIDTH = 22  # characters a line, so long questions wrap around the radar
# Room for three lines of a question at each side, the title above and the legend below.
MARGINS = Margins(left=1.2, right=1.2, top=0.8, bottom=0.7)


def _closed(values: Sequence[float | None]) -> list[float]:
    """The values as a closed polygon (the first repeated at the end); gaps as NaN."""
    points = [value if value is not None else math.nan for value in values]
    return [*points, points[0]]


def has_chart(figures: Sequence[HealthFigure]) -> bool:
    """True when there is something to draw: three questions or more, one with an average."""
    return len(figures) >= 3 and any(figure.average is not None for figure in figures)


def health_radar(renderer: Renderer, figures: Sequence[HealthFigure], *, team_name: str) -> bytes:
    """The radar PNG: one axis per health question (1 to 5), this time and last time."""
    count = len(figures)
    angles = [2 * math.pi * index / count for index in range(count)]
    figure = new_figure(6.4, 6.0, MARGINS)
    axes = figure.add_subplot(1, 1, 1, projection="polar")
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)
    axes.set_ylim(0, 5)
    axes.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=7, color="#666666")
    axes.set_xticks(angles, [textwrap.fill(f.question, LABEL_WIDTH) for f in figures], fontsize=8)
    closed_angles = [*angles, angles[0]]
    series = (
        ([f.previous for f in figures], LAST_COLOUR, renderer.plain("retros.chart_last"), "--"),
        ([f.average for f in figures], THIS_COLOUR, renderer.plain("retros.chart_this"), "-"),
    )
    for values, colour, label, style in series:
        if all(value is None for value in values):
            continue
        points = _closed(values)
        axes.plot(closed_angles, points, color=colour, linewidth=2, linestyle=style, label=label)
        axes.plot(closed_angles, points, "o", color=colour, markersize=4)
        if all(value is not None for value in values):
            axes.fill(closed_angles, points, color=colour, alpha=0.12)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=8, frameon=False)
    title(axes, renderer.plain("retros.chart_title", team_name=team_name), fontsize=10, pad=24)
    return png(figure)
