"""The parts of the report whose data other capabilities are adding: decisions, the health check
(retrospectives) and roles.

Each part is a function of the same shape as the figures of :mod:`bot.reports.service` —
``(session, teams, period, now) -> figure`` — and until its capability's tables exist in this
retrobot, it returns a :class:`~bot.reports.model.NotRecorded` that the report shows as
"not recorded by this retrobot" (never a made-up or zero figure). The JSON says the same
(``"kind": "not_recorded"``), so a tool reading it can tell "none recorded" from "0".

When decisions (issue 16), retrospectives (issue 18) and roles (issue 17) land, each function
here is replaced by a query module of their own in the shape of storage/reports.py, and the
figure types go into bot/reports/model.py; docs/report.md already describes what they will show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.core.config import TeamConfig
from bot.reports.model import NotRecorded, Period

PARTS = ("decisions", "health", "roles")
# Why a part shows no figure: the capability that records its data is not in this retrobot.
NOT_IN_THIS_VERSION = "not_in_this_version"


def decisions(
    session: Session, *, teams: Sequence[TeamConfig], period: Period, now: datetime
) -> NotRecorded:
    """Decisions made, by method, and how widely advice was sought (the decision log)."""
    return NotRecorded("not_recorded", "decisions", NOT_IN_THIS_VERSION)


def health(
    session: Session, *, teams: Sequence[TeamConfig], period: Period, now: datetime
) -> NotRecorded:
    """The retrospective's health check, question by question, over the period."""
    return NotRecorded("not_recorded", "health", NOT_IN_THIS_VERSION)


def roles(
    session: Session, *, teams: Sequence[TeamConfig], period: Period, now: datetime
) -> NotRecorded:
    """How leadership is distributed: how many roles each person holds, as a distribution."""
    return NotRecorded("not_recorded", "roles", NOT_IN_THIS_VERSION)


def well_led(
    session: Session, *, teams: Sequence[TeamConfig], period: Period, now: datetime
) -> list[NotRecorded]:
    """The well-led parts that other capabilities fill: health, decisions, roles, in that order."""
    return [
        part(session, teams=teams, period=period, now=now) for part in (health, decisions, roles)
    ]
