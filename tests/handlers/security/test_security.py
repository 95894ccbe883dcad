"""Every request must carry a valid Slack signature: anything else gets 401 and changes nothing.

Dispatched in-process; tests/journeys/test_health.py checks that over real HTTP too the
signature headers reach Bolt."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from slack_bolt import App

from bot.core import ids
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, NORTH_CHANNEL
from tests.handlers.inprocess import finish_listeners


def bodies(slack: SlackSender, fake: FakeSlack) -> dict[str, tuple[bytes, str]]:
    """One realistic body of each kind Slack sends: a command, an interaction, an event."""
    command = urllib.parse.urlencode(
        {
            "command": "/tension",
            "text": "sneaky",
            "user_id": ANA,
            "channel_id": NORTH_CHANNEL,
            "team_id": "T0001",
            "trigger_id": fake.new_trigger(ANA),
            "response_url": "http://127.0.0.1:9/none",
        }
    ).encode()
    interaction = {
        "type": "view_submission",
        "user": {"id": ANA},
        "team": {"id": "T0001"},
        "view": {
            "id": "V0FORGED",
            "type": "modal",
            "callback_id": ids.TENSION_MODAL,
            "private_metadata": "{}",
            "state": {
                "values": {
                    ids.TENSION_TEXT_BLOCK: {
                        ids.TENSION_TEXT_ACTION: {"type": "plain_text_input", "value": "forged"}
                    }
                }
            },
        },
    }
    interactive = ("payload=" + urllib.parse.quote(json.dumps(interaction))).encode()
    event = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": "Ev0FORGED",
            "event": {"type": "app_home_opened", "user": ANA, "tab": "home"},
        }
    ).encode()
    form = "application/x-www-form-urlencoded"
    return {
        "command": (command, form),
        "interaction": (interactive, form),
        "event": (event, "application/json"),
    }


@pytest.mark.parametrize("kind", ["command", "interaction", "event"])
@pytest.mark.parametrize("variant", ["unsigned", "bad signature", "stale timestamp", "tampered"])
def test_unsigned_or_forged_requests_get_401_and_change_nothing(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services,
    bolt_app: App,
    kind: str,
    variant: str,
) -> None:
    body, content_type = bodies(slack, fake_slack)[kind]
    headers = {"Content-Type": content_type}
    if variant == "bad signature":
        headers |= slack.sign(body) | {"X-Slack-Signature": "v0=" + "0" * 64}
    elif variant == "stale timestamp":
        headers |= slack.sign(body, timestamp=int(time.time()) - 301)
    elif variant == "tampered":
        headers |= slack.sign(body)
        body = body.replace(b"T0001", b"T0002")
    calls_before = len(fake_slack.calls)
    answer = slack.raw(body, headers)
    assert answer.status == 401
    finish_listeners(bolt_app)  # anything the app might (wrongly) do after answering is done
    assert len(fake_slack.calls) == calls_before
    with services.session() as session:
        from sqlmodel import select

        from storage.models import ProcessedEvent, Tension

        assert session.exec(select(Tension)).all() == []
        assert session.exec(select(ProcessedEvent)).all() == []


def test_a_properly_signed_request_of_each_kind_is_accepted(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    for body, content_type in bodies(slack, fake_slack).values():
        answer = slack.raw(body, {"Content-Type": content_type, **slack.sign(body)})
        assert answer.status == 200


def test_url_verification_answers_the_challenge(slack: SlackSender) -> None:
    answer = slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert answer.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer.body
