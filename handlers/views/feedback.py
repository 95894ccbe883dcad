"""The feedback modals' submissions: give, ask for feedback, reply privately; each stored before
its modal closes, then delivered."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.feedback import usecases
from bot.feedback.usecases import FeedbackForm, ReplyForm, RequestForm
from bot.services import Services
from handlers.events.app_home import publish_home
from handlers.state import (
    selected_date,
    selected_users,
    selected_value,
    selected_values,
    text_value,
)


def handle_feedback_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the feedback and deliver it, or show in the modal what to change."""
    giver = body["user"]["id"]
    submitted = usecases.give_feedback(
        services, client, giver=giver, form=_give_form(view), request_key=view["id"]
    )
    if submitted.errors:
        ack(response_action="errors", errors=submitted.errors)
        return
    ack()
    if submitted.stored is None:
        return  # the same modal submitted twice: given (and delivered) once
    usecases.announce_feedback(services, client, giver=giver, given=submitted.stored)
    publish_home(client, services, giver)


def handle_feedback_request_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the request and ask each person, or show in the modal what to change."""
    requester = body["user"]["id"]
    submitted = usecases.ask_for_feedback(
        services, client, requester=requester, form=_request_form(view), request_key=view["id"]
    )
    if submitted.errors:
        ack(response_action="errors", errors=submitted.errors)
        return
    ack()
    if submitted.stored is None:
        return  # the same modal submitted twice: asked once
    usecases.announce_request(services, client, asked=submitted.stored)
    publish_home(client, services, requester)


def handle_feedback_reply_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Pass the private reply to the giver (it is not stored), or show what to change."""
    submitted = usecases.reply_to_feedback(
        services, user_id=body["user"]["id"], form=_reply_form(view), request_key=view["id"]
    )
    if submitted.errors:
        ack(response_action="errors", errors=submitted.errors)
        return
    ack()
    if submitted.stored is not None:
        usecases.announce_reply(services, client, reply=submitted.stored)


def _metadata_id(view: dict, key: str) -> int | None:
    """An id the modal carried in its private_metadata (None when absent or not a number)."""
    value = json.loads(view.get("private_metadata") or "{}").get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _shown_blocks(view: dict) -> frozenset[str]:
    """The modal's input blocks, where its field errors can show."""
    return frozenset(
        b["block_id"]
        for b in view.get("blocks", [])
        if b.get("type") == "input" and "block_id" in b
    )


def _give_form(view: dict) -> FeedbackForm:
    """What the give-modal holds, as plain values."""
    values = view["state"]["values"]
    shared = selected_values(values, ids.FEEDBACK_SHARE_BLOCK, ids.FEEDBACK_SHARE_ACTION)
    hidden = selected_values(values, ids.FEEDBACK_ANONYMOUS_BLOCK, ids.FEEDBACK_ANONYMOUS_ACTION)
    return FeedbackForm(
        receivers=selected_users(
            values, ids.FEEDBACK_RECEIVERS_BLOCK, ids.FEEDBACK_RECEIVERS_ACTION
        ),
        kind=selected_value(values, ids.FEEDBACK_KIND_BLOCK, ids.FEEDBACK_KIND_ACTION),
        values=selected_values(values, ids.FEEDBACK_VALUES_BLOCK, ids.FEEDBACK_VALUES_ACTION),
        text=text_value(values, ids.FEEDBACK_TEXT_BLOCK, ids.FEEDBACK_TEXT_ACTION),
        shared=ids.FEEDBACK_SHARE_VALUE in shared,
        anonymous=ids.FEEDBACK_ANONYMOUS_VALUE in hidden,
        request_id=_metadata_id(view, "request_id"),
        shown_blocks=_shown_blocks(view),
    )


def _request_form(view: dict) -> RequestForm:
    """What the request modal holds, as plain values."""
    values = view["state"]["values"]
    return RequestForm(
        recipients=selected_users(values, ids.FEEDBACK_ASKED_BLOCK, ids.FEEDBACK_ASKED_ACTION),
        about=text_value(values, ids.FEEDBACK_ABOUT_BLOCK, ids.FEEDBACK_ABOUT_ACTION),
        due_date=selected_date(values, ids.FEEDBACK_DUE_BLOCK, ids.FEEDBACK_DUE_ACTION),
        shown_blocks=_shown_blocks(view),
    )


def _reply_form(view: dict) -> ReplyForm:
    """What the private-reply modal holds, as plain values."""
    values = view["state"]["values"]
    return ReplyForm(
        feedback_id=_metadata_id(view, "feedback_id"),
        text=text_value(values, ids.FEEDBACK_REPLY_BLOCK, ids.FEEDBACK_REPLY_ACTION),
        shown_blocks=_shown_blocks(view),
    )
