"""The App Home's working-time buttons: "Set my working time" opens the modal, "Clear it"
forgets the pattern. Each acks first; someone in no team is told so, only they see it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.services import Services
from bot.shifts import usecases
from handlers.actions.triage import tell
from handlers.events.app_home import publish_home


def handle_home_set_pattern(
    ack: Any, body: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Open the working-pattern modal, prefilled with what the person set before."""
    ack()
    try:
        view = usecases.pattern_modal(services, user_id=body["user"]["id"])
    except RetrobotError as error:
        tell(
            body,
            client,
            respond,
            services,
            services.renderer.say("errors.cannot_do", reason=str(error)),
        )
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_clear_pattern(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Forget the person's working pattern, and show their Home as it is now."""
    ack()
    user_id = body["user"]["id"]
    usecases.clear_pattern(services, user_id=user_id)
    publish_home(client, services, user_id)


def register(app: Any) -> None:
    """Register the working-time buttons."""
    app.action(ids.HOME_SET_PATTERN)(handle_home_set_pattern)
    app.action(ids.HOME_CLEAR_PATTERN)(handle_home_clear_pattern)
