"""What deciding adds to the weekly summary and the coach digest: counts only, in SQL.

The summary counts decisions made and proposals open; the coach digest flags proposals past
their date with no decision — a count, never their words or who proposed them (DESIGN.md,
Privacy: the coach sees nothing the team cannot, and only in aggregate).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_
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
    """Decisions adopted in ``[start, end)``; proposals open at ``end`` (made before it, neither
    decided nor withdrawn before it), and those whose date is before ``today`` (the team's
    calendar day)."""
    return decision_counts_by_team(
        session, team_ids=[team_id], start=start, end=end, today=today
    ).get(team_id, DecisionCounts())


def decision_counts_by_team(
    session: Session, *, team_ids: Collection[str], start: datetime, end: datetime, today: date
) -> dict[str, DecisionCounts]:
    """:func:`decision_counts` for many teams sharing one week (a time zone's): two grouped
    statements, whatever the number of teams; a team with nothing to count is left out."""
    if not team_ids:
        return {}
    made = session.exec(
        select(Decision.team_id, func.count())
        .where(
            col(Decision.team_id).in_(list(team_ids)),
            col(Decision.decided_at) >= start,
            col(Decision.decided_at) < end,
        )
        .group_by(col(Decision.team_id))
    ).all()
    pending = session.exec(
        select(
            Proposal.team_id,
            func.count(),
            func.count().filter(col(Proposal.decide_by) < today),
        )
        .outerjoin(Decision, col(Decision.proposal_id) == col(Proposal.id))
        .where(
            col(Proposal.team_id).in_(list(team_ids)),
            col(Proposal.created_at) < end,
            # Open at the period's end: not withdrawn, nor decided, before it (a proposal
            # withdrawn later, by its proposer or by `retrobot forget`, was open then).
            or_(col(Proposal.withdrawn_at).is_(None), col(Proposal.withdrawn_at) >= end),
            or_(col(Decision.decided_at).is_(None), col(Decision.decided_at) >= end),
            or_(col(Proposal.status) == ProposalStatus.OPEN, col(Proposal.updated_at) >= end),
        )
        .group_by(col(Proposal.team_id))
    ).all()
    counts = {team_id: DecisionCounts(made=count) for team_id, count in made}
    for team_id, open_, overdue in pending:
        counts[team_id] = DecisionCounts(
            made=counts.get(team_id, DecisionCounts()).made, open=open_, overdue=overdue
        )
    return counts
