"""Queries shared by retrobot's services: each takes a Session and leaves the commit to its caller.

The one exception is :func:`claim_event`, which must commit to claim anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Coach, Member, ProcessedEvent, Team, Tension, TensionStatus


def upsert_team(session: Session, *, team_id: str, name: str, channel: str, timezone: str) -> Team:
    """Create the team or bring it in line with app.yaml, marking it active; flushes."""
    team = session.get(Team, team_id)
    if team is None:
        team = Team(id=team_id, name=name, channel=channel, timezone=timezone)
        session.add(team)
    else:
        team.name = name
        team.channel = channel
        team.timezone = timezone
        team.active = True
    session.flush()
    return team


def sync_members(
    session: Session,
    *,
    team_id: str,
    members: list[tuple[str, str | None, str | None]],
    coaches: list[tuple[str, str | None]],
) -> None:
    """Make the team's members and coaches those listed: add, reactivate, deactivate; flushes.

    ``members`` holds (user id, name, time zone) and ``coaches`` (user id, time zone). Nobody is
    deleted, so history stays; a name or time zone given as None keeps the one already known.
    """
    listed_members = {user_id: (name, timezone) for user_id, name, timezone in members}
    known_members = {
        member.user_id: member
        for member in session.exec(select(Member).where(Member.team_id == team_id))
    }
    for user_id, (name, timezone) in listed_members.items():
        member = known_members.get(user_id)
        if member is None:
            session.add(Member(team_id=team_id, user_id=user_id, name=name, timezone=timezone))
            continue
        member.active = True
        if name is not None:
            member.name = name
        if timezone is not None:
            member.timezone = timezone
    for user_id, member in known_members.items():
        if user_id not in listed_members:
            member.active = False

    listed_coaches = dict(coaches)
    known_coaches = {
        coach.user_id: coach
        for coach in session.exec(select(Coach).where(Coach.team_id == team_id))
    }
    for user_id, timezone in listed_coaches.items():
        coach = known_coaches.get(user_id)
        if coach is None:
            session.add(Coach(team_id=team_id, user_id=user_id, timezone=timezone))
            continue
        coach.active = True
        if timezone is not None:
            coach.timezone = timezone
    for user_id, coach in known_coaches.items():
        if user_id not in listed_coaches:
            coach.active = False
    session.flush()


def teams_of_user(session: Session, user_id: str) -> list[str]:
    """The ids of the active teams in which ``user_id`` is an active member, sorted."""
    statement = (
        select(Member.team_id)
        .join(Team, col(Team.id) == col(Member.team_id))
        .where(Member.user_id == user_id, col(Member.active), col(Team.active))
        .order_by(col(Member.team_id))
    )
    return list(session.exec(statement))


def active_member_ids(session: Session, team_id: str) -> list[str]:
    """The Slack user ids of the team's active members, sorted."""
    statement = (
        select(Member.user_id)
        .where(Member.team_id == team_id, col(Member.active))
        .order_by(col(Member.user_id))
    )
    return list(session.exec(statement))


def claim_event(session: Session, event_id: str, *, now: datetime) -> bool:
    """Record a Slack event id; True the first time, False for a retry. Commits.

    A failed claim rolls the session back, so call this before doing the event's work.
    """
    if session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id, received_at=now))
    try:
        session.commit()
    except IntegrityError:
        # Another worker claimed it between our look and our insert.
        session.rollback()
        return False
    return True


def open_tensions(
    session: Session, *, team_id: str, include_private: bool = False, limit: int | None = None
) -> list[Tension]:
    """The team's open tensions, oldest first; private ones (for coaches) only when asked."""
    statement = select(Tension).where(
        Tension.team_id == team_id, Tension.status == TensionStatus.OPEN
    )
    if not include_private:
        statement = statement.where(col(Tension.private).is_(False))
    statement = statement.order_by(col(Tension.created_at), col(Tension.id))
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def tensions_raised_by(
    session: Session,
    *,
    user_id: str,
    statuses: Iterable[TensionStatus] = (TensionStatus.OPEN,),
) -> list[Tension]:
    """The tensions ``user_id`` raised, in any team, with one of ``statuses``; oldest first."""
    statement = (
        select(Tension)
        .where(Tension.raised_by == user_id, col(Tension.status).in_(list(statuses)))
        .order_by(col(Tension.created_at), col(Tension.id))
    )
    return list(session.exec(statement))
