"""The PNG charts attached to the team summary and the coach digest (matplotlib, headless).

Figures come from bot.core.charts (the object API on the Agg canvas, fixed margins). Every label
comes from ``prompts/`` through the renderer. A week without a value (no check-in, or fewer than
3 answers) is a gap, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.core.charts import Margins, new_figure, png, title
from bot.digests.model import MetricFigures, TeamFigures
from prompts import Renderer

MAX_METRICS = 4
MAX_DIGEST_TEAMS = 8
BAR_COLOUR = "#8fb9b7"
MOOD_COLOUR = "#2c5f5d"
METRIC_COLOUR = "#b5651d"

# Room for the participation scale and its name on the left, the mood's on the right, the
# title above and the week labels below; the sparklines' own scales between them.
SUMMARY_MARGINS = Margins(left=0.55, right=0.55, top=0.3, bottom=0.3, hspace=0.35, wspace=0.3)
DIGEST_MARGINS = Margins(left=0.5, right=0.5, top=0.3, bottom=0.3, hspace=0.45, wspace=0.55)


def _week_labels(figures: TeamFigures) -> list[str]:
    return [f"W{week.week[-2:]}" for week in figures.weeks]


def _participation_and_mood(
    axes: Any, renderer: Renderer, figures: TeamFigures, *, compact: bool = False
) -> None:
    """Bars of the share who answered, and the mood line on a second scale."""
    labels = _week_labels(figures)
    if compact:  # every other week named, so small panels stay legible
        labels = [label if (len(labels) - 1 - i) % 2 == 0 else "" for i, label in enumerate(labels)]
    positions = list(range(len(labels)))
    rates = [w.participation for w in figures.weeks]
    axes.bar(
        positions,
        [rate * 100 if rate is not None else 0 for rate in rates],
        color=[BAR_COLOUR if rate is not None else "none" for rate in rates],
        width=0.7,
    )
    axes.set_xlim(-0.5, len(labels) - 0.5)
    axes.set_ylim(0, 100)
    axes.set_ylabel(renderer.plain("summary.chart_participation"), fontsize=8)
    axes.set_xticks(positions, labels, fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.spines["top"].set_visible(False)
    mood_axes = axes.twinx()
    moods = [w.mood if w.mood is not None else float("nan") for w in figures.weeks]
    mood_axes.plot(positions, moods, color=MOOD_COLOUR, marker="o", markersize=3, linewidth=1.5)
    mood_axes.set_ylim(1, 5)
    mood_axes.set_ylabel(renderer.plain("summary.chart_mood"), fontsize=8)
    mood_axes.tick_params(axis="y", labelsize=7)


def _sparkline(axes: Any, renderer: Renderer, metric: MetricFigures) -> None:
    """One metric's weekly totals as a small line, the latest week marked."""
    values = [v if v is not None else float("nan") for v in metric.history]
    axes.plot(range(len(values)), values, color=METRIC_COLOUR, linewidth=1.2)
    if metric.history and metric.history[-1] is not None:
        axes.plot([len(values) - 1], [metric.history[-1]], "o", color=METRIC_COLOUR, markersize=3)
    title(axes, renderer.plain("summary.chart_metric", m=metric), fontsize=7, loc="left")
    axes.set_xlim(-0.5, len(values) - 0.5)  # the weeks line up with the chart above
    axes.set_xticks([])
    axes.tick_params(axis="y", labelsize=6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def summary_chart(renderer: Renderer, figures: TeamFigures) -> bytes:
    """The team summary's chart: participation and mood over the weeks, and metric sparklines."""
    metrics = figures.metrics[:MAX_METRICS]
    figure = new_figure(8, 4.6 if metrics else 3.2, SUMMARY_MARGINS)
    if metrics:
        grid = figure.add_gridspec(2, len(metrics), height_ratios=[3, 1.2])
        main = figure.add_subplot(grid[0, :])
        for index, metric in enumerate(metrics):
            _sparkline(figure.add_subplot(grid[1, index]), renderer, metric)
    else:
        main = figure.add_subplot(1, 1, 1)
    _participation_and_mood(main, renderer, figures)
    title(main, renderer.plain("summary.chart_title", f=figures), fontsize=10, loc="left")
    return png(figure)


def digest_chart(renderer: Renderer, teams: Sequence[TeamFigures]) -> bytes:
    """The coach digest's chart: participation and mood per team, one small panel each."""
    shown = list(teams[:MAX_DIGEST_TEAMS])
    columns = 2 if len(shown) > 1 else 1
    rows = max(1, -(-len(shown) // columns))
    top = DIGEST_MARGINS.top + (0.2 if len(teams) > len(shown) else 0)  # the line naming the rest
    figure = new_figure(4.2 * columns, 2.3 * rows + 0.3, replace(DIGEST_MARGINS, top=top))
    for index, team in enumerate(shown):
        axes = figure.add_subplot(rows, columns, index + 1)
        _participation_and_mood(axes, renderer, team, compact=True)
        title(axes, team.team_name, fontsize=9, loc="left")
    if len(teams) > len(shown):
        figure.suptitle(
            renderer.plain("digest.chart_more_teams", count=len(teams) - len(shown)),
            fontsize=8,
            x=0.99,
            ha="right",
        )
    return png(figure)
