"""`/roles [@person]`: the roles of one's teams, or the roles a colleague holds in them."""

from __future__ import annotations

import re
from typing import Any

from bot.roles import usecases as roles
from bot.services import Services

# With should_escape, Slack sends a mention as <@U123|name> (or <@U123> when it has no name).
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def handle_roles_command(ack: Any, command: dict, services: Services) -> None:
    """Answer, only to the person, with their teams' roles or one colleague's."""
    user_id, text = command["user_id"], (command.get("text") or "").strip()
    renderer = services.renderer
    if not services.config.teams_with(user_id):
        ack(response_type="ephemeral", text=renderer.say("errors.not_in_team"))
        return
    about = None
    if text:
        match = _MENTION.match(text)
        if match is None:
            ack(response_type="ephemeral", text=renderer.say("roles.not_a_person"))
            return
        about = match[1]
    reply = roles.roles_message(services, user_id=user_id, about=about)
    ack(response_type="ephemeral", **reply)
