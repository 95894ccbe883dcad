"""What a weekly summary and a coach digest are made of: figures, signals and delivery reports.

The dataclasses here are shared by the figures' computation (:mod:`bot.digests.service`), the
Block Kit and terminal builders (:mod:`bot.digests.views`), the charts and the delivery. They
hold counts and averages only: never anyone's answers, never feedback text, never a mood from
fewer than :data:`MIN_ANSWERS` answers. Only a team's own summary carries stories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.errors import RetrobotError
from bot.core.meetings import parse_iso_week
from bot.core.privacy import MIN_ANSWERS as MIN_ANSWERS
from bot.decisions.counts import DecisionCounts
from bot.retros.model import HealthTrend
from storage.models import DigestKind
from storage.weekly import FeedbackCounts, OwnerSpread, TensionCounts

HISTORY_WEEKS = 12  # the chart's span; the last is the week summarised
TREND_WEEKS = 8  # mood trend and the averages this week is compared with
STALE_TENSION = timedelta(weeks=3)
MONTH_WEEKS = 4  # "no feedback in a month"
MOOD_DROP = 1.0
STORIES_SHOWN = 20
DIGESTS_SHOWN = 8  # `/retro digest`: the latest coach digests about the person's teams


class WeekNotStartedError(RetrobotError):
    """The week asked for has not begun, so there is nothing to summarise yet."""


class SignalKind(StrEnum):
    """The reasons a coach digest gives for a team perhaps wanting support."""

    PARTICIPATION_FALLING = "participation_falling"
    MOOD_DOWN = "mood_down"
    OLD_TENSIONS = "old_tensions"
    PRIVATE_TENSIONS = "private_tensions"
    LEADERSHIP_CONCENTRATED = "leadership_concentrated"
    NO_FEEDBACK = "no_feedback"
    PROPOSALS_OVERDUE = "proposals_overdue"  # bot/decisions: a count, never a proposal's words
    ROLES_CONCENTRATED = "roles_concentrated"  # bot/roles: one person holds most roles
    ISSUES_IN_COMMON = "issues_in_common"  # bot/circles: teams of a circle sensing one gap


class DeliveryOutcome(StrEnum):
    """What became of one attempt to send a summary or digest."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    IN_PROGRESS = "in_progress"  # recorded by another run that has not confirmed it yet
    FOUND = "found"  # an earlier run's message was found in Slack: recorded, not sent again
    IN_DOUBT = "in_doubt"  # it may have arrived and Slack could not say: not sent again
    FAILED = "failed"
    NOTHING_TO_SEND = "nothing_to_send"


@dataclass(frozen=True)
class WeekFigures:
    """One team's check-ins in one ISO week, as counts and averages only."""

    week: str
    rounds: int = 0
    asked: int = 0
    answered: int = 0
    away: int = 0
    skipped: int = 0  # said "Skip this week": neither asked nor counted as silent
    off_shift: int = 0  # no working time before the meeting (bot/shifts): not silent either
    moods: int = 0
    mood: float | None = None  # None below MIN_ANSWERS moods
    metrics: dict[str, float | None] = field(default_factory=dict)
    metric_answers: dict[str, int] = field(default_factory=dict)
    # Not shown because counting the answers kept from the team would give one away
    # (bot.core.privacy), rather than for want of answers.
    mood_withheld: bool = False
    metrics_withheld: tuple[str, ...] = ()

    @property
    def participation(self) -> float | None:
        """Answered ÷ asked (0–1), or None when the team had no check-in that week."""
        if not self.rounds or not self.asked:
            return None
        return min(1.0, self.answered / self.asked)


@dataclass(frozen=True)
class MetricFigures:
    """One of the team's numbers: this week's total, its recent average, and its history."""

    id: str
    label: str
    unit: str
    this_week: float | None
    answers: int
    average: float | None
    history: list[float | None]
    withheld: bool = False  # this week's not shown: it would give a kept answer away


