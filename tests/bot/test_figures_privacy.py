"""No figure gives away an answer kept private (issue 15, items 9 and 17): searched by brute force.

For many generated weeks — shared answers (which the team reads one by one in its agenda),
answers kept from the team, and the scale they lie on — each surface's figures are built by its
own code, exactly as the summary, the coach digest, the retrospective and the organisation
report build them. Then, as someone who knows every shared answer, how many answered and how
retrobot computes its figures, every assignment of values to the kept answers is tried: those
for which the surface shows exactly the same figures are the ones the reader cannot tell apart.
If every one of them gives a kept answer the same value, the figures gave it away.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

import pytest

from bot.core.config import AppConfig, TeamConfig, parse_config
from bot.core.privacy import HEALTH_SCALE, MOOD_SCALE, TICK_SCALE, Scale
from bot.digests.service import week_figures
from bot.reports import parts
from bot.reports.model import Period, TeamRef
from bot.reports.service import Builder, Counts
from bot.retros.figures import health_figures, week_mood, week_total
from storage.reports import ChecklistCount
from storage.weekly import CheckinWeek

CONFIG = """
organisation: {name: Riverside Community Care}
defaults:
  timezone: Europe/London
  tactical: {day: tuesday, time: "10:00"}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: C0NORTH
    members: [U0ANA, U0BEN, U0CARA, U0DEV, U0EVE, U0FIN, U0GUS]
    metrics:
      - {id: calls, label: Missed calls, min: 0, max: 3}
    checklist: [Fridge temperatures logged]
"""
DUTY = "Fridge temperatures logged"
PERIOD = Period(date(2026, 11, 23), date(2026, 11, 29))  # one ISO week


@dataclass(frozen=True)
class Case:
    """One week: the answers shared with the team, and those kept from it."""

    shared: tuple[int, ...]
    kept: tuple[int, ...]


@cache
def team() -> TeamConfig:
    config: AppConfig = parse_config(CONFIG, source="privacy.yaml")
    return config.team("north")


def _week(case: Case, *, metric: bool) -> CheckinWeek:
    """The week as storage.weekly counts it: sums and counts, all and kept apart."""
    answers = case.shared + case.kept
    n = len(answers)
    if metric:
        return CheckinWeek(
            rounds=1,
            asked=n,
            answered=n,
            metric_answers={"calls": n},
            metric_totals={"calls": float(sum(answers))},
            kept_metric_answers={"calls": len(case.kept)},
            kept_metric_totals={"calls": float(sum(case.kept))},
        )
    return CheckinWeek(
        rounds=1,
        asked=n,
        answered=n,
        moods=n,
        mood_total=float(sum(answers)),
        kept_moods=len(case.kept),
        kept_mood_total=float(sum(case.kept)),
    )


def _builder(case: Case, *, metric: bool = False, ticks: bool = False) -> Builder:
    answers = case.shared + case.kept
    counts = Counts(checkins={("north", 0): _week(case, metric=metric)})
    if ticks:
        counts.checklist[("north", DUTY)] = ChecklistCount(
            len(answers), sum(answers), len(case.kept), sum(case.kept)
        )
    return Builder([team()], PERIOD, counts)


# --- what each surface shows, built by its own code -----------------------------------------


def summary_mood(case: Case) -> object:
    """The weekly summary's and the coach digest's mood line (one builder serves both)."""
    week = week_figures(team(), _week(case, metric=False), "2026-W48")
    return week.moods, week.mood


def summary_metric(case: Case) -> object:
    """The weekly summary's and the coach digest's metric line."""
    week = week_figures(team(), _week(case, metric=True), "2026-W48")
    return week.metric_answers["calls"], week.metrics["calls"]


def retro_mood(case: Case) -> object:
    """The retrospective's mood by week."""
    return week_mood(_week(case, metric=False))


def retro_metric(case: Case) -> object:
    """The retrospective's metric, week by week before its period average."""
    return week_total(_week(case, metric=True), team().metrics[0])


def report_mood(case: Case) -> object:
    """The organisation report's mood: the period, each week and the team (and its chart)."""
    figure = _builder(case).mood()
    return figure.value, [w.value for w in figure.weeks], [t.value for t in figure.teams]


def report_metric(case: Case) -> object:
    """The organisation report's metric totals."""
    figure = _builder(case, metric=True).metric("calls", [team()])
    return figure.value, [w.value for w in figure.weeks]


def report_checklist(case: Case) -> object:
    """The organisation report's checklist share: ticks are answers of 0 or 1."""
    return _builder(case, ticks=True).checklist(DUTY, [team()]).value


def retro_health(case: Case) -> object:
    """The retrospective's (and the summary's) health check: every answer is anonymous."""
    answers = case.shared + case.kept
    averages = {(1, "Safe to speak up"): (len(answers), sum(answers) / len(answers))}
    [figure] = health_figures(["Safe to speak up"], averages, 1, None)
    return figure.answers, figure.average


def report_health(case: Case) -> object:
    """The organisation report's health check."""
    answers = case.shared + case.kept
    [figure] = parts.health_figures(
        labels=PERIOD.weeks,
        refs={"north": TeamRef("north", "North Neighbourhood Team")},
        by_team=False,
        found={("north", 0, "Safe to speak up"): (len(answers), sum(answers))},
    )
    return figure.value, [w.value for w in figure.weeks]  # type: ignore[union-attr]


