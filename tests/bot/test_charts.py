"""The charts: real PNGs from matplotlib's headless canvas, with gaps where a week has no value,
every label inside the picture."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO
from itertools import combinations
from typing import Any

import pytest
from PIL import Image

from bot.core import charts as core_charts
from bot.digests import charts
from bot.digests.model import WeekFigures
from bot.reports import charts as report_charts
from bot.reports.model import (
    FeedbackCounts,
    Figure,
    Mean,
    Participation,
    Share,
    Total,
    Weekly,
    WeekTensions,
)
from bot.retros import charts as retro_charts
from bot.retros.model import HealthFigure
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


# Every chart is laid out by fixed margins (bot.core.charts), not by matplotlib measuring its
# labels: these draw each with the longest labels people give and check that none is cut off
# by the picture's edge or drawn over another.

LONG_TEAM = "North Neighbourhood Community Nursing Team"
QUESTIONS = [
    "We help each other",
    "Workload is fair",
    "Safe to speak up",
    "We learn from what goes wrong",
    "Our clients get what they need",
    "We have what we need to do our job well and safely",
]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the charts draw, as they were drawn."""
    figures_drawn: list[Any] = []

    def keep(*args: Any, **kwargs: Any) -> Any:
        figure = core_charts.new_figure(*args, **kwargs)
        figures_drawn.append(figure)
        return figure

    for module in (charts, retro_charts, report_charts):
        monkeypatch.setattr(module, "new_figure", keep)
    return figures_drawn


def _labels(figure: Any) -> list[tuple[str, Any]]:
    """Every piece of text the figure draws (not the tick labels beyond its scales), and where
    (in pixels), measured as the PNGs are drawn (the SVGs are the same size)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    drawn: list[Text] = []
    draw_text = Text.draw

    def noting(text: Text, renderer: Any) -> None:
        drawn.append(text)
        draw_text(text, renderer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Text, "draw", noting)
        FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    return [
        (text.get_text(), text.get_window_extent(renderer))
        for text in drawn
        if text.get_visible() and text.get_text().strip()
    ]


def assert_every_label_inside_and_apart(drawn: list[Any], count: int) -> None:
    """``count`` figures were drawn, and in each no label is cut off or drawn over another."""
    assert len(drawn) == count
    for figure in drawn:
        labels = _labels(figure)
        edge = figure.bbox
        for text, box in labels:
            assert (
                box.x0 >= edge.x0 and box.y0 >= edge.y0 and box.x1 <= edge.x1 and box.y1 <= edge.y1
            ), f"{text!r} is cut off by the picture's edge"
        for (one, box), (other, other_box) in combinations(labels, 2):
            assert not box.overlaps(other_box), f"{one!r} is drawn over {other!r}"


def test_every_summary_and_digest_label_is_inside_its_picture_and_clear_of_the_others(
    drawn: list[Any],
) -> None:
    metric = figures().metrics[0]
    numbers = [
        replace(metric, id=f"m{n}", label=label, history=[None] * 8 + [12000.0, 13500.5, 9000.0])
        for n, label in enumerate(["Client visits", "Hours on the road", "Falls", "Referrals"])
    ]
    charts.summary_chart(RENDERER, figures(name=LONG_TEAM, metrics=numbers))
    charts.summary_chart(RENDERER, figures(name=LONG_TEAM, metrics=[]))
    charts.digest_chart(RENDERER, [figures(name="North Neighbourhood Team")])
    charts.digest_chart(
        RENDERER, [figures(team_id=f"t{n}", name="South Neighbourhood Team") for n in range(11)]
    )
    assert_every_label_inside_and_apart(drawn, 4)


def test_every_health_radar_label_is_inside_its_picture_and_clear_of_the_others(
    drawn: list[Any],
) -> None:
    health = [HealthFigure(q, 5, 3.0 + i / 3, 3.5) for i, q in enumerate(QUESTIONS)]
    retro_charts.health_radar(RENDERER, health, team_name="North Neighbourhood Team")
    retro_charts.health_radar(RENDERER, health[:3], team_name="North Neighbourhood Team")
    assert_every_label_inside_and_apart(drawn, 2)


def test_every_report_chart_label_is_inside_its_picture_and_clear_of_the_others(
    drawn: list[Any],
) -> None:
    weeks = [f"2026-W{n:02d}" for n in range(1, 53)]
    participation = Figure(
        "participation", "participation", "Check-ins answered", "%", None,
        weeks=[Weekly(w, Participation(10, 7, 0.7)) for w in weeks],
    )  # fmt: skip
    mood = Figure("mood", "mood", "Mood", "", None, weeks=[Weekly(w, Mean(7, 3.5)) for w in weeks])
    metric = Figure(
        "metric", "metric:visits", "Client visits", "visits", None,
        weeks=[Weekly(w, Total(7, 12500.0, 1)) for w in weeks],
    )  # fmt: skip
    tensions = Figure(
        "tensions", "tensions", "Tensions", "", None,
        weeks=[Weekly(w, WeekTensions(12, 10, 11)) for w in weeks],
    )  # fmt: skip
    values = Figure(
        "feedback", "feedback", "Appreciations", "", FeedbackCounts(
            values={"Compassion": 120, "Courage and honesty with each other every day": 4}
        ),
    )  # fmt: skip
    checklist = [
        Figure("checklist", f"checklist:{n}", title, "%", Share(10, 7, 0.7))
        for n, title in enumerate(
            ["Caseload reviewed", "Every visit this week written up in the notes before 6pm"]
        )
    ]
    report_charts.participation_chart(RENDERER, participation, mood)
    report_charts.metric_chart(RENDERER, metric)
    report_charts.tension_chart(RENDERER, tensions)
    report_charts.values_chart(RENDERER, values)
    report_charts.checklist_chart(RENDERER, checklist)
    assert_every_label_inside_and_apart(drawn, 5)
