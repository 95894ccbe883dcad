"""What a person or a job does with check-ins, one function each; each owns its transaction.

The scheduler and `retrobot checkin send` send the round and the reminders; a member's buttons,
modals and `/checkin` open, answer, skip, or say they are away. Listeners, jobs and the command
line call these, not the database rules or the sending underneath.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient

from bot.agenda.service import refresh_posted_agendas
from bot.checkins import answers as checks
from bot.checkins import delivery, rounds, service
from bot.checkins.model import (
    LATE_AFTER,
    CheckinContext,
    DeliveryReport,
    NextCheckin,
    ReminderReport,
    SavedCheckin,
)
from bot.checkins.views import build_prompt_state_message
from bot.core import ids
from bot.core.config import TeamConfig
from bot.core.errors import CouldNotSaveError, InvalidInputError, RetrobotError, StaleActionError
from bot.core.meetings import next_meeting
from bot.services import Services
from bot.slack.pacing import SEND_WORKERS
from storage import queries
from storage.models import CheckinPrompt, RoundStatus, Tension

logger = logging.getLogger(__name__)

# --- The round and its reminders (jobs and the command line) ----------------------------------


def send_round(
    services: Services,
    *,
    team_id: str,
    now: datetime | None = None,
    retry_failed: bool = False,
    read_members: bool = True,
    workers: int = SEND_WORKERS,
) -> DeliveryReport:
    """Open the team's round for its next meeting and DM every member not yet asked.

    Safe to run any number of times, from any number of processes: a member is asked once.
    ``retry_failed`` also retries members Slack refused for good (a deactivated account...);
    ``read_members`` False skips reading the team's user group (the sweep's later sends).
    """
    now = now or services.now()
    team = services.config.team(team_id)
    meeting = next_meeting(team, now)
    # app.yaml's own members are mirrored at start-up and on reload; a user group is read now.
    listed = services.listed_config.team(team_id)  # app.yaml's members, then the group's
    roster = (
        delivery.read_roster(services.client, listed) if read_members and team.usergroup else None
    )
    with services.session() as session:
        if roster is not None:
            rounds.sync_roster(session, team=team, roster=roster)
            services.refresh_rosters()
        round_, _ = rounds.open_round(session, team=team, meeting=meeting, now=now)
        if round_.status != RoundStatus.OPEN:
            raise StaleActionError(f"The check-in for {meeting.date:%A %-d %B} is closed.")
        assert round_.id is not None
        snapshot = rounds.prepare_round(
            session, round_=round_, team=team, now=now, retry_failed=retry_failed
        )
        late = now > round_.opens_at + LATE_AFTER
        # shifts: those off shift or in do-not-disturb wait for their next working time
        gate = delivery.shift_gate(services, team=team, round_=round_, due=snapshot.due, now=now)
        posted = delivery.send_prompts(
            services,
            session,
            team=team,
            round_=round_,
            snapshot=snapshot,
            late=late,
            workers=workers,
            gate=gate,
        )
    shifted = gate.finish()  # shifts: who waits for their shift, who is off shift
    report = delivery.round_report(
        team=team, round_=round_, snapshot=snapshot, posted=posted, now=now, shifted=shifted
    )
    report.late = late
    report.roster_problem = roster.problem if roster else None
    _log_round(report)
    return report


def _log_round(report: DeliveryReport) -> None:
    """One line in the log for each send: how many were asked, already, away, failed."""
    logger.info(
        "Team %s check-in for %s: %d asked, %d already, %d away, %d waiting, %d off shift, "
        "%d failed",
        report.team_id,
        report.meeting.date,
        len(report.asked),
        len(report.already_asked),
        len(report.away),
        len(report.waiting),
        len(report.off_shift),
        len(report.failed),
    )


def send_reminders(
    services: Services,
    *,
    team_id: str,
    now: datetime | None = None,
    workers: int = SEND_WORKERS,
) -> ReminderReport:
    """Remind, once, the members asked at least ``reminder_after`` ago who have not answered,
    skipped or said they are away — and, in another zone than the team's, only by day there."""
    now = now or services.now()
    team = services.config.team(team_id)
    with services.session() as session:
        round_ = rounds.current_round(session, team=team, now=now)
        report = ReminderReport(team_id=team.id, round_id=round_.id if round_ else None)
        if round_ is None or round_.id is None or now >= round_.meeting_at:
            return report
        due, zones = rounds.reminders_due(session, team=team, round_=round_, now=now)
        # shifts: a reminder waits for its person's working time, like the DM
        gate = delivery.shift_gate(
            services, team=team, round_=round_, due=due, now=now, reminders=True
        )
        posted = delivery.send_reminder_dms(
            services,
            session,
            team=team,
            round_=round_,
            due=due,
            zones=zones,
            workers=workers,
            gate=gate,
        )
        gate.finish()
    for item in posted:
        if item.result.ok:
            report.reminded.append(item.due.user_id)
        else:
            report.failed[item.due.user_id] = item.result.error or "unknown error"
    report.reminded.sort()
    return report


