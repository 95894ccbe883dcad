"""Deciding's buttons: the proposer's Amend / Decide / Withdraw, Give advice and "no advice
from me", the objection round's No objection / Concern / Object, an objector's "It's integrated"
and "Withdraw my objection", "Draft the proposal" after triage, and the Home tab's "Make a
proposal". Each acks first; a refusal or a stale click is told to the clicker only."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.decisions import usecases as decisions
from bot.decisions.model import Clicked, RoundAnswer, parse_button_value
from bot.services import Services
from handlers.actions.triage import tell
from handlers.events.app_home import publish_home

logger = logging.getLogger(__name__)


def _clicked(action: dict) -> Clicked:
    return parse_button_value(action.get("value"))


def _from_dm(body: dict) -> tuple[str | None, str | None] | None:
    """The DM (channel, ts) a button was clicked in; None on the App Home."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None
    return container.get("channel_id"), container.get("message_ts")


def _refuse(body: dict, client: WebClient, respond: Any, services: Services, error: Exception):
    text = services.renderer.say("decisions.refused", reason=str(error))
    tell(body, client, respond, services, text)


def _open(body: dict, client: WebClient, respond: Any, services: Services, build: Any) -> None:
    """Open the modal ``build()`` makes, or tell the clicker why not."""
    try:
        view = build()
    except RetrobotError as error:
        _refuse(body, client, respond, services, error)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_proposal_amend(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The proposer's Amend: the modal with the words as they stand."""
    ack()
    user_id = body["user"]["id"]
    _open(
        body,
        client,
        respond,
        services,
        lambda: decisions.amend_modal(services, user_id=user_id, clicked=_clicked(action)),
    )


def handle_proposal_decide(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The proposer's Decide (advice process): the modal for the decision."""
    ack()
    user_id = body["user"]["id"]
    _open(
        body,
        client,
        respond,
        services,
        lambda: decisions.decide_modal(services, user_id=user_id, clicked=_clicked(action)),
    )


def handle_proposal_withdraw(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The proposer withdraws their proposal."""
    ack()
    user_id = body["user"]["id"]
    try:
        decisions.withdraw(services, client, user_id=user_id, clicked=_clicked(action))
    except RetrobotError as error:
        _refuse(body, client, respond, services, error)
        return
    publish_home(client, services, user_id)


def handle_advice_give(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Give advice: the modal, which remembers the DM it was opened from."""
    ack()
    user_id = body["user"]["id"]
    _open(
        body,
        client,
        respond,
        services,
        lambda: decisions.advice_modal(
            services, user_id=user_id, clicked=_clicked(action), dm=_from_dm(body)
        ),
    )


def handle_advice_none(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """ "No advice from me": recorded once; the DM says so."""
    ack()
    user_id = body["user"]["id"]
    try:
        row = decisions.no_advice(services, client, user_id=user_id, clicked=_clicked(action))
    except RetrobotError as error:
        _refuse(body, client, respond, services, error)
        return
    if _from_dm(body) is not None:
        respond(replace_original=True, **decisions.advice_answered_payload(services, row))
    else:
        publish_home(client, services, user_id)


def handle_round_no_objection(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """No objection (or, from an objector asked again, "It's integrated"): recorded once."""
    ack()
    user_id = body["user"]["id"]
    try:
        answered = decisions.answer_round(
            services, user_id=user_id, clicked=_clicked(action), answer=RoundAnswer.NO_OBJECTION
        )
    except RetrobotError as error:
        _refuse(body, client, respond, services, error)
        return
    assert answered is not None
    if _from_dm(body) is not None:
        respond(replace_original=True, **decisions.round_answered_payload(services, answered))
    decisions.announce_round_answer(services, client, answered=answered)
    publish_home(client, services, user_id)


def handle_round_reason(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """Concern or Object: the modal for the reason (an objection needs one)."""
    ack()
    user_id = body["user"]["id"]
    answer = (
        RoundAnswer.OBJECTION if action["action_id"] == ids.ROUND_OBJECT else RoundAnswer.CONCERN
    )
    _open(
        body,
        client,
        respond,
        services,
        lambda: decisions.objection_modal(
            services, user_id=user_id, clicked=_clicked(action), answer=answer, dm=_from_dm(body)
        ),
    )


def handle_objection_withdraw(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The objector withdraws their objection; it no longer blocks."""
    ack()
    user_id = body["user"]["id"]
    try:
        answered = decisions.withdraw_objection(services, user_id=user_id, clicked=_clicked(action))
    except RetrobotError as error:
        _refuse(body, client, respond, services, error)
        return
    if _from_dm(body) is not None:
        respond(replace_original=True, **decisions.objection_withdrawn_payload(services))
    decisions.announce_round_answer(services, client, answered=answered, withdrawn=True)
    publish_home(client, services, user_id)


def handle_draft_proposal(
    ack: Any, body: dict, action: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """ "Draft the proposal" on a tension triaged as a proposal: the modal, prefilled from it."""
    ack()
    user_id = body["user"]["id"]
    value = action.get("value") or ""
    tension_id = int(value) if value.isdigit() else 0
    _open(
        body,
        client,
        respond,
        services,
        lambda: decisions.proposal_modal(services, user_id=user_id, tension_id=tension_id),
    )


def handle_home_propose(
    ack: Any, body: dict, client: WebClient, respond: Any, services: Services
) -> None:
    """The Home tab's "Make a proposal": an empty proposal modal."""
    ack()
    user_id = body["user"]["id"]
    _open(
        body, client, respond, services, lambda: decisions.proposal_modal(services, user_id=user_id)
    )


def handle_role_kind(
    ack: Any, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    """ "Does this proposal change a role?" chosen: the modal shows that kind's fields (what
    was typed stays). A view changed meanwhile (its hash) is left as it is."""
    ack()
    view, option = body.get("view") or {}, action.get("selected_option")
    chosen = option.get("value") if isinstance(option, dict) else None
    try:
        updated = decisions.proposal_modal_role_part(
            services, user_id=body["user"]["id"], view=view, kind=chosen
        )
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=updated)
    except (RetrobotError, SlackApiError):
        logger.exception("The proposal modal's role part was not shown")


def register(app: Any) -> None:
    """Register deciding's buttons."""
    app.action(ids.PROPOSAL_AMEND)(handle_proposal_amend)
    app.action(ids.PROPOSAL_DECIDE)(handle_proposal_decide)
    app.action(ids.PROPOSAL_WITHDRAW)(handle_proposal_withdraw)
    app.action(ids.ADVICE_GIVE)(handle_advice_give)
    app.action(ids.ADVICE_NONE)(handle_advice_none)
    app.action(ids.ROUND_NO_OBJECTION)(handle_round_no_objection)
    app.action(ids.OBJECTION_INTEGRATED)(handle_round_no_objection)
    app.action(ids.ROUND_CONCERN)(handle_round_reason)
    app.action(ids.ROUND_OBJECT)(handle_round_reason)
    app.action(ids.OBJECTION_WITHDRAW)(handle_objection_withdraw)
    app.action(ids.DRAFT_PROPOSAL)(handle_draft_proposal)
    app.action(ids.HOME_PROPOSE)(handle_home_propose)
    app.action(ids.PROPOSAL_ROLE_KIND_ACTION)(handle_role_kind)
