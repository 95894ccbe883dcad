"""The rule every figure obeys: no mood, number, share or average may give away an answer its
writer kept from the team.

A check-in answer can be kept from the team (its *share with the team* unticked); a health
check answer is anonymous: nobody's own answer is shown. A figure over a group of answers,
shown with how many it is over, fixes the sum of the group; the team reads every shared answer
in its agenda, so the figure less the shared answers fixes the sum of the kept ones. That sum
gives each kept answer away when it leaves each one a single possible value within the
scale's bounds: one kept answer, or every kept answer at the same end of the scale (1 shared
mood 5 and an average of 2.0 over 4: the other three answered 1).

:func:`countable` says what such a figure may be made of: every answer, when the kept ones stay
hidden in their sum; otherwise the shared answers alone (which the team reads anyway), and the
figure says that it left the kept ones out. One or two kept answers are always left out, whatever
they are, so that leaving them out says nothing about them. A figure left out because three or
more kept answers sat at one end of the scale says only that: never which end.

Pure functions; the capabilities (the weekly summary and coach digest, the retrospective, the
organisation report) call them on the sums their queries return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_ANSWERS = 3  # a figure over fewer answers would be someone's own answer


@dataclass(frozen=True)
class Scale:
    """The bounds an answer lies within (a mood 1 to 5, a metric's min and max, a tick 0 or 1)."""

    low: float
    high: float


MOOD_SCALE = Scale(1, 5)
HEALTH_SCALE = Scale(1, 5)
TICK_SCALE = Scale(0, 1)


@dataclass(frozen=True)
class Countable:
    """The answers a figure is made of: how many and their sum; ``kept_out`` when answers kept
    from the team were left out of it because counting them would give one away."""

    answers: int
    total: float
    kept_out: bool = False

    @property
    def shown(self) -> bool:
        """True when the figure rests on enough answers to be shown."""
        return self.answers >= MIN_ANSWERS

    @property
    def average(self) -> float | None:
        """The answers' average, or None when it is not shown."""
        return self.total / self.answers if self.shown else None

    @property
    def withheld(self) -> bool:
        """True when no figure is shown because it would have given a kept answer away."""
        return self.kept_out and not self.shown


def sum_gives_away(kept: int, kept_total: float, scale: Scale) -> bool:
    """True when knowing the sum of ``kept`` answers within ``scale`` leaves any of them only
    one possible value: a single answer, or all of them at the same end of the scale."""
    if kept <= 0:
        return False
    if kept == 1:
        return True
    return math.isclose(kept_total, kept * scale.low, abs_tol=1e-9) or math.isclose(
        kept_total, kept * scale.high, abs_tol=1e-9
    )


def countable(answers: int, total: float, kept: int, kept_total: float, scale: Scale) -> Countable:
    """What a figure over ``answers`` (summing to ``total``), ``kept`` of them kept from the team
    (summing to ``kept_total``), may be made of: all of them, or the shared ones alone when the
    kept ones would be given away (always for one or two kept, so leaving them out says nothing
    of them)."""
    if kept > 0 and (kept < MIN_ANSWERS or sum_gives_away(kept, kept_total, scale)):
        return Countable(answers - kept, total - kept_total, kept_out=True)
    return Countable(answers, total)


def anonymous_average(answers: int, total: float, scale: Scale) -> Countable:
    """An average of answers none of which is shown on its own (a health check): shown over at
    least 3 answers, unless they all sit at the same end of the scale (then each is known)."""
    if answers >= MIN_ANSWERS and sum_gives_away(answers, total, scale):
        return Countable(0, 0.0, kept_out=True)
    return Countable(answers, total)
