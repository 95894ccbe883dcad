"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot.core import ids
from handlers.views import decisions, retro, shifts
from handlers.views.checkin import handle_away_submission, handle_checkin_submission
from handlers.views.feedback import (
    handle_feedback_reply_submission,
    handle_feedback_request_submission,
    handle_feedback_submission,
)
from handlers.views.tension import (
    handle_tension_edit_submission,
    handle_tension_withdraw_submission,
)
from handlers.views.triage import handle_triage_submission


def register(app: App) -> None:
    """Register the view-submission listeners (the tension modal's comes first, in
    handlers.register)."""
    app.view(ids.CHECKIN_MODAL)(handle_checkin_submission)
    app.view(ids.AWAY_MODAL)(handle_away_submission)
    app.view(ids.TENSION_EDIT_MODAL)(handle_tension_edit_submission)
    app.view(ids.TENSION_WITHDRAW_MODAL)(handle_tension_withdraw_submission)
    app.view(ids.TRIAGE_MODAL)(handle_triage_submission)
    app.view(ids.FEEDBACK_MODAL)(handle_feedback_submission)
    app.view(ids.FEEDBACK_REQUEST_MODAL)(handle_feedback_request_submission)
    app.view(ids.FEEDBACK_REPLY_MODAL)(handle_feedback_reply_submission)
    decisions.register(app)  # deciding (bot/decisions)
    retro.register(app)  # the retrospective (bot/retros)
    shifts.register(app)  # working time (bot/shifts)
