"""Tests for bot.core.logs: Slack's libraries log which call was made, never its payload."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from bot.core.logs import PAYLOAD_NOT_LOGGED, SlackPayloadFilter, keep_typed_text_out_of_logs

TYPED = "Typed: you always make time for new starters"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "Sending a request - url: https://slack.com/api/chat.postMessage, query_params: {}, "
            "body_params: {}, files: {}, "
            f"json_body: {{'channel': 'DU0DEV', 'text': '{TYPED}'}}, headers: {{}}",
            "Sending a request - url: https://slack.com/api/chat.postMessage",
        ),
        (
            "Received the following response - status: 200, headers: {'Server': 'x'}, "
            f'body: {{"ok": true, "message": {{"text": "{TYPED}"}}}}',
            "Received the following response - status: 200",
        ),
        (
            'Responding with status: 200 body: "{\\"errors\\": '
            f'{{\\"text\\": \\"{TYPED}\\"}}}}" (3 millis)',
            "Responding with status: 200",
        ),
        (
            "Invalid request signature detected (signature: v0=1, timestamp: 1, "
            f"body: text={TYPED})",
            "Invalid request signature detected (signature: v0=1, timestamp: 1",
        ),
        (f"on_message invoked: (message: {{'text': '{TYPED}'}})", "on_message invoked"),
        (f"Skipped self event: {{'text': '{TYPED}'}}", "Skipped self"),
        (f"Received bytes: b'{TYPED}'", "Received"),
        ("Applying bot.app.ProvideServices", "Applying bot.app.ProvideServices"),
    ],
)
def test_a_slack_line_is_kept_up_to_its_payload(line: str, kept: str) -> None:
    record = logging.LogRecord("slack_sdk.web.base_client", logging.DEBUG, "", 0, line, None, None)
    assert SlackPayloadFilter().filter(record)
    shown = record.getMessage()
    assert TYPED not in shown and "DU0DEV" not in shown
    assert shown in (kept, f"{kept} {PAYLOAD_NOT_LOGGED}")


def test_a_web_client_call_at_debug_logs_no_body(caplog: pytest.LogCaptureFixture) -> None:
    keep_typed_text_out_of_logs()
    caplog.set_level(logging.DEBUG)
    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=0.2)
    with pytest.raises(OSError):
        client.chat_postMessage(channel="DU0DEV", text=TYPED)
    sent = [r.getMessage() for r in caplog.records if r.name.startswith("slack_sdk")]
    assert any("chat.postMessage" in line for line in sent)
    assert not [line for line in sent if TYPED in line or "DU0DEV" in line]
