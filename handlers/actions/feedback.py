"""Feedback's buttons: thanks and reply on a DM, "Give feedback" on a request, the Home tab's."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.feedback import usecases
from bot.home.usecases import FEEDBACK_PAGE
from bot.services import Services
from handlers.events.app_home import publish_home


def _clicked_id(body: dict) -> int:
    """The id a feedback button carries in its value."""
    return int(body["actions"][0]["value"])


def handle_feedback_thanks(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Record the receiver's thanks, show it on their DM, and tell the giver (unless anonymous)."""
    ack()
    container = body.get("container") or {}
    usecases.thank_for_feedback(
        services,
        client,
        user_id=body["user"]["id"],
        feedback_id=_clicked_id(body),
        channel=container.get("channel_id"),
        ts=container.get("message_ts"),
    )


def handle_feedback_open_reply(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the private-reply modal for feedback the person received from someone named."""
    ack()
    view = usecases.reply_modal(services, user_id=body["user"]["id"], feedback_id=_clicked_id(body))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_feedback_answer_request(
    ack: Any, body: dict, client: WebClient, services: Services
) -> None:
    """Open the give-modal prefilled with the requester and their question."""
    ack()
    user_id, request_id = body["user"]["id"], _clicked_id(body)
    view = usecases.answer_request_modal(services, user_id=user_id, request_id=request_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_give_feedback(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open an empty give-modal from the Home tab."""
    ack()
    view = usecases.give_modal(services, user_id=body["user"]["id"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_ask_feedback(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the request modal from the Home tab."""
    ack()
    view = usecases.request_modal(services, user_id=body["user"]["id"])
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_feedback_page(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Show another page of the feedback the person received (the page travels in the button)."""
    ack()
    token = FEEDBACK_PAGE.set(_clicked_id(body))
    try:
        publish_home(client, services, body["user"]["id"])
    finally:
        FEEDBACK_PAGE.reset(token)
