"""What people and the scheduler do with a retrospective, one function each; each owns its
transaction and leaves Slack's answers to the listener (or prints them, on the command line).

- :func:`open_retrospective` — `retrobot retro open`, and the schedule every ``retro.every``;
- :func:`close_retrospective` — `retrobot retro close`: closes reflection (opening voting), and,
  run again, closes voting (the schedule does each two days after the last);
- :func:`reflect_view`, :func:`submit_reflection` — the Reflect button and modal;
- :func:`vote_view`, :func:`click_vote`, :func:`submit_votes` — voting;
- :func:`command_answer` — `/retro` with no words: one's own reflection (or votes);
- :func:`run_due` — the scheduler's job: openings, closes, reminders and DMs due;
- :func:`home_section` — the App Home's part.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col, select

from bot.agenda.service import refresh_agendas
from bot.core.config import TeamConfig
from bot.core.errors import CouldNotSaveError, NotAllowedError, NotInTeamError, RetrobotError
from bot.retros import delivery, figures, rounds, service, voting
from bot.retros.model import Chosen, VoteChange, next_opening, opening_due
from bot.retros.views import (
    HomeRetro,
    build_home_section,
    build_notice_modal,
    build_reflect_modal,
    build_vote_modal,
)
from bot.services import Services
from bot.slack.blocks import Block
from storage.models import (
    PromptStatus,
    Reflection,
    ReflectionKind,
    RetroParticipant,
    Retrospective,
    RetroStatus,
)

logger = logging.getLogger(__name__)

OPENERS = 6  # retrospectives the scheduler opens at once (their posts still take turns)


# --- opening and closing ----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenReport:
    """What opening a retrospective did, for the command line and the logs."""

    team_name: str
    channel: str
    zone: ZoneInfo
    closes_at: datetime
    ts: str | None
    error: str | None
    asked: int
    away: int
    sent: int
    held: int
    failed: int


def open_retrospective(
    services: Services, *, team_id: str, send: bool = True, paced: bool = False
) -> OpenReport:
    """Open the team's retrospective now: the channel message, then each member's DM.

    AlreadyOpenError when one is in progress; RetroOffError when app.yaml turns it off.
    ``send`` False leaves the DMs to the scheduler's next pass (a thousand teams opening at
    once post every channel message first); ``paced`` posts at the workspace's pace.
    """
    team = service.team_with_retro(services.config, team_id)
    with services.session() as session:
        retro = service.open_retro(session, team=team, now=services.now())
    assert retro.id is not None
    logger.info("Opened retrospective %s of team %s", retro.id, team.id)
    published = delivery.publish(services, retro_id=retro.id, paced=paced)
    sent = delivery.send_invitations(services, retro_id=retro.id) if send else None
    with services.session() as session:
        statuses = list(
            session.exec(
                select(RetroParticipant.status).where(RetroParticipant.retro_id == retro.id)
            )
        )
    return OpenReport(
        team_name=team.name,
        channel=retro.channel,
        zone=team.zone,
        closes_at=retro.reflection_closes_at,
        ts=published.ts,
        error=published.error,
        asked=sum(status != PromptStatus.AWAY for status in statuses),
        away=statuses.count(PromptStatus.AWAY),
        sent=sent.sent if sent else 0,
        held=statuses.count(PromptStatus.PENDING),
        failed=statuses.count(PromptStatus.FAILED),
    )


@dataclass(frozen=True)
class CloseReport:
    """What `retrobot retro close` did: voting opened, or the retrospective closed."""

    team_name: str
    zone: ZoneInfo
    retro: Retrospective
    chosen: list[Chosen] = field(default_factory=list)


def close_retrospective(services: Services, *, team_id: str) -> CloseReport:
    """Move the team's retrospective on: close reflection (voting opens), or close voting."""
    team = services.config.team(team_id)
    with services.session() as session:
        retro = service.in_progress(session, team_id=team.id)
    if retro is None or retro.id is None:
        raise service.NoRetroError(f"{team.name} has no retrospective open.")
    if retro.status == RetroStatus.REFLECTING:
        closed = close_reflection_now(services, retro_id=retro.id)
    else:
        closed = close_voting_now(services, retro_id=retro.id)
    if closed is None:  # the scheduler (or another command) was quicker
        with services.session() as session:
            closed = service.retro_by_id(session, retro.id)
    with services.session() as session:
        chosen = figures.chosen(session, retro_id=retro.id)
    return CloseReport(team_name=team.name, zone=team.zone, retro=closed, chosen=chosen)


