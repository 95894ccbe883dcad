"""Test data factories: ``make_<table>(session, **overrides)`` adds a valid row and flushes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlmodel import Session

from storage.models import CheckinRound, Member, Team, Tension

MONDAY_NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

Row = TypeVar("Row")


def make_team(session: Session, **overrides: Any) -> Team:
    """A team called North, in London, unless overridden."""
    fields: dict[str, Any] = {
        "id": "north",
        "name": "North Neighbourhood Team",
        "channel": "C0123ABCD",
        "timezone": "Europe/London",
    } | overrides
    return _add(session, Team(**fields))


def make_member(session: Session, **overrides: Any) -> Member:
    """An active member of team north."""
    fields: dict[str, Any] = {"team_id": "north", "user_id": "U01"} | overrides
    return _add(session, Member(**fields))


def make_round(session: Session, **overrides: Any) -> CheckinRound:
    """An open check-in round of team north for Tuesday 2 June 2026, 10:00 London."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "meeting_date": date(2026, 6, 2),
        "meeting_at": datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
        "opens_at": datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    } | overrides
    return _add(session, CheckinRound(**fields))


def make_tension(session: Session, **overrides: Any) -> Tension:
    """An open tension raised by U01 in team north."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "raised_by": "U01",
        "text": "Handover notes get lost between shifts",
        "created_at": MONDAY_NOON,
    } | overrides
    return _add(session, Tension(**fields))


def _add(session: Session, row: Row) -> Row:
    """Add ``row`` and flush, so it gets its id and constraints are checked now."""
    session.add(row)
    session.flush()
    return row
