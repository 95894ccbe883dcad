"""Button clicks and other block actions."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from handlers.actions.home import handle_home_raise_tension


def register(app: App) -> None:
    """Register the block-action listeners."""
    app.action(ids.HOME_RAISE_TENSION)(handle_home_raise_tension)
