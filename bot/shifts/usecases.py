"""What a person does with their working time, one function each; each owns its transaction.

The App Home shows it (:func:`home_section`) with a button that opens the modal
(:func:`pattern_modal`); the modal's submission is checked and stored before the modal closes
(:func:`save_pattern`: field errors keep everything chosen); "Clear it" forgets it
(:func:`clear_pattern`). Setting or clearing lets go of the DMs held for the old pattern, which
the next run decides again. The sending side (every scheduled DM) is bot.shifts.gate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from bot.core import ids
from bot.core.errors import CouldNotSaveError, InvalidInputError, NotInTeamError
from bot.services import Services
from bot.shifts import service
from bot.shifts.model import check_pattern
from bot.shifts.views import build_home_section, build_pattern_modal
from bot.slack.blocks import Block
from storage.models import WorkingPattern

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatternForm:
    """The working-pattern modal's choices, as plain values."""

    kind: str | None
    days: tuple[str, ...]
    starts: str | None
    ends: str | None


def _zone(services: Services, session: Session, user_id: str) -> ZoneInfo:
    """The person's time zone: their own (app.yaml, or a user group's member row), else their
    first team's; UTC for someone in no team."""
    listed = services.config.teams_of(user_id)
    if listed:
        return listed[0].zone_of(user_id)
    for team_id, name in service.member_teams(session, user_id=user_id):
        team = services.config.find_team(team_id)
        if name:
            try:
                return ZoneInfo(name)
            except (KeyError, ValueError):
                pass
        if team is not None:
            return team.zone
    return ZoneInfo("UTC")


def home_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """The App Home's "Your working time", for a member of a team (not for a coach only)."""
    if not service.member_teams(session, user_id=user_id):
        return []
    zone = _zone(services, session, user_id)
    return build_home_section(
        services.renderer,
        pattern=service.pattern_row(session, user_id=user_id),
        waiting=service.waiting_holds(session, user_id=user_id, now=now),
        zone=zone,
    )


def pattern_modal(services: Services, *, user_id: str) -> dict[str, Any]:
    """The modal, prefilled with the person's pattern; NotInTeamError for someone in no team."""
    with services.session() as session:
        if not service.member_teams(session, user_id=user_id):
            raise NotInTeamError(services.renderer.plain("errors.not_in_team"))
        pattern = service.pattern_row(session, user_id=user_id)
        zone = _zone(services, session, user_id)
    return build_pattern_modal(services.renderer, pattern=pattern, zone=zone)


def save_pattern(services: Services, *, user_id: str, form: PatternForm) -> WorkingPattern:
    """Check and store the person's pattern before the modal closes.

    InvalidInputError carries the field errors by block id (Slack keeps every choice in the
    modal); CouldNotSaveError when the database cannot take it in time. Submitting the same
    modal twice stores one pattern (it replaces itself).
    """
    checked = check_pattern(kind=form.kind, days=form.days, starts=form.starts, ends=form.ends)
    if isinstance(checked, dict):
        raise InvalidInputError(
            {
                ids.PATTERN_BLOCKS[field]: services.renderer.plain("shifts.error", key=key)
                for field, key in checked.items()
            }
        )
    now = services.now()
    try:
        # Its connection waits for a busy database at most as long as the ack can wait.
        with Session(services.saving_engine, expire_on_commit=False) as session:
            teams = [team_id for team_id, _ in service.member_teams(session, user_id=user_id)]
            if not teams:
                not_in_team = services.renderer.plain("errors.not_in_team")
                raise InvalidInputError({ids.PATTERN_KIND_BLOCK: not_in_team})
            saved = service.save_pattern(
                session,
                user_id=user_id,
                draft=checked,
                zone=_zone(services, session, user_id),
                team_ids=teams,
                now=now,
            )
            session.commit()
            return saved
    except (OperationalError, DBAPIError, PoolTimeoutError) as error:
        logger.warning("Could not store a working pattern in time (%s)", type(error).__name__)
        raise CouldNotSaveError(services.renderer.plain("errors.could_not_save")) from None


def clear_pattern(services: Services, *, user_id: str) -> bool:
    """Forget the person's pattern: their DMs then follow only Slack's do-not-disturb."""
    with services.session() as session:
        return service.clear_pattern(session, user_id=user_id, now=services.now())
