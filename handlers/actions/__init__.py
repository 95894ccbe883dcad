"""Button clicks and other block actions."""

from __future__ import annotations

from slack_bolt import App

from bot.core import ids
from handlers.actions import decisions, retro, shifts
from handlers.actions.checkin import (
    handle_checkin_away,
    handle_checkin_back,
    handle_checkin_open,
    handle_checkin_skip,
)
from handlers.actions.feedback import (
    handle_feedback_answer_request,
    handle_feedback_open_reply,
    handle_feedback_thanks,
    handle_home_ask_feedback,
    handle_home_feedback_page,
    handle_home_give_feedback,
)
from handlers.actions.home import handle_home_raise_tension
from handlers.actions.tension import handle_home_edit_tension, handle_home_withdraw_tension
from handlers.actions.triage import handle_action_done, handle_agenda_triage, handle_needs_met


def register(app: App) -> None:
    """Register the block-action listeners."""
    app.action(ids.HOME_RAISE_TENSION)(handle_home_raise_tension)
    app.action(ids.CHECKIN_OPEN)(handle_checkin_open)
    app.action(ids.CHECKIN_SKIP)(handle_checkin_skip)
    app.action(ids.CHECKIN_AWAY)(handle_checkin_away)
    app.action(ids.CHECKIN_BACK)(handle_checkin_back)
    app.action(ids.HOME_EDIT_TENSION)(handle_home_edit_tension)
    app.action(ids.HOME_WITHDRAW_TENSION)(handle_home_withdraw_tension)
    app.action(ids.AGENDA_TRIAGE)(handle_agenda_triage)
    app.action(ids.NEEDS_MET_YES)(handle_needs_met)
    app.action(ids.NEEDS_MET_NO)(handle_needs_met)
    app.action(ids.ACTION_DONE)(handle_action_done)
    app.action(ids.FEEDBACK_THANKS)(handle_feedback_thanks)
    app.action(ids.FEEDBACK_OPEN_REPLY)(handle_feedback_open_reply)
    app.action(ids.FEEDBACK_ANSWER_REQUEST)(handle_feedback_answer_request)
    app.action(ids.HOME_GIVE_FEEDBACK)(handle_home_give_feedback)
    app.action(ids.HOME_ASK_FEEDBACK)(handle_home_ask_feedback)
    app.action(ids.HOME_FEEDBACK_PREVIOUS)(handle_home_feedback_page)
    app.action(ids.HOME_FEEDBACK_NEXT)(handle_home_feedback_page)
    decisions.register(app)  # deciding (bot/decisions)
    retro.register(app)  # the retrospective (bot/retros)
    shifts.register(app)  # working time (bot/shifts)
