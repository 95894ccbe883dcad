"""Test data factories: ``make_<table>(session, **overrides)`` adds a valid row and flushes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Decision,
    DeliveryStatus,
    DigestKind,
    Feedback,
    FeedbackKind,
    HealthAnswer,
    Member,
    PromptStatus,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    Retrospective,
    RetroStatus,
    SentDigest,
    Team,
    Tension,
)

MONDAY_NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

Row = TypeVar("Row")


def make_team(session: Session, **overrides: Any) -> Team:
    """A team called North, in London, unless overridden."""
    fields: dict[str, Any] = {
        "id": "north",
        "name": "North Neighbourhood Team",
        "channel": "C0123ABCD",
        "timezone": "Europe/London",
    } | overrides
    return _add(session, Team(**fields))


def make_member(session: Session, **overrides: Any) -> Member:
    """An active member of team north."""
    fields: dict[str, Any] = {"team_id": "north", "user_id": "U01"} | overrides
    return _add(session, Member(**fields))


def make_round(session: Session, **overrides: Any) -> CheckinRound:
    """An open check-in round of team north for Tuesday 2 June 2026, 10:00 London."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "meeting_date": date(2026, 6, 2),
        "meeting_at": datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
        "opens_at": datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    } | overrides
    return _add(session, CheckinRound(**fields))


def make_tension(session: Session, **overrides: Any) -> Tension:
    """An open tension raised by U01 in team north."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "raised_by": "U01",
        "text": "Handover notes get lost between shifts",
        "created_at": MONDAY_NOON,
    } | overrides
    return _add(session, Tension(**fields))


def make_prompt(session: Session, **overrides: Any) -> CheckinPrompt:
    """A check-in DM sent to U01 for round ``round_id`` (required)."""
    fields: dict[str, Any] = {"user_id": "U01", "status": PromptStatus.SENT} | overrides
    return _add(session, CheckinPrompt(**fields))


def make_response(session: Session, **overrides: Any) -> CheckinResponse:
    """U01's shared check-in answer, mood 4, to round ``round_id`` (required)."""
    fields: dict[str, Any] = {
        "user_id": "U01",
        "mood": 4,
        "shared": True,
        "created_at": MONDAY_NOON,
    } | overrides
    return _add(session, CheckinResponse(**fields))


def make_feedback(session: Session, **overrides: Any) -> Feedback:
    """An appreciation from U01 to U02 in team north, kept between them."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "giver": "U01",
        "receiver": "U02",
        "kind": FeedbackKind.APPRECIATION,
        "text": "Thank you for covering my Friday visits",
        "created_at": MONDAY_NOON,
    } | overrides
    return _add(session, Feedback(**fields))


def make_sent_digest(session: Session, **overrides: Any) -> SentDigest:
    """A coach digest about team north sent to U09 for 2026-W22."""
    fields: dict[str, Any] = {
        "kind": DigestKind.COACH_DIGEST,
        "recipient": "U09",
        "team_id": "north",
        "iso_week": "2026-W22",
        "status": DeliveryStatus.SENT,
        "created_at": MONDAY_NOON,
        "sent_at": MONDAY_NOON,
    } | overrides
    return _add(session, SentDigest(**fields))


def make_answered_round(
    session: Session,
    *,
    team_id: str = "north",
    meeting_at: datetime = datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
    answers: Sequence[tuple[str, int | None]] = (),
    unanswered: Sequence[str] = (),
    metric_values: dict[str, float] | None = None,
    stories: dict[str, str] | None = None,
) -> CheckinRound:
    """A round meeting at ``meeting_at`` whose members were prompted; ``answers`` are
    (user id, mood) pairs, ``unanswered`` were prompted and said nothing. Each answer carries
    ``metric_values`` and its writer's story from ``stories`` (shared with the team)."""
    round_ = make_round(
        session,
        team_id=team_id,
        meeting_date=meeting_at.date(),
        meeting_at=meeting_at,
        opens_at=meeting_at - timedelta(days=1),
    )
    for user_id, mood in answers:
        make_prompt(session, round_id=round_.id, user_id=user_id, status=PromptStatus.ANSWERED)
        make_response(
            session,
            round_id=round_.id,
            user_id=user_id,
            mood=mood,
            metric_values=dict(metric_values or {}),
            story=(stories or {}).get(user_id, ""),
            created_at=meeting_at - timedelta(hours=2),
        )
    for user_id in unanswered:
        make_prompt(session, round_id=round_.id, user_id=user_id, status=PromptStatus.SENT)
    return round_


def make_proposal(session: Session, **overrides: Any) -> Proposal:
    """An open advice-process proposal by U01 in team north, to decide by 10 June 2026."""
    fields: dict[str, Any] = {
        "team_id": "north",
        "proposer": "U01",
        "text": "Swap shifts through the rota organiser",
        "method": ProposalMethod.ADVICE,
        "decide_by": date(2026, 6, 10),
        "created_at": MONDAY_NOON,
    } | overrides
    return _add(session, Proposal(**fields))


def make_decision(session: Session, proposal: Proposal, *, decided_at: datetime) -> Decision:
    """The proposal adopted at ``decided_at`` by its proposer."""
    proposal.status = ProposalStatus.ADOPTED
    session.add(proposal)
    return _add(
        session,
        Decision(
            team_id=proposal.team_id,
            proposal_id=proposal.id or 0,
            method=proposal.method,
            text=proposal.text,
            decided_by=proposal.proposer,
            decided_at=decided_at,
        ),
    )


def make_closed_retro(
    session: Session,
    *,
    closed: datetime,
    scores: dict[str, Sequence[int]],
    team_id: str = "north",
    channel: str = "C0NORTH",
) -> Retrospective:
    """A retrospective opened two days before ``closed`` and closed then, with the health
    answers ``scores`` (by question; one author each)."""
    retro = _add(
        session,
        Retrospective(
            team_id=team_id,
            status=RetroStatus.CLOSED,
            channel=channel,
            health_questions=list(scores),
            period_start=closed - timedelta(weeks=4),
            opened_at=closed - timedelta(days=2),
            reflection_closes_at=closed,
            reflection_closed_at=closed,
        ),
    )
    for question, answers in scores.items():
        for number, score in enumerate(answers):
            session.add(
                HealthAnswer(
                    retro_id=retro.id or 0, question=question, score=score, author=f"U{number:02}"
                )
            )
    session.flush()
    return retro


def _add(session: Session, row: Row) -> Row:
    """Add ``row`` and flush, so it gets its id and constraints are checked now."""
    session.add(row)
    session.flush()
    return row
