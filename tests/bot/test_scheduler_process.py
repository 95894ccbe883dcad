"""The scheduler's own process: started beside the server, reloaded, stopped, never orphaned."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.config import load_config
from bot.core.settings import Settings
from bot.jobs.process import SchedulerProcess
from bot.services import Services, open_services
from bot.standin.web_api import FakeSlack
from storage.locks import make_lock
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEST_APP_YAML

LEADER = "This process now runs the scheduler"
REPO = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def app_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    return path


@pytest.fixture
def scheduler_settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        database_url=database_url,
    )


def test_the_scheduler_runs_in_a_process_of_its_own_reloads_and_gives_the_lock_up(
    scheduler_settings: Settings, app_yaml: Path, tmp_path: Path
) -> None:
    config = load_config(app_yaml)
    open_services(scheduler_settings, config).engine.dispose()
    log_path = tmp_path / "scheduler.log"
    with log_path.open("w") as log:
        process = SchedulerProcess(
            scheduler_settings, config, stderr=log, log_level=logging.INFO
        ).start()
        try:
            assert process.pid is not None and process.pid != os.getpid()
            wait_until(lambda: LEADER in log_path.read_text(), 30, "it never took the lock")
            process.reload()
            wait_until(
                lambda: "app.yaml reloaded: 2 teams" in log_path.read_text(), 30, "no reload"
            )
        finally:
            assert process.stop() == 0
    assert "Traceback" not in log_path.read_text()
    # The lock was given up on the way out: another process can take it at once.
    services = Services(
        config=config,
        settings=scheduler_settings,
        engine=open_services(scheduler_settings, config).engine,
    )
    lock = make_lock(services)
    try:
        assert lock.acquire()
    finally:
        lock.release()
        services.engine.dispose()


def test_the_scheduler_stops_when_the_server_that_started_it_is_killed(
    scheduler_settings: Settings, app_yaml: Path, tmp_path: Path
) -> None:
    config = load_config(app_yaml)
    open_services(scheduler_settings, config).engine.dispose()
    server = textwrap.dedent(
        f"""
        import logging, threading
        from bot.core.config import load_config
        from bot.jobs.process import SchedulerProcess
        from bot.core.settings import Settings
        settings = Settings(
            bot_token={BOT_TOKEN!r},
            signing_secret={SIGNING_SECRET!r},
            slack_api_url={scheduler_settings.slack_api_url!r},
            database_url={scheduler_settings.database_url!r},
        )
        config = load_config({str(app_yaml)!r})
        process = SchedulerProcess(settings, config, log_level=logging.INFO).start()
        print(process.pid, flush=True)
        threading.Event().wait()
        """
    )
    with (tmp_path / "server.log").open("w") as log:
        master = subprocess.Popen(
            [sys.executable, "-c", server], cwd=REPO, stdout=subprocess.PIPE, stderr=log
        )
        try:
            assert master.stdout is not None
            scheduler_pid = int(master.stdout.readline())
            wait_until(lambda: LEADER in (tmp_path / "server.log").read_text(), 30, "never leader")
            master.send_signal(signal.SIGKILL)
            master.wait()
            # The orphan notices within a second or so, stops its jobs and exits.
            wait_until(lambda: not alive(scheduler_pid), 30, "the scheduler outlived its server")
        finally:
            if master.poll() is None:
                master.kill()
                master.wait()
            master.stdout.close()
    assert "the scheduler stops too" in (tmp_path / "server.log").read_text()
