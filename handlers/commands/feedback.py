"""`/feedback [@person ...] [text]`, `/feedback request [@person ...] [about]`, `/feedback help`."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.feedback import usecases
from bot.services import Services


def handle_feedback_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """Open the give-modal (or the request modal) prefilled from the command, or explain."""
    user_id = command["user_id"]
    try:
        parsed = usecases.feedback_command(services, user_id=user_id, text=command.get("text"))
    except NotInTeamError:
        ack(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    if parsed.action == "help":
        ack(response_type="ephemeral", text=services.renderer.say("feedback.help"))
        return
    ack()
    view = usecases.command_modal(services, user_id=user_id, command=parsed)
    client.views_open(trigger_id=command["trigger_id"], view=view)
