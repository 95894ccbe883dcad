"""Fixtures of the in-process tier: the real Bolt app on a fresh database, talking to the Slack
stand-in, and ``slack``, a sender whose signed requests go straight to ``app.dispatch``; and the
app's clock, moved by a test.

``slack`` has the same name and shape as the journeys' sender over HTTP, so a listener test
reads like a journey and shares its steps; it runs without a server, a port or a socket of
the app's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt import App

from bot.app import create_app
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import SIGNING_SECRET
from tests.handlers.decision_steps import NOW, Clock
from tests.handlers.inprocess import finish_listeners, in_process_sender


@pytest.fixture
def bolt_app(services: Services) -> Iterator[App]:
    """The real app for these services, every listener registered, signature checks on.

    At the end it waits for every listener still at work after its ack (DMs, agenda updates,
    App Homes), so none outlives the test's database and Slack stand-in.
    """
    app = create_app(services)
    yield app
    finish_listeners(app)


@pytest.fixture
def slack(bolt_app: App, fake_slack: FakeSlack) -> SlackSender:
    """Sends requests to the app as Slack would, signed, through ``app.dispatch``."""
    return in_process_sender(bolt_app, fake_slack, SIGNING_SECRET)


@pytest.fixture
def clock(services: Services) -> Iterator[Clock]:
    """The app's clock, from Monday 1 June 2026 at 10:00 in London."""
    clock = Clock(NOW)
    before = services.clock
    services.clock = clock
    yield clock
    services.clock = before
