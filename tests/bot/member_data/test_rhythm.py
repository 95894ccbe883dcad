"""A person who reflected, voted, held a role and set a working pattern: `export --member` holds
it, and `forget` deletes their words, their pattern, their ballots and their current role, keeps
the team's record (a role's history, who took part) naming a former member, and leaves every
closed retrospective's figures as they were.

Shay (U0SHARED, seed.py) took part in three north retrospectives — a closed one that reflected
with names, a closed anonymous one, and one whose voting is open — and reflects in south's, still
open. Shay holds north's scribe role, which was given to them by decision, and held the rotating
facilitator role at a past meeting and is due to at the next.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select

from bot.core.people import is_former_member
from bot.retros import figures
from storage.db import session_factory
from storage.models import (
    HealthAnswer,
    PatternKind,
    PromptStatus,
    Reflection,
    ReflectionKind,
    RetroImprovement,
    RetroParticipant,
    Retrospective,
    RetroStatus,
    RetroVote,
    Role,
    RoleChange,
    RoleChangeKind,
    RoleHolder,
    RoleTurn,
    ShiftHold,
    Tension,
    TurnDelivery,
    WorkingPattern,
)
from tests.bot.member_data.seed import NOW
from tests.bot.member_data.test_forget import forget, member_export, traces
from tests.conftest import ANA, BEN, CARA, NORTH_CHANNEL, SAM, SHARED, SOUTH_CHANNEL

QUESTIONS = ["We have fun", "We deliver value"]
# What Shay typed in a retrospective, and what others did.
SHAY_REFLECTIONS = ("SHAY-REFLECTION-named", "SHAY-REFLECTION-open")
ANON_REFLECTION = "ANONYMOUS-REFLECTION-no-author"
ANA_REFLECTION = "ANA-REFLECTION-voting"
OPENED = (
    datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
    datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    datetime(2026, 6, 29, 9, 0, tzinfo=UTC),
)


def _retro(
    session: Session, team_id: str, opened: datetime, status: RetroStatus, anonymous: bool
) -> int:
    retro = Retrospective(
        team_id=team_id,
        status=status,
        in_progress_team=None if status == RetroStatus.CLOSED else team_id,
        anonymous=anonymous,
        health_questions=QUESTIONS,
        period_start=opened - timedelta(weeks=4),
        opened_at=opened,
        reflection_closes_at=opened + timedelta(days=3),
        reflection_closed_at=None if status == RetroStatus.REFLECTING else opened,
        voting_closed_at=opened if status == RetroStatus.CLOSED else None,
        channel=NORTH_CHANNEL if team_id == "north" else SOUTH_CHANNEL,
    )
    session.add(retro)
    session.flush()
    assert retro.id is not None
    return retro.id


def _took_part(session: Session, retro_id: int, people: tuple[str, ...], voted: bool) -> None:
    session.add_all(
        RetroParticipant(
            retro_id=retro_id,
            user_id=person,
            status=PromptStatus.SENT,
            dm_channel=f"D{person}",
            reflected=True,
            voted=voted,
        )
        for person in people
    )


def _health(session: Session, retro_id: int, scores: dict[str, int], named: bool) -> None:
    for person, score in scores.items():
        for question in QUESTIONS:
            author = person if named else None
            session.add(
                HealthAnswer(retro_id=retro_id, question=question, score=score, author=author)
            )


def _reflection(
    session: Session, retro_id: int, text: str, author: str | None, votes: int | None
) -> int:
    reflection = Reflection(
        retro_id=retro_id, kind=ReflectionKind.IDEA, text=text, author=author, votes=votes
    )
    session.add(reflection)
    session.flush()
    assert reflection.id is not None
    return reflection.id


def seed_retros(session: Session) -> dict[str, int]:
    """Four retrospectives; their ids by name."""
    north = (ANA, BEN, SHARED)
    named = _retro(session, "north", OPENED[0], RetroStatus.CLOSED, anonymous=False)
    _took_part(session, named, north, voted=True)
    shay_named = _reflection(session, named, SHAY_REFLECTIONS[0], SHARED, 2)
    _reflection(session, named, "ANA-REFLECTION-named", ANA, 1)
    _health(session, named, {ANA: 4, BEN: 3, SHARED: 2}, named=False)
    tension = Tension(team_id="north", raised_by=SHARED, text=SHAY_REFLECTIONS[0], created_at=NOW)
    session.add(tension)
    session.flush()
    session.add(
        RetroImprovement(
            retro_id=named, reflection_id=shay_named, tension_id=tension.id or 0, votes=2
        )
    )
    anonymous = _retro(session, "north", OPENED[1], RetroStatus.CLOSED, anonymous=True)
    _took_part(session, anonymous, north, voted=False)
    _reflection(session, anonymous, ANON_REFLECTION, None, 0)
    _health(session, anonymous, {ANA: 5, BEN: 4, SHARED: 1}, named=False)

    voting = _retro(session, "north", OPENED[2], RetroStatus.VOTING, anonymous=True)
    _took_part(session, voting, north, voted=True)
    ana = _reflection(session, voting, ANA_REFLECTION, None, None)
    session.add_all(
        RetroVote(retro_id=voting, reflection_id=ana, voter=person, slot=1)
        for person in (ANA, SHARED)
    )
    reflecting = _retro(session, "south", OPENED[2], RetroStatus.REFLECTING, anonymous=True)
    _took_part(session, reflecting, (SHARED, SAM), voted=False)
    _reflection(session, reflecting, SHAY_REFLECTIONS[1], SHARED, None)
    _health(session, reflecting, {SHARED: 2, SAM: 4}, named=True)
    session.flush()
    return {"named": named, "anonymous": anonymous, "voting": voting, "reflecting": reflecting}


def seed_roles_and_patterns(session: Session) -> None:
    """North's scribe (Shay and Ana) and rotating facilitator; Shay's and Ana's patterns."""
    scribe = Role(team_id="north", key="scribe", name="Scribe", purpose="Notes kept")
    facilitator = Role(
        team_id="north", key="facilitator", name="Facilitator", rotation="every meeting"
    )
    session.add_all([scribe, facilitator])
    session.flush()
    assert scribe.id is not None and facilitator.id is not None
    session.add_all(
        RoleHolder(role_id=scribe.id, user_id=person, since=NOW) for person in (SHARED, ANA)
    )
    session.add(RoleHolder(role_id=facilitator.id, user_id=CARA, since=NOW))

    def role(holders: list[str]) -> dict[str, Any]:
        return {"id": "scribe", "name": "Scribe", "holders": holders}

    session.add_all(
        [
            RoleChange(
                team_id="north",
                role_id=scribe.id,
                kind=RoleChangeKind.SEED,
                after=role([BEN]),
                changed_at=OPENED[0],
            ),
            RoleChange(
                team_id="north",
                role_id=scribe.id,
                kind=RoleChangeKind.ASSIGN,
                decision_id=7,
                before=role([BEN]),
                after=role([SHARED, ANA]),
                changed_at=OPENED[1],
            ),
        ]
    )
    meetings = (date(2026, 6, 23), date(2026, 7, 7))
    session.add_all(
        RoleTurn(
            team_id="north",
            role_id=facilitator.id,
            meeting_date=day,
            meeting_at=datetime.combine(day, datetime.min.time(), UTC),
            holder=SHARED,
            previous=BEN,
            rotated=True,
            brief_status=status,
        )
        for day, status in zip(meetings, (TurnDelivery.SENT, TurnDelivery.PENDING), strict=True)
    )
    for person, team_id in ((SHARED, "north"), (SHARED, "south"), (ANA, "north")):
        session.add(
            WorkingPattern(
                team_id=team_id,
                user_id=person,
                kind=PatternKind.NIGHTS,
                days=[0, 1, 2],
                starts="20:00",
                ends="08:00",
                timezone="Europe/London",
            )
        )
    session.add(
        ShiftHold(
            kind="checkin",
            ref_id=1,
            user_id=SHARED,
            team_id="north",
            deadline=NOW,
            reason="pattern",
            decided_at=NOW,
        )
    )