def close_reflection_now(services: Services, *, retro_id: int) -> Retrospective | None:
    """Close reflection (anonymising what must be), open voting, and show it; None if closed."""
    with services.session() as session:
        closed = service.close_reflection(session, retro_id=retro_id, now=services.now())
    if closed is not None:
        logger.info("Retrospective %s: reflection closed", retro_id)
        delivery.publish(services, retro_id=retro_id)
    return closed


def close_voting_now(services: Services, *, retro_id: int) -> Retrospective | None:
    """Close voting: the most-voted reflections become tensions on the next tactical agenda,
    and the thread shows the counts and what was chosen. None if it was closed already."""
    now = services.now()
    area = services.renderer.plain("retros.improvement_area")
    with services.session() as session:
        retro = service.retro_by_id(session, retro_id)
        team = services.config.find_team(retro.team_id)
        closed = voting.close_voting(
            session,
            retro_id=retro_id,
            team_channel=team.channel if team else retro.channel,
            area=area,
            now=now,
        )
    if closed is None:
        return None
    logger.info("Retrospective %s: voting closed", retro_id)
    if team is not None:
        try:
            refresh_agendas(services, team_id=team.id, now=now)
        except Exception:  # the agenda shows them when next posted, whatever happens here
            logger.exception("Could not refresh team %s's agenda after its retrospective", team.id)
    delivery.publish(services, retro_id=retro_id)
    return closed


# --- the scheduler's job ----------------------------------------------------------------------


@dataclass
class DueReport:
    """What one pass of the scheduler's retrospective job did."""

    opened: list[str] = field(default_factory=list)
    reflection_closed: list[int] = field(default_factory=list)
    voting_closed: list[int] = field(default_factory=list)
    reminded: int = 0
    invited: int = 0


def run_due(services: Services) -> DueReport:
    """Everything due now: scheduled openings (late ones within two days), reflection and
    voting closes, the reminders, and the reflection DMs (at Slack's pace). Every step is
    decided by the database, so running it twice, or after a restart, does nothing twice."""
    report = DueReport()
    now = services.now()
    teams = [team for team in services.config.teams if team.retro is not None]
    with services.session() as session:
        opened = service.last_opened(session, team_ids=[team.id for team in teams])
    due_teams = [team for team in teams if opening_due(team, now, opened.get(team.id))]
    # The openings (their channel messages) and the DMs they add go out together, each at its
    # turn in the workspace's one budget: a thousand teams at once drain at Slack's pace.
    opener = threading.Thread(
        target=_open_each, args=(services, due_teams, report), name="retro-openings"
    )
    opener.start()
    report.invited = delivery.send_invitations(services, more_coming=opener.is_alive).sent
    opener.join()
    with services.session() as session:
        due = rounds.due_phases(session, now=now)
    for retro_id in due.close_reflection:
        _each(report.reflection_closed, retro_id, close_reflection_now, services)
    for retro_id in due.close_voting:
        _each(report.voting_closed, retro_id, close_voting_now, services)
    for retro_id in due.remind_reflect:
        report.reminded += delivery.send_reminders(services, retro_id=retro_id, voting=False)
    for retro_id in due.remind_vote:
        report.reminded += delivery.send_reminders(services, retro_id=retro_id, voting=True)
    with services.session() as session:
        held = rounds.held_reminders_due(session, now=now)
    for retro_id, is_vote in held:  # reminders a shift held, now that their time has come
        report.reminded += delivery.send_reminders(
            services, retro_id=retro_id, voting=is_vote, held=True
        )
    return report


