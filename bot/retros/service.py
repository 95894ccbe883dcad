"""Retrospectives in the database: opening one, reflecting in it, closing reflection.

The rules that keep people's words safe live here (DESIGN.md, Retrospective and team health;
issue 18, Privacy). Who took part (``retro_participant``) is recorded apart from what anyone
wrote. While reflection is open a reflection keeps its author, so that its author can edit it;
when it closes, an anonymous retrospective's reflections and every health answer lose theirs.
Votes are secret until voting closes; then they are counted onto the reflections and the
ballots deleted. Each change of phase is one conditional UPDATE of the retrospective's row, and
every reflection saved or vote cast first touches that row in the same transaction, so a save
racing a close either lands before it or is refused — never after it.

Voting and its close are in bot.retros.voting, what the scheduler claims in bot.retros.rounds,
and what a retrospective shows in bot.retros.figures. Nothing here knows Slack or Jinja: use
cases pass plain values in and render what comes back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checkins.rounds import sensible_from
from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    StaleActionError,
)
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from bot.retros.model import (
    IN_PROGRESS,
    KINDS,
    REFLECTION_LIMIT,
    REFLECTION_OPEN_FOR,
    REFLECTIONS_PER_KIND,
    VOTING_OPEN_FOR,
    OwnReflection,
    period_length,
)
from storage import claims
from storage.models import (
    HealthAnswer,
    Member,
    PromptStatus,
    Reflection,
    ReflectionKind,
    RetroParticipant,
    Retrospective,
    RetroStatus,
)

_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s+")


class RetroOffError(NotAllowedError):
    """app.yaml turns the team's retrospective off."""


class NoRetroError(NotFoundError):
    """The team has no retrospective in progress (or the one asked for is gone)."""


class AlreadyOpenError(StaleActionError):
    """The team's retrospective is already in progress; nothing was opened twice."""

    def __init__(self, retro: Retrospective) -> None:
        self.retro = Retrospective.model_validate(retro.model_dump())  # readable after rollback
        super().__init__("The team's retrospective is already open.")


class PhaseOverError(StaleActionError):
    """Reflection (or voting) has closed; ``retro`` says where it stands now (a copy that stays
    readable after the session that found it rolls back)."""

    def __init__(self, retro: Retrospective, message: str) -> None:
        self.retro = Retrospective.model_validate(retro.model_dump())
        super().__init__(message)


class OutOfVotesError(StaleActionError):
    """The person has used their three votes; they can take one back to vote elsewhere."""


def team_with_retro(config: AppConfig, team_id: str) -> TeamConfig:
    """The team, when app.yaml gives it a retrospective; RetroOffError otherwise."""
    team = config.team(team_id)
    if team.retro is None:
        raise RetroOffError(f"{team.name}'s retrospective is off in app.yaml (retro: off).")
    return team


def member_of(config: AppConfig, *, retro: Retrospective, user_id: str) -> TeamConfig:
    """The retrospective's team, when ``user_id`` is one of its members; NotAllowedError else."""
    team = config.find_team(retro.team_id)
    if team is None or user_id not in team.member_ids:
        raise NotAllowedError(
            "Only the team's members reflect and vote in its retrospective; "
            "coaches see counts and health averages."
        )
    return team


# --- finding retrospectives -------------------------------------------------------------------


def retro_by_id(session: Session, retro_id: int) -> Retrospective:
    """The retrospective as stored now; NoRetroError when it is gone."""
    retro = session.get(Retrospective, retro_id, populate_existing=True)
    if retro is None:
        raise NoRetroError("That retrospective no longer exists.")
    return retro


# Built once: the App Home and each reflection ask it (building it cost about as much CPU as
# running it).
_IN_PROGRESS = select(Retrospective).where(
    Retrospective.team_id == bindparam("team_id"), col(Retrospective.status).in_(IN_PROGRESS)
)


def in_progress(session: Session, *, team_id: str) -> Retrospective | None:
    """The team's retrospective that is reflecting or voting, if any."""
    return session.exec(_IN_PROGRESS, params={"team_id": team_id}).first()


