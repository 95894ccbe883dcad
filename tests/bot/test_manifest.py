"""`retrobot manifest`: the Slack app manifest for this configuration."""

from __future__ import annotations

from bot.core.config import AppConfig
from bot.manifest import build_manifest


def test_socket_mode_manifest_has_no_urls(config: AppConfig) -> None:
    manifest = build_manifest(config)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["interactivity"]
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [
        "/tension",
        "/feedback",
        "/checkin",
        "/tactical",
        "/retro",
        "/roles",
        "/propose",
        "/decisions",
    ]
    assert all("url" not in c for c in commands)
    roles = next(c for c in commands if c["command"] == "/roles")
    assert roles["should_escape"] is True  # a mention arrives as <@U123|name>: an id


def test_http_manifest_points_every_url_at_slack_events(config: AppConfig) -> None:
    manifest = build_manifest(config, url="https://retrobot.example.org/")
    endpoint = "https://retrobot.example.org/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["interactivity"]["request_url"] == endpoint
    assert manifest["settings"]["event_subscriptions"]["request_url"] == endpoint
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {endpoint}


def test_manifest_has_the_shortcut_home_tab_and_minimal_scopes(config: AppConfig) -> None:
    manifest = build_manifest(config)
    assert manifest["features"]["shortcuts"] == [
        {
            "name": "Raise as tension",
            "type": "message",
            "callback_id": "raise_tension",
            "description": "Bring this message to your team's tactical meeting",
        },
        {
            "name": "Make a proposal",
            "type": "message",
            "callback_id": "make_proposal",
            "description": "Propose an ongoing expectation, starting from this message",
        },
    ]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "usergroups:read",
        "channels:read",
        "groups:read",
        "files:write",
        # To find a message that may have gone out before a stop or a lost answer, never to
        # send it twice: check-in DMs and digests (im), summaries in a public or private channel.
        "im:history",
        "channels:history",
        "groups:history",
        # So that no scheduled DM wakes someone in do-not-disturb (bot/shifts).
        "dnd:read",
    }
    # Slack wants the long description to say enough, and the names within its limits.
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000
    assert all(len(c["description"]) <= 100 for c in manifest["features"]["slash_commands"])
