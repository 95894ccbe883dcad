"""Message and global shortcuts."""

from __future__ import annotations

from slack_bolt import App

from bot.core import ids
from handlers.shortcuts import make_proposal
from handlers.shortcuts.raise_tension import handle_raise_tension_shortcut


def register(app: App) -> None:
    """Register the shortcut listeners."""
    app.shortcut(ids.RAISE_TENSION_SHORTCUT)(handle_raise_tension_shortcut)
    make_proposal.register(app)  # deciding (bot/decisions)
