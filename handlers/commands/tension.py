"""`/tension [text]`: open the tension modal, prefilled with whatever followed the command."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.core.text import strip_slack_links
from bot.roles import usecases as roles
from bot.services import Services
from bot.tensions import service as tensions
from bot.tensions.views import build_tension_modal


def handle_tension_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """Open the tension modal, or explain kindly why there is no team to raise it in."""
    user_id = command["user_id"]
    try:
        team = tensions.default_team(services.config, user_id, command.get("channel_id"))
    except NotInTeamError:
        ack(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    ack()
    teams = services.config.teams_of(user_id)
    view = build_tension_modal(
        services.renderer,
        teams=teams,
        team_id=team.id,
        role_choice=roles.tension_role_choice(services, teams=teams),
        text=strip_slack_links(command.get("text") or ""),
    )
    client.views_open(trigger_id=command["trigger_id"], view=view)
