"""A member's check-in, in the database: their answer stored (submitting again edits it), a
round skipped, time away, and what the check-in modal and the App Home show them.

The rules of the round itself (its prompts and claims) are in bot.checkins.rounds; what was typed
is checked in bot.checkins.answers before it comes here. Nothing here talks to Slack.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checkins.model import (
    ACTIONS_SHOWN,
    CheckinAnswers,
    CheckinContext,
    NextCheckin,
    SavedCheckin,
    TeamCheckin,
)
from bot.checkins.rounds import open_round, round_for, zone_or
from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import NotAllowedError, NotFoundError, NotInTeamError, StaleActionError
from bot.core.meetings import meetings_from, next_meeting
from bot.tensions import service as tensions
from storage import queries
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Member,
    PromptStatus,
    RoundStatus,
    Tension,
)

# --- Answering --------------------------------------------------------------------------------


def _round(session: Session, round_id: int) -> CheckinRound:
    found = session.get(CheckinRound, round_id)
    if found is None:
        raise NotFoundError("That check-in no longer exists.")
    return found


def _answerable(session: Session, round_id: int, now: datetime) -> CheckinRound:
    """The round, if answers may still go in: it is open and its meeting has not started."""
    found = _round(session, round_id)
    if found.status != RoundStatus.OPEN or now >= found.meeting_at:
        raise StaleActionError(
            "This check-in closed when the meeting started. "
            "The next one opens before the next tactical meeting."
        )
    return found


def _member(session: Session, *, team_id: str, user_id: str) -> Member:
    member = _find_member(session, team_id=team_id, user_id=user_id)
    if member is None or not member.active:
        raise NotAllowedError("This check-in is for another team's members.")
    return member


# Built once: the App Home and every check-in ask these (building one cost about as much CPU
# as running it).
_MEMBER = select(Member).where(
    Member.team_id == bindparam("team_id"), Member.user_id == bindparam("user_id")
)
_PROMPT = select(CheckinPrompt).where(
    CheckinPrompt.round_id == bindparam("round_id"), CheckinPrompt.user_id == bindparam("user_id")
)
_RESPONSE = select(CheckinResponse).where(
    CheckinResponse.round_id == bindparam("round_id"),
    CheckinResponse.user_id == bindparam("user_id"),
)


def _find_member(session: Session, *, team_id: str, user_id: str) -> Member | None:
    return session.exec(_MEMBER, params={"team_id": team_id, "user_id": user_id}).first()


def _prompt(session: Session, *, round_id: int, user_id: str) -> CheckinPrompt | None:
    return session.exec(_PROMPT, params={"round_id": round_id, "user_id": user_id}).first()


def _response(session: Session, *, round_id: int, user_id: str) -> CheckinResponse | None:
    return session.exec(_RESPONSE, params={"round_id": round_id, "user_id": user_id}).first()


def _set_prompt_status(
    session: Session, *, round_id: int, user_id: str, status: PromptStatus, now: datetime
) -> CheckinPrompt:
    """The member's prompt with its new status (written now if they had none); not committed."""
    prompt = _prompt(session, round_id=round_id, user_id=user_id)
    if prompt is None:
        prompt = CheckinPrompt(round_id=round_id, user_id=user_id, created_at=now)
    prompt.status = status
    session.add(prompt)
    return prompt


def _write_response(
    session: Session, *, round_id: int, user_id: str, answers: CheckinAnswers, now: datetime
) -> tuple[CheckinResponse, bool]:
    """The member's answer with what they typed now, and whether it edits an earlier one."""
    response = _response(session, round_id=round_id, user_id=user_id)
    edited = response is not None
    if response is None:
        response = CheckinResponse(round_id=round_id, user_id=user_id, created_at=now)
    response.mood = answers.mood
    response.note = answers.note
    response.shared = answers.shared
    response.metric_values = dict(answers.metrics)
    response.checklist = dict(answers.checklist)
    response.progress = answers.progress
    response.story = answers.story
    response.story_beyond_team = answers.story_beyond_team  # the organisation report
    response.answers = dict(answers.answers)
    response.updated_at = now
    session.add(response)
    return response, edited


