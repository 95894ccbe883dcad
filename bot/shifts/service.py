"""Shifts' rules: when a scheduled DM may go, and the database's part — each member's working
pattern, and the decisions to hold a DM (or to skip it, off shift) that every process honours.

:func:`next_send_time` is the one rule every scheduled DM follows (the check-in and its
reminder, advice requests and objection rounds, feedback request reminders, reflections): the
DM goes now, or at the start of the person's next working time, or when their do-not-disturb
ends — the latest of these — provided that is still before the DM's deadline; otherwise it does
not go, and is recorded as off shift. Every function here takes the session and ``now``;
nothing talks to Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from bot.shifts.model import DND, PATTERN, Decision, Dnd, Pattern, PatternDraft
from storage.models import (
    Advice,
    AskStatus,
    CheckinPrompt,
    CheckinRound,
    Member,
    Objection,
    PromptStatus,
    Proposal,
    ProposalStatus,
    RetroParticipant,
    RoundStatus,
    ShiftHold,
    WorkingPattern,
)

# At most this many alternations of working time and do-not-disturb are followed: a real week
# has a handful; more means a pattern and a DND that keep pushing each other to the deadline.
MAX_STEPS = 16
# Rows named per statement (well inside SQLite's and PostgreSQL's bound-parameter limits).
CHUNK = 500

# --- The rule -------------------------------------------------------------------------------


def next_send_time(
    pattern: Pattern | None,
    dnd: Dnd | None,
    now: datetime,
    deadline: datetime,
    zone: ZoneInfo | None = None,
) -> datetime | None:
    """When a scheduled DM may go: ``now`` when the person is working (or has no pattern) and
    not in do-not-disturb, else the first moment they are both; None when that moment is not
    before ``deadline`` (the DM is then skipped, off shift).

    ``zone`` reads the pattern's hours in another zone than the one it was set in (rarely
    wanted: a pattern carries the zone its person chose it in).
    """
    return decide(pattern, dnd, now=now, deadline=deadline, zone=zone).send_at


def decide(
    pattern: Pattern | None,
    dnd: Dnd | None,
    *,
    now: datetime,
    deadline: datetime,
    zone: ZoneInfo | None = None,
) -> Decision:
    """:func:`next_send_time`, with what held the DM (for the record and the report)."""
    if pattern is not None and zone is not None and zone.key != pattern.zone.key:
        pattern = Pattern(pattern.kind, pattern.days, pattern.starts, pattern.ends, zone)
    moment = now
    reasons: set[str] = set()
    for _ in range(MAX_STEPS):
        if moment >= deadline:
            break
        if pattern is not None:
            working = pattern.next_working(moment)
            if working is None:
                return Decision(None, deadline, PATTERN)
            if working > moment:
                reasons.add(PATTERN)
                moment = working
        quiet = dnd.quiet_until(moment) if dnd is not None else None
        if quiet is None or quiet <= moment:
            break
        reasons.add(DND)
        moment = quiet
    else:
        moment = deadline  # they kept pushing each other on: treat as never before it
    reason = "+".join(sorted(reasons))
    return Decision(moment if moment < deadline else None, deadline, reason)


# --- Working patterns -------------------------------------------------------------------------


# Built once: the App Home asks these on every publish (building one cost about as much CPU as
# running it).
_PATTERN_ROW = (
    select(WorkingPattern)
    .where(WorkingPattern.user_id == bindparam("user_id"))
    .order_by(col(WorkingPattern.id))
    .limit(1)
)
_MEMBER_TEAMS = (
    select(Member.team_id, Member.timezone)
    .where(Member.user_id == bindparam("user_id"), col(Member.active))
    .order_by(col(Member.team_id))
)
_WAITING_HOLDS = (
    select(ShiftHold)
    .where(
        ShiftHold.user_id == bindparam("user_id"),
        col(ShiftHold.send_at) > bindparam("now"),
        col(ShiftHold.deadline) > bindparam("now"),
    )
    .order_by(col(ShiftHold.send_at))
)


def pattern_row(session: Session, *, user_id: str) -> WorkingPattern | None:
    """The person's stored pattern (any of their teams' rows: they always agree)."""
    return session.exec(_PATTERN_ROW, params={"user_id": user_id}).first()


def patterns_of(session: Session, user_ids: Iterable[str]) -> dict[str, Pattern]:
    """The working pattern of each of these people who set one."""
    found: dict[str, Pattern] = {}
    wanted = sorted(set(user_ids))
    for start in range(0, len(wanted), CHUNK):
        rows = session.exec(
            select(WorkingPattern).where(
                col(WorkingPattern.user_id).in_(wanted[start : start + CHUNK])
            )
        )
        for row in rows:
            found.setdefault(row.user_id, Pattern.of(row))
    return found


def member_teams(session: Session, *, user_id: str) -> list[tuple[str, str | None]]:
    """The teams the person is an active member of (app.yaml's or a user group's), with the
    time zone each gives them."""
    return [
        (team_id, zone)
        for team_id, zone in session.exec(_MEMBER_TEAMS, params={"user_id": user_id})
    ]


def save_pattern(
    session: Session,
    *,
    user_id: str,
    draft: PatternDraft,
    zone: ZoneInfo,
    team_ids: Sequence[str],
    now: datetime,
) -> WorkingPattern:
    """Store the person's pattern in each of their teams (one row each, replaced when set
    again, so a submission that arrives twice is stored once) and let go of the DMs held for
    the old one; commits. Returns one of the rows."""
    values = {
        "kind": draft.kind,
        "days": list(draft.days),
        "starts": draft.starts,
        "ends": draft.ends,
        "timezone": zone.key,
        "updated_at": now,
    }
    existing = {
        row.team_id: row
        for row in session.exec(select(WorkingPattern).where(WorkingPattern.user_id == user_id))
    }
    for team_id in team_ids:
        row = existing.get(team_id)
        if row is None:
            session.add(WorkingPattern(team_id=team_id, user_id=user_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    release_holds(session, user_id=user_id, now=now)
    session.commit()
    saved = pattern_row(session, user_id=user_id)
    assert saved is not None
    return saved


def clear_pattern(session: Session, *, user_id: str, now: datetime) -> bool:
    """Forget the person's pattern (DMs then follow only their do-not-disturb) and let go of the
    DMs held for it; commits. False when there was none."""
    removed = session.exec(  # type: ignore[call-overload]
        delete(WorkingPattern).where(col(WorkingPattern.user_id) == user_id)
    ).rowcount
    release_holds(session, user_id=user_id, now=now)
    session.commit()
    return bool(removed)


def release_holds(session: Session, *, user_id: str, now: datetime) -> None:
    """Forget the decisions still ahead for the person's DMs, so the next run decides them
    again by their new pattern: a check-in held or skipped in an open round is pending again,
    an ask skipped on an open proposal is pending again. Does not commit."""
    held = session.exec(
        select(ShiftHold.kind, ShiftHold.ref_id).where(
            ShiftHold.user_id == user_id, col(ShiftHold.deadline) > now
        )
    ).all()
    prompts = [ref for kind, ref in held if kind == CHECKIN]
    if prompts:
        open_rounds = select(CheckinRound.id).where(
            col(CheckinRound.status) == RoundStatus.OPEN, col(CheckinRound.meeting_at) > now
        )
        session.exec(  # type: ignore[call-overload]
            update(CheckinPrompt)
            .where(
                col(CheckinPrompt.id).in_(prompts),
                col(CheckinPrompt.round_id).in_(open_rounds),
                col(CheckinPrompt.status).in_([PromptStatus.PENDING, PromptStatus.OFF_SHIFT]),
            )
            .values(status=PromptStatus.PENDING, not_before=None)
            .execution_options(synchronize_session=False)
        )
    for model in (Advice, Objection):
        open_proposals = select(Proposal.id).where(col(Proposal.status) == ProposalStatus.OPEN)
        session.exec(  # type: ignore[call-overload]
            update(model)
            .where(
                col(model.user_id) == user_id,
                col(model.status) == AskStatus.OFF_SHIFT,
                col(model.proposal_id).in_(open_proposals),
            )
            .values(status=AskStatus.PENDING)
            .execution_options(synchronize_session=False)
        )
    session.exec(  # type: ignore[call-overload]
        delete(ShiftHold).where(col(ShiftHold.user_id) == user_id, col(ShiftHold.deadline) > now)
    )


# --- The decisions recorded -------------------------------------------------------------------

# The kinds of scheduled DM (shift_hold.kind) whose own rows these rules also mark.
CHECKIN = "checkin"
CHECKIN_REMINDER = "checkin_reminder"
REFLECTION = "reflection"
ADVICE = "advice"
ROUND = "round"


@dataclass(frozen=True)
class Held:
    """One scheduled DM that does not go now: its kind and row, its person and team, and the
    decision (a later time, or off shift)."""

    kind: str
    ref_id: int
    user_id: str
    team_id: str | None
    decision: Decision


def holds_of(session: Session, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], ShiftHold]:
    """The decisions recorded for these DMs (kind, row id), by key."""
    by_kind: dict[str, list[int]] = {}
    for kind, ref_id in set(keys):
        by_kind.setdefault(kind, []).append(ref_id)
    found: dict[tuple[str, int], ShiftHold] = {}
    for kind, refs in by_kind.items():
        refs.sort()
        for start in range(0, len(refs), CHUNK):
            rows = session.exec(
                select(ShiftHold).where(
                    ShiftHold.kind == kind, col(ShiftHold.ref_id).in_(refs[start : start + CHUNK])
                )
            )
            for row in rows:
                found[(row.kind, row.ref_id)] = row
    return found


def record_holds(session: Session, held: Sequence[Held], *, now: datetime) -> None:
    """Record each decision (replacing an earlier one for the same DM); commits."""
    if not held:
        return
    rows = [
        {
            "kind": item.kind,
            "ref_id": item.ref_id,
            "user_id": item.user_id,
            "team_id": item.team_id,
            "send_at": item.decision.send_at,
            "deadline": item.decision.deadline,
            "reason": item.decision.reason,
            "decided_at": now,
        }
        for item in held
    ]
    table = ShiftHold.__table__  # type: ignore[attr-defined]
    # Each dialect imported where it is used: PostgreSQL's (with all its drivers) costs a tenth
    # of a second, which SQLite's workers and commands need not pay.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as maker
    else:
        from sqlalchemy.dialects.sqlite import insert as maker
    for start in range(0, len(rows), CHUNK):
        statement = maker(table)
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "ref_id"],
            set_={
                name: statement.excluded[name]
                for name in ("user_id", "team_id", "send_at", "deadline", "reason", "decided_at")
            },
        )
        session.execute(statement, rows[start : start + CHUNK])
    session.commit()


def hold_checkin_prompts(session: Session, held: Sequence[Held]) -> None:
    """Mark check-in prompts: a later time as the prompt's ``not_before`` (the sweep sends it
    then), off shift as its status; a prompt answered, skipped or away meanwhile is left be.
    Commits."""
    _hold_prompts(session, held, CheckinPrompt.__table__)  # type: ignore[attr-defined]


def hold_reflection_dms(session: Session, held: Sequence[Held]) -> None:
    """Mark a retrospective's reflection DMs as check-in prompts are marked: a later time as
    the participant's ``not_before`` (the next send picks it up then), off shift as its status
    (no DM; they can still reflect from their App Home or with `/retro`). Commits."""
    _hold_prompts(session, held, RetroParticipant.__table__)  # type: ignore[attr-defined]


def _hold_prompts(session: Session, held: Sequence[Held], table: Any) -> None:
    later = [{"pid": h.ref_id, "at": h.decision.send_at} for h in held if not h.decision.off_shift]
    off = [h.ref_id for h in held if h.decision.off_shift]
    # Equalities, not IN: an expanding IN cannot go in an executemany.
    waiting = (table.c.status == PromptStatus.PENDING.value) | (
        table.c.status == PromptStatus.FAILED.value
    )
    if later:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"), waiting)
            .values(status=PromptStatus.PENDING.value, not_before=bindparam("at")),
            later,
        )
    for start in range(0, len(off), CHUNK):
        session.execute(
            update(table)
            .where(table.c.id.in_(off[start : start + CHUNK]), waiting)
            .values(status=PromptStatus.OFF_SHIFT.value, not_before=None)
        )
    session.commit()


def skip_asks(session: Session, held: Sequence[Held]) -> None:
    """Mark advice requests and objection-round asks off shift (they are then never sent; the
    person can still answer from their App Home). Commits."""
    for kind, model in ((ADVICE, Advice), (ROUND, Objection)):
        off = [h.ref_id for h in held if h.kind == kind and h.decision.off_shift]
        if off:
            session.exec(  # type: ignore[call-overload]
                update(model)
                .where(col(model.id).in_(off), col(model.status) == AskStatus.PENDING)
                .values(status=AskStatus.OFF_SHIFT)
                .execution_options(synchronize_session=False)
            )
    session.commit()


def off_shift_people(session: Session, *, proposal_id: int) -> list[str]:
    """Who was not asked about this proposal because they were off shift until its date."""
    found: list[str] = []
    for model in (Advice, Objection):
        found += session.exec(
            select(model.user_id).where(
                col(model.proposal_id) == proposal_id, col(model.status) == AskStatus.OFF_SHIFT
            )
        )
    return list(dict.fromkeys(found))


def waiting_holds(session: Session, *, user_id: str, now: datetime) -> list[ShiftHold]:
    """The person's DMs waiting for their working time now, soonest first (the App Home)."""
    return list(session.exec(_WAITING_HOLDS, params={"user_id": user_id, "now": now}))
