"""What an agenda is, as plain values: the meeting's parts, and what posting it did.

bot.agenda.service gathers an :class:`Agenda` from the database and posts it; bot.agenda.views
turns one into Block Kit. Neither needs the other to know these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.config import TeamConfig
from bot.core.meetings import Meeting
from storage.models import CheckinResponse, Tension
from storage.queries import is_overdue


@dataclass(frozen=True)
class MetricSummary:
    """One of the team's numbers over the shared check-in answers."""

    id: str
    label: str
    unit: str
    total: float
    average: float
    answers: int


@dataclass(frozen=True)
class ChecklistSummary:
    """One recurring duty: how many said it was done (check) and how many not (no check)."""

    duty: str
    checked: int
    unchecked: int


@dataclass(frozen=True)
class Agenda:
    """Everything one meeting's agenda shows, as plain values."""

    team: TeamConfig
    meeting: Meeting
    round_id: int
    today: date
    answers: list[CheckinResponse]
    checklist: list[ChecklistSummary]
    metrics: list[MetricSummary]
    progress: list[Tension]
    items: list[Tension]

    @property
    def mood_average(self) -> float | None:
        """The average mood of the shared answers that gave one."""
        moods = [a.mood for a in self.answers if a.mood is not None]
        return sum(moods) / len(moods) if moods else None

    @property
    def overdue(self) -> int:
        """How many of the open next actions and projects are past their due date."""
        return sum(1 for t in self.progress if is_overdue(t, self.today))

    def is_overdue(self, tension: Tension) -> bool:
        """True when this open next action or project is past its due date."""
        return is_overdue(tension, self.today)


@dataclass(frozen=True)
class AgendaPost:
    """What posting (or updating) an agenda did: where it is, or Slack's error."""

    team_id: str
    team_name: str
    meeting_date: date
    meeting_at: datetime
    channel: str
    ts: str | None = None
    created: bool = False
    found: bool = False  # posted by an earlier attempt that never heard back, found again
    items: int = 0
    replies: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the agenda is in the channel as it should be."""
        return self.error is None and self.ts is not None
