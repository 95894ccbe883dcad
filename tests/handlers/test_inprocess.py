"""The in-process tier itself: its requests are signed as slack_sdk checks them, and it routes
as Bolt's WSGI adapter does, so a listener test proves what the served app would do."""

from __future__ import annotations

import json
import time

from slack_sdk.signature import SignatureVerifier

from bot.standin.sender import SlackSender
from tests.conftest import SIGNING_SECRET


def test_requests_are_signed_as_slack_sdk_verifies_them(slack: SlackSender) -> None:
    body = b"command=%2Ftension&text=rota"
    stamp = int(time.time())
    headers = slack.sign(body, timestamp=stamp)
    verifier = SignatureVerifier(SIGNING_SECRET)
    expected = verifier.generate_signature(timestamp=str(stamp), body=body.decode())
    assert headers["X-Slack-Signature"] == expected
    assert verifier.is_valid(body=body.decode(), timestamp=str(stamp), signature=expected)


def test_only_slacks_path_reaches_the_app(slack: SlackSender) -> None:
    body = json.dumps({"token": "t", "challenge": "c", "type": "url_verification"}).encode()
    headers = {"Content-Type": "application/json", **slack.sign(body)}
    assert slack.raw(body, headers, path="/admin").status == 404
    answer = slack.raw(body, headers)
    assert (answer.status, answer.json) == (200, {"challenge": "c"})
