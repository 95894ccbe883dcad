"""The deciding modals' submissions: the proposal, Amend, Decide, Give advice, a reason.

Each checks and stores before the modal closes (a field error keeps everything typed), then
acks, then tells Slack. A submission Slack sends twice is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import InvalidInputError, RetrobotError
from bot.decisions import usecases as decisions
from bot.decisions.model import Clicked, RoundAnswer
from bot.decisions.role_change import RoleChangeForm
from bot.services import Services
from handlers.events.app_home import publish_home
from handlers.state import (
    selected_date,
    selected_users,
    selected_value,
    selected_values,
    text_value,
)


def _metadata(view: dict) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _number(metadata: Mapping[str, Any], key: str) -> int:
    value = metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dm(metadata: Mapping[str, Any]) -> tuple[str | None, str | None] | None:
    channel, ts = metadata.get("dm_channel"), metadata.get("dm_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) else None


def _errors(error: Exception, blocks: Mapping[str, str], view: dict) -> dict[str, str]:
    """Field errors placed on the modal's blocks; one about a block the modal lacks (or a
    refusal that names no field) goes on its first input."""
    shown = [b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"]
    first = shown[0] if shown else next(iter(blocks.values()))
    fields = error.field_errors if isinstance(error, InvalidInputError) else {"": str(error)}
    placed: dict[str, str] = {}
    for field, text in fields.items():
        block = blocks.get(field, first)
        block = block if block in shown else first
        placed[block] = f"{placed[block]} {text}" if block in placed else text
    return placed


def _proposal_form(view: dict) -> dict[str, Any]:
    """What the proposal modal holds, as check_proposal's keyword arguments."""
    values, metadata = view["state"]["values"], _metadata(view)
    tension_id = metadata.get("tension_id")
    return {
        "team_id": selected_value(values, ids.PROPOSAL_TEAM_BLOCK, ids.PROPOSAL_TEAM_ACTION)
        or metadata.get("team_id"),
        "text": text_value(values, ids.PROPOSAL_TEXT_BLOCK, ids.PROPOSAL_TEXT_ACTION),
        "why": text_value(values, ids.PROPOSAL_WHY_BLOCK, ids.PROPOSAL_WHY_ACTION),
        "method": selected_value(values, ids.PROPOSAL_METHOD_BLOCK, ids.PROPOSAL_METHOD_ACTION),
        "people": selected_users(values, ids.PROPOSAL_PEOPLE_BLOCK, ids.PROPOSAL_PEOPLE_ACTION),
        "teams": selected_values(values, ids.PROPOSAL_TEAMS_BLOCK, ids.PROPOSAL_TEAMS_ACTION),
        "roles": selected_values(values, ids.PROPOSAL_ROLES_BLOCK, ids.PROPOSAL_ROLES_ACTION),
        "decide_by": selected_date(
            values, ids.PROPOSAL_DECIDE_BY_BLOCK, ids.PROPOSAL_DECIDE_BY_ACTION
        ),
        "values": selected_values(values, ids.PROPOSAL_VALUES_BLOCK, ids.PROPOSAL_VALUES_ACTION),
        "review_date": selected_date(values, ids.PROPOSAL_REVIEW_BLOCK, ids.PROPOSAL_REVIEW_ACTION),
        "permalink": metadata.get("permalink")
        if isinstance(metadata.get("permalink"), str)
        else None,
        "tension_id": tension_id if isinstance(tension_id, int) else None,
        "role_change": _role_change_form(values),
    }


def _role_change_form(values: dict) -> RoleChangeForm:
    """The modal's "This proposal changes a role" part (fields it does not show read empty)."""
    return RoleChangeForm(
        kind=selected_value(values, ids.PROPOSAL_ROLE_KIND_BLOCK, ids.PROPOSAL_ROLE_KIND_ACTION),
        role=selected_value(values, ids.ROLE_CHANGE_ROLE_BLOCK, ids.ROLE_CHANGE_ROLE_ACTION),
        name=text_value(values, ids.ROLE_CHANGE_NAME_BLOCK, ids.ROLE_CHANGE_NAME_ACTION),
        purpose=text_value(values, ids.ROLE_CHANGE_PURPOSE_BLOCK, ids.ROLE_CHANGE_PURPOSE_ACTION),
        accountabilities=text_value(
            values, ids.ROLE_CHANGE_DUTIES_BLOCK, ids.ROLE_CHANGE_DUTIES_ACTION
        ),
        expertise=text_value(
            values, ids.ROLE_CHANGE_EXPERTISE_BLOCK, ids.ROLE_CHANGE_EXPERTISE_ACTION
        ),
        holders=tuple(
            selected_users(values, ids.ROLE_CHANGE_HOLDERS_BLOCK, ids.ROLE_CHANGE_HOLDERS_ACTION)
        ),
        rotation=selected_value(
            values, ids.ROLE_CHANGE_ROTATION_BLOCK, ids.ROLE_CHANGE_ROTATION_ACTION
        ),
    )


