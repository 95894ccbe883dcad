"""Block Kit for peer feedback: the modals, the DMs, the team channel's message, the Home tab."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.core import ids
from bot.core.config import OrganisationConfig
from bot.feedback.model import (
    ABOUT_LIMIT,
    MAX_PEOPLE,
    REPLY_LIMIT,
    TEXT_LIMIT,
    FeedbackHome,
    Reply,
)
from bot.slack.blocks import (
    Block,
    actions,
    button,
    checkboxes,
    context,
    datepicker,
    header,
    message,
    modal,
    multi_static_select,
    option,
    radio_buttons,
    section,
    text_input,
    users_select,
)
from prompts import Renderer
from storage.models import Feedback, FeedbackKind, FeedbackRequest

# Slack's checkboxes hold at most 10 options; more values than that go in a multi-select.
_CHECKBOX_LIMIT = 10
_OPTION_VALUE_LIMIT = 150


# --- the give modal -------------------------------------------------------------------------


def value_option(name: str) -> str:
    """The option value that stands for one of the organisation's values in the modal."""
    return name[:_OPTION_VALUE_LIMIT]


def chosen_values(organisation: OrganisationConfig, chosen: Sequence[str]) -> list[str]:
    """The values behind the chosen options; an option no value matches any more is kept as is."""
    by_option = {value_option(name): name for name in organisation.values}
    return [by_option.get(picked, picked) for picked in chosen]


