"""The App Home's Edit and Withdraw buttons on a person's own open tension."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import RetrobotError
from bot.services import Services
from bot.tensions import service as tensions
from bot.tensions.views import build_tension_modal, build_withdraw_modal
from handlers.actions.triage import refuse
from handlers.events.app_home import publish_home
from storage.models import Tension


def _own_open_tension_or_refuse(
    body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> Tension | None:
    """The clicker's own open tension; otherwise tell them why not, republish their Home (its
    buttons are stale) and return None."""
    user_id = body["user"]["id"]
    try:
        with services.session() as session:
            return tensions.own_open_tension(
                session, user_id=user_id, tension_id=int(action["value"])
            )
    except RetrobotError as error:
        refuse(body, client, respond, services, error)
        publish_home(client, services, user_id)
        return None


def handle_home_edit_tension(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Open the tension modal prefilled with the tension, while it is still open."""
    ack()
    tension = _own_open_tension_or_refuse(body, action, client, respond, services)
    if tension is None:
        return
    teams = services.config.teams_of(body["user"]["id"])
    view = build_tension_modal(services.renderer, teams=teams, editing=tension)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_withdraw_tension(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Ask the raiser to confirm taking their open tension off the agenda."""
    ack()
    tension = _own_open_tension_or_refuse(body, action, client, respond, services)
    if tension is None:
        return
    team = services.config.team(tension.team_id)
    view = build_withdraw_modal(services.renderer, tension=tension, team_name=team.name)
    client.views_open(trigger_id=body["trigger_id"], view=view)
