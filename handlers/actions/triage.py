"""The agenda's Triage button, the raiser's yes / no, and the owner's Done (DM or App Home)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.agenda.views import parse_triage_value
from bot.core import ids
from bot.core.errors import RetrobotError
from bot.services import Services
from bot.triage import usecases
from bot.triage.views import build_done_confirmation, build_needs_met_answer, build_notice_modal
from handlers.events.app_home import publish_home


def tell(body: dict, client: WebClient, respond: Any, services: Services, text: str) -> None:
    """Answer a click with words only the clicker sees: ephemeral in a message, a small modal on
    the App Home (which has no channel to be ephemeral in)."""
    if (body.get("container") or {}).get("type") == "view":
        modal = build_notice_modal(services.renderer, text=text)
        client.views_open(trigger_id=body["trigger_id"], view=modal)
    else:
        respond(response_type="ephemeral", replace_original=False, text=text)


def refuse(
    body: dict, client: WebClient, respond: Any, services: Services, error: RetrobotError
) -> None:
    """Tell the clicker why nothing happened: someone was quicker, or it is not theirs to do."""
    text = usecases.refusal(services, user_id=body["user"]["id"], error=error)
    tell(body, client, respond, services, text)


def handle_agenda_triage(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Open the triage modal for a member; anyone else, or a stale button, is told why not."""
    ack()
    tension_id, round_id = parse_triage_value(action["value"])
    try:
        view = usecases.triage_modal(
            services, user_id=body["user"]["id"], tension_id=tension_id, round_id=round_id
        )
    except RetrobotError as error:
        refuse(body, client, respond, services, error)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_needs_met(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The raiser's answer: yes closes the tension, no puts it back on the next agenda."""
    ack()
    user_id = body["user"]["id"]
    met = action["action_id"] == ids.NEEDS_MET_YES
    try:
        tension = usecases.answer_needs_met(
            services, user_id=user_id, tension_id=int(action["value"]), met=met
        )
    except RetrobotError as error:
        refuse(body, client, respond, services, error)
        return
    respond(replace_original=True, **build_needs_met_answer(services.renderer, tension=tension))
    usecases.announce_needs_met(services, client, tension=tension)
    if not tension.needs_met and tension.owner and tension.owner != user_id:
        publish_home(client, services, tension.owner)
    publish_home(client, services, user_id)


def handle_action_done(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Mark a next action or project done, from its DM or the App Home."""
    ack()
    user_id = body["user"]["id"]
    try:
        tension = usecases.mark_done(services, user_id=user_id, tension_id=int(action["value"]))
    except RetrobotError as error:
        refuse(body, client, respond, services, error)
        return
    if (body.get("container") or {}).get("type") == "message":
        respond(
            replace_original=True, **build_done_confirmation(services.renderer, tension=tension)
        )
    usecases.announce_done(services, tension=tension)
    for person in dict.fromkeys((user_id, tension.owner)):
        if person:
            publish_home(client, services, person)
