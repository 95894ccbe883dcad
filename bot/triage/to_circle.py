"""Triage's outcome "Take to <circle>" (bot/circles): the team's tension goes to the agenda of
a circle the team is in, raised by the same person in their own words, and the team's closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.agenda.service import refresh_agendas
from bot.circles.views import build_taken_to_circle
from bot.core.config import AppConfig, CircleConfig
from bot.core.errors import NotAllowedError, NotFoundError
from bot.services import Services
from bot.slack.client import post
from bot.tensions.service import tension_by_id
from bot.triage import service as triage
from storage.models import OutcomeKind, ProcessedEvent, Tension, TensionStatus


@dataclass(frozen=True)
class TakenTension:
    """A team's tension taken to a circle: the team's (closed, outcome "circle") and the
    circle's (open, on its agenda)."""

    original: Tension
    in_circle: Tension
    circle: CircleConfig


def take_to_circle(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    tension_id: int,
    circle_id: str,
    round_id: int | None,
    now: datetime,
    request_key: str | None = None,
) -> TakenTension:
    """Triage a team's tension as "take to <circle>": the circle gets it on its agenda and the
    team's closes, in one transaction, once (the conditional update decides who takes it).
    Only a member of the tension's team may, and only to a circle the team is in."""
    found = config.find_circle(circle_id)
    if found is None:
        raise NotFoundError(f"No circle {circle_id!r} in app.yaml.")
    tension = triage.triage_target(session, config=config, user_id=user_id, tension_id=tension_id)
    if tension.team_id not in found.teams:
        raise NotAllowedError(f"{found.name} is not a circle this team is in.")
    in_circle = Tension(
        team_id=found.id,
        raised_by=tension.raised_by,
        text=tension.text,
        area=tension.area,
        source_permalink=tension.source_permalink,
        created_at=now,
        updated_at=now,
        request_key=f"circle:{tension.id}",  # unique: taken once, however often submitted
    )
    changed = session.exec(
        update(Tension)
        .where(col(Tension.id) == tension.id, col(Tension.status) == TensionStatus.OPEN)
        .values(
            status=TensionStatus.CLOSED,
            outcome=OutcomeKind.CIRCLE,
            triaged_at=now,
            triaged_by=user_id,
            triaged_round_id=round_id,
            resolved_at=now,
            updated_at=now,
        )
    ).rowcount
    if changed != 1:
        session.rollback()
        raise triage.AlreadyTriagedError(tension_by_id(session, tension_id))
    session.add(in_circle)  # after the conditional update: it decides who takes it
    if request_key:  # the same modal sent again is known (triage.triage_recorded)
        session.add(ProcessedEvent(event_id=triage.submission_key(request_key), received_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise triage.AlreadyTriagedError(tension_by_id(session, tension_id)) from None
    original = tension_by_id(session, tension_id)
    return TakenTension(original=original, in_circle=in_circle, circle=found)


def after_taken(services: Services, client: WebClient, *, taken: TakenTension) -> None:
    """Tell the raiser where their tension went, and update both agendas."""
    now = services.now()
    team = services.config.team(taken.original.team_id)
    note = build_taken_to_circle(
        services.renderer,
        tension=taken.original,
        circle_name=taken.circle.name,
        team_name=team.name,
    )
    post(client, taken.original.raised_by, note)
    refresh_agendas(services, team_id=team.id, now=now, round_id=taken.original.triaged_round_id)
    refresh_agendas(services, team_id=taken.circle.id, now=now)
