"""What the scheduler's jobs do: each calls one capability's use case, and none runs twice at once.

The database, not this module's memory, decides what was sent: every job is idempotent. When a
process becomes the scheduler it first *catches up*: a round whose meeting is still ahead but
which never went out is sent late; meetings that passed with no round are recorded as missed;
the agenda, summary and digests due in the meantime go out if they have not.

- ``sweep``           every minute, sends whatever the database says is due and not done: DMs
  held for a member's morning, transient failures, reminders of rounds sent late;
- ``catch-up``        on taking the lock, then hourly (above);
- ``feedback-reminders`` every hour, the one gentle reminder of a feedback request due tomorrow
  (bot.feedback.delivery.send_feedback_reminders);
- ``roles``           every few minutes, who holds each rotating role at each coming meeting,
  announced, and the facilitator's brief; circles' representatives and issues in common
  (bot.roles.usecases.rotate_roles, bot.circles.usecases.run_circle_jobs);
- ``decisions``       every 5 minutes, deciding's asks still due, reminders, objection rounds
  closing at their date, decisions back on the agenda at their review date
  (bot.decisions.usecases.run_decision_jobs);
- ``retros``          every minute, the retrospectives' openings, closes, reminders and DMs due
  (bot.retros.usecases.run_due; issue 18);
- ``retention``       daily, deletes rows older than app.yaml's ``organisation.retention``
  (bot.data.retention), when it is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.agenda.service import post_agenda, refresh_posted_agendas
from bot.checkins import rounds as checkin_rounds
from bot.checkins import usecases as checkins
from bot.checkins.model import worth_retrying
from bot.circles import usecases as circles
from bot.core.config import TeamConfig
from bot.core.meetings import meetings_from
from bot.data.retention import purge_now
from bot.decisions.usecases import run_decision_jobs
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.feedback.delivery import send_feedback_reminders
from bot.jobs.triggers import WeeklyTrigger, coach_schedules, previous_week
from bot.retros.usecases import run_due as run_due_retros
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack.outbox import IN_DOUBT_AFTER
from storage.models import (
    CheckinPrompt,
    CheckinRound,
    DigestKind,
    PromptStatus,
    RoundStatus,
    SentDigest,
)

logger = logging.getLogger(__name__)


# --- What is due ------------------------------------------------------------------------------


@dataclass
class DueWork:
    """Teams whose open round has DMs or reminders due now, as the database has it."""

    send: set[str] = field(default_factory=set)
    remind: set[str] = field(default_factory=set)


def due_work(services: Services, now: datetime) -> DueWork:
    """What the sweep should do: a few aggregate queries over every team's open round."""
    work = DueWork()
    teams = {team.id: team for team in services.config.teams}
    round_open = (
        (col(CheckinRound.status) == RoundStatus.OPEN)
        & (col(CheckinRound.meeting_at) > now)
        & col(CheckinRound.team_id).in_(list(teams))
    )
    joined = select(CheckinRound.team_id).join(
        CheckinPrompt, col(CheckinPrompt.round_id) == col(CheckinRound.id)
    )
    with services.session() as session:
        pending = session.exec(
            joined.where(
                round_open,
                (
                    (col(CheckinPrompt.status) == PromptStatus.PENDING)
                    & (
                        col(CheckinPrompt.not_before).is_(None)
                        | (col(CheckinPrompt.not_before) <= now)
                    )
                )
                | (
                    (col(CheckinPrompt.status) == PromptStatus.SENDING)
                    & (col(CheckinPrompt.claimed_at) <= now - IN_DOUBT_AFTER)
                ),
            ).distinct()
        ).all()
        work.send.update(pending)
        failed = session.exec(
            select(CheckinRound.team_id, CheckinPrompt.error)
            .join(CheckinPrompt, col(CheckinPrompt.round_id) == col(CheckinRound.id))
            .where(round_open, col(CheckinPrompt.status) == PromptStatus.FAILED)
            .distinct()
        ).all()
        work.send.update(team for team, error in failed if worth_retrying(error))
        oldest = session.exec(
            select(CheckinRound.team_id, func.min(CheckinPrompt.sent_at))
            .join(CheckinPrompt, col(CheckinPrompt.round_id) == col(CheckinRound.id))
            .where(
                round_open,
                col(CheckinPrompt.status) == PromptStatus.SENT,
                col(CheckinPrompt.reminded_at).is_(None),
            )
            .group_by(col(CheckinRound.team_id))
        ).all()
        for team_id, sent_at in oldest:
            if sent_at is not None and sent_at <= now - teams[team_id].tactical.reminder_after:
                work.remind.add(team_id)
    return work