def build_feedback_modal(
    renderer: Renderer,
    *,
    organisation: OrganisationConfig,
    receivers: Sequence[str] = (),
    text: str = "",
    request: FeedbackRequest | None = None,
    answered: bool = False,
) -> dict[str, Any]:
    """The modal that gives feedback, prefilled with the people and words already known.

    From a request it names the requester and the question, and offers no anonymity (the
    requester asked this person by name).
    """
    blocks = _feedback_intro(renderer, request=request, answered=answered)
    blocks += [
        _receivers_input(renderer, receivers),
        _kind_input(renderer),
        *_values_inputs(renderer, organisation),
        _feedback_text_input(renderer, text),
        _share_input(renderer),
    ]
    if organisation.anonymous_feedback and request is None:
        blocks.append(_anonymous_input(renderer))
    metadata = {"request_id": request.id if request is not None else None}
    return modal(
        callback_id=ids.FEEDBACK_MODAL,
        title=renderer.plain("feedback.modal_title"),
        submit=renderer.plain("feedback.modal_submit"),
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


def _feedback_intro(
    renderer: Renderer, *, request: FeedbackRequest | None, answered: bool
) -> list[Block]:
    """The modal's opening words: the request being answered, or a general invitation."""
    if request is None:
        return [section(renderer.say("feedback.modal_intro"))]
    blocks = [section(renderer.say("feedback.answering", request=request))]
    if answered:
        blocks.append(context(renderer.say("feedback.answering_again")))
    return blocks


def _receivers_input(renderer: Renderer, receivers: Sequence[str]) -> Block:
    """Who the feedback is for: up to MAX_PEOPLE colleagues."""
    return users_select(
        block_id=ids.FEEDBACK_RECEIVERS_BLOCK,
        action_id=ids.FEEDBACK_RECEIVERS_ACTION,
        label=renderer.plain("feedback.receivers_label"),
        initial_users=list(dict.fromkeys(receivers))[:MAX_PEOPLE],
        max_selected=MAX_PEOPLE,
        placeholder=renderer.plain("feedback.receivers_placeholder"),
    )


def _kind_input(renderer: Renderer) -> Block:
    """Appreciation (the default) or suggestion."""
    return radio_buttons(
        block_id=ids.FEEDBACK_KIND_BLOCK,
        action_id=ids.FEEDBACK_KIND_ACTION,
        label=renderer.plain("feedback.kind_label"),
        options=[
            option(renderer.plain("feedback.kind_appreciation"), FeedbackKind.APPRECIATION),
            option(renderer.plain("feedback.kind_suggestion"), FeedbackKind.SUGGESTION),
        ],
        initial_value=FeedbackKind.APPRECIATION,
    )


def _values_inputs(renderer: Renderer, organisation: OrganisationConfig) -> list[Block]:
    """The organisation's values the feedback shows, when it has any: checkboxes for a few,
    a multi-select for many."""
    if not organisation.values:
        return []
    values_options = [option(name, value_option(name)) for name in organisation.values]
    values_input = checkboxes if len(values_options) <= _CHECKBOX_LIMIT else multi_static_select
    return [
        values_input(
            block_id=ids.FEEDBACK_VALUES_BLOCK,
            action_id=ids.FEEDBACK_VALUES_ACTION,
            label=renderer.plain("feedback.values_label", organisation=organisation.name),
            options=values_options,
        )
    ]


def _feedback_text_input(renderer: Renderer, text: str) -> Block:
    """What the giver noticed, prefilled with any words already typed."""
    return text_input(
        block_id=ids.FEEDBACK_TEXT_BLOCK,
        action_id=ids.FEEDBACK_TEXT_ACTION,
        label=renderer.plain("feedback.text_label"),
        placeholder=renderer.plain("feedback.text_placeholder"),
        initial=text,
        multiline=True,
        max_length=TEXT_LIMIT,
    )


def _share_input(renderer: Renderer) -> Block:
    """Also share an appreciation in the team channel."""
    share = checkboxes(
        block_id=ids.FEEDBACK_SHARE_BLOCK,
        action_id=ids.FEEDBACK_SHARE_ACTION,
        label=renderer.plain("feedback.share_label"),
        options=[option(renderer.plain("feedback.share_option"), ids.FEEDBACK_SHARE_VALUE)],
    )
    share["hint"] = {"type": "plain_text", "text": renderer.plain("feedback.share_hint")}
    return share


def _anonymous_input(renderer: Renderer) -> Block:
    """Give without a name (only where app.yaml allows anonymous feedback)."""
    anonymous = checkboxes(
        block_id=ids.FEEDBACK_ANONYMOUS_BLOCK,
        action_id=ids.FEEDBACK_ANONYMOUS_ACTION,
        label=renderer.plain("feedback.anonymous_label"),
        options=[option(renderer.plain("feedback.anonymous_option"), ids.FEEDBACK_ANONYMOUS_VALUE)],
    )
    anonymous["hint"] = {"type": "plain_text", "text": renderer.plain("feedback.anonymous_hint")}
    return anonymous


# --- what the receiver gets -----------------------------------------------------------------


def build_feedback_dm(
    renderer: Renderer, *, feedback: Feedback, request: FeedbackRequest | None = None
) -> dict[str, Any]:
    """The receiver's DM: the feedback, and thanks / reply buttons (a note once thanked)."""
    blocks: list[Block] = [section(renderer.say("feedback.dm_heading", feedback=feedback))]
    if request is not None:
        blocks.append(context(renderer.say("feedback.dm_answering", request=request)))
    blocks.append(section(renderer.say("feedback.dm_text", feedback=feedback)))
    blocks.append(context(renderer.say("feedback.dm_privacy", feedback=feedback)))
    if feedback.thanked_at is not None:
        blocks.append(context(renderer.say("feedback.thanked", feedback=feedback)))
    else:
        buttons = [
            button(
                renderer.plain("feedback.thanks_button"),
                ids.FEEDBACK_THANKS,
                value=str(feedback.id),
                style="primary",
            )
        ]
        if feedback.giver is not None:
            buttons.append(
                button(
                    renderer.plain("feedback.reply_button"),
                    ids.FEEDBACK_OPEN_REPLY,
                    value=str(feedback.id),
                )
            )
        blocks.append(actions(*buttons))
    return message(renderer.say("feedback.dm_fallback", feedback=feedback), blocks)


def build_thanks_note(renderer: Renderer, *, feedback: Feedback) -> dict[str, Any]:
    """The giver's DM when the receiver says thanks."""
    return message(
        renderer.say("feedback.thanks_note_fallback", feedback=feedback),
        [section(renderer.say("feedback.thanks_note", feedback=feedback))],
    )


def build_reply_modal(renderer: Renderer, *, feedback: Feedback) -> dict[str, Any]:
    """The modal in which the receiver writes a private reply to the giver."""
    return modal(
        callback_id=ids.FEEDBACK_REPLY_MODAL,
        title=renderer.plain("feedback.reply_title"),
        submit=renderer.plain("feedback.reply_submit"),
        blocks=[
            section(renderer.say("feedback.reply_intro", feedback=feedback)),
            text_input(
                block_id=ids.FEEDBACK_REPLY_BLOCK,
                action_id=ids.FEEDBACK_REPLY_ACTION,
                label=renderer.plain("feedback.reply_label"),
                placeholder=renderer.plain("feedback.reply_placeholder"),
                multiline=True,
                max_length=REPLY_LIMIT,
            ),
        ],
        private_metadata=json.dumps({"feedback_id": feedback.id}),
    )


def build_reply_note(renderer: Renderer, *, reply: Reply) -> dict[str, Any]:
    """The giver's DM carrying the receiver's private reply."""
    return message(
        renderer.say("feedback.reply_note_fallback", reply=reply),
        [
            section(renderer.say("feedback.reply_note", reply=reply)),
            context(renderer.say("feedback.reply_note_context", reply=reply)),
        ],
    )


def build_reply_sent(renderer: Renderer, *, reply: Reply, delivered: bool) -> dict[str, Any]:
    """The receiver's note that their reply went (or could not go) to the giver."""
    text = renderer.say("feedback.reply_sent", reply=reply, delivered=delivered)
    return message(text, [section(text)])


# --- the team channel and the giver ---------------------------------------------------------


def build_shared_appreciation(
    renderer: Renderer, *, feedback: Feedback, receivers: Sequence[str]
) -> dict[str, Any]:
    """The one message in a team channel for an appreciation its giver shared."""
    return message(
        renderer.say("feedback.shared_fallback", feedback=feedback, receivers=receivers),
        [section(renderer.say("feedback.shared", feedback=feedback, receivers=receivers))],
    )


def build_giver_confirmation(
    renderer: Renderer,
    *,
    feedback: Feedback,
    reached: Sequence[str],
    missed: Sequence[str],
    channels: Sequence[str],
    answered: FeedbackRequest | None = None,
) -> dict[str, Any]:
    """The giver's DM: who the feedback reached, where it was shared, what it answered."""
    return message(
        renderer.say("feedback.confirmation_fallback", feedback=feedback),
        [
            section(
                renderer.say(
                    "feedback.confirmation",
                    feedback=feedback,
                    reached=reached,
                    missed=missed,
                    channels=channels,
                    answered=answered,
                )
            )
        ],
    )


# --- asking ---------------------------------------------------------------------------------


def build_request_modal(
    renderer: Renderer, *, due_date: date, recipients: Sequence[str] = (), about: str = ""
) -> dict[str, Any]:
    """The modal that asks colleagues for feedback: whom, about what, by when."""
    return modal(
        callback_id=ids.FEEDBACK_REQUEST_MODAL,
        title=renderer.plain("feedback.request_title"),
        submit=renderer.plain("feedback.request_submit"),
        blocks=[
            section(renderer.say("feedback.request_intro")),
            users_select(
                block_id=ids.FEEDBACK_ASKED_BLOCK,
                action_id=ids.FEEDBACK_ASKED_ACTION,
                label=renderer.plain("feedback.asked_label"),
                initial_users=list(dict.fromkeys(recipients))[:MAX_PEOPLE],
                max_selected=MAX_PEOPLE,
                placeholder=renderer.plain("feedback.asked_placeholder"),
            ),
            text_input(
                block_id=ids.FEEDBACK_ABOUT_BLOCK,
                action_id=ids.FEEDBACK_ABOUT_ACTION,
                label=renderer.plain("feedback.about_label"),
                placeholder=renderer.plain("feedback.about_placeholder"),
                initial=about,
                max_length=ABOUT_LIMIT,
            ),
            datepicker(
                block_id=ids.FEEDBACK_DUE_BLOCK,
                action_id=ids.FEEDBACK_DUE_ACTION,
                label=renderer.plain("feedback.due_label"),
                initial_date=due_date.isoformat(),
                hint=renderer.plain("feedback.due_hint"),
            ),
        ],
    )


def build_request_dm(
    renderer: Renderer,
    *,
    request: FeedbackRequest,
    reminder: bool = False,
    due_today: bool = False,
) -> dict[str, Any]:
    """The DM asking a person for feedback (or reminding them), with a "Give feedback" button."""
    words = "feedback.reminder" if reminder else "feedback.ask"
    return message(
        renderer.say(f"{words}_fallback", request=request),
        [
            section(renderer.say(words, request=request, due_today=due_today)),
            actions(
                button(
                    renderer.plain("feedback.give_button"),
                    ids.FEEDBACK_ANSWER_REQUEST,
                    value=str(request.id),
                    style="primary",
                )
            ),
            context(renderer.say("feedback.ask_context", request=request)),
        ],
    )


def build_request_confirmation(
    renderer: Renderer, *, request: FeedbackRequest, reached: Sequence[str], missed: Sequence[str]
) -> dict[str, Any]:
    """The requester's DM: whom the request reached, and whom it could not."""
    return message(
        renderer.say("feedback.request_confirmation_fallback"),
        [
            section(
                renderer.say(
                    "feedback.request_confirmation", request=request, reached=reached, missed=missed
                )
            )
        ],
    )


# --- the App Home ---------------------------------------------------------------------------


def build_feedback_home_section(renderer: Renderer, *, overview: FeedbackHome) -> list[Block]:
    """Feedback received (paged, newest first), requests waiting for the person, their requests."""
    blocks: list[Block] = [
        header(renderer.plain("feedback.home_heading")),
        actions(
            button(renderer.plain("feedback.home_give_button"), ids.HOME_GIVE_FEEDBACK),
            button(renderer.plain("feedback.home_ask_button"), ids.HOME_ASK_FEEDBACK),
        ),
        *_home_waiting(renderer, overview),
        section(renderer.say("feedback.home_received_heading", total=overview.received_total)),
    ]
    if not overview.received:
        blocks.append(context(renderer.say("feedback.home_received_none")))
    for feedback in overview.received:
        blocks.append(section(renderer.say("feedback.home_received", feedback=feedback)))
    blocks += _home_paging(renderer, overview)
    blocks.append(section(renderer.say("feedback.home_mine_heading")))
    if not overview.mine:
        blocks.append(context(renderer.say("feedback.home_mine_none")))
    for mine in overview.mine:
        blocks.append(section(renderer.say("feedback.home_mine", mine=mine)))
    return blocks


def _home_waiting(renderer: Renderer, overview: FeedbackHome) -> list[Block]:
    """Requests waiting for this person's feedback, each with its Give feedback button."""
    if not overview.waiting:
        return []
    blocks = [section(renderer.say("feedback.home_waiting_heading", total=overview.waiting_total))]
    for request in overview.waiting:
        blocks.append(
            section(
                renderer.say("feedback.home_waiting", request=request),
                accessory=button(
                    renderer.plain("feedback.give_button"),
                    ids.FEEDBACK_ANSWER_REQUEST,
                    value=str(request.id),
                ),
            )
        )
    if more := overview.waiting_total - len(overview.waiting):
        blocks.append(context(renderer.say("feedback.home_waiting_more", more=more)))
    return blocks


def _home_paging(renderer: Renderer, overview: FeedbackHome) -> list[Block]:
    """Previous and next buttons over the feedback received, when it runs to several pages."""
    if overview.pages <= 1:
        return []
    paging = []
    if overview.page > 0:
        paging.append(
            button(
                renderer.plain("feedback.home_previous"),
                ids.HOME_FEEDBACK_PREVIOUS,
                value=str(overview.page - 1),
            )
        )
    if overview.page < overview.pages - 1:
        paging.append(
            button(
                renderer.plain("feedback.home_next"),
                ids.HOME_FEEDBACK_NEXT,
                value=str(overview.page + 1),
            )
        )
    return [
        context(renderer.say("feedback.home_page", page=overview.page, pages=overview.pages)),
        actions(*paging),
    ]
