"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from bot.core import ids
from handlers.commands import decisions
from handlers.commands.checkin import handle_checkin_command
from handlers.commands.feedback import handle_feedback_command
from handlers.commands.retro import handle_retro_command
from handlers.commands.roles import handle_roles_command
from handlers.commands.tactical import handle_tactical_command


def register(app: App) -> None:
    """Register the slash-command listeners (``/tension``'s comes first, in handlers.register)."""
    app.command(ids.CHECKIN_COMMAND)(handle_checkin_command)
    app.command(ids.TACTICAL_COMMAND)(handle_tactical_command)
    app.command(ids.FEEDBACK_COMMAND)(handle_feedback_command)
    app.command(ids.RETRO_COMMAND)(handle_retro_command)
    app.command(ids.ROLES_COMMAND)(handle_roles_command)  # bot/roles
    decisions.register(app)  # deciding (bot/decisions)
