"""The in-process tier: the requests Slack sends, signed, handed straight to Bolt's
``app.dispatch`` in this process (as slackapi/bolt-python's ``tests/scenario_tests/`` do), with
no HTTP server in between.

:class:`BoltDispatch` is a transport for :class:`~bot.standin.sender.SlackSender`: the sender
builds and signs each request exactly as it does over HTTP, so the journeys' step helpers run
unchanged on either tier. Bolt verifies every signature as it does in production, acks, and
runs each listener's work after the ack on its listener executor; the steps wait for that work
on the Slack stand-in (``FakeSlack.wait_for``), as the journeys do.
"""

from __future__ import annotations

import json

from slack_bolt import App, BoltRequest

from bot.server import SLACK_PATH
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack, real_monotonic

# SlackSender takes the URL for its path only; the in-process tier never opens a connection,
# and .invalid (RFC 2606) could not be reached if it tried.
IN_PROCESS_URL = f"http://retrobot.invalid{SLACK_PATH}"


class BoltDispatch:
    """Delivers a POST to ``app.dispatch`` as Bolt's WSGI adapter would; other paths get 404."""

    def __init__(self, app: App, *, path: str = SLACK_PATH) -> None:
        self.app = app
        self.path = path

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        """The app's answer to one request, as SlackSender reads an HTTP answer."""
        started = real_monotonic()
        route, _, query = path.partition("?")
        if route != self.path:
            return Response(404, "Not Found", None, {"content-type": "text/plain;charset=utf-8"})
        request = BoltRequest(body=body.decode("utf-8"), query=query, headers=dict(headers))
        answer = self.app.dispatch(request)
        text = answer.body or ""
        parsed = None
        if text.lstrip().startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        elapsed = real_monotonic() - started
        return Response(answer.status, text, parsed, answer.first_headers(), elapsed)


def in_process_sender(app: App, fake: FakeSlack, signing_secret: str) -> SlackSender:
    """A SlackSender whose signed requests go to ``app.dispatch`` instead of over HTTP."""
    return SlackSender(IN_PROCESS_URL, signing_secret, fake, transport=BoltDispatch(app))


def finish_listeners(app: App) -> None:
    """Wait for every listener still at work after its ack; the app takes no request after."""
    app.listener_runner.listener_executor.shutdown(wait=True)
