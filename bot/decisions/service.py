"""Deciding: the database rules of proposing, asking, answering, amending, deciding, adopting.

Two methods (DESIGN.md, Deciding). In the **advice process** the proposer decides, after asking
everyone the decision affects and everyone with expertise; advice is given, not voted, and whoever
did not answer by the decision is recorded, not waited for. In **integrated decision-making** the
team decides by consent: every member but the proposer answers No objection, Concern or Object;
the round closes at the date or as soon as every active member has answered; an open objection
blocks adoption until the proposer amends and the objector confirms it is integrated (or
withdraws it); with no open objection the proposal is adopted.

Coaches may be asked for advice and give it; they never object, propose or decide. People of
other teams may be asked for advice; the decision stays the team's. Every function takes the
session and ``now``; nothing here knows Slack's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import (
    NotAllowedError,
    NotFoundError,
    StaleActionError,
)
from bot.decisions.checks import round_members
from bot.decisions.model import (
    AmendmentDraft,
    DecisionDraft,
    ProposalDraft,
)
from bot.decisions.role_change import RoleOutcome, apply_on_adoption
from storage.models import (
    Advice,
    AdviceAnswer,
    AskStatus,
    Decision,
    Objection,
    ProcessedEvent,
    Proposal,
    ProposalAmendment,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
)

# The one reminder goes the day before the date, from this local time on (never at night).
REMINDER_TIME = time(9, 0)


# --- errors that carry what they are about ----------------------------------------------------


class ProposalClosedError(StaleActionError):
    """The proposal was adopted or withdrawn: a late click changes nothing."""

    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal
        word = "withdrawn" if proposal.status == ProposalStatus.WITHDRAWN else "decided"
        super().__init__(f"This proposal was {word} already, so nothing was changed.")


class AlreadyAnsweredError(StaleActionError):
    """The person already answered this version (a second click); nothing was stored twice."""

    def __init__(self, proposal: Proposal, answer: str) -> None:
        self.proposal = proposal
        self.answer = answer
        super().__init__(f"You already answered this version: {answer}. Nothing was stored twice.")


class OlderVersionError(StaleActionError):
    """The button belongs to a version of the proposal that has since been amended."""

    def __init__(self, proposal: Proposal) -> None:
        self.proposal = proposal
        super().__init__(
            "The proposal was amended since; the newest version is in your DMs, so this click "
            "changed nothing."
        )


# --- storing a proposal ----------------------------------------------------------------------


def create_proposal(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    draft: ProposalDraft,
    now: datetime,
    request_key: str | None = None,
) -> Proposal | None:
    """Store a checked proposal with everyone it asks; None when this submission was stored.

    One transaction: the proposal, a row per person asked for advice, and (integrated
    decision) a row per member in the objection round, each DM still to send.
    """
    team = config.team(draft.team_id)
    proposal = Proposal(
        team_id=team.id,
        proposer=user_id,
        text=draft.text,
        why=draft.why,
        method=draft.method,
        decide_by=draft.decide_by,
        review_date=draft.review_date,
        values=list(draft.values),
        ask_teams=list(draft.teams),
        ask_roles=list(draft.roles),
        role_change=draft.role_change,
        tension_id=draft.tension_id,
        source_permalink=draft.permalink,
        created_at=now,
        updated_at=now,
        request_key=request_key,
    )
    session.add(proposal)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    session.add_all(
        Advice(proposal_id=proposal.id, user_id=a.user_id, from_team=a.from_team, coach=a.coach)  # type: ignore[arg-type]
        for a in draft.advisors
    )
    if draft.method is ProposalMethod.INTEGRATED:
        session.add_all(
            Objection(proposal_id=proposal.id, user_id=member)  # type: ignore[arg-type]
            for member in round_members(team, user_id)
        )
    session.commit()
    return proposal


def proposal_by_id(session: Session, proposal_id: int) -> Proposal:
    """The proposal; NotFoundError when there is none."""
    proposal = session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        raise NotFoundError("That proposal no longer exists.")
    return proposal


def open_proposal(session: Session, proposal_id: int) -> Proposal:
    proposal = proposal_by_id(session, proposal_id)
    if proposal.status != ProposalStatus.OPEN:
        raise ProposalClosedError(detached(session, proposal))
    return proposal


def detached(session: Session, row: Any) -> Any:
    """Detach a row an error carries, so it stays readable after the session rolls back."""
    session.expunge(row)
    return row


def _own_open(session: Session, *, user_id: str, proposal_id: int, what: str) -> Proposal:
    """An open proposal of this person's; NotAllowedError for anyone else."""
    proposal = open_proposal(session, proposal_id)
    if proposal.proposer != user_id:
        raise NotAllowedError(f"Only the person who proposed it can {what} it.")
    return proposal


