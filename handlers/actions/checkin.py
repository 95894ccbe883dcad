"""The check-in DM's buttons (and the App Home's): check in, skip this week, away, back."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.checkins import usecases
from bot.checkins.views import build_away_modal, build_checkin_modal, build_checkin_notice
from bot.core.errors import RetrobotError
from bot.services import Services
from handlers.events.app_home import publish_home


def _round_id(body: dict) -> int | None:
    value = (body.get("actions") or [{}])[0].get("value") or ""
    return int(value) if value.isdigit() else None


def handle_checkin_open(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the check-in modal (prefilled when editing), or say why it cannot open."""
    ack()
    user_id = body["user"]["id"]
    try:
        checkin = usecases.open_checkin(services, round_id=_round_id(body) or 0, user_id=user_id)
        view = build_checkin_modal(services.renderer, checkin=checkin)
    except RetrobotError as error:
        text = services.renderer.say("errors.cannot_do", reason=str(error))
        view = build_checkin_notice(services.renderer, text=text)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_checkin_skip(
    ack: Any, body: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Skip this week's check-in: the DM says so, and no reminder follows."""
    ack()
    user_id = body["user"]["id"]
    try:
        prompt = usecases.skip_checkin(services, round_id=_round_id(body) or 0, user_id=user_id)
    except RetrobotError as error:
        text = services.renderer.say("errors.cannot_do", reason=str(error))
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    usecases.redraw_checkin_dm(services, client, prompt)
    publish_home(client, services, user_id)


def handle_checkin_away(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the small modal where the person picks the last day they are away."""
    ack()
    today = usecases.today_for(services, user_id=body["user"]["id"])
    view = build_away_modal(services.renderer, initial=today, round_id=_round_id(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_checkin_back(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """The person is back: they are asked again, starting with any round still open."""
    ack()
    user_id = body["user"]["id"]
    for prompt in usecases.come_back(services, user_id=user_id):
        usecases.redraw_checkin_dm(services, client, prompt)
    publish_home(client, services, user_id)
