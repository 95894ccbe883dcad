"""Buttons on the App Home."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.services import Services
from bot.tensions.usecases import home_tension_modal


def handle_home_raise_tension(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open an empty tension modal from the Home tab's button."""
    ack()
    view = home_tension_modal(services, user_id=body["user"]["id"])
    client.views_open(trigger_id=body["trigger_id"], view=view)