def claim_submission(session: Session, kind: str, request_key: str | None, now: datetime) -> bool:
    """Mark a modal submission (``kind`` and the view's id) handled; False when it was already
    (a double submission). Work that came from no modal (``request_key`` None) is always new."""
    if not request_key:
        return True
    key = f"{kind}:{request_key}"
    if session.get(ProcessedEvent, key) is not None:
        return False
    session.add(ProcessedEvent(event_id=key, received_at=now))
    return True


def submitted(session: Session, kind: str, request_key: str | None) -> bool:
    """True when this modal submission (``kind``: "proposal-amend", "proposal-decide",
    "advice", "round") was handled already: a double submission then changes nothing, and is
    not refused either (the proposal may have moved on because of the first)."""
    return bool(request_key) and session.get(ProcessedEvent, f"{kind}:{request_key}") is not None


# --- amending -------------------------------------------------------------------------------


def amendable(session: Session, *, user_id: str, proposal_id: int) -> Proposal:
    """The proposal its proposer may amend now."""
    return _own_open(session, user_id=user_id, proposal_id=proposal_id, what="amend")


@dataclass
class Amended:
    """An amendment stored: the proposal as it is now, and the DMs to change in place (those
    of people who have not answered yet): (kind, channel, ts)."""

    proposal: Proposal
    amendment: ProposalAmendment
    unanswered_dms: list[tuple[str, str, str]] = field(default_factory=list)


def amend_proposal(
    session: Session,
    *,
    user_id: str,
    proposal_id: int,
    version: int,
    draft: AmendmentDraft,
    now: datetime,
    request_key: str | None = None,
) -> Amended | None:
    """Amend an open proposal: everyone who answered is told (advice) or asked again (the
    objection round), through their DM's queue; None when this submission was stored."""
    proposal = amendable(session, user_id=user_id, proposal_id=proposal_id)
    if version != proposal.version:
        raise OlderVersionError(detached(session, proposal))
    if not claim_submission(session, "proposal-amend", request_key, now):
        return None
    new = proposal.version + 1
    amendment = ProposalAmendment(
        proposal_id=proposal_id,
        version=new,
        text=draft.text,
        why=draft.why,
        note=draft.note,
        decide_by=draft.decide_by,
        created_at=now,
    )
    changed = session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal_id, col(Proposal.version) == version)
        .values(
            text=draft.text,
            why=draft.why,
            decide_by=draft.decide_by,
            version=new,
            round_closed_at=None,
            reminded_at=None,
            updated_at=now,
        )
    ).rowcount
    if changed != 1:
        session.rollback()
        raise OlderVersionError(detached(session, proposal_by_id(session, proposal_id)))
    session.add(amendment)
    unanswered = _unanswered_dms(session, proposal_id)
    _ask_again(session, proposal_id, version=new)
    session.commit()
    session.refresh(proposal)
    return Amended(proposal=proposal, amendment=amendment, unanswered_dms=unanswered)  # type: ignore[arg-type]


def _unanswered_dms(session: Session, proposal_id: int) -> list[tuple[str, str, str]]:
    """The DMs (kind, channel, ts) of everyone asked who has not answered yet: they are
    redrawn to show the amended proposal."""
    unanswered = [
        ("advice", row.dm_channel, row.dm_ts)
        for row in session.exec(
            select(Advice).where(Advice.proposal_id == proposal_id, col(Advice.answer).is_(None))
        )
        if row.dm_channel and row.dm_ts
    ]
    unanswered += [
        ("round", row.dm_channel, row.dm_ts)
        for row in session.exec(
            select(Objection).where(
                Objection.proposal_id == proposal_id, col(Objection.answered_version).is_(None)
            )
        )
        if row.dm_channel and row.dm_ts
    ]
    return unanswered


def _ask_again(session: Session, proposal_id: int, *, version: int) -> None:
    """Queue a new DM for everyone who answered (told what changed; asked again), and let
    those who have not be reminded again."""
    # Those who answered get a new DM (told what changed; asked again), through the queue.
    session.exec(
        update(Advice)
        .where(col(Advice.proposal_id) == proposal_id, col(Advice.answer).is_not(None))
        .where(col(Advice.status) != AskStatus.FAILED)
        .values(status=AskStatus.PENDING, claimed_at=None)
    )
    session.exec(
        update(Advice)
        .where(col(Advice.proposal_id) == proposal_id, col(Advice.answer).is_(None))
        .values(reminded_at=None)
    )
    session.exec(
        update(Objection)
        .where(col(Objection.proposal_id) == proposal_id)
        .values(
            asked_version=version,
            reminded_at=None,
            status=case(
                (
                    and_(
                        col(Objection.answered_version).is_not(None),
                        col(Objection.status) != AskStatus.FAILED,
                    ),
                    AskStatus.PENDING.value,
                ),
                else_=col(Objection.status),
            ),
            claimed_at=case(
                (col(Objection.answered_version).is_not(None), None),
                else_=col(Objection.claimed_at),
            ),
        )
    )


