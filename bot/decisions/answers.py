"""Answers to a proposal: advice given (or "no advice from me"), and an integrated decision's
objection round — No objection, Concern, Object — with the objection integrated or withdrawn,
and the round settled: closed at its date or once every active member answered, and adopted
when no objection remains (DESIGN.md, Deciding).

Each answer is recorded once: a conditional UPDATE on the answered version decides, so a second
click (or two at once) stores nothing twice. Nothing here knows Slack's JSON.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select, update

from bot.core.config import AppConfig
from bot.core.errors import NotAllowedError, StaleActionError
from bot.decisions.checks import check_reason, closes_at, local_today
from bot.decisions.service import (
    AlreadyAnsweredError,
    Closed,
    OlderVersionError,
    ProposalClosedError,
    adopt,
    claim_submission,
    detached,
    open_proposal,
    proposal_by_id,
)
from storage.models import (
    Advice,
    AdviceAnswer,
    Decision,
    Member,
    Objection,
    ObjectionResolution,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
)

# --- advice ---------------------------------------------------------------------------------


def advice_of(session: Session, *, user_id: str, proposal_id: int) -> Advice:
    """The person's place among those asked for advice; NotAllowedError if they weren't."""
    row = session.exec(
        select(Advice).where(Advice.proposal_id == proposal_id, Advice.user_id == user_id)
    ).first()
    if row is None:
        raise NotAllowedError(
            "You weren't asked for advice on this one — add your thoughts in its thread."
        )
    return row


def advisable(session: Session, *, user_id: str, proposal_id: int) -> tuple[Proposal, Advice]:
    """An open proposal the person was asked to advise on, and their row."""
    proposal = open_proposal(session, proposal_id)
    return proposal, advice_of(session, user_id=user_id, proposal_id=proposal_id)


def give_advice(
    session: Session,
    *,
    user_id: str,
    proposal_id: int,
    text: str | None,
    now: datetime,
    request_key: str | None = None,
) -> Advice | None:
    """Record advice (``text``) or "no advice from me" (``text`` None) on the current version,
    once; an advisor told of an amendment may advise again (their earlier advice is kept).

    None when this submission was stored already.
    """
    proposal, row = advisable(session, user_id=user_id, proposal_id=proposal_id)
    if row.answer is not None and row.answered_version == proposal.version:
        raise AlreadyAnsweredError(detached(session, proposal), advice_word(row.answer))
    if text is not None and not claim_submission(session, "advice", request_key, now):
        return None
    earlier = list(row.earlier or [])
    if row.answer == AdviceAnswer.ADVICE and row.text:
        at = row.answered_at.isoformat() if row.answered_at else None
        earlier.append({"version": row.answered_version, "text": row.text, "at": at})
    changed = session.exec(
        update(Advice)
        .where(
            col(Advice.id) == row.id,
            or_(
                col(Advice.answered_version).is_(None),
                col(Advice.answered_version) < proposal.version,
            ),
        )
        .values(
            answer=AdviceAnswer.NO_ADVICE if text is None else AdviceAnswer.ADVICE,
            text=text if text is not None else row.text,
            answered_at=now,
            answered_version=proposal.version,
            earlier=earlier,
        )
    ).rowcount
    session.commit()
    row = session.get(Advice, row.id, populate_existing=True)  # type: ignore[assignment]
    if changed != 1:
        raise AlreadyAnsweredError(detached(session, proposal), advice_word(row.answer))
    return row


def advice_word(answer: AdviceAnswer | None) -> str:
    """An advisor's answer as people read it."""
    return "no advice from you" if answer == AdviceAnswer.NO_ADVICE else "your advice"


# --- the objection round (integrated decision) -----------------------------------------------


