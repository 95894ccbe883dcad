"""Fixtures for the stand-in's own tests: a small workspace and a WebClient pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.standin.web_api import FakeSlack

TOKEN = "xoxb-standin-test"
ANN, BEN, GONE, ROBOT = "U01", "U02", "U03", "U04"
TEAM_CHANNEL, LEFT_CHANNEL = "C01", "C02"
GROUP = "S01"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A running stand-in with two people, a deactivated one, a bot and two channels."""
    fake = FakeSlack()
    fake.add_user(ANN, name="Ann Ash", tz="Europe/London", email="ann@example.org")
    fake.add_user(BEN, name="Ben Birch", tz="America/New_York")
    fake.add_user(GONE, name="Gone", deleted=True)
    fake.add_user(ROBOT, name="Robot", is_bot=True)
    fake.add_usergroup(GROUP, [ANN, BEN])
    fake.add_channel(TEAM_CHANNEL, members=[ANN, BEN], name="north-team")
    fake.add_channel(LEFT_CHANNEL, members=[ANN], bot_member=False)
    with fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    """slack_sdk's own client, with no retry handlers unless a test adds them."""
    return WebClient(token=TOKEN, base_url=fake.url, retry_handlers=[])
