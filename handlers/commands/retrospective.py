"""`/retro` with no words: one's own reflection (or votes) in the team's open retrospective."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError, RetrobotError
from bot.retros import usecases as retros
from bot.retros.views import build_command_answer
from bot.services import Services


def handle_current_retro(
    ack: Any, command: dict, client: WebClient, services: Services, *, more: dict | None = None
) -> None:
    """Open the person's Reflect (or Vote) modal, or say privately when the next one opens
    (followed by ``more``, a message such as the list of commands)."""
    user_id = command["user_id"]
    try:
        answer = retros.command_answer(
            services, user_id=user_id, channel_id=command.get("channel_id")
        )
    except NotInTeamError:
        ack(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    except RetrobotError as error:
        ack(response_type="ephemeral", text=retros.refusal(services, error, user_id=user_id))
        return
    if answer.view is None:
        ack(response_type="ephemeral", **build_command_answer(answer.text or "", more=more))
        return
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=answer.view)
