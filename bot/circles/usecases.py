"""Circles' use cases: keep each circle's members its representatives, post its decisions to
its member teams, put its issues in common under its agenda. Each owns its transaction. (A
team takes a tension to a circle at triage: bot.triage.to_circle.)"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.circles import service as circles
from bot.circles.model import CommonIssue
from bot.circles.views import build_circle_decision, build_issues_in_common
from bot.core.config import CircleConfig
from bot.core.errors import NotFoundError
from bot.core.meetings import next_meeting
from bot.services import Services, sync_circle_members
from bot.slack.client import Delivery, post
from storage.models import (
    CheckinRound,
    CircleNotice,
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