@dataclass(frozen=True)
class TeamFigures:
    """Everything counted about one team's week: what both the team and its coaches may see."""

    team_id: str
    team_name: str
    channel: str
    timezone: str
    week: str
    start: datetime
    end: datetime
    in_progress: bool
    weeks: list[WeekFigures]
    participation_average: float | None
    mood_average: float | None
    metrics: list[MetricFigures]
    tensions: TensionCounts
    oldest_open_days: int | None
    owners: OwnerSpread
    feedback: FeedbackCounts
    values: list[tuple[str, int]]
    first_activity: datetime | None
    # Deciding (bot/decisions): decisions made this week, proposals open and past their date.
    decisions: DecisionCounts = field(default_factory=DecisionCounts)
    # The health check of the latest retrospective closed by the week's end (bot/retros):
    # averages over at least 3 answers only; None before the team's first.
    health: HealthTrend | None = None

    @property
    def this_week(self) -> WeekFigures:
        """The week summarised (the last of ``weeks``)."""
        return self.weeks[-1]

    @property
    def first_day(self) -> date:
        """The week's Monday, in the team's zone."""
        return self.start.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def last_day(self) -> date:
        """The week's Sunday, in the team's zone."""
        return self.first_day + timedelta(days=6)

    @property
    def week_number(self) -> int:
        """The ISO week number (48 of 2026-W48)."""
        return parse_iso_week(self.week)[1]

    @property
    def mood_trend(self) -> list[float | None]:
        """The weekly moods of the last ``TREND_WEEKS`` weeks, this one last."""
        return [w.mood for w in self.weeks[-TREND_WEEKS:]]

    @property
    def first_week(self) -> bool:
        """True when the team has nothing recorded before this week (a new team)."""
        return self.first_activity is None or self.first_activity >= self.start

    @property
    def quiet(self) -> bool:
        """True when nothing at all was recorded this week."""
        t, f = self.tensions, self.feedback
        return not (
            self.this_week.rounds
            or t.raised
            or t.triaged
            or t.closed
            or t.actions_done
            or self.decisions.made
            or f.appreciations
            or f.suggestions
        )


@dataclass(frozen=True)
class Story:
    """A story a member shared with their own team in the check-in."""

    user_id: str
    text: str


@dataclass(frozen=True)
class TeamSummary:
    """The team's own weekly summary: its figures and the stories its members shared."""

    figures: TeamFigures
    stories: list[Story]
    stories_total: int

    @property
    def more_stories(self) -> int:
        """Stories told that week beyond those shown."""
        return max(0, self.stories_total - len(self.stories))


@dataclass(frozen=True)
class SupportSignal:
    """A reason a team may want support, with the evidence (numbers and dates only)."""

    kind: SignalKind
    team_id: str
    team_name: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CoachTeam:
    """One of a coach's teams in their digest: the team's figures and its signals.

    There is deliberately no place here for a story or any other text a person typed.
    """

    figures: TeamFigures
    signals: list[SupportSignal]


@dataclass(frozen=True)
class CoachDigest:
    """A coach's weekly digest across the teams they coach."""

    coach_id: str
    week: str
    teams: list[CoachTeam]

    @property
    def signals(self) -> list[SupportSignal]:
        """Every team's signals, in team order."""
        return [signal for team in self.teams for signal in team.signals]


@dataclass(frozen=True)
class DeliveryReport:
    """What happened when a summary or digest was to be sent, for the scheduler and the CLI."""

    kind: DigestKind
    recipient: str
    week: str
    outcome: DeliveryOutcome
    team_ids: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    channel: str | None = None
    message_ts: str | None = None
    messages: int = 0
    sent_at: datetime | None = None
    error: str | None = None
    chart_error: str | None = None
    found: list[str] = field(default_factory=list)  # teams whose message was found in Slack
    in_doubt: list[str] = field(default_factory=list)  # teams Slack could not say about

    @property
    def ok(self) -> bool:
        """True unless Slack refused the message, or could not say whether one arrived."""
        return self.outcome not in (DeliveryOutcome.FAILED, DeliveryOutcome.IN_DOUBT)


@dataclass(frozen=True)
class ReceivedDigest:
    """A coach digest as a coach received it about one team (for `/retro digest`)."""

    team_id: str
    team_name: str
    coach_id: str
    week: str
    sent_at: datetime | None
    body: str


@dataclass(frozen=True)
class ReceivedDigests:
    """What `/retro digest` shows a person: the names of their teams, and the digests sent."""

    team_names: list[str]
    received: list[ReceivedDigest]


# Counted for the coaches' signal only: "private tensions are never counted in the team summary",
# so the team's own summary data leaves them out altogether (and the first tension's time,
# which could date a private one).
PRIVATE_TO_COACHES = ("private_raised", "private_open", "first_raised")


def summary_data(summary: TeamSummary) -> dict[str, Any]:
    """The team's summary as plain JSON-ready data, with nothing of its private tensions."""
    data: dict[str, Any] = as_data(summary)
    for name in PRIVATE_TO_COACHES:
        data["figures"]["tensions"].pop(name, None)
    return data


def as_data(value: Any) -> Any:
    """A summary or digest as plain JSON-ready data (``retrobot summary --format json``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        data = {name: as_data(getattr(value, name)) for name in value.__dataclass_fields__}
        for name in ("participation", "first_day", "last_day", "first_week", "quiet"):
            if hasattr(type(value), name):
                data[name] = as_data(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(key): as_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    if isinstance(value, float):
        return round(value, 3)
    return value
