"""What the scheduler does to retrospectives, in the database: phases due to close, the one
reminder of each phase, the reflection DMs' claims, and what is posted where.

A DM is claimed (``sending``) by one process before it is posted and recorded after, so restarts
and concurrent runs never post twice; a claim left in doubt is looked up in Slack before it is
sent again (bot.retros.delivery). A reminder is claimed once per retrospective and phase.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.config import TeamConfig
from bot.retros.model import IN_PROGRESS, REMIND_AFTER
from storage import queries
from storage.models import (
    PromptStatus,
    RetroParticipant,
    Retrospective,
    RetroStatus,
    ShiftHold,
)

IN_DOUBT_AFTER = timedelta(minutes=10)  # a DM claimed this long ago and not recorded is looked up
INVITATION_BATCH = 25
RETRY_AFTER = timedelta(minutes=5)  # a DM Slack refused for a passing reason is tried again


# --- what is due ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuePhases:
    """Retrospectives whose reflection or voting should close now, and those owing a reminder."""

    close_reflection: list[int]
    close_voting: list[int]
    remind_reflect: list[int]
    remind_vote: list[int]


def due_phases(session: Session, *, now: datetime) -> DuePhases:
    """What the scheduler should do to retrospectives in progress, in one statement."""
    rows = session.exec(
        select(
            Retrospective.id,
            Retrospective.status,
            Retrospective.opened_at,
            Retrospective.reflection_closes_at,
            Retrospective.reflection_closed_at,
            Retrospective.voting_closes_at,
            Retrospective.reflect_reminders_at,
            Retrospective.vote_reminders_at,
        ).where(col(Retrospective.status).in_(IN_PROGRESS))
    ).all()
    due = DuePhases([], [], [], [])
    for retro_id, status, opened, closes, closed, voting_closes, reminded, vote_reminded in rows:
        if status == RetroStatus.REFLECTING:
            if closes <= now:
                due.close_reflection.append(retro_id)
            elif reminded is None and opened + REMIND_AFTER <= now:
                due.remind_reflect.append(retro_id)
        elif voting_closes is not None and voting_closes <= now:
            due.close_voting.append(retro_id)
        elif vote_reminded is None and closed is not None and closed + REMIND_AFTER <= now:
            due.remind_vote.append(retro_id)
    return due


# The kinds of scheduled DM (shift_hold.kind) the reminders are, by phase (voting or not).
REMINDER_KINDS = {False: "retro_reflect_reminder", True: "retro_vote_reminder"}


@dataclass(frozen=True)
class Reminder:
    """One person owed a phase's reminder: their participant row and who they are."""

    participant_id: int
    user_id: str


def claim_reminders(
    session: Session, *, retro_id: int, voting: bool, now: datetime, team: TeamConfig
) -> list[Reminder]:
    """Take the retrospective's one reminder (reflect, or vote) and the people owed it: those
    asked who have not reflected (or voted) and are not away today. [] if it was taken.

    Each person's reminder is taken on its own as it is sent (:func:`take_reminders`): one held
    for a shift (bot/shifts) goes later, from :func:`reminders_come_due`."""
    status, stamp = (
        (RetroStatus.VOTING, Retrospective.vote_reminders_at)
        if voting
        else (RetroStatus.REFLECTING, Retrospective.reflect_reminders_at)
    )
    taken = session.exec(
        update(Retrospective)
        .where(
            col(Retrospective.id) == retro_id,
            col(Retrospective.status) == status,
            col(stamp).is_(None),
        )
        .values({stamp.key: now})  # type: ignore[attr-defined]
    )
    if not taken.rowcount:
        session.rollback()
        return []
    owed = _owed(session, retro_id=retro_id, voting=voting, now=now, team=team)
    session.commit()
    return owed


def _owed(
    session: Session,
    *,
    retro_id: int,
    voting: bool,
    now: datetime,
    team: TeamConfig,
    only: Collection[int] | None = None,
) -> list[Reminder]:
    """Who is owed the phase's reminder now: asked, not done, not reminded, not away today."""
    done = RetroParticipant.voted if voting else RetroParticipant.reflected
    reminded = RetroParticipant.vote_reminded if voting else RetroParticipant.reflect_reminded
    asked = (PromptStatus.SENT, PromptStatus.SKIPPED) if voting else (PromptStatus.SENT,)
    query = select(RetroParticipant.id, RetroParticipant.user_id).where(
        RetroParticipant.retro_id == retro_id,
        col(done).is_(False),
        col(reminded).is_(False),
        col(RetroParticipant.status).in_(asked),
    )
    if only is not None:
        query = query.where(col(RetroParticipant.id).in_(list(only)))
    owed = []
    for participant_id, user_id in session.exec(query.order_by(col(RetroParticipant.id))):
        today = now.astimezone(team.zone_of(user_id)).date()
        if not queries.is_away(session, user_id=user_id, day=today):
            owed.append(Reminder(participant_id, user_id))  # type: ignore[arg-type]
    return owed


def _come_due(now: datetime) -> Any:
    """The reminders a shift held whose time has come, before their phase closes."""
    return (
        select(RetroParticipant.retro_id, ShiftHold.kind, ShiftHold.ref_id)
        .join(RetroParticipant, col(RetroParticipant.id) == col(ShiftHold.ref_id))
        .where(
            col(ShiftHold.kind).in_(list(REMINDER_KINDS.values())),
            col(ShiftHold.send_at).is_not(None),
            col(ShiftHold.send_at) <= now,
            col(ShiftHold.deadline) > now,
        )
    )