def handle_proposal_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the proposal, then post it in the team channel and ask everyone."""
    user_id = body["user"]["id"]
    try:
        proposal = decisions.submit_proposal(
            services, client, user_id=user_id, form=_proposal_form(view), view_id=view["id"]
        )
    except RetrobotError as error:
        ack(response_action="errors", errors=_errors(error, ids.PROPOSAL_BLOCKS, view))
        return
    ack()
    if proposal is None:
        return  # the same modal submitted twice: stored (and posted) once
    decisions.announce_proposal(services, client, proposal=proposal)
    publish_home(client, services, user_id)


def handle_amend_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the amendment, then tell (or ask again) everyone who answered."""
    user_id, values, metadata = body["user"]["id"], view["state"]["values"], _metadata(view)
    form = {
        "text": text_value(values, ids.PROPOSAL_TEXT_BLOCK, ids.PROPOSAL_TEXT_ACTION),
        "why": text_value(values, ids.PROPOSAL_WHY_BLOCK, ids.PROPOSAL_WHY_ACTION),
        "note": text_value(values, ids.PROPOSAL_NOTE_BLOCK, ids.PROPOSAL_NOTE_ACTION),
        "decide_by": selected_date(
            values, ids.PROPOSAL_DECIDE_BY_BLOCK, ids.PROPOSAL_DECIDE_BY_ACTION
        ),
    }
    try:
        amended = decisions.submit_amendment(
            services,
            user_id=user_id,
            proposal_id=_number(metadata, "proposal_id"),
            version=_number(metadata, "version"),
            form=form,
            view_id=view["id"],
        )
    except RetrobotError as error:
        ack(response_action="errors", errors=_errors(error, ids.PROPOSAL_BLOCKS, view))
        return
    ack()
    if amended is not None:
        decisions.announce_amendment(services, client, amended=amended)
        publish_home(client, services, user_id)


def handle_decide_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the proposer's decision in the log, then tell the team and its advisors."""
    user_id, values, metadata = body["user"]["id"], view["state"]["values"], _metadata(view)
    form = {
        "text": text_value(values, ids.DECIDE_TEXT_BLOCK, ids.DECIDE_TEXT_ACTION),
        "shaped_by": text_value(values, ids.DECIDE_SHAPED_BLOCK, ids.DECIDE_SHAPED_ACTION),
        "review_date": selected_date(values, ids.PROPOSAL_REVIEW_BLOCK, ids.PROPOSAL_REVIEW_ACTION),
    }
    try:
        closed = decisions.submit_decision(
            services,
            user_id=user_id,
            proposal_id=_number(metadata, "proposal_id"),
            version=_number(metadata, "version"),
            form=form,
            view_id=view["id"],
        )
    except RetrobotError as error:
        ack(response_action="errors", errors=_errors(error, ids.DECIDE_BLOCKS, view))
        return
    ack()
    if closed is not None:
        decisions.announce_closed(services, client, closed=closed)
        publish_home(client, services, user_id)


def handle_advice_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the advice, then show it on the DM, in the thread and on the message."""
    user_id, metadata = body["user"]["id"], _metadata(view)
    text = text_value(view["state"]["values"], ids.ADVICE_TEXT_BLOCK, ids.ADVICE_TEXT_ACTION)
    try:
        row = decisions.submit_advice(
            services,
            user_id=user_id,
            proposal_id=_number(metadata, "proposal_id"),
            text=text,
            view_id=view["id"],
        )
    except RetrobotError as error:
        ack(response_action="errors", errors=_errors(error, ids.ADVICE_BLOCKS, view))
        return
    ack()
    if row is not None:
        decisions.announce_advice(services, client, row=row, dm=_dm(metadata))
        publish_home(client, services, user_id)


def handle_objection_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record a concern or an objection with its reason, then share it with the team."""
    user_id, metadata = body["user"]["id"], _metadata(view)
    reason = text_value(
        view["state"]["values"], ids.OBJECTION_REASON_BLOCK, ids.OBJECTION_REASON_ACTION
    )
    answer = RoundAnswer.OBJECTION if metadata.get("answer") == "objection" else RoundAnswer.CONCERN
    clicked = Clicked(_number(metadata, "proposal_id"), _number(metadata, "version"))
    try:
        answered = decisions.answer_round(
            services,
            user_id=user_id,
            clicked=clicked,
            answer=answer,
            reason=reason,
            view_id=view["id"],
        )
    except RetrobotError as error:
        ack(response_action="errors", errors=_errors(error, ids.OBJECTION_BLOCKS, view))
        return
    ack()
    if answered is not None:
        decisions.announce_round_answer(services, client, answered=answered, dm=_dm(metadata))
        publish_home(client, services, user_id)


def register(app: Any) -> None:
    """Register the deciding modals' submissions."""
    app.view(ids.PROPOSAL_MODAL)(handle_proposal_submission)
    app.view(ids.AMEND_MODAL)(handle_amend_submission)
    app.view(ids.DECIDE_MODAL)(handle_decide_submission)
    app.view(ids.ADVICE_MODAL)(handle_advice_submission)
    app.view(ids.OBJECTION_MODAL)(handle_objection_submission)
