"""The scheduler: each team's check-ins, reminders and agenda, the coach digests, the summaries.

Jobs are derived from app.yaml (and derived again on SIGHUP or a restart). Their times come from
bot.core.meetings, so a team's meeting stays at its local hour across daylight-saving changes and a
fortnightly cadence keeps its weeks:

- ``checkin:<team>``  opens the round ``checkin_lead`` before each meeting;
- ``remind:<team>``   reminds the silent ``reminder_after`` later;
- ``agenda:<team>``   posts the agenda ``agenda_lead`` before the meeting;
- ``summary:<team>``  posts the team summary of the previous ISO week at the team's ``digest``
  day and time, in the team's zone;
- ``digest:<coach>``  DMs each coach their digest of the previous week at ``digest`` day and time
  in the coach's own zone (the first team they coach sets the day and time);
- ``sweep``           every minute, sends whatever the database says is due and not done: DMs
  held for a member's morning, transient failures, reminders of rounds sent late;
- ``catch-up``        on taking the lock, then hourly: see below.
- ``feedback-reminders`` every hour, the one gentle reminder of a feedback request due tomorrow
  (bot.feedback.delivery.send_feedback_reminders).
- ``retros``          every minute, the retrospectives' openings, closes, reminders and DMs due
  (bot.retros.usecases.run_due; issue 18).
- ``retention``       daily (first a few minutes after taking the lock), deletes rows older than
  app.yaml's ``organisation.retention`` (bot.data.retention), when it is set.

The database, not this module's memory, decides what was sent: every job is idempotent. When a
process becomes the scheduler it first *catches up*: a round whose meeting is still ahead but
which never went out is sent late; meetings that passed with no round are recorded as missed;
the agenda, summary and digests due in the meantime go out if they have not.

Exactly one process runs the jobs. It holds a database lock: on PostgreSQL a session advisory
lock on a dedicated connection (released when the process or its connection dies), elsewhere a
``scheduler_lock`` row with a lease the leader renews. Every other process polls, and takes over
when the lock is free or the lease has run out.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, create_engine, delete, func, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from bot.checkins import service as checkins
from bot.core.config import AppConfig, TeamConfig, load_config
from bot.core.errors import ConfigError
from bot.core.meetings import WEEKDAY_INDEX, iso_week, local_moment, meetings_from, shift_week
from bot.services import Services, sync_teams
from storage.models import (
    CheckinPrompt,
    CheckinRound,
    DigestKind,
    PromptStatus,
    RoundStatus,
    SchedulerLock,
    SentDigest,
)

logger = logging.getLogger(__name__)

# Any constant works as long as every retrobot process uses the same one (storage.db's migration
# lock uses another).
SCHEDULER_LOCK_KEY = 0x7265_7472_6F63  # "retroc"
LOCK_NAME = "scheduler"
LEASE = timedelta(seconds=30)  # a leader that stops renewing is replaced within this (+ a poll)
RENEW_EVERY = 10.0  # seconds between the leader's renewals
POLL_EVERY = 10.0  # seconds between a follower's attempts to take the lock
SWEEP_EVERY = 60.0  # seconds between sweeps for due work
CATCH_UP_EVERY = 3600.0  # seconds between catch-ups (the first runs on taking the lock)
EXECUTOR_THREADS = 10  # jobs running at once (each round sends from its own small pool)
RETENTION_EVERY = timedelta(days=1)
RETENTION_FIRST_AFTER = timedelta(minutes=5)  # after the catch-up has had its turn


# --- Triggers ---------------------------------------------------------------------------------


class MeetingTrigger(BaseTrigger):
    """Fires ``before`` each of a team's meetings (after it, when ``before`` is negative).

    Computed from the team's local meeting times (bot.core.meetings), never by adding weeks to a
    UTC moment, so a daylight-saving change neither moves the local hour nor skips or doubles a
    round; every ``N`` weeks from the team's start week is respected.
    """

    __slots__ = ("before", "team")

    def __init__(self, team: TeamConfig, before: timedelta) -> None:
        self.team = team
        self.before = before

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first moment after ``previous_fire_time`` (or from ``now``) this job is due."""
        after = previous_fire_time if previous_fire_time is not None else now - _TICK
        found = meetings_from(self.team, after + self.before, 1)
        return found[0].at - self.before if found else None

    def __str__(self) -> str:
        return f"meeting[{self.team.id}, {self.before} before]"


