"""`/checkin`: open the check-in modal for the current round, or say when the next one opens."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.checkins import usecases
from bot.checkins.model import NextCheckin
from bot.checkins.views import build_checkin_modal
from bot.core.errors import NotInTeamError
from bot.services import Services


def handle_checkin_command(ack: Any, command: dict, client: WebClient, services: Services) -> None:
    """The modal for the person's open check-in, else a note of when the next round opens."""
    renderer = services.renderer
    try:
        found = usecases.checkin_for_command(
            services, user_id=command["user_id"], channel_id=command.get("channel_id")
        )
    except NotInTeamError:
        ack(response_type="ephemeral", text=renderer.say("errors.not_in_team"))
        return
    if isinstance(found, NextCheckin):
        text = renderer.say(
            "checkin.next_round",
            team_name=found.team.name,
            opens_at=found.opens_at,
            meeting_at=found.meeting_at,
            zone=found.zone,
        )
        ack(response_type="ephemeral", text=text)
        return
    ack()
    client.views_open(
        trigger_id=command["trigger_id"], view=build_checkin_modal(renderer, checkin=found)
    )
