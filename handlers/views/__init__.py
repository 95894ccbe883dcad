"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from handlers.views.tension import handle_tension_submission


def register(app: App) -> None:
    """Register the view-submission listeners."""
    app.view(ids.TENSION_MODAL)(handle_tension_submission)
