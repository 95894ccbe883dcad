"""Circles' use cases: keep each circle's members its representatives, post its decisions to
its member teams, put its issues in common under its agenda, take a team's tension to it.
Each owns its transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.agenda.service import refresh_agendas
from bot.circles import service as circles
from bot.circles.model import CommonIssue
from bot.circles.views import build_circle_decision, build_issues_in_common, build_taken_to_circle
from bot.core.config import CircleConfig
from bot.core.errors import NotAllowedError, NotFoundError
from bot.core.meetings import next_meeting
from bot.services import Services, sync_circle_members
from bot.slack.client import Delivery, post
from bot.tensions.service import tension_by_id
from bot.triage import service as triage
from storage.models import (
    CheckinRound,
    CircleNotice,
    OutcomeKind,
    Tension,
    TensionStatus,
    TurnDelivery,
)

logger = logging.getLogger(__name__)

DECISION = "decision"
COMMON = "common"


def sync_members(services: Services) -> None:
    """Make each circle's members its representatives as the roles now stand, and let the
    running configuration know them (a rotation or a decision may have changed them)."""
    config = services.listed_config
    if not config.circles:
        return
    with services.session() as session:
        sync_circle_members(session, config)
        session.commit()
    services.refresh_rosters()


def circle(services: Services, circle_id: str) -> CircleConfig:
    """The circle with this id; NotFoundError otherwise."""
    found = services.config.find_circle(circle_id)
    if found is None:
        raise NotFoundError(f"No circle {circle_id!r} in app.yaml.")
    return found


def _claim(services: Services, *, circle_id: str, kind: str, key: str, channel: str) -> int | None:
    """Claim one message the circle posts once; its row id, or None when it was claimed
    before (posted, or being posted)."""
    with services.session() as session:
        notice = CircleNotice(
            circle_id=circle_id, kind=kind, key=key, channel=channel, created_at=services.now()
        )
        session.add(notice)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return notice.id


def _record(services: Services, notice_id: int, delivery: Delivery) -> None:
    status = TurnDelivery.SENT if delivery.ok else TurnDelivery.FAILED
    with services.session() as session:
        session.execute(
            update(CircleNotice)
            .where(col(CircleNotice.id) == notice_id)
            .values(status=status, ts=delivery.ts, error=delivery.error)
        )
        session.commit()


def post_circle_decision(
    services: Services, *, circle_id: str, decision_id: int, text: str
) -> list[Delivery]:
    """Post a circle's adopted decision in every member team's channel, once per decision and
    team (the circle is accountable to its teams). The decision log calls this when the team
    that decided is a circle."""
    found = circle(services, circle_id)
    deliveries = []
    for team_id in found.teams:
        team = services.config.find_team(team_id)
        if team is None:
            continue
        key = f"{decision_id}:{team_id}"
        notice = _claim(services, circle_id=circle_id, kind=DECISION, key=key, channel=team.channel)
        if notice is None:
            continue
        payload = build_circle_decision(
            services.renderer, circle_name=found.name, text=text, team_name=team.name
        )
        delivery = post(services.client, team.channel, payload)
        _record(services, notice, delivery)
        deliveries.append(delivery)
    return deliveries


def issues_for(services: Services, *, circle_id: str) -> list[CommonIssue]:
    """The circle's member teams' issues in common, as they stand."""
    found = circle(services, circle_id)
    with services.session() as session:
        return circles.issues_in_common(session, team_ids=found.teams)


def post_issues_in_common(services: Services, *, circle_id: str, now: datetime) -> bool:
    """Under the circle's posted agenda for its coming meeting, once: its member teams' issues
    in common (True when posted). Nothing when there are none, or no agenda yet."""
    found = circle(services, circle_id)
    team = services.config.team(circle_id)
    meeting = next_meeting(team, now)
    with services.session() as session:
        agenda = session.exec(
            select(CheckinRound.agenda_channel, CheckinRound.agenda_ts).where(
                CheckinRound.team_id == circle_id, CheckinRound.meeting_date == meeting.date
            )
        ).first()
        if agenda is None or not agenda[0] or not agenda[1]:
            return False
        issues = circles.issues_in_common(session, team_ids=found.teams)
    if not issues:
        return False
    channel, agenda_ts = agenda
    notice = _claim(
        services, circle_id=circle_id, kind=COMMON, key=meeting.date.isoformat(), channel=channel
    )
    if notice is None:
        return False
    payload = build_issues_in_common(services.renderer, circle_name=found.name, issues=issues)
    delivery = post(services.client, channel, payload, thread_ts=agenda_ts)
    _record(services, notice, delivery)
    return delivery.ok


def run_circle_jobs(services: Services, *, now: datetime) -> None:
    """The scheduler's circles work (with the roles job): members as the roles stand, and
    each circle's issues in common under its agenda once it is posted."""
    if not services.config.circles:
        return
    sync_members(services)
    for found in services.config.circles:
        try:
            post_issues_in_common(services, circle_id=found.id, now=now)
        except Exception:
            logger.exception("The issues in common of circle %s failed", found.id)


# --- A team takes a tension to a circle (triage) -----------------------------------------------


@dataclass(frozen=True)
class TakenTension:
    """A team's tension taken to a circle: the team's (closed, outcome "circle") and the
    circle's (open, on its agenda)."""

    original: Tension
    in_circle: Tension
    circle: CircleConfig


def take_to_circle(
    services: Services,
    *,
    user_id: str,
    tension_id: int,
    circle_id: str,
    round_id: int | None,
) -> TakenTension:
    """Triage a team's tension as "take to <circle>": the circle gets it on its agenda (raised
    by the same person, their words as they are) and the team's closes, in one transaction,
    once. Only a member of the tension's team may, and only to a circle the team is in."""
    found = circle(services, circle_id)
    now = services.now()
    with services.session() as session:
        tension = triage.triage_target(
            session, config=services.config, user_id=user_id, tension_id=tension_id
        )
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
