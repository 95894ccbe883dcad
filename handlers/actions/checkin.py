"""The check-in DM's buttons (and the App Home's): check in, skip this week, away, back."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.checkins import service as checkins
from bot.checkins.views import (
    build_away_modal,
    build_checkin_modal,
    build_checkin_notice,
    build_prompt_state_message,
)
from bot.core.errors import RetrobotError
from bot.services import Services
from handlers.events.app_home import publish_home
from storage.models import CheckinPrompt


def _round_id(body: dict) -> int | None:
    value = (body.get("actions") or [{}])[0].get("value") or ""
    return int(value) if value.isdigit() else None


def redraw_checkin_dm(
    client: WebClient,
    services: Services,
    prompt: CheckinPrompt,
    *,
    edited: bool = False,
    tension_added: bool = False,
) -> None:
    """Redraw the member's check-in DM and reminder to show where they stand now."""
    with services.session() as session:
        team, round_, zone, away_until = checkins.prompt_context(
            session, config=services.config, prompt=prompt
        )
    payload = build_prompt_state_message(
        services.renderer,
        status=prompt.status,
        team_name=team.name,
        round_id=prompt.round_id,
        meeting_at=round_.meeting_at,
        zone=zone,
        away_until=away_until,
        edited=edited,
        tension_added=tension_added,
    )
    checkins.refresh_prompt_dms(client, prompt, payload)


def handle_checkin_open(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the check-in modal (prefilled when editing), or say why it cannot open."""
    ack()
    user_id = body["user"]["id"]
    with services.session() as session:
        try:
            checkin = checkins.checkin_context(
                session,
                config=services.config,
                round_id=_round_id(body) or 0,
                user_id=user_id,
                now=services.now(),
            )
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
        with services.session() as session:
            prompt = checkins.skip_checkin(
                session, round_id=_round_id(body) or 0, user_id=user_id, now=services.now()
            )
    except RetrobotError as error:
        text = services.renderer.say("errors.cannot_do", reason=str(error))
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    redraw_checkin_dm(client, services, prompt)
    publish_home(client, services, user_id)


def handle_checkin_away(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the small modal where the person picks the last day they are away."""
    ack()
    with services.session() as session:
        today = checkins.person_today(
            session, config=services.config, user_id=body["user"]["id"], now=services.now()
        )
    view = build_away_modal(services.renderer, initial=today, round_id=_round_id(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_checkin_back(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """The person is back: they are asked again, starting with any round still open."""
    ack()
    user_id = body["user"]["id"]
    with services.session() as session:
        changed = checkins.set_away(session, user_id=user_id, until=None, now=services.now())
    for prompt in changed:
        redraw_checkin_dm(client, services, prompt)
    publish_home(client, services, user_id)
