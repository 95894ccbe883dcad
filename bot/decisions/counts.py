"""What deciding adds to the weekly summary and the coach digest: counts only, in SQL.

The summary counts decisions made and proposals open; the coach digest flags proposals past
their date with no decision — a count, never their words or who proposed them (DESIGN.md,
Privacy: the coach sees nothing the team cannot, and only in aggregate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Decision, Proposal, ProposalStatus


@dataclass(frozen=True)
class DecisionCounts:
    """A team's deciding in a period: decisions made in it, proposals open at its end, and of
    those the ones past their date with no decision."""

    made: int = 0
    open: int = 0
    overdue: int = 0


def decision_counts(
    session: Session, *, team_id: str, start: datetime, end: datetime, today: date
) -> DecisionCounts:
    """Decisions adopted in ``[start, end)``; proposals open now (made before ``end``), and
    those whose date is before ``today`` (the team's calendar day)."""
    made = session.exec(
        select(func.count()).where(
            Decision.team_id == team_id,
            col(Decision.decided_at) >= start,
            col(Decision.decided_at) < end,
        )
    ).one()
    open_, overdue = session.exec(
        select(
            func.count(),
            func.count().filter(col(Proposal.decide_by) < today),
        ).where(
            Proposal.team_id == team_id,
            col(Proposal.status) == ProposalStatus.OPEN,
            col(Proposal.created_at) < end,
        )
    ).one()
    return DecisionCounts(made=made, open=open_, overdue=overdue)
