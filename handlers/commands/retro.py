"""`/retro help` lists the commands; `/retro digest` shows what the team's coaches received."""

from __future__ import annotations

from typing import Any

from bot.core.errors import NotInTeamError
from bot.digests.model import DIGESTS_SHOWN
from bot.digests.usecases import received_digests
from bot.digests.views import build_received_digests, build_retro_help
from bot.services import Services


def handle_retro_command(ack: Any, command: dict, respond: Any, services: Services) -> None:
    """Answer `/retro [help|digest]` privately to the person who typed it."""
    words = (command.get("text") or "").split()
    word = words[0].lower() if words else "help"
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
