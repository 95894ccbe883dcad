"""Every listener acks before its slow work, so a slow Slack never delays the answer Slack awaits.

Slack waits 3 s for an app to acknowledge a command, a click, a modal submission or an event,
then shows the person an error (and redelivers the event). Here the stand-in holds every Web API
call that posts or opens something for longer than a fast ack takes, and every kind of request
retrobot answers is sent at the same moment: each must be answered before any of those calls
could have returned, which is only true if the ack comes first and the Slack calls after it.
Then the held calls finish, and each request's effect arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.checkins import usecases as checkins
from bot.core import ids
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, CARA, DEV, NORTH_CHANNEL, SHARED
from tests.journeys.steps import click_for_view, command_for_view

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in London: North's round opens
HELD = 2.5  # seconds the stand-in holds each posting call: longer than any ack may take
POSTING = (
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "conversations.open",
)


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


def test_every_kind_of_request_is_acked_before_slack_is_called(
    services: Services, fake_slack: FakeSlack, slack: SlackSender
) -> None:
    services.clock = lambda: OPENS
    fake_slack.trigger_ttl = None  # the calls are held here, not by the person
    checkins.send_round(services, team_id="north")
    dm = next(m for m in fake_slack.dms(ANA) if m.metadata)
    tension = command_for_view(slack, fake_slack, ids.TENSION_COMMAND, BEN)
    feedback = command_for_view(slack, fake_slack, ids.FEEDBACK_COMMAND, CARA)
    checkin = click_for_view(slack, fake_slack, dm, ids.CHECKIN_OPEN, ANA)
    fake_slack.wait_quiet(0.5)
    before = {method: len(fake_slack.calls_to(method)) for method in POSTING}

    requests: dict[str, Callable[[], Response]] = {
        "/tension": lambda: slack.command(ids.TENSION_COMMAND, "", user_id=DEV),
        "/feedback": lambda: slack.command(ids.FEEDBACK_COMMAND, "", user_id=SHARED),
        "/checkin": lambda: slack.command(ids.CHECKIN_COMMAND, "", user_id=CARA),
        "/tactical": lambda: slack.command(
            ids.TACTICAL_COMMAND, "", user_id=DEV, channel_id=NORTH_CHANNEL
        ),
        "/retro help": lambda: slack.command("/retro", "help", user_id=BEN),
        "Raise as tension": lambda: slack.message_shortcut(
            ids.RAISE_TENSION_SHORTCUT,
            user_id=CARA,
            channel_id=NORTH_CHANNEL,
            message_text="The rota changed again",
            message_user=BEN,
        ),
        "Skip this week": lambda: slack.click(
            next(m for m in fake_slack.dms(BEN) if m.metadata), ids.CHECKIN_SKIP, user_id=BEN
        ),
        "tension submitted": lambda: slack.submit_view(
            tension, user_id=BEN, values={ids.TENSION_TEXT_ACTION: "Handovers run late"}
        ),
        "feedback submitted": lambda: slack.submit_view(
            feedback,
            user_id=CARA,
            values={
                ids.FEEDBACK_RECEIVERS_ACTION: [DEV],
                ids.FEEDBACK_TEXT_ACTION: "Thank you for covering my Friday visits",
            },
        ),
        "check-in submitted": lambda: slack.submit_view(
            checkin, user_id=ANA, values={ids.CHECKIN_MOOD_ACTION: "4"}
        ),
        "app_home_opened": lambda: slack.app_home_opened(SHARED),
    }
    for method in POSTING:
        fake_slack.delay(method, HELD)

    def answered(send: Callable[[], Response]) -> tuple[int, float]:
        started = time.monotonic()
        response = send()
        return response.status, time.monotonic() - started

    with ThreadPoolExecutor(len(requests)) as pool:
        futures = {name: pool.submit(answered, send) for name, send in requests.items()}
        acks = {name: future.result() for name, future in futures.items()}
    for method in POSTING:
        fake_slack.delay(method, 0)

    slow = {name: f"{took:.2f} s" for name, (_, took) in acks.items() if took >= HELD * 0.8}
    assert slow == {}, f"acked only after Slack answered (held {HELD} s): {slow}"
    assert {name: status for name, (status, _) in acks.items()} == dict.fromkeys(requests, 200)

    # The work after each ack still happened, once the held calls were answered.
    def done() -> bool:
        new = {m: len(fake_slack.calls_to(m)) - before[m] for m in POSTING}
        return (
            new["views.open"] >= 4  # /tension, /feedback, /checkin, the shortcut
            and new["chat.postMessage"] >= 3  # the agenda, the tension's and feedback's DMs
            and new["views.publish"] >= 1  # the Home tab opened
            and new["chat.update"] >= 2  # Ben's skipped DM and Ana's answered one, redrawn
            and bool(fake_slack.ephemerals(BEN))  # /retro help
        )

    fake_slack.wait_for(done, timeout=30)
    fake_slack.wait_quiet(0.5)
    assert not [m for m in fake_slack.messages() if "went wrong" in m.all_text]