def _has_sent(
    services: Services, *, kind: DigestKind, recipient: str | None, team_id: str | None
) -> bool:
    """True when a weekly delivery of this kind went to this recipient (or team) before."""
    statement = select(SentDigest.id).where(SentDigest.kind == kind)
    if recipient is not None:
        statement = statement.where(SentDigest.recipient == recipient)
    if team_id is not None:
        statement = statement.where(SentDigest.team_id == team_id)
    with services.session() as session:
        return session.exec(statement.limit(1)).first() is not None


# --- The jobs ---------------------------------------------------------------------------------


class Jobs:
    """The scheduler's jobs, as methods the scheduler names (bot.jobs.triggers' ``action``).

    A job that is still running when it falls due again in this process is skipped; across
    processes only the scheduler's leader runs jobs, and the database keeps each from doubling.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    @contextmanager
    def _exclusive(self, key: str) -> Iterator[bool]:
        """True if no other job of this process is doing ``key`` right now (then it is ours)."""
        with self._busy_lock:
            free = key not in self._busy
            self._busy.add(key)
        try:
            yield free
        finally:
            if free:
                with self._busy_lock:
                    self._busy.discard(key)

    def _guarded(self, key: str, what: str, work: Callable[[], Any]) -> None:
        with self._exclusive(key) as free:
            if not free:
                logger.debug("%s is already running here; skipped", what)
                return
            try:
                work()
            except Exception:
                logger.exception("%s failed", what)

    def open_checkin(self, team_id: str) -> None:
        """Open the team's round and DM its members."""
        self._guarded(
            f"send:{team_id}",
            f"The check-in of {team_id}",
            lambda: checkins.send_round(self.services, team_id=team_id, now=self.services.now()),
        )

    def send_due(self, team_id: str) -> None:
        """Send what the team's open round has due (no user group read)."""
        self._guarded(
            f"send:{team_id}",
            f"The check-in of {team_id}",
            lambda: checkins.send_round(
                self.services, team_id=team_id, now=self.services.now(), read_members=False
            ),
        )

    def remind(self, team_id: str) -> None:
        """Remind the team's silent members, once."""
        self._guarded(
            f"remind:{team_id}",
            f"The reminders of {team_id}",
            lambda: checkins.send_reminders(
                self.services, team_id=team_id, now=self.services.now()
            ),
        )

    def post_agenda(self, team_id: str) -> None:
        """Post (or update) the team's agenda."""

        def work() -> None:
            post_agenda(self.services, team_id=team_id, now=self.services.now())

        self._guarded(f"agenda:{team_id}", f"The agenda of {team_id}", work)

    def team_summary(self, team_id: str) -> None:
        """Post the team's summary of the previous ISO week (once)."""

        def work() -> None:
            now = self.services.now()
            team = self.services.config.team(team_id)
            week = previous_week(now, team.zone)
            send_team_summary(self.services, team_id=team_id, week=week, now=now)

        self._guarded(f"summary:{team_id}", f"The summary of {team_id}", work)

    def coach_digest(self, coach_id: str) -> None:
        """DM the coach their digest of the previous ISO week (once)."""

        def work() -> None:
            now = self.services.now()
            schedule = coach_schedules(self.services.config).get(coach_id)
            if schedule is None:
                return  # no longer a coach
            week = previous_week(now, schedule[1])
            send_coach_digest(self.services, coach_id=coach_id, week=week, now=now)

        self._guarded(f"digest:{coach_id}", f"The digest of {coach_id}", work)

    def feedback_reminders(self) -> None:
        """Every hour: remind, once, whoever was asked for feedback due tomorrow."""

        def work() -> None:
            send_feedback_reminders(self.services, now=self.services.now())

        self._guarded("feedback-reminders", "The feedback reminders", work)

    def rotate_roles(self) -> None:
        """Every few minutes (bot/roles, bot/circles): record who holds each rotating role at
        each team's coming meeting, announce it, brief the facilitators whose agenda is out;
        then keep each circle's members its representatives and post its issues in common."""

        def work() -> None:
            now = self.services.now()
            roles.rotate_roles(self.services, now=now)
            circles.run_circle_jobs(self.services, now=now)  # representatives, issues in common

        self._guarded("roles", "The roles' rotation", work)

    def decision_jobs(self) -> None:
        """Every 5 minutes: proposals' asks still due, reminders, rounds closing, reviews."""

        def work() -> None:
            now = self.services.now()
            report = run_decision_jobs(self.services, now=now)
            refresh_posted_agendas(self.services, round_ids=report.agenda_rounds, now=now)

        self._guarded("decisions", "The decision jobs", work)

    def retros(self) -> None:
        """Every minute: the retrospectives' openings, closes, reminders and DMs due (issue 18)."""
        self._guarded("retros", "The retrospectives", lambda: run_due_retros(self.services))

    def purge_expired(self) -> None:
        """Every day: delete what is older than the retention period (bot.data.retention)."""

        def work() -> None:
            purge_now(self.services)

        self._guarded("retention", "The retention purge", work)

    def sweep(self) -> None:
        """Every minute: close past rounds, and hand due DMs and reminders to the job pool."""
        now = self.services.now()
        checkins.close_past_rounds(self.services, now=now)
        work = due_work(self.services, now)
        for team_id in sorted(work.send):
            self._submit(self.send_due, team_id, f"sweep-send:{team_id}")
        for team_id in sorted(work.remind):
            self._submit(self.remind, team_id, f"sweep-remind:{team_id}")

    def _submit(self, func: Callable[[str], None], key: str, job_id: str) -> None:
        """Do ``func(key)`` now; the Scheduler hands it to its job pool instead while leading."""
        func(key)

    def catch_up(self) -> None:
        """What fell due while no process ran the jobs, now: late rounds, missed meetings,
        the agenda, summaries and digests (each of which the database keeps from doubling)."""
        now = self.services.now()
        for team in self.services.config.teams:
            try:
                self._catch_up_team(team, now)
            except Exception:
                logger.exception("Catching up team %s failed", team.id)
        for coach_id, (team, zone) in coach_schedules(self.services.config).items():
            trigger = WeeklyTrigger(team.digest.day, team.digest.time, zone)
            if now - trigger.latest(now) < timedelta(days=7) and _has_sent(
                self.services, kind=DigestKind.COACH_DIGEST, recipient=coach_id, team_id=None
            ):
                self.coach_digest(coach_id)
        self.sweep()

    def _catch_up_team(self, team: TeamConfig, now: datetime) -> None:
        """Catch one team up. Before its first round retrobot was not running for the team, so
        a team with no earlier round has missed nothing: its first round is the next one due."""
        checkins.catch_up_rounds(self.services, team=team, now=now)
        meeting = meetings_from(team, now, 1)[0]
        with self.services.session() as session:
            history = session.exec(
                select(CheckinRound.id)
                .where(CheckinRound.team_id == team.id, CheckinRound.meeting_date < meeting.date)
                .limit(1)
            ).first()
            found = checkin_rounds.round_for(session, team_id=team.id, meeting_date=meeting.date)
            asked = found is not None and (
                session.exec(
                    select(CheckinPrompt.id).where(CheckinPrompt.round_id == found.id).limit(1)
                ).first()
                is not None
            )
        if history is None and found is None:
            return
        if meeting.checkin_opens(team) <= now and not asked:
            logger.warning(
                "Team %s: the check-in for %s was due while retrobot was down; sending it now",
                team.id,
                meeting.date,
            )
            self.open_checkin(team.id)
        if meeting.agenda_due(team) <= now:
            self.post_agenda(team.id)
        summary = WeeklyTrigger(team.digest.day, team.digest.time, team.zone)
        if now - summary.latest(now) < timedelta(days=7) and _has_sent(
            self.services, kind=DigestKind.TEAM_SUMMARY, recipient=None, team_id=team.id
        ):
            self.team_summary(team.id)