def latest(
    session: Session, *, team_id: str, before: datetime | None = None
) -> Retrospective | None:
    """The team's latest retrospective (opened before ``before``, when given)."""
    statement = select(Retrospective).where(Retrospective.team_id == team_id)
    if before is not None:
        statement = statement.where(Retrospective.opened_at < before)
    return session.exec(
        statement.order_by(col(Retrospective.opened_at).desc(), col(Retrospective.id).desc())
    ).first()


def last_opened(session: Session, *, team_ids: Sequence[str]) -> dict[str, datetime]:
    """When each team's latest retrospective opened, in one statement."""
    if not team_ids:
        return {}
    statement = (
        select(Retrospective.team_id, func.max(Retrospective.opened_at))
        .where(col(Retrospective.team_id).in_(list(team_ids)))
        .group_by(col(Retrospective.team_id))
    )
    return dict(session.exec(statement).all())


def current_for(
    session: Session, *, teams: Sequence[TeamConfig], channel_id: str | None = None
) -> Retrospective | None:
    """The retrospective in progress a person most likely means: their team's in this channel,
    else the first of their teams' (in app.yaml's order)."""
    ordered = sorted(teams, key=lambda team: team.channel != channel_id)
    for team in ordered:
        retro = in_progress(session, team_id=team.id)
        if retro is not None:
            return retro
    return None


# --- opening ----------------------------------------------------------------------------------


def open_retro(session: Session, *, team: TeamConfig, now: datetime) -> Retrospective:
    """Open the team's retrospective now: the period since the last one, every active member
    asked (those away are recorded, not asked). AlreadyOpenError when one is in progress."""
    if team.retro is None:
        raise RetroOffError(f"{team.name}'s retrospective is off in app.yaml (retro: off).")
    previous = latest(session, team_id=team.id)
    length = period_length(team)
    start = now - length
    if previous is not None and start - length < previous.opened_at < now:
        start = previous.opened_at  # the period runs on from the last retrospective
    retro = Retrospective(
        team_id=team.id,
        status=RetroStatus.REFLECTING,
        in_progress_team=team.id,
        anonymous=team.retro.anonymous,
        health_questions=list(team.health),
        period_start=start,
        opened_at=now,
        reflection_closes_at=now + REFLECTION_OPEN_FOR,
        channel=team.channel,
        created_at=now,
    )
    session.add(retro)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        found = in_progress(session, team_id=team.id)
        if found is None:
            raise
        raise AlreadyOpenError(found) from None
    assert retro.id is not None
    members = session.exec(
        select(Member).where(Member.team_id == team.id, col(Member.active)).order_by(Member.id)
    ).all()
    today = now.astimezone(team.zone).date()
    session.add_all(
        RetroParticipant(
            retro_id=retro.id,
            user_id=member.user_id,
            status=PromptStatus.AWAY
            if member.away_until is not None and member.away_until >= today
            else PromptStatus.PENDING,
            not_before=sensible_from(now, team.zone_of(member.user_id)),
        )
        for member in members
    )
    session.commit()
    return retro


# --- reflecting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReflectionDraft:
    """The Reflect modal's contents, checked: each kind's reflections (one a line) and the
    health scores by question."""

    texts: dict[ReflectionKind, list[str]]
    scores: dict[str, int]


