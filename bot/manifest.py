"""The Slack app manifest for this configuration (`retrobot manifest`)."""

from __future__ import annotations

from typing import Any

from bot.core import ids
from bot.core.config import AppConfig

BOT_SCOPES = [
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "files:write",
    # Read only to find a message retrobot may have sent before it stopped (or before Slack's
    # answer was lost), by the metadata it carries, so it is never sent twice: check-in DMs
    # and coach digests (im:history), team summaries (channels:history, groups:history).
    "im:history",
    "channels:history",
    "groups:history",
    # Read so that no scheduled DM wakes someone in do-not-disturb (bot/shifts).
    "dnd:read",
]
BOT_EVENTS = ["app_home_opened"]

SLASH_COMMANDS = [
    (
        ids.TENSION_COMMAND,
        "Raise a tension for your team's next tactical meeting",
        "[what's up]",
        False,
    ),
    (
        ids.FEEDBACK_COMMAND,
        "Give feedback to a teammate, or ask for some",
        "[@person] [text] | request",
        True,
    ),
    (ids.CHECKIN_COMMAND, "Open this week's check-in", "", False),
    (ids.TACTICAL_COMMAND, "Post the tactical-meeting agenda in this channel", "", False),
    (
        ids.RETRO_COMMAND,
        "Your team's retrospective; retrobot help; what your coaches received",
        "[help | digest]",
        False,
    ),
    (ids.ROLES_COMMAND, "Your teams' roles, or the roles a colleague holds", "[@person]", True),
    # Deciding (bot/decisions).
    (
        ids.PROPOSE_COMMAND,
        "Make a proposal: the advice process or an integrated decision",
        "[text]",
        True,
    ),
    (ids.DECISIONS_COMMAND, "Find your team's decisions in the decision log", "[words]", True),
]


def build_manifest(config: AppConfig, *, url: str | None = None) -> dict[str, Any]:
    """A manifest: Socket Mode when ``url`` is None, else request URLs at ``url``/slack/events."""
    endpoint = f"{url.rstrip('/')}/slack/events" if url else None
    commands = []
    for command, description, usage, escape in SLASH_COMMANDS:
        entry: dict[str, Any] = {"command": command, "description": description}
        if usage:
            entry["usage_hint"] = usage
        entry["should_escape"] = escape
        if endpoint:
            entry["url"] = endpoint
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": BOT_EVENTS}
    if endpoint:
        interactivity["request_url"] = endpoint
        events["request_url"] = endpoint
    return {
        "display_information": {
            "name": "retrobot",
            "description": f"The weekly tactical rhythm of {config.organisation.name}'s teams",
            "background_color": "#2c5f5d",
            "long_description": (
                "retrobot runs a self-organising team's weekly tactical meeting in Slack: "
                "check-ins before the meeting, tensions raised with /tension and triaged into "
                "outcomes with owners, peer feedback, and weekly summaries for the team and "
                "digests for its coaches. The team owns its data; coaches see aggregates only."
            ),
        },
        "features": {
            "bot_user": {"display_name": "retrobot", "always_online": True},
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "slash_commands": commands,
            "shortcuts": [
                {
                    "name": "Raise as tension",
                    "type": "message",
                    "callback_id": ids.RAISE_TENSION_SHORTCUT,
                    "description": "Bring this message to your team's tactical meeting",
                },
                {
                    "name": "Make a proposal",
                    "type": "message",
                    "callback_id": ids.MAKE_PROPOSAL_SHORTCUT,
                    "description": "Propose an ongoing expectation, starting from this message",
                },
            ],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "interactivity": interactivity,
            "event_subscriptions": events,
            "org_deploy_enabled": False,
            "socket_mode_enabled": endpoint is None,
            "token_rotation_enabled": False,
        },
    }
