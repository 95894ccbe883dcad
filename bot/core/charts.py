"""What every chart shares: a matplotlib figure on a canvas of its own, laid out by fixed margins.

Figures are drawn with matplotlib's object API — never pyplot, whose global state is not safe in
a threaded server — and matplotlib is imported only when a chart is drawn, so nothing else pays
for it. The margins are given in inches, the space the labels around the axes need, instead of
matplotlib's constrained layout: that one measures every label twice more before the drawing
does, which was about 40 % of a chart's CPU, for labels whose sizes are known (the tests check
that every label of every chart stays inside its picture). Titles are set at a fixed height for
the same reason (:func:`title`).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any, Literal

DPI = 100


@dataclass(frozen=True)
class Margins:
    """The space around a figure's axes, in inches, and between its axes as matplotlib has it
    (``hspace`` and ``wspace``: fractions of the average axes' height and width)."""

    left: float
    right: float
    top: float
    bottom: float
    hspace: float = 0.0
    wspace: float = 0.0


def new_figure(
    width: float, height: float, margins: Margins, *, canvas: Literal["png", "svg"] = "png"
) -> Any:
    """A figure ``width`` by ``height`` inches on its own canvas, its axes within ``margins``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    if canvas == "svg":
        from matplotlib.backends.backend_svg import FigureCanvasSVG

        FigureCanvasSVG(figure)
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=margins.left / width,
        right=1 - margins.right / width,
        top=1 - margins.top / height,
        bottom=margins.bottom / height,
        hspace=margins.hspace,
        wspace=margins.wspace,
    )
    return figure


def title(axes: Any, text: str, **style: Any) -> None:
    """Give ``axes`` its title at the usual height, fixed.

    Left to itself, matplotlib measures every axes' tick labels at each drawing to lift a title
    above any drawn on top (a third of a chart's CPU); these charts draw none there."""
    axes.set_title(text, y=1.0, **style)


def png(figure: Any) -> bytes:
    """The figure as PNG bytes, with no software name in them (the same bytes on any machine)."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
