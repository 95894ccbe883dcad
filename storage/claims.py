"""Claims: the one statement that lets exactly one caller, across processes, take a row.

Each claim is a single INSERT (the primary or unique key decides) or a conditional UPDATE (the
row changes for one caller only), so two processes racing for the same Slack event, the same
reminder or the same weekly delivery never both win. What a claim guards is then done once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from storage.models import (
    DeliveryStatus,
    DigestKind,
    FeedbackRequestRecipient,
    ProcessedEvent,
    SentDigest,
)
from storage.queries import core

# Built once: building a statement (and its cache key) costs more CPU than running it, and this
# one runs for every Slack event.
_CLAIM = insert(ProcessedEvent.__table__)  # type: ignore[attr-defined]


# --- requests and events ----------------------------------------------------------------------


def claim_request(db: Session | Connection, key: str, *, now: datetime) -> bool:
    """Record a request's key in this transaction; False (rolled back) if already there.

    One INSERT, no look first: the primary key decides, so two workers racing with the same
    key cannot both win. The commit is the caller's, with the request's own work.
    """
    try:
        core(db).execute(_CLAIM, {"event_id": key, "received_at": now})
    except IntegrityError:
        db.rollback()
        return False
    return True


def claim_event(session: Session, event_id: str, *, now: datetime) -> bool:
    """Record a Slack event id; True the first time, False for a retry. Commits.

    A failed claim rolls the session back, so call this before doing the event's work.
    """
    if not claim_request(session, event_id, now=now):
        return False
    session.commit()
    return True


# --- feedback reminders -----------------------------------------------------------------------


def claim_feedback_reminder(session: Session, *, recipient_id: int, now: datetime) -> bool:
    """Mark one asked person as reminded; False when they were reminded or answered meanwhile."""
    result = session.exec(  # type: ignore[call-overload]
        update(FeedbackRequestRecipient)
        .where(
            col(FeedbackRequestRecipient.id) == recipient_id,
            col(FeedbackRequestRecipient.reminded_at).is_(None),
            col(FeedbackRequestRecipient.answered_at).is_(None),
        )
        .values(reminded_at=now)
    )
    return bool(result.rowcount)


# --- the record of what was sent --------------------------------------------------------------


def claim_delivery(
    session: Session,
    *,
    kind: DigestKind,
    recipient: str,
    team_id: str,
    iso_week: str,
    now: datetime,
) -> SentDigest | None:
    """Record that this delivery is being sent, and return the row; None if it is not ours.

    The unique key (kind, recipient, team, week) lets exactly one caller insert the row, across
    processes; a delivery that failed before may be claimed again. Commits either way.
    """
    row = SentDigest(
        kind=kind,
        recipient=recipient,
        team_id=team_id,
        iso_week=iso_week,
        status=DeliveryStatus.PENDING,
        created_at=now,
    )
    session.add(row)
    try:
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
    retried = session.execute(
        update(SentDigest)
        .where(
            *_one_delivery(kind, recipient, team_id, iso_week),
            col(SentDigest.status) == DeliveryStatus.FAILED,
        )
        .values(status=DeliveryStatus.PENDING, error=None, created_at=now)
    )
    session.commit()
    if retried.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return find_delivery(
        session, kind=kind, recipient=recipient, team_id=team_id, iso_week=iso_week
    )


def _one_delivery(
    kind: DigestKind, recipient: str, team_id: str, iso_week: str
) -> tuple[ColumnElement[bool], ...]:
    """The conditions naming one delivery: what, to whom, for which team, for which week."""
    return (
        col(SentDigest.kind) == kind,
        col(SentDigest.recipient) == recipient,
        col(SentDigest.team_id) == team_id,
        col(SentDigest.iso_week) == iso_week,
    )


def reclaim_unconfirmed(
    session: Session,
    *,
    kind: DigestKind,
    recipient: str,
    team_id: str,
    iso_week: str,
    now: datetime,
    stale_before: datetime,
) -> SentDigest | None:
    """Take over a delivery that may have reached Slack but was never confirmed; None if there
    is none to take (or another caller took it first).

    Unconfirmed: still pending with an error (Slack's answer was lost, or Slack could not say
    whether it arrived), or pending since before ``stale_before`` (the process that claimed it
    stopped). One UPDATE: of callers racing for it, exactly one gets it. The caller must look
    for it in Slack before sending it again. Commits either way.
    """
    taken = session.execute(
        update(SentDigest)
        .where(
            *_one_delivery(kind, recipient, team_id, iso_week),
            col(SentDigest.status) == DeliveryStatus.PENDING,
            col(SentDigest.error).is_not(None) | (col(SentDigest.created_at) <= stale_before),
        )
        .values(error=None, created_at=now)
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return find_delivery(
        session, kind=kind, recipient=recipient, team_id=team_id, iso_week=iso_week
    )


def find_delivery(
    session: Session, *, kind: DigestKind, recipient: str, team_id: str, iso_week: str
) -> SentDigest | None:
    """The record of one weekly delivery, if there is one (read fresh from the database)."""
    statement = (
        select(SentDigest)
        .where(
            *_one_delivery(kind, recipient, team_id, iso_week),
        )
        .execution_options(populate_existing=True)
    )
    return session.execute(statement).scalars().first()
