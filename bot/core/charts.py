"""What every chart shares: a matplotlib figure on a canvas of its own, laid out by fixed margins.

Figures are drawn with matplotlib's object API — never pyplot, whose global state is not safe in
a threaded server — and matplotlib is imported only when a chart is drawn, so nothing else pays
for it. The margins are given in inches, the space the labels around the axes need, instead of
matplotlib's constrained layout: that one measures every label twice more before the drawing
does, which was about 40 % of a chart's CPU, for labels whose sizes are known (the tests check
that every label of every chart stays inside its picture). Titles are set at a fixed height for
the same reason (:func:`title`).

A chart can be drawn beside the work that needs it, in a helper process (:func:`draw_later`):
a command that draws many charts starts helpers first (:func:`helpers`), which import matplotlib
on another core while the app is still loading, and draw each chart while the process goes on
with the messages the chart follows. Without helpers, or if a helper stops, the chart is drawn
in the process that asks for it, at the moment it asks: the same picture either way.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Generic, Literal, TypeVar

logger = logging.getLogger(__name__)

DPI = 100
T = TypeVar("T")


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


# --- drawing beside: helper processes ------------------------------------------------------------


class _Helpers:
    """The process's chart helpers, while it has any (one pool at a time, for all threads)."""

    pool: ProcessPoolExecutor | None = None
    lock = threading.Lock()


def _warm(modules: Sequence[str]) -> None:
    """A helper's start: matplotlib and the chart modules imported, the fonts loaded. Ctrl-C
    at the terminal is its process's to answer: the helper leaves it alone, with no traceback,
    and is stopped with the process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for module in ("matplotlib.figure", "matplotlib.backends.backend_agg", *modules):
        importlib.import_module(module)
    png(new_figure(1, 1, Margins(0.2, 0.2, 0.2, 0.2)))


def _start_method() -> str:
    """Fork where the system can and the process has no other thread yet (a command starts its
    helpers first): nothing to load again, and a helper ends at once when stopped. Otherwise
    spawn, each helper a new interpreter (forking beside running threads is not safe)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def start_helpers(count: int = 1, *, warm: Sequence[str] = ()) -> None:
    """Draw charts in ``count`` helper processes from now on; each imports matplotlib and the
    ``warm`` modules (where the charts are drawn) as soon as it starts, on another core."""
    with _Helpers.lock:
        if _Helpers.pool is not None:
            return
        pool = ProcessPoolExecutor(
            count,
            mp_context=multiprocessing.get_context(_start_method()),
            initializer=_warm,
            initargs=(tuple(warm),),
        )
        for _ in range(count):  # start them now, not at the first chart
            pool.submit(int)
        _Helpers.pool = pool


def stop_helpers() -> None:
    """Draw in this process again; the helpers finish what they were given, then stop."""
    with _Helpers.lock:
        pool, _Helpers.pool = _Helpers.pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def helpers(count: int = 1, *, warm: Sequence[str] = ()) -> Iterator[None]:
    """Charts drawn in helper processes inside the block (:func:`start_helpers`)."""
    start_helpers(count, warm=warm)
    try:
        yield
    finally:
        stop_helpers()


class Drawing(Generic[T]):
    """A chart on its way: being drawn by a helper, or to be drawn here when asked for."""

    def __init__(self, draw: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._draw, self._args, self._kwargs = draw, args, kwargs
        self._future: Future[T] | None = None
        pool = _Helpers.pool
        if pool is not None:
            try:
                self._future = pool.submit(draw, *args, **kwargs)
            except (BrokenProcessPool, RuntimeError):  # stopped or stopping: drawn here
                self._future = None

    @property
    def elsewhere(self) -> bool:
        """True when a helper was given it to draw."""
        return self._future is not None

    def result(self) -> T:
        """The chart (a helper's exception raised here as if drawn here)."""
        if self._future is not None:
            try:
                return self._future.result()
            except BrokenProcessPool:
                logger.warning("A chart helper stopped; drawing the chart here instead")
        return self._draw(*self._args, **self._kwargs)

    def cancel(self) -> None:
        """Not needed after all (a helper that has not started on it leaves it)."""
        if self._future is not None:
            self._future.cancel()


def draw_later(draw: Callable[..., T], *args: Any, **kwargs: Any) -> Drawing[T]:
    """Start drawing ``draw(*args, **kwargs)`` in a helper when the process has helpers
    (``draw`` a module's function, its arguments what pickle can send); here, when asked for,
    otherwise."""
    return Drawing(draw, args, kwargs)
