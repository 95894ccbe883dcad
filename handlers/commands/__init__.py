"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from handlers.commands.tension import handle_tension_command


def register(app: App) -> None:
    """Register the slash-command listeners."""
    app.command(ids.TENSION_COMMAND)(handle_tension_command)
