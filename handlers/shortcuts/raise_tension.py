"""Message shortcut "Raise as tension": the modal, prefilled with the message and its link."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import NotInTeamError
from bot.core.text import strip_slack_links
from bot.roles import usecases as roles
from bot.services import Services
from bot.tensions import service as tensions
from bot.tensions.views import build_tension_modal


def handle_raise_tension_shortcut(
    ack: Any, shortcut: dict, client: WebClient, services: Services, respond: Any
) -> None:
    """Open the tension modal with the message's words and a link back to it."""
    ack()
    user_id = shortcut["user"]["id"]
    channel_id = (shortcut.get("channel") or {}).get("id")
    try:
        team = tensions.default_team(services.config, user_id, channel_id)
    except NotInTeamError:
        respond(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    message_ts = shortcut.get("message_ts") or (shortcut.get("message") or {}).get("ts")
    try:
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
    except SlackApiError:
        permalink = None  # a message we cannot link to still makes a good tension
    teams = services.config.teams_of(user_id)
    view = build_tension_modal(
        services.renderer,
        teams=teams,
        team_id=team.id,
        role_choice=roles.tension_role_choice(services, teams=teams),
        text=strip_slack_links((shortcut.get("message") or {}).get("text") or "")[:2000],
        permalink=permalink,
    )
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)
