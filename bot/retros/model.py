"""The retrospective's rhythm, limits and the plain values its views are built from.

A retrospective opens every ``retro.every`` weeks on a local day and time (app.yaml), reckoned
in the team's zone from the local calendar like a tactical meeting (bot.core.meetings), so a
daylight-saving change never moves it to another hour. Reflection is open for two days, then
voting for two days; each has one reminder, halfway, to those who have not yet reflected or
voted. Nothing here touches the database or Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import RetroSchedule, TeamConfig
from bot.core.meetings import CADENCE_ANCHOR, WEEKDAY_INDEX, local_moment, parse_iso_week
from bot.core.privacy import MIN_ANSWERS as MIN_ANSWERS
from storage.models import Reflection, ReflectionKind, Retrospective, RetroStatus, Tension

REFLECTION_OPEN_FOR = timedelta(days=2)
VOTING_OPEN_FOR = timedelta(days=2)
REMIND_AFTER = timedelta(days=1)  # one reminder, halfway through reflection and through voting
# A scheduled opening missed (the app was down) is still made this long after its time;
# later, the team's next one comes in its turn.
LATE_OPENING_WITHIN = REFLECTION_OPEN_FOR
VOTES_EACH = 3
IMPROVEMENTS_CHOSEN = 3  # the most-voted items become tensions, ties with the third kept
IMPROVEMENTS_AT_MOST = 10  # ...but never more than this (a tie across the whole board)
REFLECTION_LIMIT = 500  # characters in one reflection
REFLECTIONS_PER_KIND = 10  # one person's reflections of one kind (one a line)
FIELD_LIMIT = 3000  # a Reflect modal text field (Slack's plain_text_input maximum)
STORIES_SHOWN = 3
KINDS = (ReflectionKind.WENT_WELL, ReflectionKind.COULD_BE_BETTER, ReflectionKind.IDEA)
IN_PROGRESS = (RetroStatus.REFLECTING, RetroStatus.VOTING)


# --- when retrospectives open -----------------------------------------------------------------


def _anchor(schedule: RetroSchedule) -> date:
    """The Monday the team's retrospective weeks are counted from."""
    if schedule.start_week:
        year, week = parse_iso_week(schedule.start_week)
        return date.fromisocalendar(year, week, 1)
    return CADENCE_ANCHOR