class WeeklyTrigger(BaseTrigger):
    """Fires every week on a local weekday and time in a zone (DST-proof, like meetings)."""

    __slots__ = ("at", "day", "zone")

    def __init__(self, day: str, at: clock_time, zone: ZoneInfo) -> None:
        self.day = WEEKDAY_INDEX[day]
        self.at = at
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first of these weekly moments after ``previous_fire_time`` (or from ``now``)."""
        after = previous_fire_time if previous_fire_time is not None else now - _TICK
        day = after.astimezone(self.zone).date()
        for offset in range(15):
            candidate = day + timedelta(days=offset)
            if candidate.weekday() == self.day:
                moment = local_moment(candidate, self.at, self.zone)
                if moment > after:
                    return moment
        return None

    def latest(self, now: datetime) -> datetime:
        """The latest of these moments at or before ``now``."""
        day = now.astimezone(self.zone).date()
        for offset in range(15):
            candidate = day - timedelta(days=offset)
            if candidate.weekday() == self.day:
                moment = local_moment(candidate, self.at, self.zone)
                if moment <= now:
                    return moment
        raise AssertionError("a weekday recurs within a fortnight")

    def __str__(self) -> str:
        return f"weekly[{self.day}, {self.at:%H:%M}, {self.zone.key}]"


_TICK = timedelta(microseconds=1)


# --- The jobs app.yaml asks for ---------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, when it fires, and what it does (a Scheduler method name)."""

    id: str
    trigger: BaseTrigger
    action: str
    key: str  # the team's or the coach's id the action takes


def coach_schedules(config: AppConfig) -> dict[str, tuple[TeamConfig, ZoneInfo]]:
    """Each coach's first team (whose digest day and time they follow) and their own zone."""
    schedules: dict[str, tuple[TeamConfig, ZoneInfo]] = {}
    zones: dict[str, ZoneInfo] = {}
    for team in config.teams:
        for coach in team.coaches:
            schedules.setdefault(coach.id, (team, team.zone))
            if coach.timezone and coach.id not in zones:
                zones[coach.id] = ZoneInfo(coach.timezone)
    return {coach: (team, zones.get(coach, zone)) for coach, (team, zone) in schedules.items()}


def derive_jobs(config: AppConfig) -> list[JobSpec]:
    """Every job this configuration asks for, in a stable order."""
    jobs = []
    for team in config.teams:
        tactical = team.tactical
        jobs += [
            JobSpec(
                f"checkin:{team.id}",
                MeetingTrigger(team, tactical.checkin_lead),
                "open_checkin",
                team.id,
            ),
            JobSpec(
                f"remind:{team.id}",
                MeetingTrigger(team, tactical.checkin_lead - tactical.reminder_after),
                "remind",
                team.id,
            ),
            JobSpec(
                f"agenda:{team.id}",
                MeetingTrigger(team, tactical.agenda_lead),
                "post_agenda",
                team.id,
            ),
            JobSpec(
                f"summary:{team.id}",
                WeeklyTrigger(team.digest.day, team.digest.time, team.zone),
                "team_summary",
                team.id,
            ),
        ]
    for coach_id, (team, zone) in coach_schedules(config).items():
        trigger = WeeklyTrigger(team.digest.day, team.digest.time, zone)
        jobs.append(JobSpec(f"digest:{coach_id}", trigger, "coach_digest", coach_id))
    return jobs


def previous_week(now: datetime, zone: ZoneInfo) -> str:
    """The ISO week before the one ``now`` falls in, reckoned in ``zone``."""
    return shift_week(iso_week(now, zone), -1)


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
                    & (col(CheckinPrompt.claimed_at) <= now - checkins.IN_DOUBT_AFTER)
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
        work.send.update(team for team, error in failed if checkins.worth_retrying(error))
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


# --- The lock that elects the scheduler -------------------------------------------------------


class LeaderLock(Protocol):
    """A lock at most one process holds; acquiring never blocks."""

    def acquire(self) -> bool:
        """Take the lock if it is free (or already ours); True when we hold it."""

    def renew(self) -> bool:
        """Confirm we still hold it; False when it was lost."""

    def release(self) -> None:
        """Give it up, if held."""

    def forget(self) -> None:
        """In a forked child: drop the parent's hold without touching it."""


