"""Buttons on the App Home."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.roles import usecases as roles
from bot.services import Services
from bot.tensions import service as tensions
from bot.tensions.views import build_tension_modal


def handle_home_raise_tension(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open an empty tension modal from the Home tab's button."""
    ack()
    user_id = body["user"]["id"]
    teams = tensions.teams_for(services.config, user_id)
    role_choice = roles.tension_role_choice(services, teams=teams)
    view = build_tension_modal(
        services.renderer, teams=teams, from_home=True, role_choice=role_choice
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)
