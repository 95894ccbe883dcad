"""Feedback's buttons: thanks and reply on a DM, "Give feedback" on a request, the Home tab's."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.feedback import delivery as feedback_delivery
from bot.feedback import rules as feedback_rules
from bot.feedback import service as feedback
from bot.feedback.views import build_feedback_modal, build_reply_modal, build_request_modal
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
    with services.session() as session:
        thanks = feedback.thank_for_feedback(
            session, feedback_id=_clicked_id(body), user_id=body["user"]["id"], now=services.now()
        )
    feedback_delivery.deliver_thanks(
        services,
        client,
        thanks=thanks,
        channel=container.get("channel_id"),
        ts=container.get("message_ts"),
    )


def handle_feedback_open_reply(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the private-reply modal for feedback the person received from someone named."""
    ack()
    with services.session() as session:
        received = feedback.feedback_to_reply_to(
            session, feedback_id=_clicked_id(body), user_id=body["user"]["id"]
        )
    view = build_reply_modal(services.renderer, feedback=received)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_feedback_answer_request(
    ack: Any, body: dict, client: WebClient, services: Services
) -> None:
    """Open the give-modal prefilled with the requester and their question."""
    ack()
    with services.session() as session:
        asked = feedback.request_to_answer(
            session, request_id=_clicked_id(body), user_id=body["user"]["id"]
        )
    view = build_feedback_modal(
        services.renderer,
        organisation=services.config.organisation,
        receivers=[asked.request.requester],
        request=asked.request,
        answered=asked.answered,
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_give_feedback(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open an empty give-modal from the Home tab."""
    ack()
    feedback_rules.require_teams(services.config, body["user"]["id"])
    view = build_feedback_modal(services.renderer, organisation=services.config.organisation)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_home_ask_feedback(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the request modal from the Home tab."""
    ack()
    user_id = body["user"]["id"]
    feedback_rules.require_teams(services.config, user_id)
    due = feedback_rules.default_due_date(services.config, user_id, services.now())
    client.views_open(
        trigger_id=body["trigger_id"], view=build_request_modal(services.renderer, due_date=due)
    )


def handle_home_feedback_page(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Show another page of the feedback the person received (the page travels in the button)."""
    ack()
    token = FEEDBACK_PAGE.set(_clicked_id(body))
    try:
        publish_home(client, services, body["user"]["id"])
    finally:
        FEEDBACK_PAGE.reset(token)
