"""`/feedback [@person ...] [text]`, `/feedback request [@person ...] [about]`, `/feedback help`."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.feedback import rules as feedback_rules
from bot.feedback.model import ABOUT_LIMIT, TEXT_LIMIT
from bot.feedback.views import build_feedback_modal, build_request_modal
from bot.services import Services


def handle_feedback_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """Open the give-modal (or the request modal) prefilled from the command, or explain."""
    user_id = command["user_id"]
    parsed = feedback_rules.parse_command(command.get("text"))
    if parsed.action == "help":
        ack(response_type="ephemeral", text=services.renderer.say("feedback.help"))
        return
    try:
        feedback_rules.require_teams(services.config, user_id)
    except NotInTeamError:
        ack(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    ack()
    if parsed.action == "request":
        view = build_request_modal(
            services.renderer,
            due_date=feedback_rules.default_due_date(services.config, user_id, services.now()),
            recipients=parsed.people,
            about=parsed.text[:ABOUT_LIMIT],
        )
    else:
        view = build_feedback_modal(
            services.renderer,
            organisation=services.config.organisation,
            receivers=parsed.people,
            text=parsed.text[:TEXT_LIMIT],
        )
    client.views_open(trigger_id=command["trigger_id"], view=view)
