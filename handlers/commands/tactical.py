"""`/tactical`: post (or update) the team's tactical-meeting agenda in its channel."""

from __future__ import annotations

from typing import Any

from bot.agenda import service as agenda
from bot.core.errors import NotInTeamError
from bot.services import Services


def handle_tactical_command(ack: Any, command: dict, respond: Any, services: Services) -> None:
    """Any member, in their team's channel, posts the agenda; anywhere else, where to run it."""
    renderer = services.renderer
    try:
        team = agenda.team_for_tactical(
            services.config, user_id=command["user_id"], channel_id=command.get("channel_id")
        )
    except NotInTeamError:
        ack(response_type="ephemeral", text=renderer.say("errors.not_in_team"))
        return
    except agenda.WrongChannelError as wrong:
        ack(response_type="ephemeral", text=renderer.say("agenda.wrong_channel", teams=wrong.teams))
        return
    except agenda.CoachNotMemberError as coach:
        ack(
            response_type="ephemeral",
            text=renderer.say("agenda.coach_only", team_name=coach.team.name),
        )
        return
    ack()
    post = agenda.post_agenda(services, team_id=team.id, now=services.now())
    if post.ok:
        link = agenda.agenda_link(services, post)
        text = renderer.say("agenda.posted", post=post, zone=team.zone, permalink=link)
    else:
        text = renderer.say("agenda.failed", post=post)
    respond(response_type="ephemeral", text=text)
