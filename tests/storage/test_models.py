"""The tables' constraints and defaults, as the database enforces them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from storage.db import session_factory
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Coach,
    DeliveryStatus,
    DigestKind,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
    PromptStatus,
    RoundStatus,
    SentDigest,
    Team,
    Tension,
    TensionStatus,
)
from tests.storage.factories import MONDAY_NOON, make_member, make_round, make_team, make_tension


def one_round(session: Session) -> int:
    """Team north and its round; returns the round's id."""
    make_team(session)
    round_id = make_round(session).id
    assert round_id is not None
    return round_id


def one_request(session: Session) -> int:
    """Team north and a feedback request; returns the request's id."""
    make_team(session)
    request = FeedbackRequest(team_id="north", requester="U01", about="My handovers")
    session.add(request)
    session.flush()
    assert request.id is not None
    return request.id


def duplicate_members(session: Session) -> Callable[[], SQLModel]:
    make_team(session)
    return lambda: Member(team_id="north", user_id="U01")


def duplicate_coaches(session: Session) -> Callable[[], SQLModel]:
    make_team(session)
    return lambda: Coach(team_id="north", user_id="U09")


def duplicate_rounds(session: Session) -> Callable[[], SQLModel]:
    make_team(session)
    return lambda: CheckinRound(
        team_id="north",
        meeting_date=date(2026, 6, 2),
        meeting_at=datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
        opens_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    )


def duplicate_prompts(session: Session) -> Callable[[], SQLModel]:
    round_id = one_round(session)
    return lambda: CheckinPrompt(round_id=round_id, user_id="U01")


def duplicate_responses(session: Session) -> Callable[[], SQLModel]:
    round_id = one_round(session)
    return lambda: CheckinResponse(round_id=round_id, user_id="U01", mood=3)


def duplicate_digests(session: Session) -> Callable[[], SQLModel]:
    make_team(session)
    return lambda: SentDigest(
        kind=DigestKind.COACH_DIGEST, recipient="U09", team_id="north", iso_week="2026-W23"
    )


def duplicate_recipients(session: Session) -> Callable[[], SQLModel]:
    request_id = one_request(session)
    return lambda: FeedbackRequestRecipient(request_id=request_id, user_id="U02")


@pytest.mark.parametrize(
    "prepare",
    [
        duplicate_members,
        duplicate_coaches,
        duplicate_rounds,
        duplicate_prompts,
        duplicate_responses,
        duplicate_digests,
        duplicate_recipients,
    ],
)
def test_a_second_row_with_the_same_key_is_refused(
    session: Session, prepare: Callable[[Session], Callable[[], SQLModel]]
) -> None:
    new_row = prepare(session)
    session.add(new_row())
    session.commit()

    session.add(new_row())
    with pytest.raises(IntegrityError):
        session.commit()


def test_the_same_digest_may_go_to_another_coach_or_week(session: Session) -> None:
    make_team(session)
    for recipient, week in [("U09", "2026-W23"), ("U08", "2026-W23"), ("U09", "2026-W24")]:
        session.add(
            SentDigest(
                kind=DigestKind.COACH_DIGEST, recipient=recipient, team_id="north", iso_week=week
            )
        )
    session.add(
        SentDigest(
            kind=DigestKind.TEAM_SUMMARY, recipient="U09", team_id="north", iso_week="2026-W23"
        )
    )
    session.commit()
    assert len(session.exec(select(SentDigest)).all()) == 4


@pytest.mark.parametrize("mood", [0, 6, -1])
def test_a_mood_outside_one_to_five_is_refused(session: Session, mood: int) -> None:
    round_id = one_round(session)
    session.add(CheckinResponse(round_id=round_id, user_id="U01", mood=mood))
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize("mood", [1, 5, None])
def test_a_mood_from_one_to_five_or_none_is_kept(session: Session, mood: int | None) -> None:
    round_id = one_round(session)
    session.add(CheckinResponse(round_id=round_id, user_id="U01", mood=mood))
    session.commit()
    assert session.exec(select(CheckinResponse.mood)).one() == mood


