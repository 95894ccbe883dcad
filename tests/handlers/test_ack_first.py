"""The answer leaves the moment a listener acks (bot/slack/acks.py), its work going on after.

In-process, through the real app's ``dispatch``: test listeners registered beside retrobot's
ack, then wait on an event the test holds, so the answer must have come back while the work
after the ack was still unfinished; Bolt's 10 ms poll of the ack is never used; a submission's
field errors are still the answer; an error before the ack is a 500, one after it is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.listener import thread_runner
from slack_sdk import WebClient

from bot.slack.acks import AckFirstRunner
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA
from tests.journeys.steps import command_for_view

WAIT = 10.0  # seconds a test waits for an event before it fails


class Work:
    """What a test listener did: when it acked, and whether its work after the ack finished."""

    def __init__(self) -> None:
        self.release = threading.Event()  # the test lets the work after the ack finish
        self.finished = threading.Event()
        self.acked_at: float | None = None

    def after_ack(self) -> None:
        """The listener's slow work after its ack: held until the test releases it."""
        self.acked_at = time.monotonic()
        assert self.release.wait(WAIT)
        self.finished.set()


@pytest.fixture
def work(bolt_app: App) -> Iterator[Work]:
    """A listener's work, always released at the end so no listener thread outlives the test."""
    held = Work()
    yield held
    held.release.set()


def command(app: App, name: str, listener: Callable[..., None]) -> None:
    """Register ``listener`` for the slash command ``name`` beside retrobot's own."""
    app.command(name)(listener)


def test_the_app_answers_on_the_ack_with_bolts_own_runner_replaced(bolt_app: App) -> None:
    assert isinstance(bolt_app.listener_runner, AckFirstRunner)


def test_the_answer_comes_back_while_the_work_after_the_ack_goes_on(
    bolt_app: App, slack: SlackSender, work: Work
) -> None:
    def slow(ack: Callable[..., Any]) -> None:
        ack("On it")
        work.after_ack()

    command(bolt_app, "/slow", slow)
    answer = slack.command("/slow", user_id=ANA)
    assert answer.status == 200 and answer.body == "On it"
    assert work.acked_at is not None and not work.finished.is_set()
    work.release.set()
    assert work.finished.wait(WAIT)


def test_the_request_thread_waits_on_the_ack_not_on_a_10_ms_poll(
    bolt_app: App, slack: SlackSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls: list[float] = []

    def poll(seconds: float) -> None:
        polls.append(seconds)
        time.sleep(seconds)

    # Bolt's runner sleeps through this module's ``time`` between looks at the ack.
    monkeypatch.setattr(thread_runner, "time", SimpleNamespace(time=time.time, sleep=poll))

    def late(ack: Callable[..., Any]) -> None:
        time.sleep(0.05)  # the request's thread is waiting well before this ack
        ack()

    command(bolt_app, "/late", late)
    answer = slack.command("/late", user_id=ANA)
    assert answer.status == 200
    assert polls == []


def test_a_submissions_field_errors_are_the_answer_while_its_work_goes_on(
    bolt_app: App, slack: SlackSender, fake_slack: FakeSlack, work: Work
) -> None:
    errors = {"text_block": "Say in a few words what the tension is."}
    text_input = {
        "type": "input",
        "block_id": "text_block",
        "label": {"type": "plain_text", "text": "Tension"},
        "element": {"type": "plain_text_input", "action_id": "text"},
    }
    modal = {
        "type": "modal",
        "callback_id": "ack_first_modal",
        "title": {"type": "plain_text", "text": "Ack first"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [text_input],
    }

    def open_modal(ack: Callable[..., Any], body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    def submitted(ack: Callable[..., Any]) -> None:
        ack(response_action="errors", errors=errors)
        work.after_ack()

    command(bolt_app, "/modal", open_modal)
    bolt_app.view("ack_first_modal")(submitted)
    view = command_for_view(slack, fake_slack, "/modal", ANA)
    answer = slack.submit_view(view, user_id=ANA, values={"text": "  "})
    assert answer.status == 200
    assert answer.json == {"response_action": "errors", "errors": errors}
    assert not work.finished.is_set()


def test_an_error_before_the_ack_is_a_500_and_the_person_is_told(
    bolt_app: App, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    def broken(ack: Callable[..., Any]) -> None:
        raise RuntimeError("no ack")

    command(bolt_app, "/broken", broken)
    answer = slack.command("/broken", user_id=ANA)
    assert answer.status == 500
    told = fake_slack.wait_for(lambda: fake_slack.dms(ANA))
    assert "went wrong" in told[-1].all_text


def test_an_error_after_the_ack_keeps_the_answer_and_is_logged(
    bolt_app: App,
    slack: SlackSender,
    fake_slack: FakeSlack,
    work: Work,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def acked_then_broken(ack: Callable[..., Any]) -> None:
        ack("Got it")
        work.after_ack()
        raise RuntimeError("after the ack")

    command(bolt_app, "/later", acked_then_broken)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        answer = slack.command("/later", user_id=ANA)
        assert answer.status == 200 and answer.body == "Got it"
        work.release.set()
        told = fake_slack.wait_for(lambda: fake_slack.dms(ANA))
    assert "went wrong" in told[-1].all_text
    assert any(record.exc_info for record in caplog.records if "Unhandled" in record.message)


def test_a_listener_that_never_acks_is_given_up_on_at_its_ack_timeout(
    bolt_app: App, slack: SlackSender, work: Work
) -> None:
    def silent(ack: Callable[..., Any]) -> None:
        work.after_ack()

    command(bolt_app, "/silent", silent)
    bolt_app._listeners[-1].ack_timeout = 0.2  # Bolt's is 3 s, Slack's limit
    started = time.monotonic()
    answer = slack.command("/silent", user_id=ANA)
    waited = time.monotonic() - started
    assert answer.status == 404  # unanswered by any listener, as with Bolt's own runner
    assert 0.2 <= waited < WAIT
    assert not work.finished.is_set()
