"""`/retro help` lists the commands; `/retro digest` shows what the team's coaches received;
`/retro` alone opens one's own reflection in the team's retrospective."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core.errors import NotInTeamError
from bot.digests.model import DIGESTS_SHOWN
from bot.digests.usecases import received_digests
from bot.digests.views import build_received_digests, build_retro_help
from bot.services import Services
from handlers.commands.retrospective import handle_current_retro


def handle_retro_command(
    ack: Any, command: dict, respond: Any, client: WebClient, services: Services
) -> None:
    """Answer `/retro help` and `/retro digest` privately; `/retro` alone opens one's own
    reflection in the team's retrospective."""
    words = (command.get("text") or "").split()
    if not words:  # `/retro` alone: the team's retrospective (handlers.commands.retrospective)
        handle_current_retro(
            ack, command, client, services, more=build_retro_help(services.renderer)
        )
        return
    word = words[0].lower()
    if word != "digest":
        help_message = build_retro_help(services.renderer, unknown=None if word == "help" else word)
        ack(response_type="ephemeral", **help_message)
        return
    ack()
    try:
        shown = received_digests(services, user_id=command["user_id"])
    except NotInTeamError:
        respond(response_type="ephemeral", text=services.renderer.say("errors.not_in_team"))
        return
    answer = build_received_digests(
        services.renderer,
        received=shown.received,
        team_names=shown.team_names,
        limit=DIGESTS_SHOWN,
    )
    respond(response_type="ephemeral", **answer)
