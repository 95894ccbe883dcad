"""Peer feedback as plain values: its limits, and the shapes a use case takes and returns.

bot.feedback.service keeps the rules and the database; bot.feedback.views shows these values in
Slack, and needs nothing else of the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from storage.models import Feedback, FeedbackKind, FeedbackRequest, FeedbackRequestRecipient

TEXT_LIMIT = 2000
ABOUT_LIMIT = 300
REPLY_LIMIT = 1000
MAX_PEOPLE = 10
RATE_WINDOW = timedelta(hours=1)
RECEIVED_PAGE_SIZE = 5
WAITING_SHOWN = 5
MY_REQUESTS_SHOWN = 5
DEFAULT_DUE_DAYS = 7
LATEST_DUE_DAYS = 90
# Requests stay in "waiting for you" a week past their date: late feedback is still welcome.
WAITING_GRACE_DAYS = 7
# The one reminder goes the day before the due date, from this local time on (never at night).
REMINDER_TIME = time(9, 0)


@dataclass(frozen=True)
class FeedbackCommand:
    """What `/feedback ...` asks for: give (to these people), request (from them), or help."""

    action: Literal["give", "request", "help"]
    people: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class FeedbackDraft:
    """Feedback as typed in the modal, checked and ready to store."""

    receivers: tuple[str, ...]
    kind: FeedbackKind
    values: tuple[str, ...]
    text: str
    shared: bool = False
    anonymous: bool = False
    request_id: int | None = None


@dataclass(frozen=True)
class GivenFeedback:
    """What giving stored: one row per receiver, and the request it answered, if any."""

    feedback: list[Feedback]
    answered: FeedbackRequest | None = None

    @property
    def first(self) -> Feedback:
        """Any one of the rows (they share kind, values, text, sharing and anonymity)."""
        return self.feedback[0]


@dataclass(frozen=True)
class Thanks:
    """The receiver's thanks for a piece of feedback; ``new`` is False for a second click."""

    feedback: Feedback
    new: bool


@dataclass(frozen=True)
class Reply:
    """A private reply to a piece of feedback, on its way to the giver (it is not stored)."""

    feedback: Feedback
    text: str


@dataclass(frozen=True)
class RequestDraft:
    """A feedback request as typed in the modal, checked and ready to store."""

    team_id: str
    recipients: tuple[str, ...]
    about: str
    due_date: date


@dataclass(frozen=True)
class AskedForFeedback:
    """A stored feedback request and the people asked."""

    request: FeedbackRequest
    asked: list[FeedbackRequestRecipient]


@dataclass(frozen=True)
class RequestToAnswer:
    """A request someone was asked, as the give-modal shows it."""

    request: FeedbackRequest
    answered: bool


@dataclass(frozen=True)
class DueReminder:
    """One person to remind, gently, of a request they have not answered."""

    request: FeedbackRequest
    asked: FeedbackRequestRecipient
    due_today: bool = False  # the day before passed while retrobot was down


@dataclass(frozen=True)
class MyRequest:
    """A request the person made, with who has answered and who not yet."""

    request: FeedbackRequest
    asked: list[FeedbackRequestRecipient]

    @property
    def answered(self) -> list[str]:
        """The people who have answered."""
        return [a.user_id for a in self.asked if a.answered_at is not None]

    @property
    def waiting(self) -> list[str]:
        """The people who have not answered yet."""
        return [a.user_id for a in self.asked if a.answered_at is None]


@dataclass(frozen=True)
class FeedbackHome:
    """The person's feedback, as their App Home shows it (only what is theirs to see)."""

    received: list[Feedback]
    received_total: int
    page: int
    pages: int
    waiting: list[FeedbackRequest]
    waiting_total: int
    mine: list[MyRequest]