@pytest.fixture
def retros(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as session:
        ids = seed_retros(session)
        seed_roles_and_patterns(session)
        session.commit()
    return ids


def closed_figures(engine: Engine, retros: dict[str, int]) -> dict[str, Any]:
    """What the closed retrospectives showed: participation, health averages, the board."""
    shown: dict[str, Any] = {}
    with session_factory(engine)() as session:
        for name in ("named", "anonymous"):
            retro_id = retros[name]
            averages = figures._averages(session, [retro_id])
            reflections = session.exec(
                select(Reflection.kind, Reflection.votes)
                .where(col(Reflection.retro_id) == retro_id)
                .order_by(col(Reflection.id))
            ).all()
            improvements = session.exec(
                select(RetroImprovement.votes).where(col(RetroImprovement.retro_id) == retro_id)
            ).all()
            shown[name] = (
                figures.participation(session, retro_id=retro_id),
                figures.health_figures(QUESTIONS, averages, retro_id, None),
                list(reflections),
                list(improvements),
            )
    return shown


def rows(engine: Engine, model: type[SQLModel], *where: Any) -> list[Any]:
    with session_factory(engine)() as session:
        return list(session.exec(select(model).where(*where)).all())


def count(engine: Engine, model: type[SQLModel]) -> int:
    with session_factory(engine)() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_export_holds_what_they_wrote_their_roles_and_their_pattern(
    engine: Engine, retros: dict[str, int]
) -> None:
    parts = member_export(engine, SHARED)["parts"]

    assert sorted(r["text"] for r in parts["reflections"]) == sorted(SHAY_REFLECTIONS)
    assert ANON_REFLECTION not in str(parts)  # nothing links it to them any more
    assert [(r["question"], r["score"]) for r in parts["health_answers"]] == [
        (q, 2) for q in QUESTIONS
    ]
    assert [r["reflection"] for r in parts["retro_votes"]] == [ANA_REFLECTION]
    assert len(parts["retros_asked"]) == 4
    assert [r["role"] for r in parts["roles_held"]] == ["scribe"]
    assert [r["change"] for r in parts["role_history"]] == ["assign"]
    assert [r["meeting_date"] for r in parts["role_turns"]] == ["2026-06-23", "2026-07-07"]
    assert sorted(r["team"] for r in parts["working_patterns"]) == ["north", "south"]
    assert [r["reason"] for r in parts["shift_holds"]] == ["pattern"]
    ana = member_export(engine, ANA)["parts"]
    assert SHARED not in str(ana["working_patterns"]) and len(ana["retro_votes"]) == 1


def test_forget_deletes_their_words_pattern_ballots_and_current_role(
    engine: Engine, retros: dict[str, int]
) -> None:
    before = closed_figures(engine, retros)
    roles_history, turns = count(engine, RoleChange), count(engine, RoleTurn)
    taking_part = count(engine, RetroParticipant)

    forget(engine)

    assert traces(engine, [SHARED, *SHAY_REFLECTIONS]) == {}
    # Gone: their pattern, held DMs, ballots, current role, and what they wrote while open.
    assert [p.user_id for p in rows(engine, WorkingPattern)] == [ANA]
    assert rows(engine, ShiftHold) == []
    assert [v.voter for v in rows(engine, RetroVote)] == [ANA]
    assert sorted(h.user_id for h in rows(engine, RoleHolder)) == sorted([ANA, CARA])
    assert rows(engine, Reflection, col(Reflection.retro_id) == retros["reflecting"]) == []
    still_open = rows(engine, HealthAnswer, col(HealthAnswer.retro_id) == retros["reflecting"])
    assert [h.author for h in still_open] == [SAM, SAM]
    # Kept: the closed retrospectives' figures, exactly; their named reflection without words.
    assert closed_figures(engine, retros) == before
    [erased] = rows(engine, Reflection, col(Reflection.votes) == 2)
    assert erased.text == "" and is_former_member(erased.author)
    assert [r.text for r in rows(engine, Reflection, col(Reflection.author).is_(None))] == [
        ANON_REFLECTION,
        ANA_REFLECTION,
    ]
    assert count(engine, RetroParticipant) == taking_part
    assert (count(engine, RoleChange), count(engine, RoleTurn)) == (roles_history, turns)


def test_forget_keeps_the_roles_history_naming_a_former_member(
    engine: Engine, retros: dict[str, int]
) -> None:
    forget(engine)

    changes = rows(engine, RoleChange)
    assert [c.before.get("holders") for c in changes] == [None, [BEN]]
    [former, ana] = changes[1].after["holders"]
    assert is_former_member(former) and ana == ANA
    turns = {t.meeting_date: t for t in rows(engine, RoleTurn)}
    assert all(is_former_member(t.holder) and t.previous == BEN for t in turns.values())
    assert turns[date(2026, 6, 23)].brief_status == TurnDelivery.SENT
    assert turns[date(2026, 7, 7)].brief_status == TurnDelivery.FAILED  # no brief to nobody


def test_no_dm_or_reminder_of_a_retrospective_in_progress_goes_to_a_former_member(
    engine: Engine, retros: dict[str, int]
) -> None:
    forget(engine)

    by_retro = {
        p.retro_id: p for p in rows(engine, RetroParticipant) if is_former_member(p.user_id)
    }
    assert len(by_retro) == 4 and all(p.dm_channel is None for p in by_retro.values())
    assert by_retro[retros["named"]].status == PromptStatus.SENT
    for name in ("voting", "reflecting"):
        assert by_retro[retros[name]].status == PromptStatus.FAILED
        assert by_retro[retros[name]].reflected  # still counted as having taken part
