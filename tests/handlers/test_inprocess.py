"""The in-process tier itself: it routes as Bolt's WSGI adapter does, so a listener test proves
what the served app would do (the sender's signing is tested in tests/bot/standin/)."""

from __future__ import annotations

import json

from bot.standin.sender import SlackSender


def test_only_slacks_path_reaches_the_app(slack: SlackSender) -> None:
    body = json.dumps({"token": "t", "challenge": "c", "type": "url_verification"}).encode()
    headers = {"Content-Type": "application/json", **slack.sign(body)}
    assert slack.raw(body, headers, path="/admin").status == 404
    answer = slack.raw(body, headers)
    assert (answer.status, answer.json) == (200, {"challenge": "c"})
    assert slack.raw(body, {"Content-Type": "application/json"}).status == 401