class AdvisoryLock:
    """A PostgreSQL session advisory lock held on a connection of its own.

    The lock lives as long as the connection: when the process dies its connection closes and
    PostgreSQL frees the lock. TCP keepalives on both ends notice a machine that vanished.
    """

    def __init__(self, engine: Engine, key: int = SCHEDULER_LOCK_KEY) -> None:
        # No pool: closing the connection really closes it, so the lock can never linger.
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": 10,
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self.key = key
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Try pg_try_advisory_lock on a new connection; keep the connection if we got it."""
        if self._connection is not None:
            return self.renew()
        try:
            connection = self._engine.connect()
        except SQLAlchemyError:
            logger.warning("Cannot reach the database to take the scheduler lock", exc_info=True)
            return False
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
            connection.commit()
            if got:
                for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5"):
                    connection.execute(text(f"SET {setting}"))
                connection.commit()
        except SQLAlchemyError:
            logger.warning("Could not take the scheduler lock", exc_info=True)
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def renew(self) -> bool:
        """The lock is ours as long as its connection answers."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except SQLAlchemyError:
            logger.warning("Lost the scheduler lock's connection", exc_info=True)
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock and close the connection (closing alone would free it too)."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
        except SQLAlchemyError:
            logger.warning("Could not unlock the scheduler lock; closing its connection")
        self._drop()

    def forget(self) -> None:
        """In a forked child: forget the parent's connection (psycopg never closes it here)."""
        self._connection = None
        self._engine.dispose(close=False)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                logger.debug("Closing the lock connection failed", exc_info=True)


