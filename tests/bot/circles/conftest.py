"""Circles' tests run on the organisation with a training circle (tests.bot.circles.organisation),
with East's people and the circle's channel in the Slack stand-in."""

from __future__ import annotations

import pytest

from bot.core.config import AppConfig, parse_config
from bot.standin.web_api import FakeSlack
from tests.bot.circles.organisation import (
    CIRCLES_APP_YAML,
    EAST_CHANNEL,
    EVE,
    FAY,
    TRAINING_CHANNEL,
)
from tests.conftest import DEV, SAM


@pytest.fixture
def config() -> AppConfig:
    """North, South and East, and their training circle."""
    return parse_config(CIRCLES_APP_YAML, source="circles-app.yaml")


@pytest.fixture
def fake_slack(fake_slack: FakeSlack) -> FakeSlack:
    """The stand-in, knowing East's people and channel and the circle's channel too."""
    fake_slack.add_user(EVE, name="Eve")
    fake_slack.add_user(FAY, name="Fay")
    fake_slack.add_channel(EAST_CHANNEL, members=[EVE, FAY])
    fake_slack.add_channel(TRAINING_CHANNEL, members=[DEV, SAM, EVE])
    return fake_slack
