"""The served endpoint over real HTTP: /healthz answers 200 when the database answers, 503 when it
does not, and says nothing more; Slack's requests reach Bolt with the headers that sign them;
other paths are not found."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from bot.app import create_app
from bot.server import LocalServer, make_wsgi_app
from bot.services import Services
from bot.standin.sender import SlackSender
from storage import db


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_healthy_database_answers_200(app_server: LocalServer) -> None:
    assert get(f"{app_server.url}/healthz") == (200, {"ok": True})


def test_unreachable_database_answers_503(services: Services) -> None:
    services.engine.dispose()  # the fixture disposes whichever engine is left at the end
    services.engine = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    with LocalServer(make_wsgi_app(create_app(services), services)) as server:
        assert get(f"{server.url}/healthz") == (503, {"ok": False})


def test_other_paths_are_not_found(app_server: LocalServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{app_server.url}/admin", timeout=10)
    raised.value.close()
    assert raised.value.code == 404


def test_slack_requests_are_signature_checked_over_http(slack: SlackSender) -> None:
    """Every forgery is refused in-process (tests/handlers/security/); over HTTP, the signature
    headers must reach Bolt: the same request is refused unsigned and answered signed."""
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"}).encode()
    assert slack.raw(body, {"Content-Type": "application/json"}).status == 401
    answer = slack.raw(body, {"Content-Type": "application/json", **slack.sign(body)})
    assert answer.status == 200 and challenge in answer.body
