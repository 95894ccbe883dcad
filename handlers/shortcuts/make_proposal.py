"""Message shortcut "Make a proposal": the proposal modal, prefilled with a message and its link."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.core.text import strip_slack_links
from bot.decisions import usecases as decisions
from bot.services import Services


def handle_make_proposal_shortcut(
    ack: Any, shortcut: dict, client: WebClient, services: Services, respond: Any
) -> None:
    """Open the proposal modal with the message's words and a link back to it."""
    ack()
    channel_id = (shortcut.get("channel") or {}).get("id")
    message_ts = shortcut.get("message_ts") or (shortcut.get("message") or {}).get("ts")
    try:
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
    except SlackApiError:
        permalink = None  # a message we cannot link to still makes a good proposal
    try:
        view = decisions.proposal_modal(
            services,
            user_id=shortcut["user"]["id"],
            channel_id=channel_id,
            text=strip_slack_links((shortcut.get("message") or {}).get("text") or ""),
            permalink=permalink,
        )
    except RetrobotError as refused:
        text = services.renderer.say("decisions.refused", reason=str(refused))
        respond(response_type="ephemeral", text=text)
        return
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)


def register(app: Any) -> None:
    """Register the "Make a proposal" message shortcut."""
    app.shortcut(ids.MAKE_PROPOSAL_SHORTCUT)(handle_make_proposal_shortcut)
