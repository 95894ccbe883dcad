"""The scheduler in a process of its own, beside gunicorn's master (see bot.server).

Why not threads of the master: gunicorn forks a worker from the master whenever it starts or
replaces one. A fork copies every lock of the parent in the state it is in at that instant, and
only the forking thread lives on in the child. If a scheduler thread is inside SQLite (its
global mutexes), OpenSSL or getaddrinfo at that moment, the new worker inherits a copy of that
lock that nobody will ever release: its first database or Slack call hangs for ever, and so does
every request it takes after. With 1,000 teams the start-up catch-up keeps the scheduler in
SQLite exactly while the workers are forked: bench/ack_bench.py saw whole workers stop
answering, every ack timing out after 3 s.

So the master starts the scheduler as a fresh interpreter (fork and exec, which carries no locks
over), hands it the settings and the configuration on its stdin (a file it reads when ready),
forwards SIGHUP to it (app.yaml is read again) and stops it with SIGTERM on exit (the jobs
finish and the lock is given up). The scheduler process also stops by itself when the master
is gone, so a killed server never leaves a scheduler holding the lock.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.core import heap
from bot.core.config import AppConfig
from bot.core.settings import Settings
from bot.jobs.scheduler import Scheduler, reload_on_sighup
from bot.services import Services
from storage import db

logger = logging.getLogger(__name__)

PARENT_CHECK_EVERY = 1.0  # seconds between the scheduler process's looks at its parent
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as the command line logs


@dataclass(frozen=True)
class _Launch:
    """What the scheduler process is given on its stdin."""

    settings: Settings
    config: AppConfig
    log_level: int
    parent: int


class SchedulerProcess:
    """The scheduler's own process, as the master sees it: start, reload, stop."""

    def __init__(
        self,
        settings: Settings,
        config: AppConfig,
        *,
        stderr: IO[Any] | None = None,
        log_level: int | None = None,
    ) -> None:
        """``stderr`` defaults to this process's, ``log_level`` to its root logger's."""
        self.settings = settings
        self.config = config
        self._stderr = stderr
        self._log_level = log_level
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The scheduler process's id, while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> SchedulerProcess:
        """Start the scheduler process (it competes for the lock and runs the jobs)."""
        if self._process is not None:
            return self
        launch = _Launch(
            settings=self.settings,
            config=self.config,
            log_level=self._log_level or logging.getLogger().getEffectiveLevel(),
            parent=os.getpid(),
        )
        package_root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        # The launch goes in a file, not a pipe: a 1,000-team configuration pickles to more
        # than a pipe holds, and writing it would keep the master waiting until the new
        # interpreter had imported everything and read it — before gunicorn forks any worker.
        with tempfile.TemporaryFile() as launch_file:
            pickle.dump(launch, launch_file)
            launch_file.seek(0)
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from bot.jobs.process import main; main()"],
                stdin=launch_file,
                stderr=self._stderr,
                env=env,
            )
        return self

    def reload(self) -> None:
        """Make the scheduler read app.yaml again and derive its jobs anew (SIGHUP)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGHUP)

    def stop(self, timeout: float = 40.0) -> int | None:
        """Stop the scheduler (running jobs finish, the lock is released); its exit code.

        gunicorn's master reaps any child that exits, so the code may be unknown (0 then).
        """
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.error("The scheduler did not stop within %.0f s; killing it", timeout)
                process.kill()
        return process.wait()


def run(launch: _Launch) -> None:
    """The scheduler process: run the scheduler until SIGTERM, SIGINT or the master's end."""
    stop = threading.Event()

    def on_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    services = Services(
        config=launch.config,
        settings=launch.settings,
        engine=db.make_engine(launch.settings.database_url),
    )
    scheduler = Scheduler(services).start()
    heap.settle()
    reload_on_sighup(scheduler)
    try:
        while not stop.wait(PARENT_CHECK_EVERY):
            if os.getppid() != launch.parent:
                logger.warning("retrobot's server process is gone; the scheduler stops too")
                break
    finally:
        scheduler.stop()
        services.engine.dispose()


def main() -> None:
    """The scheduler process's entry point (the master starts it, see SchedulerProcess)."""
    launch: _Launch = pickle.load(sys.stdin.buffer)
    logging.basicConfig(level=launch.log_level, format=LOG_FORMAT)
    if launch.log_level > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    run(launch)
