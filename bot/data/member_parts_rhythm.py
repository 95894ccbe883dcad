"""The parts of `retrobot export --member` from retrospectives, shifts and roles (issue 21).

Like :mod:`bot.data.member_parts` (whose :class:`Part` they are): what the person wrote in a
retrospective, the retrospectives they were asked to and their ballots, when they work and the
DMs held for it, and the roles they hold with the history of each role that names them.

A reflection or health answer on an anonymous retrospective loses its author when reflection
closes, so only those still linked to the person are here: nothing else says they wrote them.
"""

from __future__ import annotations

from sqlalchemy import String, cast, literal, or_
from sqlmodel import col

from bot.data.member_parts import Part
from storage.models import (
    HealthAnswer,
    Reflection,
    RetroParticipant,
    Retrospective,
    RetroVote,
    Role,
    RoleChange,
    RoleHolder,
    RoleTurn,
    ShiftHold,
    WorkingPattern,
)


def _retro_of(table: type) -> tuple[tuple[object, object], ...]:
    return ((Retrospective, col(Retrospective.id) == table.retro_id),)  # type: ignore[attr-defined]


def _role_of(table: type) -> tuple[tuple[object, object], ...]:
    return ((Role, col(Role.id) == table.role_id),)  # type: ignore[attr-defined]


RETROS_ASKED = Part(
    name="retros_asked",
    columns=(
        ("retro_id", Retrospective.id),
        ("team", Retrospective.team_id),
        ("opened_at", Retrospective.opened_at),
        ("retro_status", Retrospective.status),
        ("anonymous", Retrospective.anonymous),
        ("dm", RetroParticipant.status),
        ("reflected", RetroParticipant.reflected),
        ("voted", RetroParticipant.voted),
    ),
    base=RetroParticipant,
    joins=_retro_of(RetroParticipant),
    where=lambda user_id: col(RetroParticipant.user_id) == user_id,
    key=RetroParticipant.id,
    moment=Retrospective.opened_at,
)

REFLECTIONS = Part(
    name="reflections",
    columns=(
        ("retro_id", Reflection.retro_id),
        ("team", Retrospective.team_id),
        ("kind", Reflection.kind),
        ("text", Reflection.text),
        ("votes", Reflection.votes),
        ("shown", literal("team")),
        ("retro_opened_at", Retrospective.opened_at),
    ),
    base=Reflection,
    joins=_retro_of(Reflection),
    where=lambda user_id: col(Reflection.author) == user_id,
    key=Reflection.id,
    moment=Retrospective.opened_at,
)

RETRO_VOTES = Part(
    name="retro_votes",
    columns=(
        ("retro_id", RetroVote.retro_id),
        ("slot", RetroVote.slot),
        ("reflection_id", RetroVote.reflection_id),
        ("reflection", Reflection.text),
    ),
    base=RetroVote,
    joins=((Reflection, col(Reflection.id) == col(RetroVote.reflection_id)),),
    where=lambda user_id: col(RetroVote.voter) == user_id,
    key=RetroVote.id,
)

HEALTH_ANSWERS = Part(
    name="health_answers",
    columns=(
        ("retro_id", HealthAnswer.retro_id),
        ("team", Retrospective.team_id),
        ("question", HealthAnswer.question),
        ("score", HealthAnswer.score),
        ("shown", literal("you")),
        ("retro_opened_at", Retrospective.opened_at),
    ),
    base=HealthAnswer,
    joins=_retro_of(HealthAnswer),
    where=lambda user_id: col(HealthAnswer.author) == user_id,
    key=HealthAnswer.id,
    moment=Retrospective.opened_at,
)

WORKING_PATTERNS = Part(
    name="working_patterns",
    columns=(
        ("team", WorkingPattern.team_id),
        ("kind", WorkingPattern.kind),
        ("days", WorkingPattern.days),
        ("starts", WorkingPattern.starts),
        ("ends", WorkingPattern.ends),
        ("timezone", WorkingPattern.timezone),
        ("updated_at", WorkingPattern.updated_at),
    ),
    base=WorkingPattern,
    where=lambda user_id: col(WorkingPattern.user_id) == user_id,
    key=WorkingPattern.id,
    moment=WorkingPattern.updated_at,
)

SHIFT_HOLDS = Part(
    name="shift_holds",
    columns=(
        ("team", ShiftHold.team_id),
        ("dm", ShiftHold.kind),
        ("reason", ShiftHold.reason),
        ("send_at", ShiftHold.send_at),
        ("deadline", ShiftHold.deadline),
        ("decided_at", ShiftHold.decided_at),
    ),
    base=ShiftHold,
    where=lambda user_id: col(ShiftHold.user_id) == user_id,
    key=ShiftHold.id,
    moment=ShiftHold.decided_at,
)

ROLES_HELD = Part(
    name="roles_held",
    columns=(
        ("team", Role.team_id),
        ("role", Role.key),
        ("name", Role.name),
        ("purpose", Role.purpose),
        ("accountabilities", Role.accountabilities),
        ("since", RoleHolder.since),
    ),
    base=RoleHolder,
    joins=_role_of(RoleHolder),
    where=lambda user_id: col(RoleHolder.user_id) == user_id,
    key=RoleHolder.id,
    moment=RoleHolder.since,
)


def _named_in_change(user_id: str) -> object:
    """A change whose holders before or after include the person."""
    quoted = f'"{user_id}"'
    return or_(
        cast(RoleChange.before, String).contains(quoted, autoescape=True),
        cast(RoleChange.after, String).contains(quoted, autoescape=True),
    )


ROLE_HISTORY = Part(
    name="role_history",
    columns=(
        ("team", RoleChange.team_id),
        ("role", Role.key),
        ("change", RoleChange.kind),
        ("decision_id", RoleChange.decision_id),
        ("meeting_date", RoleChange.meeting_date),
        ("before", RoleChange.before),
        ("after", RoleChange.after),
        ("shown", literal("team")),
        ("changed_at", RoleChange.changed_at),
    ),
    base=RoleChange,
    joins=_role_of(RoleChange),
    where=_named_in_change,  # type: ignore[arg-type]
    key=RoleChange.id,
    moment=RoleChange.changed_at,
)

ROLE_TURNS = Part(
    name="role_turns",
    columns=(
        ("team", RoleTurn.team_id),
        ("role", Role.key),
        ("meeting_date", RoleTurn.meeting_date),
        ("holder", RoleTurn.holder),
        ("previous", RoleTurn.previous),
        ("rotated", RoleTurn.rotated),
        ("brief", RoleTurn.brief_status),
        ("briefed_at", RoleTurn.briefed_at),
    ),
    base=RoleTurn,
    joins=_role_of(RoleTurn),
    where=lambda user_id: or_(col(RoleTurn.holder) == user_id, col(RoleTurn.previous) == user_id),
    key=RoleTurn.id,
    moment=RoleTurn.meeting_at,
)
