"""`/tension [text]`: open the tension modal, prefilled with whatever followed the command."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.services import Services
from bot.tensions.usecases import team_for_modal, tension_modal


def handle_tension_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """Open the tension modal, or explain kindly why there is no team to raise it in."""
    user_id = command["user_id"]
    try:
        team_id = team_for_modal(services, user_id=user_id, channel_id=command.get("channel_id"))
    except NotInTeamError:
        ack(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    ack()
    view = tension_modal(services, user_id=user_id, team_id=team_id, text=command.get("text") or "")
    client.views_open(trigger_id=command["trigger_id"], view=view)
