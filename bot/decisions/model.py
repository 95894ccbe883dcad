"""What deciding is made of, in plain values: limits, the drafts modals turn into, button values.

Nothing here touches the database or Slack; service.py applies the rules, views.py draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from storage.models import ProposalMethod, RoundAnswer

TEXT_LIMIT = 3000
WHY_LIMIT = 2000
NOTE_LIMIT = 1000
ADVICE_LIMIT = 3000
REASON_LIMIT = 2000
SHAPED_LIMIT = 2000
# An organisation-wide question may ask many people; a proposal asks at most this many for
# advice (people chosen, plus everyone in the teams chosen).
MAX_ASKED = 1000
# A proposal is decided within this many days; its review date is at most this far ahead.
DEFAULT_DECIDE_DAYS = 7
LATEST_DECIDE_DAYS = 90
LATEST_REVIEW_DAYS = 5 * 365
SEARCH_RESULTS = 10
SEARCH_WORDS_LIMIT = 100


@dataclass(frozen=True)
class ProposalDraft:
    """A proposal as typed in the modal, checked and ready to store.

    ``advisors`` are everyone to ask for advice (the people chosen and the members of the teams
    chosen), each with their own team when it is not the proposal's, and whether they coach.
    """

    team_id: str
    text: str
    why: str
    method: ProposalMethod
    decide_by: date
    review_date: date | None
    values: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    advisors: tuple[Advisor, ...] = ()
    permalink: str | None = None
    tension_id: int | None = None
    # What it does to one of the team's roles once adopted (bot.decisions.role_change), if any.
    role_change: dict[str, Any] | None = None


@dataclass(frozen=True)
class Advisor:
    """One person to ask for advice."""

    user_id: str
    from_team: str | None = None
    coach: bool = False


@dataclass(frozen=True)
class AmendmentDraft:
    """An amendment as typed in the Amend modal, checked."""

    text: str
    why: str
    note: str
    decide_by: date


@dataclass(frozen=True)
class DecisionDraft:
    """The proposer's decision (advice process), as typed in the Decide modal, checked."""

    text: str
    shaped_by: str
    review_date: date | None


@dataclass(frozen=True)
class Clicked:
    """What a proposal's button points at: the proposal and the version it showed."""

    proposal_id: int
    version: int


def button_value(proposal_id: int | None, version: int) -> str:
    """The value every proposal button carries: ``"<proposal id>:<version>"``."""
    return f"{proposal_id}:{version}"


def parse_button_value(value: str | None) -> Clicked:
    """Read a button's value; a value that is not ours reads as proposal 0 (not found)."""
    first, _, second = (value or "").partition(":")
    try:
        return Clicked(int(first), int(second or 0))
    except ValueError:
        return Clicked(0, 0)


def default_decide_by(today: date) -> date:
    """The date a new proposal suggests: a week from today."""
    return today + timedelta(days=DEFAULT_DECIDE_DAYS)


ROUND_ANSWERS = tuple(RoundAnswer)