def close_past_rounds(services: Services, *, now: datetime) -> int:
    """Close every open round whose meeting has started (the sweep, each minute)."""
    with services.session() as session:
        return rounds.close_past_rounds(session, team_id=None, now=now)


def catch_up_rounds(services: Services, *, team: TeamConfig, now: datetime) -> list[date]:
    """Close the team's rounds whose meeting has started, and record as missed the meetings
    that passed with no round while no process ran the jobs; returns the dates missed."""
    with services.session() as session:
        rounds.close_past_rounds(session, team_id=team.id, now=now)
        return rounds.record_missed(session, team=team, now=now)


# --- A member's check-in (buttons, modals and /checkin) ---------------------------------------


def checkin_for_command(
    services: Services, *, user_id: str, channel_id: str | None
) -> CheckinContext | NextCheckin:
    """`/checkin`: the person's open check-in (the channel's team first), else the next one."""
    with services.session() as session:
        return service.checkin_for_command(
            session,
            config=services.config,
            user_id=user_id,
            channel_id=channel_id,
            now=services.now(),
        )


def open_checkin(services: Services, *, round_id: int, user_id: str) -> CheckinContext:
    """What the check-in modal shows the member for this round, while it is open."""
    with services.session() as session:
        return service.checkin_context(
            session, config=services.config, round_id=round_id, user_id=user_id, now=services.now()
        )


@dataclass(frozen=True)
class CheckinForm:
    """What the check-in modal holds when it is submitted: its team and round, and the answers
    as :func:`bot.checkins.answers.check_answers` reads them."""

    team_id: str
    round_id: int
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class SubmittedCheckin:
    """A submission's outcome: field errors (block id -> words) to show in the modal, or the
    check-in stored and the tension it raised, if any (None as well for the same modal
    submitted twice: raised once)."""

    errors: dict[str, str] = field(default_factory=dict)
    saved: SavedCheckin | None = None
    tension: Tension | None = None


def submit_checkin(
    services: Services, *, user_id: str, form: CheckinForm, request_key: str
) -> SubmittedCheckin:
    """Check and store the member's check-in for the round, and the tension typed in it, before
    the modal closes; submitting again edits the check-in and raises the tension once."""
    config = services.config
    try:
        team = config.team(form.team_id)
        answers = checks.check_answers(config=config, team=team, user_id=user_id, **form.answers)
        now = services.now()
        with services.saving_session() as session:
            saved = service.save_checkin(
                session,
                config=config,
                round_id=form.round_id,
                user_id=user_id,
                answers=answers,
                now=now,
            )
        # A session of its own: the same modal raising its tension twice rolls back, which
        # would expire the check-in just saved in a shared session.
        with services.saving_session() as session:
            tension = service.raise_checkin_tension(
                session, user_id=user_id, answers=answers, now=now, request_key=request_key
            )
    except InvalidInputError as error:
        errors = {ids.checkin_field_block(f): text for f, text in error.field_errors.items()}
        return SubmittedCheckin(errors=errors)
    except CouldNotSaveError:
        text = services.renderer.plain("errors.could_not_save")
        return SubmittedCheckin(errors={ids.CHECKIN_MOOD_BLOCK: text})
    except RetrobotError as error:
        return SubmittedCheckin(errors={ids.CHECKIN_MOOD_BLOCK: str(error)})
    return SubmittedCheckin(saved=saved, tension=tension)


