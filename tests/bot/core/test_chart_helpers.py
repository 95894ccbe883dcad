"""Charts drawn beside the work (bot.core.charts): in a helper process when the process has one,
here otherwise or when the helper stops, the same picture either way."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import time
from collections.abc import Iterator

import pytest

from bot.core import charts
from bot.digests.charts import summary_chart
from prompts import Renderer, shared_renderer
from tests.bot.weekly_figures import figures

RENDERER = Renderer()


def where_drawn(label: str) -> tuple[str, int]:
    """A stand-in for a chart: what it was asked to draw, and in which process."""
    return label, os.getpid()


def refusing(reason: str) -> bytes:
    raise ValueError(reason)


def stopping_a_helper(parent: int) -> str:
    """Ends the helper drawing it at once (as a crash would); drawn here, it is drawn."""
    if os.getpid() != parent:
        os._exit(1)
    return "drawn here"


@pytest.fixture
def helper() -> Iterator[None]:
    with charts.helpers(warm=("bot.digests.charts",)):
        yield


def test_without_helpers_a_chart_is_drawn_here_when_it_is_asked_for() -> None:
    asked: list[str] = []

    def noting(label: str) -> str:
        asked.append(label)
        return label

    drawing = charts.draw_later(noting, "summary")

    assert asked == [] and not drawing.elsewhere
    assert drawing.result() == "summary" and asked == ["summary"]


def test_a_helper_draws_in_another_process_the_same_picture_as_here(helper: None) -> None:
    where = charts.draw_later(where_drawn, "summary")
    picture = charts.draw_later(summary_chart, RENDERER, figures())

    assert where.elsewhere and picture.elsewhere
    label, pid = where.result()
    assert (label, pid != os.getpid()) == ("summary", True)
    assert picture.result() == summary_chart(RENDERER, figures())


def test_a_chart_that_fails_in_a_helper_fails_here_as_if_drawn_here(helper: None) -> None:
    drawing = charts.draw_later(refusing, "no fonts")

    with pytest.raises(ValueError, match="no fonts"):
        drawing.result()


def test_when_a_helper_stops_the_chart_is_drawn_here_instead(
    helper: None, caplog: pytest.LogCaptureFixture
) -> None:
    drawing = charts.draw_later(stopping_a_helper, os.getpid())

    with caplog.at_level(logging.WARNING, logger="bot.core.charts"):
        assert drawing.result() == "drawn here"
    assert "drawing the chart here instead" in caplog.text
    assert charts.draw_later(where_drawn, "next").result()[0] == "next"  # and so on


def test_ctrl_c_at_the_terminal_is_left_to_the_process_not_the_helper(helper: None) -> None:
    _, helper_pid = charts.draw_later(where_drawn, "before").result()

    os.kill(helper_pid, signal.SIGINT)  # as the terminal sends it to the whole process group
    time.sleep(0.5)  # a helper that took it would be gone by now, its traceback printed

    assert charts.draw_later(where_drawn, "after").result() == ("after", helper_pid)


def test_once_the_helpers_stop_charts_are_drawn_here_again() -> None:
    with charts.helpers():
        assert charts.draw_later(where_drawn, "during").elsewhere
    after = charts.draw_later(where_drawn, "after")
    assert not after.elsewhere and after.result() == ("after", os.getpid())


def test_starting_helpers_twice_keeps_the_first() -> None:
    with charts.helpers():
        first = charts._Helpers.pool
        charts.start_helpers(2)
        assert charts._Helpers.pool is first


def test_a_renderer_sent_to_a_helper_is_that_process_s_own() -> None:
    sent = pickle.loads(pickle.dumps(RENDERER))

    assert sent is shared_renderer(None) and sent is pickle.loads(pickle.dumps(Renderer()))
    assert sent.plain("summary.chart_mood") == RENDERER.plain("summary.chart_mood")
