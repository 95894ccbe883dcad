"""`retrobot serve` as a real process: both modes start, /healthz, SIGTERM, data across restarts."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import ids
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BOT_TOKEN, NORTH_CHANNEL, SIGNING_SECRET, TEST_APP_YAML
from tests.journeys.steps import serve_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve_env(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> dict[str, str]:
    config = tmp_path / "app.yaml"
    config.write_text(TEST_APP_YAML, encoding="utf-8")
    return serve_environment(fake_slack, database_url, config)


class Served:
    """A `retrobot serve` process and its log."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        self.close()
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def wait_healthy(url: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return json.loads(answer.read())
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def serve(serve_env: dict[str, str], tmp_path: Path) -> Iterator:
    started: list[Served] = []

    def start(*args: str, log: str = "serve.log") -> Served:
        served = Served(list(args), serve_env, tmp_path / log)
        started.append(served)
        return served

    yield start
    for served in started:
        served.close()


def raise_tension(sender: SlackSender, fake: FakeSlack, text: str) -> None:
    before = len(fake.views_opened(ANA))
    sender.command("/tension", "", user_id=ANA, channel_id=NORTH_CHANNEL)
    view = fake.wait_for(
        lambda: fake.views_opened(ANA)[-1] if len(fake.views_opened(ANA)) > before else None,
        timeout=10,
    )
    dms = len(fake.dms(ANA))
    sender.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: text})
    fake.wait_for(lambda: len(fake.dms(ANA)) > dms, timeout=10)


def test_http_mode_serves_survives_restart_and_stops_on_sigterm(
    serve, fake_slack: FakeSlack
) -> None:
    port = free_port()
    first = serve("--http", "--port", str(port), "--workers", "2")
    assert wait_healthy(f"http://127.0.0.1:{port}/healthz") == {"ok": True}
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack)
    raise_tension(sender, fake_slack, "Rota gaps on Sundays")
    assert first.stop() == 0
    log = first.log
    assert "retrobot serving over HTTP on 127.0.0.1:" in log
    assert "2 teams loaded (north, south)" in log
    assert "Traceback" not in log and BOT_TOKEN not in log and SIGNING_SECRET not in log

    port = free_port()
    second = serve("--http", "--port", str(port), log="serve2.log")
    wait_healthy(f"http://127.0.0.1:{port}/healthz")
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack)
    published = len(fake_slack.calls_to("views.publish"))
    sender.app_home_opened(ANA)
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > published, timeout=10)
    assert "Rota gaps on Sundays" in json.dumps(fake_slack.home(ANA))
    assert second.stop() == 0


def test_socket_mode_connects_through_slack_api_url(
    serve, serve_env: dict[str, str], fake_slack: FakeSlack
) -> None:
    serve_env["SLACK_APP_TOKEN"] = "xapp-1-test"
    served = serve()
    code = served.process.wait(timeout=30)
    log = served.log
    assert "retrobot serving over Socket Mode" in log
    assert fake_slack.calls_to("apps.connections.open")  # it asked the stand-in, not slack.com
    # The stand-in speaks only HTTP, so Slack "refuses"; that is one kind line, not a traceback.
    assert code == 1
    assert "Slack refused the Socket Mode connection (" in log
    assert "Traceback" not in log


def test_socket_mode_keeps_trying_while_slack_cannot_be_reached_and_stops_on_sigterm(
    serve, serve_env: dict[str, str]
) -> None:
    serve_env["SLACK_APP_TOKEN"] = "xapp-1-test"
    serve_env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens
    served = serve()
    deadline = time.monotonic() + 30
    while "Slack cannot be reached yet" not in served.log and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Slack cannot be reached yet" in served.log
    assert served.process.poll() is None, "it keeps trying instead of dying"
    assert served.stop() == 0
    assert "Traceback" not in served.log


def test_missing_token_is_one_line_naming_the_variable(serve, serve_env: dict[str, str]) -> None:
    del serve_env["SLACK_BOT_TOKEN"]
    served = serve("--http", "--port", str(free_port()))
    assert served.process.wait(timeout=30) == 1
    assert served.log.strip() == (
        "SLACK_BOT_TOKEN is not set: retrobot needs the bot token (xoxb-...)."
    )
