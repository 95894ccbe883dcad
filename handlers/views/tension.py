"""The tension modal's submission: check it, store it, confirm it."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot import delivery, ids, tensions
from bot.blocks.tension import build_private_tension_note, build_tension_confirmation
from bot.errors import InvalidInputError, NotInTeamError
from bot.services import Services
from handlers.events.app_home import publish_home
from handlers.state import selected_value, selected_values, text_value


def handle_tension_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the tension, or show what to fix in the modal; nothing typed is lost either way."""
    user_id = body["user"]["id"]
    values = view["state"]["values"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    try:
        draft = tensions.check_draft(
            config=services.config,
            user_id=user_id,
            team_id=selected_value(values, ids.TENSION_TEAM_BLOCK, ids.TENSION_TEAM_ACTION)
            or metadata.get("team_id"),
            text=text_value(values, ids.TENSION_TEXT_BLOCK, ids.TENSION_TEXT_ACTION),
            area=text_value(values, ids.TENSION_AREA_BLOCK, ids.TENSION_AREA_ACTION),
            private=ids.TENSION_PRIVATE_VALUE
            in selected_values(values, ids.TENSION_PRIVATE_BLOCK, ids.TENSION_PRIVATE_ACTION),
            permalink=metadata.get("permalink"),
        )
    except InvalidInputError as error:
        errors = {ids.TENSION_BLOCKS[field]: text for field, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except NotInTeamError:
        ack(
            response_action="errors",
            errors={ids.TENSION_TEXT_BLOCK: services.renderer.plain("errors.not_in_team")},
        )
        return
    ack()
    with services.session() as session:
        tension = tensions.raise_tension(
            session, user_id=user_id, draft=draft, now=services.now(), request_key=view["id"]
        )
    if tension is None:
        return  # the same modal submitted twice: recorded (and confirmed) once
    team = services.config.team(tension.team_id)
    confirmation = build_tension_confirmation(
        services.renderer, tension=tension, team_name=team.name
    )
    delivery.post(client, user_id, confirmation)
    if tension.private:
        note = build_private_tension_note(services.renderer, tension=tension, team_name=team.name)
        delivery.post_each(client, team.coach_ids, note)
    publish_home(client, services, user_id)
