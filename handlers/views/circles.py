"""The triage modal's "Take to <circle>": the tension goes to the circle's agenda."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.circles import usecases as circles
from bot.core import ids
from bot.core.errors import RetrobotError
from bot.services import Services
from bot.triage import service as triage
from handlers.events.app_home import publish_home


def handle_take_to_circle(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services, *, circle_id: str
) -> None:
    """Pass the tension to the circle (once), tell its raiser, or say in the modal why not."""
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    try:
        taken = circles.take_to_circle(
            services,
            user_id=user_id,
            tension_id=int(metadata["tension_id"]),
            circle_id=circle_id,
            round_id=metadata.get("round_id"),
        )
    except triage.AlreadyTriagedError as stale:
        name = triage.member_name(services.config, stale.tension.triaged_by)
        text = services.renderer.plain("triage.already_triaged_plain", name=name)
        ack(response_action="errors", errors={ids.TRIAGE_OUTCOME_BLOCK: text})
        return
    except RetrobotError as refused:
        ack(response_action="errors", errors={ids.TRIAGE_OUTCOME_BLOCK: str(refused)})
        return
    ack()
    circles.after_taken(services, client, taken=taken)
    publish_home(client, services, taken.original.raised_by)