def test_a_member_of_an_unknown_team_is_refused(session: Session) -> None:
    session.add(Member(team_id="nowhere", user_id="U01"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_rows_get_their_documented_defaults(engine: Engine) -> None:
    with session_factory(engine)() as session:
        make_team(session)
        make_member(session)
        round_id = make_round(session).id
        session.add(CheckinPrompt(round_id=round_id, user_id="U01"))
        session.add(CheckinResponse(round_id=round_id, user_id="U01"))
        session.add(Tension(team_id="north", raised_by="U01", text="Rota clashes"))
        session.add(Feedback(receiver="U02", kind=FeedbackKind.APPRECIATION, text="Thank you"))
        session.add(
            SentDigest(
                kind=DigestKind.TEAM_SUMMARY,
                recipient="C0123",
                team_id="north",
                iso_week="2026-W23",
            )
        )
        session.commit()

    with session_factory(engine)() as session:
        team = session.exec(select(Team)).one()
        assert team.active is True
        assert team.updated_at.tzinfo is UTC
        member = session.exec(select(Member)).one()
        assert (member.active, member.name, member.away_until) == (True, None, None)
        assert session.exec(select(CheckinPrompt.status)).one() is PromptStatus.PENDING
        response = session.exec(select(CheckinResponse)).one()
        assert (response.note, response.shared, response.metric_values) == ("", True, {})
        assert (response.checklist, response.progress, response.story) == ({}, "", "")
        tension = session.exec(select(Tension)).one()
        assert tension.status is TensionStatus.OPEN
        assert (tension.private, tension.governance, tension.outcome) == (False, False, None)
        assert (tension.area, tension.triage_note, tension.needs_met) == ("", "", None)
        assert tension.created_at.tzinfo is UTC
        feedback = session.exec(select(Feedback)).one()
        assert (feedback.giver, feedback.team_id, feedback.values) == (None, None, [])
        assert (feedback.shared, feedback.anonymous) == (False, False)
        assert session.exec(select(SentDigest.status)).one() is DeliveryStatus.PENDING


def test_json_columns_keep_their_values_and_in_place_changes(engine: Engine) -> None:
    with session_factory(engine)() as session:
        round_id = one_round(session)
        response = CheckinResponse(
            round_id=round_id,
            user_id="U01",
            metric_values={"visits": 14.0, "calls": 3.5},
            checklist={"Rota published": True, "Supervision booked": False},
        )
        session.add(response)
        session.add(
            Feedback(
                receiver="U02",
                kind=FeedbackKind.APPRECIATION,
                values=["Compassion", "Trust"],
                text="You stayed late for Mrs B.",
            )
        )
        session.commit()

    with session_factory(engine)() as session:
        response = session.exec(select(CheckinResponse)).one()
        assert response.metric_values == {"visits": 14.0, "calls": 3.5}
        assert response.checklist == {"Rota published": True, "Supervision booked": False}
        response.metric_values["visits"] = 15.0
        response.checklist["Supervision booked"] = True
        feedback = session.exec(select(Feedback)).one()
        assert feedback.values == ["Compassion", "Trust"]
        feedback.values.append("Courage")
        session.commit()

    with session_factory(engine)() as session:
        assert session.exec(select(CheckinResponse.metric_values)).one()["visits"] == 15.0
        assert session.exec(select(CheckinResponse.checklist)).one()["Supervision booked"]
        assert session.exec(select(Feedback.values)).one() == ["Compassion", "Trust", "Courage"]


def test_updated_at_moves_when_a_row_changes(session: Session) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    team = make_team(session, updated_at=long_ago)
    session.commit()

    team.name = "North and East"
    session.commit()

    assert team.updated_at > long_ago


def test_an_explicit_updated_at_wins_over_the_automatic_one(session: Session) -> None:
    make_team(session)
    tension = make_tension(session)
    session.commit()

    tension.status = TensionStatus.TRIAGED
    tension.updated_at = MONDAY_NOON
    session.commit()
    session.expire_all()

    assert session.get(Tension, tension.id).updated_at == MONDAY_NOON  # type: ignore[union-attr]


def test_a_round_keeps_its_dates(session: Session) -> None:
    make_team(session)
    round_ = make_round(session, status=RoundStatus.CLOSED, agenda_channel="C1", agenda_ts="1.2")
    session.commit()
    session.expire_all()

    stored = session.get(CheckinRound, round_.id)
    assert stored is not None
    assert stored.meeting_date == date(2026, 6, 2)
    assert stored.meeting_at == datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    assert (stored.status, stored.agenda_channel, stored.agenda_ts) == (
        RoundStatus.CLOSED,
        "C1",
        "1.2",
    )