def _open_each(services: Services, teams: Sequence[TeamConfig], report: DueReport) -> None:
    """Open each team's retrospective, a few at once (their DMs go from the caller's sender):
    an opening waits on the database and on its turn to post, not on this process's CPU."""

    def open_one(team: TeamConfig) -> None:
        try:
            open_retrospective(services, team_id=team.id, send=False, paced=True)
            report.opened.append(team.id)
        except service.AlreadyOpenError:
            return
        except Exception:
            logger.exception("Opening team %s's retrospective failed", team.id)

    with ThreadPoolExecutor(OPENERS, thread_name_prefix="retro-open") as pool:
        list(pool.map(open_one, teams))
    report.opened.sort(key=[team.id for team in teams].index)


def _each(done: list[int], retro_id: int, step: Any, services: Services) -> None:
    """Run one retrospective's step; a failure is logged and the others go on."""
    try:
        if step(services, retro_id=retro_id) is not None:
            done.append(retro_id)
    except Exception:
        logger.exception("Retrospective %s: %s failed", retro_id, step.__name__)


# --- reflecting -------------------------------------------------------------------------------


def _team_of(services: Services, retro: Retrospective) -> TeamConfig:
    team = services.config.find_team(retro.team_id)
    if team is None:
        raise NotAllowedError("That team is no longer in app.yaml.")
    return team


def reflect_view(services: Services, *, retro_id: int, user_id: str) -> dict[str, Any]:
    """What Reflect opens: one's own reflection while reflection is open; once it has closed,
    the Vote modal (voting open) or a notice (closed)."""
    with services.session() as session:
        retro = service.retro_by_id(session, retro_id)
        team = service.member_of(services.config, retro=retro, user_id=user_id)
        if retro.status == RetroStatus.VOTING:
            return _vote_modal(services, session, retro=retro, team=team, user_id=user_id)
        if retro.status == RetroStatus.CLOSED:
            text = services.renderer.say("retros.reflection_closed", retro=retro, zone=team.zone)
            return build_notice_modal(services.renderer, text=text)
        own = service.own_reflection(session, retro_id=retro_id, user_id=user_id)
    return build_reflect_modal(
        services.renderer, retro=retro, team_name=team.name, zone=team.zone, own=own
    )


def submit_reflection(
    services: Services,
    *,
    retro_id: int,
    user_id: str,
    texts: dict[ReflectionKind, str | None],
    scores: dict[int, str | None],
    request_key: str | None,
) -> Retrospective | None:
    """Check and store what the Reflect modal holds; InvalidInputError names the fields at
    fault, PhaseOverError once reflection closed; None when this submission was stored before."""
    with _saving(services, "a reflection") as session:
        retro, _ = service.reflectable(
            session, config=services.config, retro_id=retro_id, user_id=user_id
        )
        draft = service.check_reflection(
            questions=retro.health_questions, texts=texts, scores=scores
        )
        return service.save_reflection(
            session,
            config=services.config,
            retro_id=retro_id,
            user_id=user_id,
            draft=draft,
            request_key=request_key,
            now=services.now(),
        )


@contextmanager
def _saving(services: Services, what: str) -> Iterator[Session]:
    """A session for storing what a person submitted before their modal closes: a database
    that cannot take it becomes CouldNotSaveError, and the modal stays open with it all."""
    try:
        with services.session() as session:
            yield session
    except (OperationalError, DBAPIError) as error:
        # The error's class only: its message and parameters may quote what was typed.
        logger.warning("Could not store %s in time (%s)", what, type(error).__name__)
        raise CouldNotSaveError("couldn't save just now") from None


def show_changes(services: Services, *, retro_id: int) -> None:
    """After a reflection or vote: the thread and the channel message show it (counts only)."""
    delivery.publish(services, retro_id=retro_id)


# --- voting -----------------------------------------------------------------------------------


def _vote_modal(
    services: Services, session: Session, *, retro: Retrospective, team: TeamConfig, user_id: str
) -> dict[str, Any]:
    reflections = session.exec(
        select(Reflection).where(Reflection.retro_id == retro.id).order_by(col(Reflection.id))
    ).all()
    mine = voting.votes_of(session, retro_id=retro.id or 0, voter=user_id)
    return build_vote_modal(
        services.renderer,
        retro=retro,
        team_name=team.name,
        zone=team.zone,
        reflections=reflections,
        mine=mine,
    )


