"""Socket Mode at start-up when Slack cannot be reached: retrobot keeps trying with backoff and
says so once a minute; a refusal (a bad token) still stops it at once."""

from __future__ import annotations

import logging
import urllib.error

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.server import LONGEST_WAIT, connect_patiently


def answer(status: int, error: str) -> SlackResponse:
    return SlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/apps.connections.open",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing(times: int, error: BaseException) -> tuple[list[int], object]:
    calls: list[int] = []

    def connect() -> None:
        calls.append(1)
        if len(calls) <= times:
            raise error

    return calls, connect


def test_an_unreachable_slack_is_tried_again_with_backoff_and_one_line_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    calls, connect = failing(9, urllib.error.URLError("no route to host"))
    with caplog.at_level(logging.INFO, logger="bot.server"):
        connect_patiently(connect, sleep=clock.sleep, clock=lambda: clock.now)  # type: ignore[arg-type]
    assert len(calls) == 10
    assert clock.slept == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert max(clock.slept) == LONGEST_WAIT
    waiting = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    # Attempt 1 at 0 s, then the first attempt a minute or more later (63 s), then 123 s, 183 s...
    assert len(waiting) == 4
    assert waiting[0].startswith("Slack cannot be reached yet (URLError); retrobot keeps trying")
    assert "Connected to Slack after 10 attempts." in caplog.text


def test_slack_answering_5xx_or_429_is_waited_out_too() -> None:
    clock = Clock()
    for status, error in ((503, "service_unavailable"), (429, "ratelimited")):
        calls, connect = failing(2, SlackApiError("no", answer(status, error)))
        connect_patiently(connect, sleep=clock.sleep, clock=lambda: clock.now)  # type: ignore[arg-type]
        assert len(calls) == 3


def test_a_refused_token_is_raised_at_once() -> None:
    clock = Clock()
    calls, connect = failing(5, SlackApiError("no", answer(200, "invalid_auth")))
    with pytest.raises(SlackApiError):
        connect_patiently(connect, sleep=clock.sleep, clock=lambda: clock.now)  # type: ignore[arg-type]
    assert len(calls) == 1 and clock.slept == []