# --- withdrawing ----------------------------------------------------------------------------


@dataclass
class Closed:
    """A proposal that just closed (withdrawn or adopted), with the DMs still asking someone,
    to change in place so their buttons go: (kind, channel, ts)."""

    proposal: Proposal
    decision: Decision | None = None
    waiting_dms: list[tuple[str, str, str]] = field(default_factory=list)
    role_change: RoleOutcome | None = None  # what adopting it did to a role, if it changes one


def _waiting_dms(session: Session, proposal: Proposal) -> list[tuple[str, str, str]]:
    """The DMs still asking someone about this proposal (unanswered advice, open round)."""
    dms = [
        ("advice", row.dm_channel, row.dm_ts)
        for row in session.exec(
            select(Advice).where(Advice.proposal_id == proposal.id, col(Advice.answer).is_(None))
        )
        if row.dm_channel and row.dm_ts
    ]
    dms += [
        ("round", row.dm_channel, row.dm_ts)
        for row in session.exec(
            select(Objection).where(
                Objection.proposal_id == proposal.id,
                or_(
                    col(Objection.answered_version).is_(None),
                    col(Objection.answered_version) != proposal.version,
                ),
            )
        )
        if row.dm_channel and row.dm_ts
    ]
    return dms


def withdraw_proposal(session: Session, *, user_id: str, proposal_id: int, now: datetime) -> Closed:
    """The proposer withdraws their open proposal; nothing is decided."""
    proposal = _own_open(session, user_id=user_id, proposal_id=proposal_id, what="withdraw")
    changed = session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal_id, col(Proposal.status) == ProposalStatus.OPEN)
        .values(status=ProposalStatus.WITHDRAWN, withdrawn_at=now, updated_at=now)
    ).rowcount
    session.commit()
    proposal = proposal_by_id(session, proposal_id)
    if changed != 1:
        raise ProposalClosedError(detached(session, proposal))
    return Closed(proposal=proposal, waiting_dms=_waiting_dms(session, proposal))


# --- deciding (advice process) ----------------------------------------------------------------


def decidable(session: Session, *, user_id: str, proposal_id: int) -> Proposal:
    """The advice-process proposal its proposer may decide now."""
    proposal = _own_open(session, user_id=user_id, proposal_id=proposal_id, what="decide")
    if proposal.method != ProposalMethod.ADVICE:
        raise NotAllowedError(
            "An integrated decision is the team's: it's adopted when no objection remains."
        )
    return proposal


def has_advice(session: Session, proposal_id: int) -> bool:
    """True once someone gave advice (not "no advice from me") on the proposal."""
    statement = select(Advice.id).where(
        Advice.proposal_id == proposal_id, Advice.answer == AdviceAnswer.ADVICE
    )
    return session.exec(statement.limit(1)).first() is not None


def unanswered_advisors(session: Session, proposal_id: int) -> list[str]:
    """Those asked for advice who have not answered (yet), in the order they were asked."""
    return list(
        session.exec(
            select(Advice.user_id)
            .where(Advice.proposal_id == proposal_id, col(Advice.answer).is_(None))
            .order_by(col(Advice.id))
        )
    )


def advisors_who_advised(session: Session, proposal_id: int) -> list[str]:
    """Those who gave advice (not "no advice from me") on the proposal."""
    return list(
        session.exec(
            select(Advice.user_id)
            .where(Advice.proposal_id == proposal_id, Advice.answer == AdviceAnswer.ADVICE)
            .order_by(col(Advice.id))
        )
    )


def decide_proposal(
    session: Session,
    *,
    user_id: str,
    proposal_id: int,
    version: int,
    draft: DecisionDraft,
    now: datetime,
    request_key: str | None = None,
    team: TeamConfig | None = None,
) -> Closed | None:
    """The proposer decides (advice process): the decision enters the log, with who did not
    answer by now, and the role it changes (if any) changes with it; None when this submission
    was stored already. ``team`` (with its people as they are now) checks a role's holders."""
    proposal = decidable(session, user_id=user_id, proposal_id=proposal_id)
    if version != proposal.version:
        raise OlderVersionError(detached(session, proposal))
    if not claim_submission(session, "proposal-decide", request_key, now):
        return None
    unanswered = unanswered_advisors(session, proposal_id)
    return adopt(
        session,
        proposal=proposal,
        decision=Decision(
            team_id=proposal.team_id,
            proposal_id=proposal_id,
            method=ProposalMethod.ADVICE,
            text=draft.text,
            shaped_by=draft.shaped_by,
            decided_by=user_id,
            decided_at=now,
            unanswered=unanswered,
            review_date=draft.review_date,
        ),
        now=now,
        team=team,
    )