class LeaseLock:
    """A ``scheduler_lock`` row naming the holder until its lease runs out (SQLite and others).

    The holder renews the lease well before it expires; any process may take a lease that has
    run out. The clock is the services' clock, so tests can move time on.
    """

    def __init__(
        self,
        services: Services,
        *,
        holder: str,
        lease: timedelta = LEASE,
        name: str = LOCK_NAME,
    ) -> None:
        self.services = services
        self.holder = holder
        self.lease = lease
        self.name = name

    def acquire(self) -> bool:
        """Take the lease if nobody holds it, it has run out, or it is already ours."""
        now = self.services.now()
        with self.services.session() as session:
            taken = session.execute(
                update(SchedulerLock)
                .where(
                    col(SchedulerLock.name) == self.name,
                    (col(SchedulerLock.holder) == self.holder)
                    | (col(SchedulerLock.expires_at) <= now),
                )
                .values(holder=self.holder, expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken:
                session.commit()
                return True
            if session.get(SchedulerLock, self.name) is not None:
                return False
            session.add(
                SchedulerLock(name=self.name, holder=self.holder, expires_at=now + self.lease)
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def renew(self) -> bool:
        """Extend our lease; False when someone else holds it now."""
        now = self.services.now()
        with self.services.session() as session:
            kept = session.execute(
                update(SchedulerLock)
                .where(
                    col(SchedulerLock.name) == self.name, col(SchedulerLock.holder) == self.holder
                )
                .values(expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        return bool(kept)

    def release(self) -> None:
        """Give the lease up at once, so another process need not wait for it to run out."""
        with self.services.session() as session:
            session.execute(
                delete(SchedulerLock).where(
                    col(SchedulerLock.name) == self.name, col(SchedulerLock.holder) == self.holder
                )
            )
            session.commit()

    def forget(self) -> None:
        """Nothing is held open: the lease is a row."""


def instance_name() -> str:
    """This process's name in the lock: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def make_lock(services: Services, *, holder: str | None = None) -> LeaderLock:
    """The right lock for the database: an advisory lock on PostgreSQL, else a lease row."""
    if services.engine.dialect.name == "postgresql":
        return AdvisoryLock(services.engine)
    return LeaseLock(services, holder=holder or instance_name())


# --- The scheduler ----------------------------------------------------------------------------


class Scheduler:
    """Runs retrobot's jobs while this process holds the scheduler lock.

    ``start()`` begins a thread that takes the lock when it can; while it holds it, an
    APScheduler BackgroundScheduler runs the jobs of :func:`derive_jobs`. Losing the lock stops
    them; ``stop()`` stops everything and gives the lock up.
    """

    def __init__(
        self,
        services: Services,
        *,
        lock: LeaderLock | None = None,
        renew_every: float = RENEW_EVERY,
        poll_every: float = POLL_EVERY,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.services = services
        self.lock = lock or make_lock(services)
        self.renew_every = renew_every
        self.poll_every = poll_every
        self.sweep_every = sweep_every
        self._aps: BackgroundScheduler | None = None
        self._retired: list[BackgroundScheduler] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.RLock()
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        self.became_leader = threading.Event()
        _SCHEDULERS.add(self)

    # -- leadership ----------------------------------------------------------------------------

    @property
    def leading(self) -> bool:
        """True while this process runs the jobs."""
        return self._aps is not None

    def start(self) -> Scheduler:
        """Start competing for the lock (and running the jobs once it is ours)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="retrobot-scheduler", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the jobs (waiting for running ones) and release the lock."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
            return
        with self._guard:  # driven by step() alone, without the thread
            self._follow(wait=True)
            self.lock.release()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception:
                logger.exception("The scheduler's lock check failed; trying again")
            self._stopping.wait(self.renew_every if self.leading else self.poll_every)
        try:
            self._follow(wait=True)
        finally:
            try:
                self.lock.release()
            except Exception:
                logger.exception("Could not release the scheduler lock")

    def step(self) -> bool:
        """One round of the election: take the lock, or keep it, or notice it is lost."""
        with self._guard:
            if self._aps is None:
                if self.lock.acquire():
                    self._lead()
            elif not self.lock.renew():
                logger.warning("This process lost the scheduler lock; its jobs stop here")
                self._follow(wait=False)
            return self.leading

    def _lead(self) -> None:
        logger.info("This process now runs the scheduler")
        aps = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            executors={"default": {"type": "threadpool", "max_workers": EXECUTOR_THREADS}},
        )
        self._install(aps)
        aps.start()
        self._aps = aps
        self.became_leader.set()

    def _follow(self, *, wait: bool) -> None:
        aps, self._aps = self._aps, None
        if aps is not None:
            aps.shutdown(wait=wait)
            if not wait:
                self._retired.append(aps)  # its running jobs finish; stop() waits for them
        if wait:
            for retired in self._retired:
                for executor in retired._executors.values():
                    executor.shutdown(wait=True)
            self._retired.clear()

    def _install(self, aps: BackgroundScheduler) -> None:
        """Add the configured jobs, the sweep, and the catch-up (at once, then hourly)."""
        for spec in derive_jobs(self.services.config):
            aps.add_job(
                getattr(self, spec.action),
                trigger=spec.trigger,
                args=[spec.key],
                id=spec.id,
                name=spec.id,
                replace_existing=True,
            )
        aps.add_job(
            self.sweep,
            trigger=IntervalTrigger(seconds=self.sweep_every),
            id="sweep",
            name="sweep",
            replace_existing=True,
        )
        aps.add_job(
            self.catch_up,
            trigger=IntervalTrigger(seconds=CATCH_UP_EVERY),
            next_run_time=datetime.now(UTC),  # at once on taking over, then hourly
            id="catch-up",
            name="catch-up",
            replace_existing=True,
        )
        aps.add_job(
            self.feedback_reminders,
            trigger=IntervalTrigger(hours=1),
            next_run_time=self.services.now(),  # at once on taking over, then hourly
            id="feedback-reminders",
            name="feedback-reminders",
            replace_existing=True,
        )
        # Retrospectives (issue 18): openings, closes, reminders and DMs, as the database says.
        aps.add_job(
            self.retros,
            trigger=IntervalTrigger(seconds=self.sweep_every),
            id="retros",
            name="retros",
            replace_existing=True,
        )
        aps.add_job(
            self.purge_expired,
            trigger=IntervalTrigger(seconds=RETENTION_EVERY.total_seconds()),
            next_run_time=self.services.now() + RETENTION_FIRST_AFTER,
            id="retention",
            name="retention",
            replace_existing=True,
        )

    def reload(self, config: AppConfig | None = None) -> bool:
        """Read app.yaml again (or take ``config``), mirror it, and derive the jobs anew.

        A file with mistakes is reported in the log and the running configuration kept.
        """
        if config is None:
            try:
                config = load_config(self.services.config.source)
            except ConfigError as error:
                logger.error(
                    "app.yaml was not reloaded; keeping the running configuration:\n%s", error
                )
                return False
        with self.services.session() as session:
            sync_teams(session, config)
        self.services.config = config
        with self._guard:
            if self._aps is not None:
                self._aps.remove_all_jobs()
                self._install(self._aps)
        logger.info("app.yaml reloaded: %d teams", len(config.teams))
        return True

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """The scheduled jobs and their next run times (empty while not leading)."""
        aps = self._aps
        if aps is None:
            return []
        return [(job.id, job.next_run_time) for job in aps.get_jobs()]

    def _after_fork_in_child(self) -> None:
        # A gunicorn worker forked from the master that runs the scheduler: the worker must not
        # run jobs, close the master's lock connection or share its database connections.
        self._aps = None
        self._thread = None
        self._stopping.set()
        self.lock.forget()
        self.services.engine.dispose(close=False)

    # -- the jobs ------------------------------------------------------------------------------

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
            from bot.agenda.service import post_agenda

            post_agenda(self.services, team_id=team_id, now=self.services.now())

        self._guarded(f"agenda:{team_id}", f"The agenda of {team_id}", work)

    def team_summary(self, team_id: str) -> None:
        """Post the team's summary of the previous ISO week (once)."""

        def work() -> None:
            from bot.digests.service import send_team_summary

            now = self.services.now()
            team = self.services.config.team(team_id)
            week = previous_week(now, team.zone)
            send_team_summary(self.services, team_id=team_id, week=week, now=now)

        self._guarded(f"summary:{team_id}", f"The summary of {team_id}", work)

    def coach_digest(self, coach_id: str) -> None:
        """DM the coach their digest of the previous ISO week (once)."""

        def work() -> None:
            from bot.digests.service import send_coach_digest

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
            from bot.feedback.delivery import send_feedback_reminders

            send_feedback_reminders(self.services, now=self.services.now())

        self._guarded("feedback-reminders", "The feedback reminders", work)

    def retros(self) -> None:
        """Every minute: the retrospectives' openings, closes, reminders and DMs due (issue 18)."""

        def work() -> None:
            from bot.retros.usecases import run_due

            run_due(self.services)

        self._guarded("retros", "The retrospectives", work)

    def purge_expired(self) -> None:
        """Every day: delete what is older than the retention period (bot.data.retention)."""

        def work() -> None:
            from bot.data.retention import purge_now

            purge_now(self.services)

        self._guarded("retention", "The retention purge", work)

    def sweep(self) -> None:
        """Every minute: close past rounds, and hand due DMs and reminders to the job pool."""
        now = self.services.now()
        with self.services.session() as session:
            checkins.close_past_rounds(session, team_id=None, now=now)
        work = due_work(self.services, now)
        for team_id in sorted(work.send):
            self._submit(self.send_due, team_id, f"sweep-send:{team_id}")
        for team_id in sorted(work.remind):
            self._submit(self.remind, team_id, f"sweep-remind:{team_id}")

    def _submit(self, func: Callable[[str], None], key: str, job_id: str) -> None:
        aps = self._aps
        if aps is not None:
            aps.add_job(func, args=[key], id=job_id, name=job_id, replace_existing=True)
        else:
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
        with self.services.session() as session:
            checkins.close_past_rounds(session, team_id=team.id, now=now)
            checkins.record_missed(session, team=team, now=now)
        meeting = meetings_from(team, now, 1)[0]
        with self.services.session() as session:
            history = session.exec(
                select(CheckinRound.id)
                .where(CheckinRound.team_id == team.id, CheckinRound.meeting_date < meeting.date)
                .limit(1)
            ).first()
            found = checkins.round_for(session, team_id=team.id, meeting_date=meeting.date)
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


# --- Running it -------------------------------------------------------------------------------

# Every Scheduler of this process, so that a forked child (a gunicorn worker) can disown them.
_SCHEDULERS: weakref.WeakSet[Scheduler] = weakref.WeakSet()


def _disown_schedulers_in_child() -> None:
    for scheduler in list(_SCHEDULERS):
        scheduler._after_fork_in_child()


os.register_at_fork(after_in_child=_disown_schedulers_in_child)


def start_scheduler(services: Services, **kwargs: Any) -> Scheduler:
    """Start competing for the scheduler lock in this process."""
    return Scheduler(services, **kwargs).start()


def reload_on_sighup(scheduler: Scheduler) -> None:
    """Re-derive the jobs from app.yaml when the process gets SIGHUP (main thread only)."""

    def on_hangup(signum: int, frame: Any) -> None:
        # Database work does not belong in a signal handler: a thread does it.
        threading.Thread(target=scheduler.reload, name="retrobot-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, on_hangup)
