"""Every request must carry a valid Slack signature: anything else gets 401 and changes nothing.

Dispatched in-process; tests/journeys/test_health.py checks that over real HTTP too the
signature headers reach Bolt."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable

import pytest
from slack_bolt import App, BoltRequest

from bot.app import create_app
from bot.core import ids
from bot.server import LocalServer
from bot.slack.signature import VerifySignature
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, NORTH_CHANNEL, SIGNING_SECRET
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


def signed_with(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    """Headers signed as Slack signs, whatever the timestamp says (a number or not)."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


UNVERIFIABLE: dict[str, Callable[[bytes], tuple[bytes, dict[str, str]]]] = {
    "a timestamp that is not a number": lambda body: (
        body,
        signed_with(SIGNING_SECRET, body, "abc"),
    ),
    "an empty timestamp": lambda body: (body, signed_with(SIGNING_SECRET, body, "")),
    "a fractional timestamp": lambda body: (
        body,
        signed_with(SIGNING_SECRET, body, f"{time.time():.3f}"),
    ),
    # "²".isdigit() is true, and int("²") fails: the latin-1 a header can carry has such digits.
    "a timestamp in superscript digits": lambda body: (
        body,
        signed_with(SIGNING_SECRET, body, "¹²³" * 3 + "¹"),
    ),
    "a timestamp of 5000 digits": lambda body: (
        body,
        signed_with(SIGNING_SECRET, body, "9" * 5000),
    ),
    "no timestamp": lambda body: (body, {"X-Slack-Signature": "v0=" + "0" * 64}),
    "no signature": lambda body: (body, {"X-Slack-Request-Timestamp": str(int(time.time()))}),
    "a length that is not a number": lambda body: (body, {"Content-Length": "many"}),
    "a body that is not JSON": lambda body: (b"{not json", {}),
    "a payload that is not JSON": lambda body: (b"payload=%7Bnot+json", {}),
}


@pytest.mark.parametrize("kind", ["command", "interaction", "event"])
@pytest.mark.parametrize("variant", list(UNVERIFIABLE))
def test_any_request_that_cannot_be_verified_is_401_with_one_log_line(
    app_server: LocalServer,
    fake_slack: FakeSlack,
    services,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    variant: str,
) -> None:
    """Over real HTTP: the server's own check refuses what Bolt would never see."""
    slack = SlackSender(f"{app_server.url}/slack/events", SIGNING_SECRET, fake_slack)
    caplog.set_level(logging.INFO)
    body, content_type = bodies(slack, fake_slack)[kind]
    body, headers = UNVERIFIABLE[variant](body)
    calls_before = len(fake_slack.calls)

    answer = slack.raw(body, {"Content-Type": content_type, **headers})

    assert answer.status == 401
    time.sleep(0.2)  # anything the app might (wrongly) do after answering would show by now
    assert len(fake_slack.calls) == calls_before
    [line] = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert line.getMessage().startswith("Refused a request not signed by Slack: ")
    assert line.exc_info is None
    assert b"sneaky" not in body or "sneaky" not in line.getMessage()
    with services.session() as session:
        from sqlmodel import select

        from storage.models import ProcessedEvent, Tension

        assert session.exec(select(Tension)).all() == []
        assert session.exec(select(ProcessedEvent)).all() == []


def test_bolt_itself_refuses_what_it_cannot_verify_with_401(
    services, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # Requests that reach Bolt without the HTTP server's check (in-process dispatch).
    caplog.set_level(logging.INFO)
    app = create_app(services)
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {}}).encode()
    headers = {"content-type": ["application/json"], **signed_with(SIGNING_SECRET, body, "abc")}
    answer = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
    assert answer.status == 401
    [line] = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert "its timestamp is not a time" in line.getMessage() and line.exc_info is None


def test_an_error_before_the_services_are_in_reach_is_handled_and_told(
    services, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, monkeypatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the signature check broke")

    monkeypatch.setattr(VerifySignature, "process", fail)  # the first of the app's middlewares
    app = create_app(services)
    body = urllib.parse.urlencode({"command": "/tension", "user_id": ANA, "text": ""}).encode()
    headers = {"content-type": ["application/x-www-form-urlencoded"]}
    answer = app.dispatch(BoltRequest(body=body.decode(), headers=headers))

    assert answer.status == 500
    [failure] = [r for r in caplog.records if r.exc_info]
    assert failure.getMessage() == "Unhandled error in a Slack listener"
    assert str(failure.exc_info[1]) == "the signature check broke"
    sorry = fake_slack.wait_for(lambda: fake_slack.dms(ANA))[-1]
    assert "something went wrong" in sorry.all_text


def test_over_http_each_request_s_signature_is_computed_once_and_still_checked(
    app_server: LocalServer, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server checks it on the way in; Bolt's check, for requests that do not come that
    way, does not compute it again. A header naming the mark proves nothing."""
    from slack_sdk.signature import SignatureVerifier

    from bot.slack.signature import SIGNATURE_CHECKED

    checked: list[str] = []
    is_valid = SignatureVerifier.is_valid

    def counted(self: SignatureVerifier, body: object, timestamp: str, signature: str) -> bool:
        checked.append(timestamp)
        return is_valid(self, body, timestamp, signature)

    monkeypatch.setattr(SignatureVerifier, "is_valid", counted)
    slack = SlackSender(f"{app_server.url}/slack/events", SIGNING_SECRET, fake_slack)
    body, content_type = bodies(slack, fake_slack)["command"]
    now = str(int(time.time()))

    signed = {"Content-Type": content_type, **signed_with(SIGNING_SECRET, body, now)}
    answered = slack.raw(body, signed)
    assert answered.status == 200 and len(checked) == 1

    mark = SIGNATURE_CHECKED.replace("_", "-")
    forged = {"Content-Type": content_type, mark: "1", **signed_with("forged", body, now)}
    assert slack.raw(body, forged).status == 401
    assert len(checked) == 2