def adopt(
    session: Session,
    *,
    proposal: Proposal,
    decision: Decision,
    now: datetime,
    team: TeamConfig | None = None,
) -> Closed:
    """Record the decision and mark the proposal adopted, once (a second adoption is refused);
    a role change the proposal carries is made in the same commit, so it is made once too."""
    changed = session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal.id, col(Proposal.status) == ProposalStatus.OPEN)
        .values(status=ProposalStatus.ADOPTED, updated_at=now)
    ).rowcount
    if changed != 1:
        session.rollback()
        raise ProposalClosedError(detached(session, proposal_by_id(session, proposal.id or 0)))
    session.add(decision)
    try:
        session.flush()
        outcome = apply_on_adoption(
            session, proposal=proposal, decision=decision, team=team, now=now
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ProposalClosedError(
            detached(session, proposal_by_id(session, proposal.id or 0))
        ) from None
    proposal = proposal_by_id(session, proposal.id or 0)
    session.refresh(decision)
    return Closed(
        proposal=proposal,
        decision=decision,
        waiting_dms=_waiting_dms(session, proposal),
        role_change=outcome,
    )


# --- what a proposal's message shows ----------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A proposal's process in numbers, as its channel message shows them."""

    asked: int = 0
    answered: int = 0
    advised: int = 0
    unreachable: int = 0
    members: int = 0
    round_answered: int = 0
    objections: int = 0  # open ones
    concerns: int = 0
    round_unreachable: int = 0

    @property
    def could_not_reach(self) -> int:
        """People Slack would not let retrobot ask (a deactivated account, ...)."""
        return self.unreachable + self.round_unreachable


def _tallies() -> tuple[Any, Any]:
    """The two counting statements of :func:`tally`, built once (building them cost more CPU
    than running them, and the App Home tallies each of the person's open proposals)."""
    failed = AskStatus.FAILED.value
    advice = select(
        func.count(),
        func.count(col(Advice.answer)),
        func.sum(case((col(Advice.answer) == AdviceAnswer.ADVICE.value, 1), else_=0)),
        func.sum(case((col(Advice.status) == failed, 1), else_=0)),
    ).where(Advice.proposal_id == bindparam("proposal_id"))
    current = col(Objection.answered_version) == bindparam("version")
    open_ = and_(col(Objection.objected_at).is_not(None), col(Objection.resolution).is_(None))
    round_ = select(
        func.count(),
        func.sum(case((current, 1), else_=0)),
        func.sum(case((open_, 1), else_=0)),
        func.sum(
            case((and_(current, col(Objection.answer) == RoundAnswer.CONCERN.value), 1), else_=0)
        ),
        func.sum(case((col(Objection.status) == failed, 1), else_=0)),
    ).where(Objection.proposal_id == bindparam("proposal_id"))
    return advice, round_


_ADVICE_TALLY, _ROUND_TALLY = _tallies()


def tally(session: Session, proposal: Proposal) -> Tally:
    """Count who was asked and who answered, in SQL."""
    advice = session.exec(_ADVICE_TALLY, params={"proposal_id": proposal.id}).one()
    params = {"proposal_id": proposal.id, "version": proposal.version}
    round_ = session.exec(_ROUND_TALLY, params=params).one()
    return Tally(
        asked=advice[0],
        answered=advice[1],
        advised=advice[2] or 0,
        unreachable=advice[3] or 0,
        members=round_[0],
        round_answered=round_[1] or 0,
        objections=round_[2] or 0,
        concerns=round_[3] or 0,
        round_unreachable=round_[4] or 0,
    )


def amendment(session: Session, *, proposal_id: int, version: int) -> ProposalAmendment | None:
    """The amendment that made this version, if any."""
    return session.exec(
        select(ProposalAmendment).where(
            ProposalAmendment.proposal_id == proposal_id, ProposalAmendment.version == version
        )
    ).first()


def decision_of(session: Session, proposal_id: int) -> Decision | None:
    """The decision that adopted the proposal, if any."""
    return session.exec(select(Decision).where(Decision.proposal_id == proposal_id)).first()
