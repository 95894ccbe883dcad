"""The scheduler: exactly one process runs retrobot's jobs, and takes over when that one stops.

Jobs are derived from app.yaml (bot.jobs.triggers; derived again on SIGHUP or a restart) and
what each does is in bot.jobs.tasks. Exactly one process runs them. It holds a database lock
(storage.locks): on PostgreSQL a session advisory lock on a dedicated connection (released when
the process or its connection dies), elsewhere a ``scheduler_lock`` row with a lease the leader
renews. Every other process polls, and takes over when the lock is free or the lease has run
out. On taking the lock the leader catches up at once, then hourly; the retention purge first
runs a few minutes later.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.config import AppConfig, load_config
from bot.core.errors import ConfigError
from bot.jobs.tasks import Jobs
from bot.jobs.triggers import derive_jobs
from bot.services import Services, sync_teams
from storage.locks import LeaderLock, make_lock

logger = logging.getLogger(__name__)

RENEW_EVERY = 10.0  # seconds between the leader's renewals
POLL_EVERY = 10.0  # seconds between a follower's attempts to take the lock
SWEEP_EVERY = 60.0  # seconds between sweeps for due work
CATCH_UP_EVERY = 3600.0  # seconds between catch-ups (the first runs on taking the lock)
EXECUTOR_THREADS = 10  # jobs running at once (each round sends from its own small pool)
RETENTION_EVERY = timedelta(days=1)
RETENTION_FIRST_AFTER = timedelta(minutes=5)  # after the catch-up has had its turn
ROLES_EVERY = timedelta(minutes=5)  # bot/roles: rotation, announcements, facilitator briefs


class Scheduler(Jobs):
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
        super().__init__(services)
        self.lock = lock or make_lock(services)
        self.renew_every = renew_every
        self.poll_every = poll_every
        self.sweep_every = sweep_every
        self._aps: BackgroundScheduler | None = None
        self._retired: list[BackgroundScheduler] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.RLock()
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
        for job_id, action, every, first in self._periodic_jobs():
            when = {} if first is None else {"next_run_time": first}  # None would pause it
            aps.add_job(
                action,
                trigger=IntervalTrigger(seconds=every.total_seconds()),
                id=job_id,
                name=job_id,
                replace_existing=True,
                **when,
            )

    def _periodic_jobs(self) -> list[tuple[str, Callable[[], Any], timedelta, datetime | None]]:
        """The jobs that run every so often whatever app.yaml says: their id, action, period
        and first run (None: one period after taking over)."""
        now = self.services.now()
        sweep = timedelta(seconds=self.sweep_every)
        return [
            ("sweep", self.sweep, sweep, None),
            ("catch-up", self.catch_up, timedelta(seconds=CATCH_UP_EVERY), datetime.now(UTC)),
            ("feedback-reminders", self.feedback_reminders, timedelta(hours=1), now),
            # Retrospectives: openings, closes, reminders and DMs, as the database says.
            ("retros", self.retros, sweep, None),
            # Roles: rotation, its announcements and the facilitator's brief.
            ("roles", self.rotate_roles, ROLES_EVERY, now),
            ("decisions", self.decision_jobs, timedelta(minutes=5), now),
            ("retention", self.purge_expired, RETENTION_EVERY, now + RETENTION_FIRST_AFTER),
        ]

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

    def _submit(self, func: Callable[[str], None], key: str, job_id: str) -> None:
        """While leading, hand ``func(key)`` to the job pool (the sweep does not wait for it)."""
        aps = self._aps
        if aps is not None:
            aps.add_job(func, args=[key], id=job_id, name=job_id, replace_existing=True)
        else:
            func(key)


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
