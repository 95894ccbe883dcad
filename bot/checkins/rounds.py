"""The database rules of a check-in round: opening and closing it, each member's prompt, and the
claims that make every DM and reminder go out once.

The database is the source of truth (DESIGN.md, Time and Reliability). A round is one row per
(team, meeting date) and each member's prompt one row per (round, member), both written before
any DM goes out. A prompt is *claimed* (status ``sending``) by exactly one process before its DM
is posted, and marked with the DM's ts after, so restarts and concurrent runs never post twice.
A claim left behind by a process that died is checked against the DM's history before anything
is posted again (bot.checkins.delivery). Nothing here talks to Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checkins.model import (
    REMINDABLE,
    SENSIBLE_FROM,
    SENSIBLE_UNTIL,
    DuePrompt,
    PostOutcome,
    Roster,
    RoundSnapshot,
    worth_retrying,
)
from bot.core.config import TeamConfig
from bot.core.meetings import Meeting, local_moment, meetings_from, next_meeting
from bot.slack.client import TIMEOUT
from bot.slack.outbox import IN_DOUBT_AFTER
from storage import queries
from storage.models import CheckinPrompt, CheckinRound, Member, PromptStatus, RoundStatus

logger = logging.getLogger(__name__)

# --- Rounds -----------------------------------------------------------------------------------


_ROUND_FOR = select(CheckinRound).where(
    CheckinRound.team_id == bindparam("team_id"),
    CheckinRound.meeting_date == bindparam("meeting_date"),
)


def round_for(session: Session, *, team_id: str, meeting_date: date) -> CheckinRound | None:
    """The team's round for the meeting on that local date, if it exists."""
    params = {"team_id": team_id, "meeting_date": meeting_date}
    return session.exec(_ROUND_FOR, params=params).first()


def open_round(
    session: Session, *, team: TeamConfig, meeting: Meeting, now: datetime
) -> tuple[CheckinRound, bool]:
    """The round for ``meeting``, created (and committed) if it did not exist; True if created.

    Two processes opening the same round at once both get the one row the unique key allows.
    """
    found = round_for(session, team_id=team.id, meeting_date=meeting.date)
    if found is not None:
        return found, False
    new = CheckinRound(
        team_id=team.id,
        meeting_date=meeting.date,
        meeting_at=meeting.at,
        opens_at=meeting.checkin_opens(team),
        status=RoundStatus.OPEN,
        created_at=now,
    )
    session.add(new)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        if found is None:
            raise
        return found, False
    return new, True


