"""Data retention: rows older than app.yaml's ``organisation.retention`` (``2y``, ``18 months``)
are deleted by a daily job. `retrobot export` is how a team keeps them first.

What "older" means is said here, table by table, in :data:`EXPIRES`: a check-in round by its
meeting, a tension by its last change (one still being worked on stays), feedback, feedback
requests and weekly deliveries by when they were made. Rows that hang from an expired row go
with it (a round's prompts and answers, a request's recipients); a reference that may be empty
is emptied instead (a newer tension triaged in an expired round keeps its text and loses the
link). Those dependants are found in the tables' foreign keys, so a table added later is handled
without a change here. Teams, members and coaches mirror app.yaml and are never expired.

Everything happens in SQL, a batch of rows at a time, each batch in its own short transaction,
so a first purge of years of history never holds the database's write lock for long.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, select, update
from sqlmodel import Session, SQLModel, col

from bot.core.config import AppConfig
from storage.models import (
    CheckinRound,
    CircleNotice,
    Feedback,
    FeedbackRequest,
    ProcessedEvent,
    Proposal,
    RefusedDelivery,
    Retrospective,
    RoleTurn,
    SentDigest,
    ShiftHold,
    Tension,
)

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

BATCH_SIZE = 500

# Table → the condition that makes one of its rows older than the cutoff.
EXPIRES: dict[str, Callable[[datetime], ColumnElement[bool]]] = {
    "checkin_round": lambda cutoff: col(CheckinRound.meeting_at) < cutoff,
    "tension": lambda cutoff: and_(
        col(Tension.created_at) < cutoff, col(Tension.updated_at) < cutoff
    ),
    "feedback_request": lambda cutoff: col(FeedbackRequest.created_at) < cutoff,
    "feedback": lambda cutoff: col(Feedback.created_at) < cutoff,
    "sent_digest": lambda cutoff: col(SentDigest.created_at) < cutoff,
    "processed_event": lambda cutoff: col(ProcessedEvent.received_at) < cutoff,
    # bot/roles, bot/circles: who held a rotating role at a meeting, by the meeting; what a
    # circle posted once, by when (a tension's role goes with its tension).
    "role_turn": lambda cutoff: col(RoleTurn.meeting_at) < cutoff,
    "circle_notice": lambda cutoff: col(CircleNotice.created_at) < cutoff,
    # A proposal untouched for that long goes with its advice, objections, amendments and
    # decision: the decision log keeps what the retention period keeps, like the tensions.
    "proposal": lambda cutoff: and_(
        col(Proposal.created_at) < cutoff, col(Proposal.updated_at) < cutoff
    ),
    # A retrospective by when it opened; who took part, its reflections, votes, health answers
    # and improvements go with it (issue 18).
    "retrospective": lambda cutoff: col(Retrospective.opened_at) < cutoff,
    "shift_hold": lambda cutoff: col(ShiftHold.decided_at) < cutoff,  # bot/shifts
    # Slack's refusals of triage DMs, shared appreciations and agendas (`retrobot status`).
    "refused_delivery": lambda cutoff: col(RefusedDelivery.refused_at) < cutoff,
}
# Tables never expired: app.yaml's teams and people (and the working patterns people set, kept
# like their away dates until they change them), the scheduler's lease, the teams' roles with
# their holders and history (the decisions that made them stay readable), and the record of
# each erasure (`retrobot forget`), which holds no content.
KEPT = frozenset(
    {
        "team",
        "member",
        "coach",
        "scheduler_lock",
        "working_pattern",
        "role",
        "role_holder",
        "role_change",
        "member_erasure",
    }
)


def purge_expired(
    session: Session, *, config: AppConfig, now: datetime, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Delete every row older than the retention period; the rows deleted, by table.

    Nothing happens when app.yaml sets no ``organisation.retention``. Commits once per batch.
    """
    retention = config.organisation.retention
    if retention is None:
        return {}
    cutoff = now - retention
    deleted: Counter[str] = Counter()
    tables = SQLModel.metadata.tables
    for name, expired in EXPIRES.items():
        table = tables[name]
        [key] = table.primary_key.columns
        while True:
            connection = session.connection()
            batch = list(
                connection.execute(
                    select(key).where(expired(cutoff)).order_by(key).limit(batch_size)
                ).scalars()
            )
            if not batch:
                break
            _delete(connection, table, key.in_(batch), deleted)
            session.commit()
            if len(batch) < batch_size:
                break
    if deleted:
        logger.info(
            "Retention (%s): deleted %s",
            cutoff.date().isoformat(),
            ", ".join(f"{count} {table}" for table, count in sorted(deleted.items())),
        )
    return dict(deleted)


def _delete(
    connection: Connection, table: Table, where: ColumnElement[bool], deleted: Counter[str]
) -> None:
    """Delete ``table``'s rows matching ``where``, after their dependants (children first)."""
    [key] = table.primary_key.columns
    doomed = select(key).where(where)
    for column in _references_to(table):
        if column.nullable:
            connection.execute(
                update(column.table).where(column.in_(doomed)).values({column.name: None})
            )
        else:
            _delete(connection, column.table, column.in_(doomed), deleted)
    result = connection.execute(delete(table).where(where))
    if result.rowcount:
        deleted[table.name] += result.rowcount


def _references_to(table: Table) -> list[Any]:
    """Every column of another table with a foreign key to ``table``."""
    return [
        column
        for other in SQLModel.metadata.sorted_tables
        if other is not table
        for column in other.columns
        for foreign_key in column.foreign_keys
        if foreign_key.column.table is table
    ]


def purge_now(services: Services) -> dict[str, int]:
    """The daily job (bot/jobs/tasks.py): purge with the services' configuration and clock."""
    with services.session() as session:
        return purge_expired(session, config=services.config, now=services.now())