def held_reminders_due(session: Session, *, now: datetime) -> list[tuple[int, bool]]:
    """The (retrospective, voting) phases with a reminder a shift held that may go now."""
    phases = {
        (retro_id, kind == REMINDER_KINDS[True])
        for retro_id, kind, _ in session.exec(_come_due(now))
    }
    return sorted(phases)


def reminders_come_due(
    session: Session, *, retro_id: int, voting: bool, now: datetime, team: TeamConfig
) -> list[Reminder]:
    """The people of this phase whose held reminder may go now, and who are still owed it."""
    this_phase = _come_due(now).where(
        col(RetroParticipant.retro_id) == retro_id, col(ShiftHold.kind) == REMINDER_KINDS[voting]
    )
    held = [ref_id for _, _, ref_id in session.exec(this_phase)]
    if not held:
        return []
    return _owed(session, retro_id=retro_id, voting=voting, now=now, team=team, only=held)


def take_reminders(session: Session, reminders: Sequence[Reminder], *, voting: bool) -> list[str]:
    """Take each of these reminders for this process (a person is reminded once, whichever
    process sends it); the people whose reminder this process took. Committed."""
    reminded = RetroParticipant.vote_reminded if voting else RetroParticipant.reflect_reminded
    taken = []
    for reminder in reminders:
        result = session.exec(
            update(RetroParticipant)
            .where(col(RetroParticipant.id) == reminder.participant_id, col(reminded).is_(False))
            .values({reminded.key: True})  # type: ignore[attr-defined]
        )
        if result.rowcount:
            taken.append(reminder.user_id)
    session.commit()
    return taken


# --- the reflection DMs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """One reflection DM to send: the participant, their retrospective, and whether an earlier
    attempt may have sent it (then it is looked up before it is sent again)."""

    participant_id: int
    retro_id: int
    team_id: str
    user_id: str
    in_doubt: bool


def due_invitations(
    session: Session, *, now: datetime, retro_id: int | None = None, limit: int = INVITATION_BATCH
) -> list[Invitation]:
    """Reflection DMs due now (held ones whose hour came; claims left in doubt), oldest first."""
    doubtful = (col(RetroParticipant.status) == PromptStatus.SENDING) & (
        col(RetroParticipant.claimed_at) <= now - IN_DOUBT_AFTER
    )
    pending = (col(RetroParticipant.status) == PromptStatus.PENDING) & (
        col(RetroParticipant.not_before).is_(None) | (col(RetroParticipant.not_before) <= now)
    )
    statement = (
        select(RetroParticipant, Retrospective.team_id)
        .join(Retrospective, col(Retrospective.id) == col(RetroParticipant.retro_id))
        .where(
            col(Retrospective.status) == RetroStatus.REFLECTING,
            Retrospective.reflection_closes_at > now,
            pending | doubtful,
        )
        .order_by(col(RetroParticipant.id))
        .limit(limit)
    )
    if retro_id is not None:
        statement = statement.where(RetroParticipant.retro_id == retro_id)
    return [
        Invitation(
            participant_id=participant.id or 0,
            retro_id=participant.retro_id,
            team_id=team_id,
            user_id=participant.user_id,
            in_doubt=participant.status == PromptStatus.SENDING,
        )
        for participant, team_id in session.exec(statement)
    ]


def claim_invitations(
    session: Session, invitations: Sequence[Invitation], *, now: datetime
) -> list[Invitation]:
    """Mark each DM as being sent by this process; those someone else claimed are left out."""
    claimed = []
    for invitation in invitations:
        was = PromptStatus.SENDING if invitation.in_doubt else PromptStatus.PENDING
        taken = session.exec(
            update(RetroParticipant)
            .where(
                col(RetroParticipant.id) == invitation.participant_id,
                col(RetroParticipant.status) == was,
            )
            .values(status=PromptStatus.SENDING, claimed_at=now)
        )
        if taken.rowcount:
            claimed.append(invitation)
    session.commit()
    return claimed


def record_invitation(
    session: Session,
    *,
    participant_id: int,
    channel: str | None,
    ts: str | None,
    error: str | None,
    now: datetime,
    retry: bool = False,
) -> None:
    """What became of one DM: sent (its ts), failed for good (Slack's error), or to try again
    a little later (a failure another attempt may cure). The caller commits (a batch at once)."""
    if ts is not None:
        values: dict = {"status": PromptStatus.SENT, "dm_channel": channel, "dm_ts": ts}
    elif retry:
        values = {"status": PromptStatus.PENDING, "error": error, "not_before": now + RETRY_AFTER}
    else:
        values = {"status": PromptStatus.FAILED, "error": error}
    session.exec(
        update(RetroParticipant).where(col(RetroParticipant.id) == participant_id).values(**values)
    )


# --- publishing turns -------------------------------------------------------------------------


def record_publishing(
    session: Session,
    *,
    retro_id: int,
    message_ts: str | None,
    messages: dict,
    chart_posted: bool,
) -> None:
    """Record what is posted where (under the publishing turn, bot.retros.delivery)."""
    session.exec(
        update(Retrospective)
        .where(col(Retrospective.id) == retro_id)
        .values(message_ts=message_ts, messages=messages, chart_posted=chart_posted)
    )
    session.commit()