def vote_view(services: Services, *, retro_id: int, user_id: str) -> dict[str, Any]:
    """The Vote modal while voting is open; a notice before and after."""
    with services.session() as session:
        retro = service.retro_by_id(session, retro_id)
        team = service.member_of(services.config, retro=retro, user_id=user_id)
        if retro.status != RetroStatus.VOTING:
            text = services.renderer.say("retros.voting_not_open", retro=retro, zone=team.zone)
            return build_notice_modal(services.renderer, text=text)
        return _vote_modal(services, session, retro=retro, team=team, user_id=user_id)


def click_vote(services: Services, *, reflection_id: int, user_id: str) -> tuple[VoteChange, int]:
    """Vote on a reflection in the thread (or take the vote back); the change and its retro."""
    with services.session() as session:
        change = voting.toggle_vote(
            session,
            config=services.config,
            reflection_id=reflection_id,
            voter=user_id,
            now=services.now(),
        )
    return change, change.reflection.retro_id


def submit_votes(
    services: Services, *, retro_id: int, user_id: str, reflection_ids: Sequence[int]
) -> list[int]:
    """Put the person's votes where the Vote modal says (InvalidInputError: more than three)."""
    with _saving(services, "votes") as session:
        return voting.set_votes(
            session,
            config=services.config,
            retro_id=retro_id,
            voter=user_id,
            reflection_ids=reflection_ids,
        )


def refusal(services: Services, error: RetrobotError, *, user_id: str, voting: bool = False) -> str:
    """The words that tell a person why their reflection (or, ``voting``, their vote) could
    not be taken."""
    renderer = services.renderer
    if isinstance(error, service.PhaseOverError):
        team = services.config.find_team(error.retro.team_id)
        zone = team.zone_of(user_id) if team else ZoneInfo("UTC")
        words = "retros.voting_not_open" if voting else "retros.reflection_closed"
        return renderer.say(words, retro=error.retro, zone=zone)
    return renderer.say("errors.cannot_do", reason=str(error))


# --- `/retro` and the App Home ----------------------------------------------------------------


@dataclass(frozen=True)
class CommandAnswer:
    """What `/retro` answers: a modal to open, or words only the person sees."""

    view: dict[str, Any] | None = None
    text: str | None = None


def command_answer(services: Services, *, user_id: str, channel_id: str | None) -> CommandAnswer:
    """`/retro`: one's own reflection (or votes) in the retrospective open in one's team; for a
    coach, the counts; otherwise when the next one opens."""
    config, renderer = services.config, services.renderer
    teams = config.teams_of(user_id)
    coached = config.coached_by(user_id)
    if not teams and not coached:
        raise NotInTeamError("You're not in a retrospective's team.")
    with services.session() as session:
        retro = service.current_for(session, teams=teams, channel_id=channel_id)
        if retro is not None and retro.id is not None:
            if retro.status == RetroStatus.VOTING:
                return CommandAnswer(view=vote_view(services, retro_id=retro.id, user_id=user_id))
            return CommandAnswer(view=reflect_view(services, retro_id=retro.id, user_id=user_id))
        boards = [
            figures.board(session, team=team, retro=found)
            for team in coached
            if (found := service.in_progress(session, team_id=team.id)) is not None
        ]
    if boards:
        return CommandAnswer(
            text="\n".join(renderer.say("retros.coach_view", board=b) for b in boards)
        )
    now = services.now()
    openings = [(team, next_opening(team, now)) for team in teams or coached]
    return CommandAnswer(text=renderer.say("retros.no_retro", teams=teams, openings=openings))


def home_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """The App Home's retrospective section: each one open in the person's teams, with its
    Reflect or Vote button and whether they have taken part."""
    items = []
    for team in services.config.teams_of(user_id):
        retro = service.in_progress(session, team_id=team.id)
        if retro is None:
            continue
        mine = session.exec(
            select(RetroParticipant).where(
                RetroParticipant.retro_id == retro.id, RetroParticipant.user_id == user_id
            )
        ).first()
        done = mine is not None and (
            mine.reflected if retro.status == RetroStatus.REFLECTING else mine.voted
        )
        items.append(HomeRetro(retro, team.name, team.zone_of(user_id), bool(done)))
    return build_home_section(services.renderer, items=items)