def split_reflections(text: str) -> list[str]:
    """One reflection a line; list bullets and numbers are dropped, blank lines ignored."""
    lines = (_BULLET.sub("", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def check_reflection(
    *,
    questions: Sequence[str],
    texts: Mapping[ReflectionKind, str | None],
    scores: Mapping[int, str | None],
) -> ReflectionDraft:
    """Check what was typed in the Reflect modal; InvalidInputError names each field at fault
    (``went_well``, ``could_be_better``, ``idea``, ``health:<n>``)."""
    errors: dict[str, str] = {}
    checked: dict[ReflectionKind, list[str]] = {}
    for kind in KINDS:
        clean = normalise_input(texts.get(kind))
        lines = split_reflections(clean)
        checked[kind] = lines
        too_long = [line for line in lines if len(line) > REFLECTION_LIMIT]
        if len(lines) > REFLECTIONS_PER_KIND:
            errors[kind.value] = (
                f"That's {len(lines)} lines; please keep to {REFLECTIONS_PER_KIND} here "
                "(one reflection a line) — pick the ones that matter most."
            )
        elif too_long:
            errors[kind.value] = (
                f"One line is {len(too_long[0]):,} characters; please keep each reflection "
                f"under {REFLECTION_LIMIT} (one reflection a line)."
            )
        elif found := find_client_identifiers(clean):
            errors[kind.value] = describe_client_identifiers(found)
    if not any(checked.values()) and not errors:
        errors[ReflectionKind.WENT_WELL.value] = (
            "Write at least one reflection — what went well, what could be better, or an idea "
            "to try. One line is enough."
        )
    chosen: dict[str, int] = {}
    for index, question in enumerate(questions):
        raw = scores.get(index)
        if raw in (None, ""):
            continue
        if raw not in ("1", "2", "3", "4", "5"):
            errors[f"health:{index}"] = "Choose from 1 to 5."
        else:
            chosen[question] = int(raw)
    if errors:
        raise InvalidInputError(errors)
    return ReflectionDraft(texts=checked, scores=chosen)


def hold_row(session: Session, retro_id: int, status: RetroStatus) -> bool:
    """Touch the retrospective's row if it is in ``status``: on PostgreSQL this takes its row
    lock (on SQLite, the write lock) until the transaction ends, so a close waits for it."""
    held = session.exec(
        update(Retrospective)
        .where(col(Retrospective.id) == retro_id, col(Retrospective.status) == status)
        .values(status=status)
    )
    return bool(held.rowcount)


def reflectable(
    session: Session, *, config: AppConfig, retro_id: int, user_id: str
) -> tuple[Retrospective, TeamConfig]:
    """A retrospective the person may reflect in now; PhaseOverError once reflection closed."""
    retro = retro_by_id(session, retro_id)
    team = member_of(config, retro=retro, user_id=user_id)
    if retro.status != RetroStatus.REFLECTING:
        raise PhaseOverError(retro, "Reflection has closed, so reflections can't change now.")
    return retro, team


def own_reflection(session: Session, *, retro_id: int, user_id: str) -> OwnReflection:
    """The person's reflections (one a line, by kind) and health answers so far."""
    rows = session.exec(
        select(Reflection)
        .where(Reflection.retro_id == retro_id, Reflection.author == user_id)
        .order_by(col(Reflection.id))
    ).all()
    texts = {kind: "\n".join(r.text for r in rows if r.kind == kind) for kind in KINDS}
    answers = session.exec(
        select(HealthAnswer.question, HealthAnswer.score).where(
            HealthAnswer.retro_id == retro_id, HealthAnswer.author == user_id
        )
    ).all()
    return OwnReflection(texts=texts, scores=dict(answers))


def save_reflection(
    session: Session,
    *,
    config: AppConfig,
    retro_id: int,
    user_id: str,
    draft: ReflectionDraft,
    request_key: str | None = None,
    now: datetime,
) -> Retrospective | None:
    """Store the person's reflections and health answers, replacing what they gave before.

    A line kept as it was keeps its reflection; changed lines change theirs in place; new lines
    add reflections; removed ones go. None when this very submission was stored already (the
    modal's view id, ``request_key``, is claimed with it). PhaseOverError once reflection closed.
    """
    retro, _ = reflectable(session, config=config, retro_id=retro_id, user_id=user_id)
    if request_key and not claims.claim_request(session, f"retro-reflect:{request_key}", now=now):
        return None
    if not hold_row(session, retro_id, RetroStatus.REFLECTING):
        session.rollback()
        raise PhaseOverError(
            retro_by_id(session, retro_id),
            "Reflection closed a moment ago, so this couldn't be added.",
        )
    existing = session.exec(
        select(Reflection)
        .where(Reflection.retro_id == retro_id, Reflection.author == user_id)
        .order_by(col(Reflection.id))
    ).all()
    for kind in KINDS:
        _replace_kind(
            session,
            retro_id=retro_id,
            user_id=user_id,
            kind=kind,
            rows=[r for r in existing if r.kind == kind],
            wanted=draft.texts[kind],
        )
    session.exec(
        delete(HealthAnswer).where(
            col(HealthAnswer.retro_id) == retro_id, col(HealthAnswer.author) == user_id
        )
    )
    questions = set(retro.health_questions)
    session.add_all(
        HealthAnswer(retro_id=retro_id, question=question, score=score, author=user_id)
        for question, score in draft.scores.items()
        if question in questions
    )
    mark_participant(session, retro_id=retro_id, user_id=user_id, reflected=True)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return retro_by_id(session, retro_id)


def _replace_kind(
    session: Session,
    *,
    retro_id: int,
    user_id: str,
    kind: ReflectionKind,
    rows: list[Reflection],
    wanted: list[str],
) -> None:
    """Make the person's reflections of one kind ``wanted``, keeping the rows that stay."""
    unmatched = list(wanted)
    changed = []
    for row in rows:
        if row.text in unmatched:
            unmatched.remove(row.text)
        else:
            changed.append(row)
    for row, text in zip(changed, unmatched, strict=False):
        row.text = text
        session.add(row)
    for row in changed[len(unmatched) :]:
        session.delete(row)
    session.add_all(
        Reflection(retro_id=retro_id, kind=kind, text=text, author=user_id)
        for text in unmatched[len(changed) :]
    )


def mark_participant(
    session: Session,
    *,
    retro_id: int,
    user_id: str,
    reflected: bool | None = None,
    voted: bool | None = None,
) -> None:
    """Record that the person reflected (or voted, or no longer has a vote cast); a member not
    asked at the opening (they joined since) gets a row of their own."""
    participant = session.exec(
        select(RetroParticipant).where(
            RetroParticipant.retro_id == retro_id, RetroParticipant.user_id == user_id
        )
    ).first()
    if participant is None:
        participant = RetroParticipant(
            retro_id=retro_id, user_id=user_id, status=PromptStatus.SKIPPED
        )
    if reflected is not None:
        participant.reflected = reflected
    if voted is not None:
        participant.voted = voted
    session.add(participant)


# --- closing reflection -----------------------------------------------------------------------


def close_reflection(session: Session, *, retro_id: int, now: datetime) -> Retrospective | None:
    """Close reflection and open voting (or close the retrospective, when nobody reflected).

    An anonymous retrospective's reflections lose their authors, and every health answer its
    author: from here nothing links them to anyone. None when reflection was closed already.
    """
    has_reflections = (
        session.exec(select(Reflection.id).where(Reflection.retro_id == retro_id).limit(1)).first()
        is not None
    )
    values: dict = {"reflection_closed_at": now}
    if has_reflections:
        values |= {"status": RetroStatus.VOTING, "voting_closes_at": now + VOTING_OPEN_FOR}
    else:
        values |= {"status": RetroStatus.CLOSED, "voting_closed_at": now, "in_progress_team": None}
    closed = session.exec(
        update(Retrospective)
        .where(
            col(Retrospective.id) == retro_id,
            col(Retrospective.status) == RetroStatus.REFLECTING,
        )
        .values(**values)
    )
    if not closed.rowcount:
        session.rollback()
        return None
    retro = retro_by_id(session, retro_id)
    if retro.anonymous:
        session.exec(
            update(Reflection).where(col(Reflection.retro_id) == retro_id).values(author=None)
        )
    session.exec(
        update(HealthAnswer).where(col(HealthAnswer.retro_id) == retro_id).values(author=None)
    )
    session.commit()
    return retro_by_id(session, retro_id)
