"""The tension modal's submissions: raise, edit, withdraw."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.services import Services
from bot.tensions import usecases
from bot.tensions.usecases import TensionForm
from bot.triage.views import build_notice_modal
from handlers.events.app_home import publish_home
from handlers.state import selected_value, selected_values, text_value


def handle_tension_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the tension before the modal closes, or show in it what to fix; then confirm."""
    user_id = body["user"]["id"]
    submitted = usecases.submit_tension(
        services, user_id=user_id, form=_form(view), request_key=view["id"]
    )
    if submitted.errors:
        ack(response_action="errors", errors=submitted.errors)
        return
    ack()
    if submitted.raised is None:
        return  # the same modal submitted twice: recorded (and confirmed) once
    usecases.announce_tension(
        services, client, raised=submitted.raised, role_key=submitted.role_key
    )
    if _metadata(view).get("from_home"):
        # Only then is the person looking at their Home; anyone else sees it fresh when they
        # open it (app_home_opened), so building it now would be work for nobody.
        publish_home(client, services, user_id)


def handle_tension_edit_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Save the raiser's changes to their open tension, or say why it can't change now."""
    user_id = body["user"]["id"]
    tension_id = int(_metadata(view)["tension_id"])
    errors = usecases.edit_tension(
        services, client, user_id=user_id, tension_id=tension_id, form=_form(view)
    )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    publish_home(client, services, user_id)


def handle_tension_withdraw_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Take the raiser's open tension off the agenda, or say why it can't be now."""
    user_id = body["user"]["id"]
    tension_id = int(_metadata(view)["tension_id"])
    try:
        usecases.withdraw_tension(services, user_id=user_id, tension_id=tension_id)
    except RetrobotError as refused:
        text = services.renderer.say("triage.refused", reason=str(refused))
        ack(response_action="update", view=build_notice_modal(services.renderer, text=text))
        return
    ack()
    publish_home(client, services, user_id)


def _metadata(view: dict) -> dict[str, Any]:
    return json.loads(view.get("private_metadata") or "{}")


def _form(view: dict) -> TensionForm:
    """The modal's answers as plain values."""
    values, metadata = view["state"]["values"], _metadata(view)
    return TensionForm(
        team_id=selected_value(values, ids.TENSION_TEAM_BLOCK, ids.TENSION_TEAM_ACTION)
        or metadata.get("team_id"),
        text=text_value(values, ids.TENSION_TEXT_BLOCK, ids.TENSION_TEXT_ACTION),
        area=text_value(values, ids.TENSION_AREA_BLOCK, ids.TENSION_AREA_ACTION),
        private=ids.TENSION_PRIVATE_VALUE
        in selected_values(values, ids.TENSION_PRIVATE_BLOCK, ids.TENSION_PRIVATE_ACTION),
        permalink=metadata.get("permalink"),
        role=selected_value(values, ids.TENSION_ROLE_BLOCK, ids.TENSION_ROLE_ACTION),
    )
