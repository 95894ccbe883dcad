"""Message shortcut "Raise as tension": the modal, prefilled with the message and its link."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.services import Services
from bot.tensions.usecases import message_tension_modal


def handle_raise_tension_shortcut(
    ack: Any, shortcut: dict, client: WebClient, services: Services, respond: Any
) -> None:
    """Open the tension modal with the message's words and a link back to it."""
    ack()
    user_id = shortcut["user"]["id"]
    try:
        view = message_tension_modal(services, client, user_id=user_id, shortcut=shortcut)
    except NotInTeamError:
        respond(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)