Surface = Callable[[Case], object]
# (what it is, how it is built, the scale its answers lie on, whether any answer is shared)
SURFACES: list[tuple[str, Surface, Scale, bool]] = [
    ("summary and digest mood", summary_mood, MOOD_SCALE, True),
    ("summary and digest metric", summary_metric, Scale(0, 3), True),
    ("retrospective mood", retro_mood, MOOD_SCALE, True),
    ("retrospective metric", retro_metric, Scale(0, 3), True),
    ("report mood", report_mood, MOOD_SCALE, True),
    ("report metric", report_metric, Scale(0, 3), True),
    ("report checklist", report_checklist, TICK_SCALE, True),
    ("retrospective health check", retro_health, HEALTH_SCALE, False),
    ("report health check", report_health, HEALTH_SCALE, False),
]


# --- the search ---------------------------------------------------------------------------------


def given_away(surface: Surface, case: Case, scale: Scale) -> list[int]:
    """The kept answers (by position) that what ``surface`` shows for ``case`` pins down: every
    assignment of values within the scale that shows the same leaves them one value."""
    values = range(int(scale.low), int(scale.high) + 1)
    shown = surface(case)
    outputs: dict[tuple[int, ...], object] = {}  # the figures hold sums: order cannot matter
    possible: list[set[int]] = [set() for _ in case.kept]
    for candidate in itertools.product(values, repeat=len(case.kept)):
        key = tuple(sorted(candidate))
        if key not in outputs:
            outputs[key] = surface(Case(case.shared, key))
        if outputs[key] == shown:
            for index, value in enumerate(candidate):
                possible[index].add(value)
    return [index for index, found in enumerate(possible) if len(found) == 1]


def generated_cases(scale: Scale, *, shared: bool, count: int = 160) -> list[Case]:
    """Weeks worth searching: the issue's own (2 shared of 3; 1 shared 5 and three kept 1s),
    every kept answer at one end or spread, then random weeks of 0–4 shared and 1–4 kept."""
    low, high = int(scale.low), int(scale.high)
    rng = random.Random(f"{low}-{high}-{shared}")
    found: list[Case] = []
    if shared:
        found += [Case((high, high - 1), (low,)), Case((high,), (low, low, low))]
        found += [Case((high,) * 3, (low,) * k) for k in range(1, 5)]
        found += [Case((low,) * 3, (high,) * k) for k in range(1, 5)]
    found += [Case((), (low,) * k) for k in range(3, 6)]
    found += [Case((), (high,) * k) for k in range(3, 6)]
    while len(found) < count:
        shared_answers = tuple(rng.randint(low, high) for _ in range(rng.randint(0, 4)))
        kept = tuple(rng.randint(low, high) for _ in range(rng.randint(1, 4)))
        found.append(Case(shared_answers if shared else (), kept))
    return found


@pytest.mark.parametrize(("name", "surface", "scale", "shared"), SURFACES, ids=lambda v: v)
def test_no_figure_on_any_surface_pins_down_an_answer_kept_private(
    name: str, surface: Surface, scale: Scale, shared: bool
) -> None:
    """Issue 15, items 9 and 17: for every generated week, no kept answer has only one value
    consistent with what the surface shows beside the shared answers."""
    leaks = [
        (case, positions)
        for case in generated_cases(scale, shared=shared)
        if (positions := given_away(surface, case, scale))
    ]
    assert leaks == [], f"{name}: {len(leaks)} weeks give a kept answer away, e.g. {leaks[:3]}"


def test_the_search_finds_what_a_figure_over_every_answer_would_give_away() -> None:
    """The search itself: an average over all the answers, shown with its count, gives away one
    kept answer beside 2 shared (item 9) and three kept 1s beside a shared 5 (item 17)."""

    def naive(case: Case) -> object:
        answers = case.shared + case.kept
        return len(answers), sum(answers) / len(answers)

    assert given_away(naive, Case((5, 4), (1,)), MOOD_SCALE) == [0]
    assert given_away(naive, Case((5,), (1, 1, 1)), MOOD_SCALE) == [0, 1, 2]
    assert given_away(naive, Case((5,), (1, 2, 1)), MOOD_SCALE) == []
    assert given_away(naive, Case((), (0, 0, 0)), TICK_SCALE) == [0, 1, 2]


def test_a_figure_shown_beside_kept_answers_still_counts_them_when_they_stay_hidden() -> None:
    """The rule takes away no more than it must: three kept answers that could be many things
    stay in the figure, and every answer shared means nothing is kept out."""
    assert summary_mood(Case((5,), (1, 2, 1))) == (4, 9 / 4)
    assert summary_mood(Case((5, 4, 3), ())) == (3, 4.0)
    assert retro_health(Case((), (4, 5, 3))) == (3, 4.0)
    assert summary_mood(Case((5, 4, 3), (1, 1, 1))) == (3, 4.0)  # the shared ones alone
    assert summary_mood(Case((5,), (1, 1, 1)))[1] is None