def is_retro_day(schedule: RetroSchedule, day: date) -> bool:
    """True when a retrospective opens on this local date (its weekday, in an "on" week)."""
    if day.weekday() != WEEKDAY_INDEX[schedule.day]:
        return False
    anchor = _anchor(schedule)
    return day >= anchor and ((day - anchor).days // 7) % schedule.every == 0


def latest_opening(team: TeamConfig, now: datetime) -> datetime | None:
    """The latest scheduled opening at or before ``now``; None when the retrospective is off."""
    schedule = team.retro
    if schedule is None:
        return None
    day = now.astimezone(team.zone).date()
    for _ in range(schedule.every * 7 + 7):
        if is_retro_day(schedule, day):
            moment = local_moment(day, schedule.time, team.zone)
            if moment <= now:
                return moment
        day -= timedelta(days=1)
    return None


def next_opening(team: TeamConfig, now: datetime) -> datetime | None:
    """The first scheduled opening after ``now``; None when the retrospective is off."""
    schedule = team.retro
    if schedule is None:
        return None
    day = now.astimezone(team.zone).date()
    for _ in range(schedule.every * 7 + 14):
        if is_retro_day(schedule, day):
            moment = local_moment(day, schedule.time, team.zone)
            if moment > now:
                return moment
        day += timedelta(days=1)
    return None


def period_length(team: TeamConfig) -> timedelta:
    """How far a retrospective looks back when there is no earlier one: ``every`` weeks."""
    return timedelta(weeks=team.retro.every if team.retro else 4)


def opening_due(team: TeamConfig, now: datetime, last_opened_at: datetime | None) -> bool:
    """True when the team's scheduled retrospective should open now.

    It is due from its time for ``LATE_OPENING_WITHIN`` (an app that was down opens it late),
    unless one opened since half a period before it (say, with ``retrobot retro open``).
    """
    moment = latest_opening(team, now)
    if moment is None or now - moment >= LATE_OPENING_WITHIN:
        return False
    return last_opened_at is None or last_opened_at < moment - period_length(team) / 2


# --- what the views show ----------------------------------------------------------------------


@dataclass(frozen=True)
class MetricTrend:
    """One of the team's numbers: its weekly average this period, and the period before."""

    label: str
    unit: str
    this_period: float | None
    before: float | None


@dataclass(frozen=True)
class StoryShared:
    """A story a member shared with their own team in a check-in of the period."""

    user_id: str
    text: str


@dataclass(frozen=True)
class PeriodFigures:
    """The period's statistics and stories, counts and averages only (k ≥ 3) but the stories
    people shared with the team."""

    weeks: int
    asked: int
    answered: int
    moods: list[float | None]
    metrics: list[MetricTrend]
    tensions_raised: int
    tensions_closed: int
    tensions_open: int
    appreciations: int
    values: list[tuple[str, int]]
    stories: list[StoryShared] = field(default_factory=list)
    stories_total: int = 0
    decisions: int | None = None  # adopted in the period (None: not counted)

    @property
    def participation(self) -> float | None:
        """Check-ins answered ÷ asked over the period (0–1), None when nobody was asked."""
        return min(1.0, self.answered / self.asked) if self.asked else None

    @property
    def more_stories(self) -> int:
        """Stories shared in the period beyond those shown."""
        return max(0, self.stories_total - len(self.stories))


class Fate:
    """What became of an improvement the team chose last time."""

    DONE = "done"
    OPEN = "open"
    DROPPED = "dropped"


@dataclass(frozen=True)
class ImprovementFate:
    """One improvement from the last retrospective, and what became of its tension."""

    tension: Tension
    votes: int
    fate: str


@dataclass(frozen=True)
class HealthFigure:
    """One health question: its average this time and last time (None under 3 answers)."""

    question: str
    answers: int
    average: float | None
    previous: float | None
    withheld: bool = False  # not shown: every answer sat at one end of the scale

    @property
    def change(self) -> float | None:
        """This time's average less last time's, when both are known."""
        if self.average is None or self.previous is None:
            return None
        return self.average - self.previous


@dataclass(frozen=True)
class HealthTrend:
    """A team's health at its latest retrospective against the one before (for the weekly
    summary and the coach digest): averages over at least 3 answers only."""

    team_id: str
    opened_at: datetime
    figures: list[HealthFigure]


@dataclass(frozen=True)
class Participation:
    """Who took part, counted: asked (not away), reflected, voted, away."""

    asked: int = 0
    reflected: int = 0
    voted: int = 0
    away: int = 0


@dataclass(frozen=True)
class Chosen:
    """A reflection the team voted for and the tension it became."""

    reflection: Reflection
    tension: Tension
    votes: int


@dataclass(frozen=True)
class RetroBoard:
    """Everything a retrospective's channel message and thread show, as plain values."""

    retro: Retrospective
    team_name: str
    zone: ZoneInfo
    figures: PeriodFigures
    last_improvements: list[ImprovementFate]
    participation: Participation
    reflections: list[Reflection]
    health: list[HealthFigure]
    chosen: list[Chosen]

    @property
    def status(self) -> RetroStatus:
        """Reflecting, voting or closed."""
        return self.retro.status

    def of_kind(self, kind: ReflectionKind) -> list[Reflection]:
        """The reflections of one kind, in the order they came."""
        return [r for r in self.reflections if r.kind == kind]


@dataclass(frozen=True)
class OwnReflection:
    """A person's reflections and health answers so far, to prefill the Reflect modal."""

    texts: dict[ReflectionKind, str]
    scores: dict[str, int]


@dataclass(frozen=True)
class VoteChange:
    """What a click on Vote did: ``added`` or taken back, and the votes the person has left."""

    reflection: Reflection
    added: bool
    left: int
