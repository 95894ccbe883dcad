"""`/propose [text]` opens the proposal modal; `/decisions [words]` finds decisions in the log."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.core.text import strip_slack_links
from bot.decisions import usecases as decisions
from bot.services import Services


def handle_propose_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """Open the proposal modal prefilled with the command's words, or say kindly why not."""
    try:
        view = decisions.proposal_modal(
            services,
            user_id=command["user_id"],
            channel_id=command.get("channel_id"),
            text=strip_slack_links(command.get("text") or ""),
        )
    except RetrobotError as refused:
        ack(
            response_type="ephemeral",
            text=services.renderer.say("decisions.refused", reason=str(refused)),
        )
        return
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=view)


def handle_decisions_command(ack: Any, command: dict, services: Services) -> None:
    """Answer with the newest decisions of the person's teams that match the words given."""
    answer = decisions.search_decisions(
        services, user_id=command["user_id"], words=strip_slack_links(command.get("text") or "")
    )
    ack(**answer)


def register(app: Any) -> None:
    """Register `/propose` and `/decisions`."""
    app.command(ids.PROPOSE_COMMAND)(handle_propose_command)
    app.command(ids.DECISIONS_COMMAND)(handle_decisions_command)