def round_place(session: Session, *, config: AppConfig, user_id: str, proposal: Proposal):
    """The member's place in the proposal's objection round; NotAllowedError otherwise."""
    row = session.exec(
        select(Objection).where(Objection.proposal_id == proposal.id, Objection.user_id == user_id)
    ).first()
    if row is not None:
        return row
    team = config.find_team(proposal.team_id)
    if team is not None and user_id in team.coach_ids:
        raise NotAllowedError(
            "Coaches may give advice, but never object: the decision is the team's."
        )
    raise NotAllowedError(
        "Only the team's members answer its objection round; add your thoughts in the thread."
    )


def answerable(
    session: Session, *, config: AppConfig, user_id: str, proposal_id: int, version: int
) -> tuple[Proposal, Objection]:
    """An open round the member may answer now, for the version they saw."""
    proposal = open_proposal(session, proposal_id)
    row = round_place(session, config=config, user_id=user_id, proposal=proposal)
    if version != proposal.version:
        raise OlderVersionError(detached(session, proposal))
    if row.answered_version == proposal.version and row.answer is not None:
        raise AlreadyAnsweredError(detached(session, proposal), answer_word(row.answer))
    if proposal.round_closed_at is not None and not open_objection(row):
        raise StaleActionError(
            "The objection round has closed; it's waiting for an open objection to be "
            "integrated, so nothing was changed."
        )
    return proposal, row


def answer_word(answer: RoundAnswer | None) -> str:
    """An answer as people read it."""
    return {
        RoundAnswer.NO_OBJECTION: "no objection",
        RoundAnswer.CONCERN: "a concern",
        RoundAnswer.OBJECTION: "an objection",
    }.get(answer, "nothing yet")  # type: ignore[arg-type]


def open_objection(row: Objection) -> bool:
    """True while the member's objection blocks adoption."""
    return row.objected_at is not None and row.resolution is None


@dataclass
class RoundAnswered:
    """A member's answer recorded, and what it settled."""

    proposal: Proposal
    row: Objection
    integrated: bool = False  # it confirmed an amendment integrated their objection
    settled: Settled | None = None  # what it settled: the round closed, the proposal adopted


def answer_round(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    proposal_id: int,
    version: int,
    answer: RoundAnswer,
    reason: str | None,
    now: datetime,
    request_key: str | None = None,
) -> RoundAnswered | None:
    """Record the member's answer to this version, once. An objector's later No objection or
    Concern confirms the amendment integrated their objection; an objection needs its reason.
    None when this submission was stored already."""
    proposal, row = answerable(
        session, config=config, user_id=user_id, proposal_id=proposal_id, version=version
    )
    clean = check_reason(answer, reason)
    if request_key and not claim_submission(session, "round", request_key, now):
        return None
    values, integrated = _round_values(answer, clean, row=row, version=proposal.version, now=now)
    changed = session.exec(
        update(Objection)
        .where(
            col(Objection.id) == row.id,
            or_(
                col(Objection.answered_version).is_(None),
                col(Objection.answered_version) < proposal.version,
            ),
        )
        .values(**values)
    ).rowcount
    if changed != 1:
        session.rollback()
        raise AlreadyAnsweredError(detached(session, proposal), "your answer")
    session.commit()
    row_id = row.id
    settled = settle(session, config=config, proposal=proposal_by_id(session, proposal_id), now=now)
    # Read after settling: a decision another thread adopted a moment before makes settle roll
    # this session back, which expires what it had loaded (the answer's DM then found its row
    # detached and unreadable, and was never redrawn).
    row = session.get(Objection, row_id, populate_existing=True)  # type: ignore[assignment]
    return RoundAnswered(
        proposal=proposal_by_id(session, proposal_id),
        row=row,
        integrated=integrated,
        settled=settled,
    )