def read_new_user_groups(services: Services) -> list[str]:
    """Read the Slack user group of each team whose group retrobot has never read (nobody
    known beyond app.yaml's list), so that a new team knows its people before its first round:
    their App Home, /tension and feedback work from the start. Returns the teams read."""
    listed = services.listed_config
    teams = [team for team in listed.teams if team.usergroup is not None]
    if not teams:
        return []
    with services.session() as session:
        known = queries.active_members_of_teams(session, [team.id for team in teams])
    unread = [t for t in teams if not set(known.get(t.id, ())) - set(t.member_ids)]
    for team in unread:
        roster = delivery.read_roster(services.client, team)
        with services.session() as session:
            rounds.sync_roster(session, team=team, roster=roster)
    if unread:
        services.refresh_rosters()
    return [team.id for team in unread]


def skip_checkin(services: Services, *, round_id: int, user_id: str) -> CheckinPrompt:
    """The member skips this round: no reminder, no answer."""
    with services.session() as session:
        return service.skip_checkin(session, round_id=round_id, user_id=user_id, now=services.now())


def today_for(services: Services, *, user_id: str) -> date:
    """Today's date where the person is: the away modal's first day."""
    with services.session() as session:
        return service.person_today(
            session, config=services.config, user_id=user_id, now=services.now()
        )


def go_away(services: Services, *, user_id: str, picked: str | None) -> list[CheckinPrompt]:
    """The person is away until the day picked (checked: today or later, within a year);
    returns the prompts of open rounds that changed."""
    with services.session() as session:
        now = services.now()
        today = service.person_today(session, config=services.config, user_id=user_id, now=now)
        until = checks.check_away_date(picked, today=today)
        return service.set_away(session, user_id=user_id, until=until, now=now)


def come_back(services: Services, *, user_id: str) -> list[CheckinPrompt]:
    """The person is back: open rounds ask them again; returns the prompts that changed."""
    with services.session() as session:
        return service.set_away(session, user_id=user_id, until=None, now=services.now())


def show_checkin(services: Services, client: WebClient, submitted: SubmittedCheckin) -> None:
    """After the modal closed: the member's DM redrawn, and the round's agenda, when it is
    already in the channel, follows the answer (shared or no longer shared, a metric, progress
    or a story changed), as it follows tensions."""
    saved = submitted.saved
    if saved is None:
        return
    redraw_checkin_dm(
        services,
        client,
        saved.prompt,
        edited=saved.edited,
        tension_added=submitted.tension is not None,
    )
    refresh_posted_agendas(services, round_ids=[saved.prompt.round_id], now=services.now())


def redraw_checkin_dm(
    services: Services,
    client: WebClient,
    prompt: CheckinPrompt,
    *,
    edited: bool = False,
    tension_added: bool = False,
) -> None:
    """Redraw the member's check-in DM and reminder to show where they stand now."""
    with services.session() as session:
        team, round_, zone, away_until = service.prompt_context(
            session, config=services.config, prompt=prompt
        )
    payload = build_prompt_state_message(
        services.renderer,
        status=prompt.status,
        team_name=team.name,
        round_id=prompt.round_id,
        meeting_at=round_.meeting_at,
        zone=zone,
        away_until=away_until,
        edited=edited,
        tension_added=tension_added,
    )
    delivery.refresh_prompt_dms(client, prompt, payload)
