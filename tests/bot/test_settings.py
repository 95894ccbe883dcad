"""The environment: defaults, and one clear line for each thing missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.core.settings import load_settings


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///retrobot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.config_path == Path("app.yaml")
    assert settings.socket_mode is False


def test_api_url_gets_its_trailing_slash() -> None:
    assert load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == (
        "http://127.0.0.1:9/api/"
    )


def test_missing_token_and_secret_name_the_variables() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({}).require(http=True)
    assert raised.value.problems == [
        "SLACK_BOT_TOKEN is not set: retrobot needs the bot token (xoxb-...).",
        "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests.",
    ]


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode
    settings.require(http=False)


def test_a_user_token_is_not_a_bot_token() -> None:
    problems = load_settings({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}).problems(
        http=True
    )
    assert problems == ["SLACK_BOT_TOKEN does not look like a bot token: it should start xoxb-."]