def _round_values(
    answer: RoundAnswer, reason: str, *, row: Objection, version: int, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The columns an answer to ``version`` sets, and whether it confirms that an amendment
    integrated the member's earlier objection."""
    values: dict[str, Any] = {
        "answer": answer,
        "reason": reason,
        "answered_at": now,
        "answered_version": version,
    }
    if answer is RoundAnswer.OBJECTION:
        values |= {
            "objection": reason,
            "objected_at": now,
            "objected_version": version,
            "resolution": None,
            "resolved_at": None,
            "resolved_version": None,
        }
        return values, False
    if open_objection(row) and (row.objected_version or 0) < version:
        values |= {
            "resolution": ObjectionResolution.INTEGRATED,
            "resolved_at": now,
            "resolved_version": version,
        }
        return values, True
    return values, False


def withdraw_objection(
    session: Session, *, config: AppConfig, user_id: str, proposal_id: int, now: datetime
) -> RoundAnswered:
    """The objector withdraws their open objection; it no longer blocks adoption."""
    proposal = open_proposal(session, proposal_id)
    row = round_place(session, config=config, user_id=user_id, proposal=proposal)
    changed = session.exec(
        update(Objection)
        .where(
            col(Objection.id) == row.id,
            col(Objection.objected_at).is_not(None),
            col(Objection.resolution).is_(None),
        )
        .values(
            resolution=ObjectionResolution.WITHDRAWN,
            resolved_at=now,
            resolved_version=proposal.version,
        )
    ).rowcount
    session.commit()
    if changed != 1:
        raise StaleActionError("You have no open objection to withdraw, so nothing changed.")
    row = session.get(Objection, row.id, populate_existing=True)  # type: ignore[assignment]
    settled = settle(session, config=config, proposal=proposal_by_id(session, proposal_id), now=now)
    return RoundAnswered(proposal=proposal_by_id(session, proposal_id), row=row, settled=settled)


def _away_today(session: Session, user_ids: Sequence[str], today: date) -> set[str]:
    """Those of these people who said they are away today."""
    if not user_ids:
        return set()
    statement = select(Member.user_id).where(
        col(Member.user_id).in_(list(user_ids)),
        col(Member.away_until).is_not(None),
        col(Member.away_until) >= today,
    )
    return set(session.exec(statement))


@dataclass
class Settled:
    """What settling a round did: closed it just now (with how many open objections, which
    then block it), and adopted the proposal when none remained."""

    closed_now: bool = False
    blocking: int = 0
    adopted: Closed | None = None


def settle(session: Session, *, config: AppConfig, proposal: Proposal, now: datetime) -> Settled:
    """Close an integrated decision's round when its date is over or every active member has
    answered this version (the away are not waited for), and adopt it once no objection
    remains."""
    settled = Settled()
    team = config.find_team(proposal.team_id)
    if (
        team is None
        or proposal.method != ProposalMethod.INTEGRATED
        or proposal.status != ProposalStatus.OPEN
    ):
        return settled
    rows = list(
        session.exec(
            select(Objection)
            .where(Objection.proposal_id == proposal.id)
            .execution_options(populate_existing=True)
        )
    )
    blocking = sum(open_objection(r) for r in rows)
    if proposal.round_closed_at is None:
        members = set(team.member_ids)
        waiting = [
            r.user_id
            for r in rows
            if r.user_id in members and r.answered_version != proposal.version
        ]
        away = _away_today(session, waiting, local_today(team, now))
        if now < closes_at(team, proposal.decide_by) and set(waiting) - away:
            return settled
        changed = session.exec(
            update(Proposal)
            .where(col(Proposal.id) == proposal.id, col(Proposal.round_closed_at).is_(None))
            .values(round_closed_at=now, updated_at=now)
        ).rowcount
        session.commit()
        if changed != 1:
            return settled
        settled.closed_now, settled.blocking = True, blocking
    if blocking:
        return settled
    unanswered = [r.user_id for r in rows if r.answered_version != proposal.version]
    decision = Decision(
        team_id=proposal.team_id,
        proposal_id=proposal.id,  # type: ignore[arg-type]
        method=ProposalMethod.INTEGRATED,
        text=proposal.text,
        decided_at=now,
        unanswered=unanswered,
        review_date=proposal.review_date,
    )
    with contextlib.suppress(ProposalClosedError):  # adopted by another process just now
        settled.adopted = adopt(session, proposal=proposal, decision=decision, now=now, team=team)
    return settled
