"""The charts: real PNGs from matplotlib's headless canvas, with gaps where a week has no value."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from PIL import Image

from bot.digests import charts
from bot.digests.model import WeekFigures
from prompts import Renderer
from tests.bot.weekly_figures import figures

RENDERER = Renderer()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(BytesIO(png)) as image:
        image.verify()
        return image.size


def test_the_summary_chart_with_numbers_is_taller_than_without() -> None:
    with_metrics = size_of(charts.summary_chart(RENDERER, figures()))
    without = size_of(charts.summary_chart(RENDERER, figures(metrics=[])))
    assert with_metrics == (800, 460)
    assert without == (800, 320)


def test_a_new_team_with_no_values_at_all_still_gets_a_chart() -> None:
    empty = figures(weeks=[WeekFigures(week=w.week) for w in figures().weeks])
    metric = replace(empty.metrics[0], history=[None] * 12, this_week=None)
    assert size_of(charts.summary_chart(RENDERER, replace(empty, metrics=[metric])))


def test_the_digest_chart_has_a_panel_per_team_up_to_eight() -> None:
    one = size_of(charts.digest_chart(RENDERER, [figures()]))
    three = size_of(charts.digest_chart(RENDERER, [figures(team_id=f"t{n}") for n in range(3)]))
    many = size_of(charts.digest_chart(RENDERER, [figures(team_id=f"t{n}") for n in range(11)]))
    assert one == (420, 260)
    assert three == (840, 490)
    assert many == (840, 950)  # eight panels in four rows; the other three are named as more