def _mark_done(
    session: Session, *, team_id: str, user_id: str, ticked: tuple[int, ...], now: datetime
) -> int:
    """Mark done the ticked actions and projects that are the member's own in this team."""
    if not ticked:
        return 0
    own = {t.id for t in queries.open_actions_of(session, user_id=user_id) if t.team_id == team_id}
    chosen = [i for i in ticked if i in own]
    if not chosen:
        return 0
    done = session.execute(
        update(Tension)
        .where(col(Tension.id).in_(chosen), col(Tension.done_at).is_(None))
        .values(done_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(done or 0)


def save_checkin(
    session: Session,
    *,
    config: AppConfig,
    round_id: int,
    user_id: str,
    answers: CheckinAnswers,
    now: datetime,
) -> SavedCheckin:
    """Store a member's check-in for an open round; submitting again edits it. Commits once.

    Ticked actions and projects (the member's own, in this team) are marked done with it.
    """
    for attempt in range(2):
        round_ = _answerable(session, round_id, now)
        config.team(round_.team_id)
        _member(session, team_id=round_.team_id, user_id=user_id)
        response, edited = _write_response(
            session, round_id=round_id, user_id=user_id, answers=answers, now=now
        )
        try:
            # Written now, not by the autoflush of a query below, where nothing would catch it.
            session.flush()
        except IntegrityError:
            # The same check-in submitted twice at once: the other wrote first; edit it.
            session.rollback()
            if attempt:
                raise
            continue
        done = _mark_done(
            session, team_id=round_.team_id, user_id=user_id, ticked=answers.done_actions, now=now
        )
        prompt = _set_prompt_status(
            session, round_id=round_id, user_id=user_id, status=PromptStatus.ANSWERED, now=now
        )
        try:
            session.commit()
        except IntegrityError:
            # The same check-in submitted twice at once: the other wrote first; edit it.
            session.rollback()
            if attempt:
                raise
            continue
        return SavedCheckin(response, prompt, edited, done)
    raise AssertionError("unreachable")


def raise_checkin_tension(
    session: Session, *, user_id: str, answers: CheckinAnswers, now: datetime, request_key: str
) -> Tension | None:
    """Put the tension typed in the check-in on the agenda (once per submitted modal)."""
    if answers.tension is None:
        return None
    return tensions.raise_tension(
        session,
        user_id=user_id,
        draft=answers.tension,
        now=now,
        request_key=f"checkin:{request_key}",
    )


def skip_checkin(session: Session, *, round_id: int, user_id: str, now: datetime) -> CheckinPrompt:
    """The member skips this round: no reminder, no answer. Commits."""
    round_ = _answerable(session, round_id, now)
    _member(session, team_id=round_.team_id, user_id=user_id)
    prompt = _prompt(session, round_id=round_id, user_id=user_id)
    if prompt is not None and prompt.status == PromptStatus.ANSWERED:
        raise StaleActionError(
            "You've already checked in this week; you can still edit your check-in."
        )
    prompt = _set_prompt_status(
        session, round_id=round_id, user_id=user_id, status=PromptStatus.SKIPPED, now=now
    )
    session.commit()
    return prompt


def person_today(session: Session, *, config: AppConfig, user_id: str, now: datetime) -> date:
    """Today's date where the person is (their own zone, else their first team's)."""
    member = session.exec(select(Member).where(Member.user_id == user_id)).first()
    fallback = ZoneInfo("UTC")
    if member is not None:
        with contextlib.suppress(NotFoundError):
            fallback = config.team(member.team_id).zone
        return now.astimezone(zone_or(member.timezone, fallback)).date()
    return now.astimezone(fallback).date()


def set_away(
    session: Session, *, user_id: str, until: date | None, now: datetime
) -> list[CheckinPrompt]:
    """Say the person is away until ``until`` (inclusive) in all their teams, or back (None).

    Open rounds follow at once: an away member's prompt there becomes ``away`` (an answer
    already given stays), and coming back makes it ``sent`` again, or ``pending`` if the DM
    never went, so the next sweep asks them. Commits; returns the prompts that changed.
    """
    members = list(
        session.exec(select(Member).where(Member.user_id == user_id, col(Member.active)))
    )
    if not members:
        raise NotInTeamError("You're not in a retrobot team, so there is nothing to be away from.")
    for member in members:
        member.away_until = until
        session.add(member)
    open_rounds = list(
        session.exec(
            select(CheckinRound).where(
                col(CheckinRound.team_id).in_([m.team_id for m in members]),
                CheckinRound.status == RoundStatus.OPEN,
                col(CheckinRound.meeting_at) > now,
            )
        )
    )
    changed = []
    for round_ in open_rounds:
        assert round_.id is not None
        prompt = _prompt(session, round_id=round_.id, user_id=user_id)
        away = until is not None and round_.meeting_date <= until
        if away and (prompt is None or prompt.status != PromptStatus.ANSWERED):
            prompt = _set_prompt_status(
                session, round_id=round_.id, user_id=user_id, status=PromptStatus.AWAY, now=now
            )
            changed.append(prompt)
        elif not away and prompt is not None and prompt.status == PromptStatus.AWAY:
            prompt.status = PromptStatus.SENT if prompt.message_ts else PromptStatus.PENDING
            prompt.not_before = None
            session.add(prompt)
            changed.append(prompt)
    session.commit()
    return changed


# --- What a member sees -----------------------------------------------------------------------


def _member_zone(session: Session, *, team: TeamConfig, user_id: str) -> ZoneInfo:
    timezone = session.exec(
        select(Member.timezone).where(Member.team_id == team.id, Member.user_id == user_id)
    ).first()
    return zone_or(timezone, team.zone)


def checkin_context(
    session: Session, *, config: AppConfig, round_id: int, user_id: str, now: datetime
) -> CheckinContext:
    """What the modal shows the member for this round (their answer so far, their actions)."""
    round_ = _answerable(session, round_id, now)
    team = config.team(round_.team_id)
    _member(session, team_id=team.id, user_id=user_id)
    response = _response(session, round_id=round_id, user_id=user_id)
    actions = [t for t in queries.open_actions_of(session, user_id=user_id) if t.team_id == team.id]
    return CheckinContext(
        team=team,
        round=round_,
        user_id=user_id,
        zone=_member_zone(session, team=team, user_id=user_id),
        response=response,
        actions=actions[:ACTIONS_SHOWN],
    )


def teams_of(session: Session, *, config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The person's teams as the database knows them (a user group's members included)."""
    found = (config.find_team(team_id) for team_id in queries.teams_of_user(session, user_id))
    return [team for team in found if team is not None]


def checkin_for_command(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    channel_id: str | None,
    now: datetime,
) -> CheckinContext | NextCheckin:
    """`/checkin`: the open round of the person's team (the channel's first), else the next.

    A round that should be open but has not gone out yet (its DMs are still to come) is opened
    here, so answering never waits for the scheduler.
    """
    teams = teams_of(session, config=config, user_id=user_id)
    if not teams:
        raise NotInTeamError("You're not in a retrobot team yet, so there is no check-in for you.")
    teams.sort(key=lambda team: team.channel != channel_id)
    upcoming: list[NextCheckin] = []
    for team in teams:
        meeting = next_meeting(team, now)
        opens = meeting.checkin_opens(team)
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        if found is None and opens <= now:
            found, _ = open_round(session, team=team, meeting=meeting, now=now)
        if found is not None and found.status == RoundStatus.OPEN and found.id is not None:
            return checkin_context(
                session, config=config, round_id=found.id, user_id=user_id, now=now
            )
        zone = _member_zone(session, team=team, user_id=user_id)
        if opens <= now:  # this meeting's round is closed: the one after
            meeting = meetings_from(team, meeting.at, 1)[0]
            opens = meeting.checkin_opens(team)
        upcoming.append(NextCheckin(team, opens, meeting.at, zone))
    return min(upcoming, key=lambda n: n.opens_at)


def checkin_overview(
    session: Session, *, config: AppConfig, user_id: str, now: datetime
) -> list[TeamCheckin]:
    """For each of the person's teams: this week's check-in and whether they are away."""
    overview = []
    for team in teams_of(session, config=config, user_id=user_id):
        meeting = next_meeting(team, now)
        found = round_for(session, team_id=team.id, meeting_date=meeting.date)
        open_ = found if found is not None and found.status == RoundStatus.OPEN else None
        prompt = response = None
        if open_ is not None and open_.id is not None:
            prompt = _prompt(session, round_id=open_.id, user_id=user_id)
            response = _response(session, round_id=open_.id, user_id=user_id)
        member = _find_member(session, team_id=team.id, user_id=user_id)
        zone = zone_or(member.timezone if member else None, team.zone)
        away_until = member.away_until if member else None
        if away_until is not None and away_until < now.astimezone(zone).date():
            away_until = None  # that absence is over
        overview.append(
            TeamCheckin(
                team=team,
                meeting=meeting,
                round=open_,
                status=prompt.status if prompt else None,
                response=response,
                away_until=away_until,
                zone=zone,
            )
        )
    return overview


def prompt_context(
    session: Session, *, config: AppConfig, prompt: CheckinPrompt
) -> tuple[TeamConfig, CheckinRound, ZoneInfo, date | None]:
    """The team, round, member's zone and away date behind a prompt, to redraw its DM."""
    round_ = _round(session, prompt.round_id)
    team = config.team(round_.team_id)
    member = _find_member(session, team_id=team.id, user_id=prompt.user_id)
    zone = zone_or(member.timezone if member else None, team.zone)
    return team, round_, zone, member.away_until if member else None
