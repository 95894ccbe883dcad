"""The feedback modals' submissions: give, ask for feedback, reply privately."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.config import OrganisationConfig
from bot.core.errors import InvalidInputError, NotInTeamError
from bot.feedback import delivery as feedback_delivery
from bot.feedback import rules as feedback_rules
from bot.feedback import service as feedback
from bot.feedback.views import chosen_values
from bot.services import Services
from bot.slack import users as slack_users
from handlers.events.app_home import publish_home
from handlers.state import (
    selected_date,
    selected_users,
    selected_value,
    selected_values,
    text_value,
)


def _metadata_id(view: dict, key: str) -> int | None:
    """An id the modal carried in its private_metadata (None when absent or not a number)."""
    value = json.loads(view.get("private_metadata") or "{}").get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _field_errors(error: InvalidInputError, blocks: Mapping[str, str], view: dict) -> dict:
    """The domain's field errors placed on the modal's blocks; one the modal lacks goes first."""
    shown = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    first = next(block for block in blocks.values() if block in shown)
    errors: dict[str, str] = {}
    for field, text in error.field_errors.items():
        block = blocks.get(field, first)
        block = block if block in shown else first
        errors[block] = f"{errors[block]} {text}" if block in errors else text
    return errors


def _give_form(view: dict, organisation: OrganisationConfig) -> dict[str, Any]:
    """What the give-modal holds, as check_feedback's keyword arguments."""
    values = view["state"]["values"]
    shared = selected_values(values, ids.FEEDBACK_SHARE_BLOCK, ids.FEEDBACK_SHARE_ACTION)
    hidden = selected_values(values, ids.FEEDBACK_ANONYMOUS_BLOCK, ids.FEEDBACK_ANONYMOUS_ACTION)
    named = selected_values(values, ids.FEEDBACK_VALUES_BLOCK, ids.FEEDBACK_VALUES_ACTION)
    return {
        "receivers": selected_users(
            values, ids.FEEDBACK_RECEIVERS_BLOCK, ids.FEEDBACK_RECEIVERS_ACTION
        ),
        "kind": selected_value(values, ids.FEEDBACK_KIND_BLOCK, ids.FEEDBACK_KIND_ACTION),
        "values": chosen_values(organisation, named),
        "text": text_value(values, ids.FEEDBACK_TEXT_BLOCK, ids.FEEDBACK_TEXT_ACTION),
        "shared": ids.FEEDBACK_SHARE_VALUE in shared,
        "anonymous": ids.FEEDBACK_ANONYMOUS_VALUE in hidden,
        "request_id": _metadata_id(view, "request_id"),
    }


def _request_form(view: dict) -> dict[str, Any]:
    """What the request modal holds, as check_request's keyword arguments."""
    values = view["state"]["values"]
    return {
        "recipients": selected_users(values, ids.FEEDBACK_ASKED_BLOCK, ids.FEEDBACK_ASKED_ACTION),
        "about": text_value(values, ids.FEEDBACK_ABOUT_BLOCK, ids.FEEDBACK_ABOUT_ACTION),
        "due_date": selected_date(values, ids.FEEDBACK_DUE_BLOCK, ids.FEEDBACK_DUE_ACTION),
    }


def handle_feedback_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the feedback and deliver it, or show in the modal what to change."""
    giver, config = body["user"]["id"], services.config
    form = _give_form(view, config.organisation)
    known = feedback_rules.teammates(config, giver)
    try:
        accounts = slack_users.look_up(client, form["receivers"], known=known)
        draft = feedback_rules.check_feedback(config=config, giver=giver, accounts=accounts, **form)
        with services.session() as session:
            given = feedback.give_feedback(
                session,
                config=config,
                giver=giver,
                draft=draft,
                now=services.now(),
                request_key=view["id"],
            )
    except InvalidInputError as error:
        ack(response_action="errors", errors=_field_errors(error, ids.FEEDBACK_BLOCKS, view))
        return
    except NotInTeamError:
        text = services.renderer.plain("errors.not_in_team")
        ack(response_action="errors", errors={ids.FEEDBACK_TEXT_BLOCK: text})
        return
    ack()
    if given is None:
        return  # the same modal submitted twice: given (and delivered) once
    feedback_delivery.deliver_feedback(services, client, giver=giver, given=given)
    publish_home(client, services, giver)


def handle_feedback_request_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the request and ask each person, or show in the modal what to change."""
    requester, config, now = body["user"]["id"], services.config, services.now()
    form = _request_form(view)
    known = feedback_rules.teammates(config, requester)
    try:
        accounts = slack_users.look_up(client, form["recipients"], known=known)
        draft = feedback_rules.check_request(
            config=config, requester=requester, accounts=accounts, now=now, **form
        )
        with services.session() as session:
            asked = feedback.ask_for_feedback(
                session,
                config=config,
                requester=requester,
                draft=draft,
                now=now,
                request_key=view["id"],
            )
    except InvalidInputError as error:
        errors = _field_errors(error, ids.FEEDBACK_REQUEST_BLOCKS, view)
        ack(response_action="errors", errors=errors)
        return
    except NotInTeamError:
        text = services.renderer.plain("errors.not_in_team")
        ack(response_action="errors", errors={ids.FEEDBACK_ABOUT_BLOCK: text})
        return
    ack()
    if asked is None:
        return  # the same modal submitted twice: asked once
    feedback_delivery.deliver_request(services, client, asked=asked)
    publish_home(client, services, requester)


def handle_feedback_reply_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Pass the private reply to the giver (it is not stored), or show what to change."""
    text = text_value(view["state"]["values"], ids.FEEDBACK_REPLY_BLOCK, ids.FEEDBACK_REPLY_ACTION)
    try:
        with services.session() as session:
            reply = feedback.reply_to_feedback(
                session,
                feedback_id=_metadata_id(view, "feedback_id") or 0,
                user_id=body["user"]["id"],
                text=text,
                now=services.now(),
                request_key=view["id"],
            )
    except InvalidInputError as error:
        ack(response_action="errors", errors=_field_errors(error, ids.FEEDBACK_REPLY_BLOCKS, view))
        return
    ack()
    if reply is not None:
        feedback_delivery.deliver_reply(services, client, reply=reply)
