"""The triage modal's submission: check it, record the outcome once, tell those concerned."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import InvalidInputError, RetrobotError
from bot.core.meetings import local_today
from bot.services import Services
from bot.tensions.service import tension_by_id
from bot.triage import delivery as triage_delivery
from bot.triage import service as triage
from bot.triage.views import parse_circle_outcome
from handlers.events.app_home import publish_home
from handlers.state import selected_date, selected_user, selected_value, text_value
from handlers.views.circles import handle_take_to_circle


def handle_triage_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the outcome, or show in the modal what to fix (or that someone was quicker)."""
    user_id, now, values = body["user"]["id"], services.now(), view["state"]["values"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    config = services.config
    outcome = selected_value(values, ids.TRIAGE_OUTCOME_BLOCK, ids.TRIAGE_OUTCOME_ACTION)
    if (circle_id := parse_circle_outcome(outcome)) is not None:  # bot/circles
        handle_take_to_circle(ack, body, view, client, services, circle_id=circle_id)
        return
    try:
        with services.session() as session:
            team = config.team(tension_by_id(session, int(metadata["tension_id"])).team_id)
            decision = triage.check_triage(
                team=team,
                outcome=selected_value(values, ids.TRIAGE_OUTCOME_BLOCK, ids.TRIAGE_OUTCOME_ACTION),
                owner=selected_user(values, ids.TRIAGE_OWNER_BLOCK, ids.TRIAGE_OWNER_ACTION),
                due_date=selected_date(values, ids.TRIAGE_DUE_BLOCK, ids.TRIAGE_DUE_ACTION),
                note=text_value(values, ids.TRIAGE_NOTE_BLOCK, ids.TRIAGE_NOTE_ACTION),
                today=local_today(team, now),
            )
            tension = triage.triage_tension(
                session,
                config=config,
                user_id=user_id,
                tension_id=int(metadata["tension_id"]),
                round_id=metadata.get("round_id"),
                decision=decision,
                now=now,
            )
    except InvalidInputError as error:
        errors = {ids.TRIAGE_BLOCKS[field]: text for field, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except triage.AlreadyTriagedError as stale:
        name = triage.member_name(config, stale.tension.triaged_by)
        text = services.renderer.plain("triage.already_triaged_plain", name=name)
        ack(response_action="errors", errors={ids.TRIAGE_OUTCOME_BLOCK: text})
        return
    except RetrobotError as refused:
        ack(response_action="errors", errors={ids.TRIAGE_OUTCOME_BLOCK: str(refused)})
        return
    ack()
    triage_delivery.announce_triage(
        services, client, tension=tension, round_id=metadata.get("round_id"), now=now
    )
    for person in dict.fromkeys((tension.owner, tension.raised_by)):
        if person:
            publish_home(client, services, person)
