"""The App Home's Edit and Withdraw buttons on a person's own open tension."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import RetrobotError
from bot.services import Services
from bot.tensions import usecases
from handlers.actions.triage import refuse
from handlers.events.app_home import publish_home


def handle_home_edit_tension(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Open the tension modal prefilled with the tension, while it is still open."""
    ack()
    _open(usecases.edit_modal, body, action, client, respond, services)


def handle_home_withdraw_tension(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Ask the raiser to confirm taking their open tension off the agenda."""
    ack()
    _open(usecases.withdraw_modal, body, action, client, respond, services)


def _open(
    modal_for: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Open the modal for the clicker's own open tension; otherwise tell them why not and
    republish their Home (its buttons are stale)."""
    user_id = body["user"]["id"]
    try:
        view = modal_for(services, user_id=user_id, tension_id=int(action["value"]))
    except RetrobotError as error:
        refuse(body, client, respond, services, error)
        publish_home(client, services, user_id)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)
