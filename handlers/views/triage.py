"""The triage modal's submission: record the outcome once, before the modal closes; then tell
those concerned."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.services import Services
from bot.triage import usecases
from bot.triage.usecases import TriageForm
from handlers.events.app_home import publish_home
from handlers.state import selected_date, selected_user, selected_value, text_value


def handle_triage_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the outcome, or show in the modal what to fix (or that someone was quicker)."""
    form = _form(view)
    triaged = usecases.submit_triage(
        services, user_id=body["user"]["id"], form=form, request_key=view["id"]
    )
    if triaged.errors:
        ack(response_action="errors", errors=triaged.errors)
        return
    ack()
    tension = triaged.tension
    if tension is None:
        return  # the same modal submitted twice: recorded (and told) once
    usecases.announce_triage(
        services, client, tension=tension, round_id=form.round_id, taken=triaged.taken
    )
    for person in dict.fromkeys((tension.owner, tension.raised_by)):
        if person:
            publish_home(client, services, person)


def _form(view: dict) -> TriageForm:
    """The modal's answers, and the tension and round it carries, as plain values."""
    values = view["state"]["values"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    return TriageForm(
        tension_id=int(metadata["tension_id"]),
        round_id=metadata.get("round_id"),
        outcome=selected_value(values, ids.TRIAGE_OUTCOME_BLOCK, ids.TRIAGE_OUTCOME_ACTION),
        owner=selected_user(values, ids.TRIAGE_OWNER_BLOCK, ids.TRIAGE_OWNER_ACTION),
        due_date=selected_date(values, ids.TRIAGE_DUE_BLOCK, ids.TRIAGE_DUE_ACTION),
        note=text_value(values, ids.TRIAGE_NOTE_BLOCK, ids.TRIAGE_NOTE_ACTION),
    )
