"""Rotation: who holds each rotating role (and the facilitator role) at a team's next meeting.

Decided once per role and meeting, when the meeting's check-in opens, and recorded in
``role_turn`` (unique per role and meeting), so a restart or a second scheduler rotates nothing
twice. Done for many teams at once with a fixed number of queries per batch, never per team:
an organisation of 1,000 teams rotates its facilitators in one scheduler tick.

Among the team's members in app.yaml's order, the role passes to the next one after its holder
who is not away at the meeting; if everyone else is away, the holder keeps it (and the channel
is told). ``every meeting`` passes it at each meeting; ``every N weeks`` at the first meeting
N weeks or more after it last passed (or after its first turn).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, insert, or_
from sqlmodel import Session, col, select

from bot.core.config import TeamConfig, parse_rotation
from bot.core.meetings import Meeting, next_meeting
from bot.roles.model import FACILITATOR, KeptReason, TurnPlan
from bot.roles.service import holders_of, replace_holders
from storage.models import (
    Member,
    Role,
    RoleChange,
    RoleChangeKind,
    RoleTurn,
    TurnDelivery,
)


def next_holder(
    order: Sequence[str], current: Sequence[str], away: Collection[str]
) -> tuple[str | None, KeptReason | None]:
    """Who takes the role next: the first member after its (first) holder in ``order`` who is
    not away; the holder again, with the reason, when everyone else is away."""
    holder = current[0] if current else None
    start = order.index(holder) + 1 if holder in order else 0
    for step in range(len(order)):
        candidate = order[(start + step) % len(order)]
        if candidate not in away and candidate != holder:
            return candidate, None
    return holder, KeptReason.ALL_AWAY


def _due(weeks: int, meeting: date, first: date | None, last_rotated: date | None) -> bool:
    """True when a role rotating every ``weeks`` (0: every meeting) passes on at ``meeting``."""
    since = last_rotated or first
    if since is None:
        return False  # its first turn: whoever holds it starts
    return weeks == 0 or meeting >= since + timedelta(weeks=weeks)


def _turn_history(
    session: Session, role_ids: list[int]
) -> dict[int, tuple[date | None, date | None, date | None]]:
    """Per role: its latest turn's meeting, its first, and the latest at which it passed on."""
    if not role_ids:
        return {}
    rows = session.execute(
        select(
            RoleTurn.role_id,
            func.max(RoleTurn.meeting_date),
            func.min(RoleTurn.meeting_date),
            func.max(case((col(RoleTurn.rotated).is_(True), RoleTurn.meeting_date))),
        )
        .where(col(RoleTurn.role_id).in_(role_ids))
        .group_by(col(RoleTurn.role_id))
    )
    return {role_id: (latest, first, rotated) for role_id, latest, first, rotated in rows}


def _away(session: Session, meetings: dict[str, Meeting]) -> dict[str, set[str]]:
    """Per team, the members away at its coming meeting (one query for every team)."""
    if not meetings:
        return {}
    earliest = min(meeting.date for meeting in meetings.values())
    rows = session.exec(
        select(Member.team_id, Member.user_id, Member.away_until).where(
            col(Member.team_id).in_(list(meetings)),
            col(Member.away_until).is_not(None),
            col(Member.away_until) >= earliest,
        )
    )
    away: dict[str, set[str]] = {}
    for team_id, user_id, until in rows:
        if until is not None and meetings[team_id].date <= until:
            away.setdefault(team_id, set()).add(user_id)
    return away


def due_meetings(teams: Sequence[TeamConfig], now: datetime) -> dict[str, Meeting]:
    """The teams whose coming meeting's check-in has opened: their roles' turns are due."""
    due = {}
    for team in teams:
        meeting = next_meeting(team, now)
        if meeting.checkin_opens(team) <= now:
            due[team.id] = meeting
    return due


