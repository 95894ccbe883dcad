"""The scheduler inside `retrobot serve`, as real processes: one per deployment, however many
workers; a late round on start-up, nothing twice after a restart; SIGHUP; takeover."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import parse_config
from bot.core.settings import Settings
from bot.services import open_services
from bot.standin.web_api import FakeSlack
from storage.models import CheckinRound, RoundStatus
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    DEV,
    SHARED,
    TEST_APP_YAML,
)
from tests.journeys.steps import serve_environment
from tests.journeys.test_serve import Served, free_port

NORTH = [ANA, BEN, CARA, DEV, SHARED]
LEADER = "This process now runs the scheduler"


@pytest.fixture
def env(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> dict[str, str]:
    """The environment of `retrobot serve` for these tests (app.yaml written by each test)."""
    environment = serve_environment(fake_slack, database_url, tmp_path / "app.yaml")
    Path(environment["RETROBOT_CONFIG"]).write_text(TEST_APP_YAML, encoding="utf-8")
    return environment


@pytest.fixture
def start(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Starts `retrobot serve` processes; each is killed (by its pid) at the end if still up."""
    started: list[Served] = []

    def run(*args: str, log: str = "serve.log") -> Served:
        served = Served(list(args), env, tmp_path / log)
        started.append(served)
        return served

    yield run
    for served in started:
        served.close()


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    """Wait for /healthz to answer (patiently: the machine may be busy with other tests)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for_log(served: Served, words: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while words not in served.log:
        assert time.monotonic() < deadline, served.log
        time.sleep(0.1)


def meeting_soon_yaml() -> tuple[str, datetime]:
    """North meets in two hours' time (London), so its round opened 22 hours ago."""
    london = ZoneInfo("Europe/London")
    meeting = (
        (datetime.now(UTC) + timedelta(hours=2)).astimezone(london).replace(second=0, microsecond=0)
    )
    tactical = f'{{day: {meeting:%A}, time: "{meeting:%H:%M}"}}'.lower()
    text = TEST_APP_YAML.replace("    metrics:\n", f"    tactical: {tactical}\n    metrics:\n", 1)
    return text, meeting.astimezone(UTC)


@pytest.fixture
def history(env: dict[str, str], fake_slack: FakeSlack) -> datetime:
    """North had a round last week (retrobot ran then); this week's is due and was not sent."""
    text, meeting = meeting_soon_yaml()
    Path(env["RETROBOT_CONFIG"]).write_text(text, encoding="utf-8")
    config = parse_config(text)
    settings = Settings(
        bot_token="xoxb-x", slack_api_url=fake_slack.url, database_url=env["DATABASE_URL"]
    )
    services = open_services(settings, config)
    with services.session() as session:
        last_week = meeting - timedelta(days=7)
        session.add(
            CheckinRound(
                team_id="north",
                meeting_date=last_week.astimezone(ZoneInfo("Europe/London")).date(),
                meeting_at=last_week,
                opens_at=last_week - timedelta(hours=24),
                status=RoundStatus.CLOSED,
            )
        )
        session.commit()
    services.engine.dispose()
    return meeting


def dms(fake: FakeSlack) -> dict[str, int]:
    return {user: len(fake.dms(user)) for user in NORTH}


def test_one_scheduler_for_many_workers_sends_the_late_round_once_and_reloads_on_sighup(
    start: Callable[..., Served], env: dict[str, str], fake_slack: FakeSlack, history: datetime
) -> None:
    port = free_port()
    first = start("--http", "--port", str(port), "--workers", "2")
    wait_healthy(port)
    fake_slack.wait_for(lambda: dms(fake_slack) == dict.fromkeys(NORTH, 1), timeout=30)
    assert "later than planned" in fake_slack.dms(ANA)[0].all_text
    assert first.log.count(LEADER) == 1  # the master runs it; the two workers do not

    config = Path(env["RETROBOT_CONFIG"])
    config.write_text(config.read_text().replace("North Neighbourhood Team", "North"), "utf-8")
    first.process.send_signal(signal.SIGHUP)
    wait_for_log(first, "app.yaml reloaded: 2 teams", 20)
    assert first.stop() == 0
    assert "Traceback" not in first.log

    # A restart finds the round already sent: nobody is asked again.
    port = free_port()
    second = start("--http", "--port", str(port), log="serve2.log")
    wait_healthy(port)
    wait_for_log(second, LEADER, 20)
    time.sleep(2)  # the catch-up runs at once on taking the lock
    assert second.stop() == 0
    assert dms(fake_slack) == dict.fromkeys(NORTH, 1)
    assert len(fake_slack.calls_to("chat.postMessage")) == len(NORTH)


def test_another_instance_takes_over_when_the_leader_is_killed(
    start: Callable[..., Served], fake_slack: FakeSlack, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "on SQLite the lease takes 30 s to run out; tests/bot/test_scheduler.py moves "
            "its clock instead"
        )
    first = start("--http", "--port", str(free_port()))
    wait_for_log(first, LEADER, 30)
    second = start("--http", "--port", str(free_port()), log="serve2.log")
    time.sleep(3)
    assert LEADER not in second.log  # the lock is held
    os.kill(first.process.pid, signal.SIGKILL)  # the master: its lock's connection dies with it
    first.process.wait()
    wait_for_log(second, LEADER, 60)
    assert second.stop() == 0
    assert "Traceback" not in second.log