def close_past_rounds(session: Session, *, team_id: str | None, now: datetime) -> int:
    """Close the open rounds (of one team, or all) whose meeting has started; commits."""
    statement = (
        update(CheckinRound)
        .where(col(CheckinRound.status) == RoundStatus.OPEN, col(CheckinRound.meeting_at) <= now)
        .values(status=RoundStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    if team_id is not None:
        statement = statement.where(col(CheckinRound.team_id) == team_id)
    closed = session.execute(statement).rowcount
    session.commit()
    return int(closed or 0)


def record_missed(session: Session, *, team: TeamConfig, now: datetime) -> list[date]:
    """Record as missed every meeting since the team's last round that passed with no round.

    Only a team that has had a round counts: before its first one retrobot was not running for
    it, and nothing was missed. Commits; returns the dates recorded.
    """
    last = session.exec(
        select(CheckinRound)
        .where(CheckinRound.team_id == team.id)
        .order_by(col(CheckinRound.meeting_date).desc())
        .limit(1)
    ).first()
    if last is None:
        return []
    recorded = []
    for meeting in meetings_from(team, last.meeting_at, 60):
        if meeting.at > now:
            break
        session.add(
            CheckinRound(
                team_id=team.id,
                meeting_date=meeting.date,
                meeting_at=meeting.at,
                opens_at=meeting.checkin_opens(team),
                status=RoundStatus.MISSED,
                created_at=now,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another process recorded it first
            continue
        recorded.append(meeting.date)
        logger.warning(
            "Team %s: the check-in for the meeting on %s was missed while retrobot was down",
            team.id,
            meeting.date,
        )
    return recorded


def current_round(session: Session, *, team: TeamConfig, now: datetime) -> CheckinRound | None:
    """The team's open round for its next meeting, if it has opened."""
    meeting = next_meeting(team, now)
    found = round_for(session, team_id=team.id, meeting_date=meeting.date)
    if found is not None and found.status == RoundStatus.OPEN:
        return found
    return None


def sync_roster(session: Session, *, team: TeamConfig, roster: Roster) -> None:
    """Make the team's active members those of the roster (only adding, if it is incomplete)."""
    queries.sync_members(
        session,
        team_id=team.id,
        members=roster.members,
        coaches=[(c.id, c.timezone or team.timezone) for c in team.coaches],
        keep_unlisted_members=not roster.complete,
    )
    session.commit()


# --- Time zones -------------------------------------------------------------------------------


def zone_or(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The time zone called ``name``, or ``fallback`` when there is none by that name."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return fallback


def is_away(member: Member, meeting_date: date) -> bool:
    """True when the member said they are away on the meeting's date (inclusive)."""
    return member.away_until is not None and meeting_date <= member.away_until


def sensible_from(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment``, or, when it falls at night in ``zone``, the next morning's first hour there."""
    local = moment.astimezone(zone)
    if SENSIBLE_FROM <= local.time() < SENSIBLE_UNTIL:
        return moment
    day = local.date() if local.time() < SENSIBLE_FROM else local.date() + timedelta(days=1)
    return local_moment(day, SENSIBLE_FROM, zone)


def _hold_until(
    *, zone: ZoneInfo, team: TeamConfig, now: datetime, meeting_at: datetime
) -> datetime | None:
    """When a member in another zone should get a DM that is due now, if not now.

    Never after the meeting: a DM held past it would ask about a meeting already held.
    """
    if zone.key == team.zone.key:
        return None
    later = sensible_from(now, zone)
    return later if now < later < meeting_at else None


# --- Each member's prompt ---------------------------------------------------------------------


def _member_prompts(session: Session, *, round_: CheckinRound, team: TeamConfig) -> list[Any]:
    """Each active member of the team, with their prompt in the round (None when not written)."""
    return list(
        session.exec(
            select(
                Member.user_id,
                Member.timezone,
                Member.away_until,
                CheckinPrompt.id,
                CheckinPrompt.status,
                CheckinPrompt.not_before,
                CheckinPrompt.claimed_at,
                CheckinPrompt.error,
                CheckinPrompt.message_ts,
            )
            .select_from(Member)
            .join(
                CheckinPrompt,
                (col(CheckinPrompt.round_id) == round_.id)
                & (col(CheckinPrompt.user_id) == col(Member.user_id)),
                isouter=True,
            )
            .where(Member.team_id == team.id, col(Member.active))
            .order_by(col(Member.user_id))
        ).all()
    )


def _new_prompt(
    *,
    round_: CheckinRound,
    team: TeamConfig,
    user_id: str,
    zone: ZoneInfo,
    away_until: date | None,
    now: datetime,
) -> dict[str, Any]:
    """The prompt to write for a member who has none: away, held for their morning, or due."""
    away = away_until is not None and round_.meeting_date <= away_until
    hold = (
        None if away else _hold_until(zone=zone, team=team, now=now, meeting_at=round_.meeting_at)
    )
    return {
        "round_id": round_.id,
        "user_id": user_id,
        "status": PromptStatus.AWAY if away else PromptStatus.PENDING,
        "not_before": hold,
        "created_at": now,
    }


def _note_prompt(snapshot: RoundSnapshot, row: Any, *, now: datetime, retry_failed: bool) -> None:
    """Put a member's written prompt in the snapshot, and among the due when it is to be posted.

    Due: a pending prompt whose time has come, a failure worth another try, and a claim a
    stopped process left behind.
    """
    user_id, _, _, prompt_id, status, not_before, claimed, error, ts = row
    snapshot.status[user_id] = status
    snapshot.error[user_id] = error
    snapshot.not_before[user_id] = not_before
    if ts is not None:
        snapshot.asked.add(user_id)
    if status == PromptStatus.PENDING:
        if not_before is None or not_before <= now:
            snapshot.due.append(DuePrompt(prompt_id, user_id))
    elif status == PromptStatus.FAILED:
        if retry_failed or worth_retrying(error):
            snapshot.due.append(DuePrompt(prompt_id, user_id, look_first=error == TIMEOUT))
    elif status == PromptStatus.SENDING and claimed is not None and claimed <= now - IN_DOUBT_AFTER:
        snapshot.due.append(DuePrompt(prompt_id, user_id, in_doubt_since=claimed))


def _write_prompts(
    session: Session, snapshot: RoundSnapshot, new: list[dict[str, Any]]
) -> RoundSnapshot | None:
    """Write the new prompts and add them to the snapshot; None when another process wrote some
    of them first (then look again)."""
    try:
        written = session.execute(
            insert(CheckinPrompt).returning(
                col(CheckinPrompt.id), col(CheckinPrompt.user_id), sort_by_parameter_order=True
            ),
            new,
        ).all()
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    for (prompt_id, user_id), row in zip(written, new, strict=True):
        snapshot.status[user_id] = row["status"]
        snapshot.error[user_id] = None
        snapshot.not_before[user_id] = row["not_before"]
        if row["status"] == PromptStatus.PENDING and row["not_before"] is None:
            snapshot.due.append(DuePrompt(prompt_id, user_id))
    snapshot.due.sort(key=lambda item: item.prompt_id)
    return snapshot


def prepare_round(
    session: Session, *, round_: CheckinRound, team: TeamConfig, now: datetime, retry_failed: bool
) -> RoundSnapshot:
    """Write a prompt for each active member who has none yet, then say what to post. Commits.

    A member away on the meeting's date gets an ``away`` prompt and no DM; a member in another
    time zone whose night it is gets a prompt held until their morning. Due: pending prompts
    whose time has come, failures worth another try, and claims a stopped process left behind.
    Two statements and a commit, however large the round.
    """
    for _ in range(3):
        snapshot = RoundSnapshot()
        new: list[dict[str, Any]] = []
        for row in _member_prompts(session, round_=round_, team=team):
            user_id, timezone, away_until, prompt_id = row[:4]
            zone = zone_or(timezone, team.zone)
            snapshot.zones[user_id] = zone
            if prompt_id is None:
                new.append(
                    _new_prompt(
                        round_=round_,
                        team=team,
                        user_id=user_id,
                        zone=zone,
                        away_until=away_until,
                        now=now,
                    )
                )
            else:
                _note_prompt(snapshot, row, now=now, retry_failed=retry_failed)
        if not new:
            return snapshot
        if (written := _write_prompts(session, snapshot, new)) is not None:
            return written
    raise RuntimeError(f"Could not write the prompts of round {round_.id}")


# --- Claims and what Slack said ---------------------------------------------------------------


def claim_prompts(
    session: Session, batch: Sequence[DuePrompt], *, now: datetime
) -> list[DuePrompt]:
    """Claim prompts for this process (status ``sending``); only the ones it got come back.

    One UPDATE … RETURNING: of two processes claiming the same prompt, exactly one sees it.
    """
    if not batch:
        return []
    fresh = [d.prompt_id for d in batch if d.in_doubt_since is None]
    stale = [d.prompt_id for d in batch if d.in_doubt_since is not None]
    claimable = (
        col(CheckinPrompt.id).in_(fresh)
        & col(CheckinPrompt.status).in_([PromptStatus.PENDING, PromptStatus.FAILED])
    ) | (
        col(CheckinPrompt.id).in_(stale)
        & (col(CheckinPrompt.status) == PromptStatus.SENDING)
        & (col(CheckinPrompt.claimed_at) <= now - IN_DOUBT_AFTER)
    )
    statement = (
        update(CheckinPrompt)
        .where(claimable)
        .values(status=PromptStatus.SENDING, claimed_at=now, error=None)
        .returning(col(CheckinPrompt.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(session.execute(statement).scalars())
    session.commit()
    return [d for d in batch if d.prompt_id in claimed]


def record_prompts(session: Session, outcomes: Sequence[PostOutcome], *, now: datetime) -> None:
    """Write what Slack said to each claimed prompt; an answer given meanwhile is kept."""
    if not outcomes:
        return
    table = CheckinPrompt.__table__  # type: ignore[attr-defined]
    still_sending = table.c.status == PromptStatus.SENDING.value
    sent = [{"pid": o.prompt_id, "channel_": o.channel, "ts_": o.ts} for o in outcomes if o.ok]
    failed = [{"pid": o.prompt_id, "error_": o.error} for o in outcomes if not o.ok]
    if sent:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(
                channel=bindparam("channel_"),
                message_ts=bindparam("ts_"),
                sent_at=now,
                error=None,
                status=case((still_sending, PromptStatus.SENT.value), else_=table.c.status),
            ),
            sent,
        )
    if failed:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"), still_sending)
            .values(status=PromptStatus.FAILED.value, error=bindparam("error_")),
            failed,
        )
    session.commit()


# --- Reminders --------------------------------------------------------------------------------


def reminders_due(
    session: Session, *, team: TeamConfig, round_: CheckinRound, now: datetime
) -> tuple[list[DuePrompt], dict[str, ZoneInfo]]:
    """The members to remind now, and every member's zone: asked at least ``reminder_after``
    ago, not answered, skipped or away, not reminded yet, and by day where they are."""
    after = team.tactical.reminder_after
    # The reminder job fires as the first DMs turn reminder_after old; DMs of a large round
    # sent a little later are included rather than left to the next sweep.
    cutoff = now - after + min(after / 4, timedelta(minutes=15))
    members = {m.user_id: m for m in session.exec(select(Member).where(Member.team_id == team.id))}
    candidates = session.exec(
        select(CheckinPrompt.id, CheckinPrompt.user_id)
        .where(
            CheckinPrompt.round_id == round_.id,
            col(CheckinPrompt.status).in_(REMINDABLE),
            col(CheckinPrompt.reminded_at).is_(None),
            col(CheckinPrompt.sent_at) <= cutoff,
        )
        .order_by(col(CheckinPrompt.id))
    ).all()
    due = []
    for prompt_id, user_id in candidates:
        member = members.get(user_id)
        if member is None or not member.active or is_away(member, round_.meeting_date):
            continue
        zone = zone_or(member.timezone, team.zone)
        if zone.key != team.zone.key and sensible_from(now, zone) != now:
            continue  # night where they are: a later sweep reminds them in the morning
        assert prompt_id is not None
        due.append(DuePrompt(prompt_id, user_id))
    zones = {u: zone_or(m.timezone, team.zone) for u, m in members.items()}
    return due, zones


def claim_reminders(
    session: Session, batch: Sequence[DuePrompt], *, now: datetime
) -> list[DuePrompt]:
    """Claim reminders (set ``reminded_at``): each member is reminded once, by one process."""
    if not batch:
        return []
    statement = (
        update(CheckinPrompt)
        .where(
            col(CheckinPrompt.id).in_([d.prompt_id for d in batch]),
            col(CheckinPrompt.reminded_at).is_(None),
            col(CheckinPrompt.status).in_(REMINDABLE),
        )
        .values(reminded_at=now)
        .returning(col(CheckinPrompt.id))
        .execution_options(synchronize_session=False)
    )
    claimed = set(session.execute(statement).scalars())
    session.commit()
    return [d for d in batch if d.prompt_id in claimed]


def record_reminders(session: Session, outcomes: Sequence[PostOutcome], *, now: datetime) -> None:
    """Keep each reminder's ts (to update it with the DM), or why Slack refused it."""
    table = CheckinPrompt.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "pid": o.prompt_id,
            "ts_": o.ts,
            "error_": None if o.ok else f"reminder:{o.error}",
        }
        for o in outcomes
    ]
    if rows:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(reminder_ts=bindparam("ts_"), error=bindparam("error_")),
            rows,
        )
    session.commit()