def plan_turns(session: Session, *, teams: Sequence[TeamConfig], now: datetime) -> list[TurnPlan]:
    """The turns to record now: one per rotating (or facilitator) role of each team whose
    coming meeting's check-in has opened, for which none is recorded yet. Four queries."""
    meetings = due_meetings(teams, now)
    if not meetings:
        return []
    roles = list(
        session.exec(
            select(Role)
            .where(
                col(Role.team_id).in_(list(meetings)),
                col(Role.active).is_(True),
                or_(col(Role.rotation) != "", col(Role.key) == FACILITATOR),
            )
            .order_by(col(Role.team_id), col(Role.id))
        )
    )
    role_ids = [role.id for role in roles if role.id is not None]
    history = _turn_history(session, role_ids)
    holders = holders_of(session, role_ids)
    away = _away(session, meetings)
    by_id = {team.id: team for team in teams}
    plans = []
    for role in roles:
        assert role.id is not None
        meeting = meetings[role.team_id]
        latest, first, last_rotated = history.get(role.id, (None, None, None))
        if latest is not None and latest >= meeting.date:
            continue  # this meeting's turn is recorded already
        plans.append(
            _plan(
                role,
                meeting,
                team=by_id[role.team_id],
                current=holders.get(role.id, []),
                away=away.get(role.team_id, set()),
                first=first,
                last_rotated=last_rotated,
            )
        )
    return plans


def _plan(
    role: Role,
    meeting: Meeting,
    *,
    team: TeamConfig,
    current: list[str],
    away: set[str],
    first: date | None,
    last_rotated: date | None,
) -> TurnPlan:
    """One role's turn at one meeting."""
    assert role.id is not None
    order = [m for m in team.member_ids if m not in team.coach_ids]
    holder: str | None = current[0] if current else None
    rotated, reason = False, None
    if role.rotation:
        weeks = parse_rotation(role.rotation)
        if holder is None or _due(weeks, meeting.date, first, last_rotated):
            chosen, reason = next_holder(order, current, away)
            rotated = chosen is not None and chosen != holder
            holder = chosen
    return TurnPlan(
        team_id=role.team_id,
        role_id=role.id,
        role_key=role.key,
        role_name=role.name,
        meeting_date=meeting.date,
        meeting_at=meeting.at,
        holder=holder,
        previous=tuple(current),
        rotated=rotated,
        kept_reason=reason,
    )


def record_turns(session: Session, *, plans: Sequence[TurnPlan], now: datetime) -> None:
    """Record the turns, and pass on the roles that rotated (holders and history): a fixed
    number of statements for the whole batch. Flushed, not committed."""
    if not plans:
        return
    moved = [p for p in plans if p.rotated and p.holder is not None]
    replace_holders(session, {p.role_id: [p.holder] for p in moved if p.holder}, now)
    if moved:
        session.execute(
            insert(RoleChange.__table__),  # type: ignore[attr-defined]
            [
                {
                    "team_id": p.team_id,
                    "role_id": p.role_id,
                    "kind": RoleChangeKind.ROTATE,
                    "decision_id": None,
                    "meeting_date": p.meeting_date,
                    "before": {"holders": list(p.previous)},
                    "after": {"holders": [p.holder]},
                    "changed_at": now,
                }
                for p in moved
            ],
        )
    # Core inserts of the tables (not the ORM's bulk insert, which may go row by row): one
    # executemany per table for the whole batch.
    session.execute(insert(RoleTurn.__table__), [_turn_row(p, now) for p in plans])  # type: ignore[attr-defined]
    session.flush()


def _turn_row(plan: TurnPlan, now: datetime) -> dict[str, object]:
    """The role_turn row of a plan: to announce when the role moved or could not move, and a
    brief to send when it is the facilitator's."""
    announce = plan.rotated or plan.kept_reason is not None
    brief = plan.role_key == FACILITATOR and plan.holder is not None
    return {
        "team_id": plan.team_id,
        "role_id": plan.role_id,
        "meeting_date": plan.meeting_date,
        "meeting_at": plan.meeting_at,
        "holder": plan.holder,
        "previous": plan.previous[0] if plan.previous else None,
        "rotated": plan.rotated,
        "kept_reason": plan.kept_reason.value if plan.kept_reason else None,
        "announce_status": TurnDelivery.PENDING if announce else None,
        "brief_status": TurnDelivery.PENDING if brief else None,
        "created_at": now,
    }
