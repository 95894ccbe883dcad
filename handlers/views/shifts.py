"""The working-pattern modal's submission: stored before the modal closes, or field errors
that keep every choice in it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import InvalidInputError, RetrobotError
from bot.services import Services
from bot.shifts import usecases
from bot.shifts.usecases import PatternForm
from handlers.events.app_home import publish_home
from handlers.state import selected_time, selected_value, selected_values


def _form(view: dict) -> PatternForm:
    """The modal's choices as plain values."""
    values = view["state"]["values"]
    return PatternForm(
        kind=selected_value(values, ids.PATTERN_KIND_BLOCK, ids.PATTERN_KIND_ACTION),
        days=tuple(selected_values(values, ids.PATTERN_DAYS_BLOCK, ids.PATTERN_DAYS_ACTION)),
        starts=selected_time(values, ids.PATTERN_STARTS_BLOCK, ids.PATTERN_STARTS_ACTION),
        ends=selected_time(values, ids.PATTERN_ENDS_BLOCK, ids.PATTERN_ENDS_ACTION),
    )


def handle_pattern_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the person's working pattern, or show in the modal what to change."""
    user_id = body["user"]["id"]
    try:
        usecases.save_pattern(services, user_id=user_id, form=_form(view))
    except InvalidInputError as error:
        ack(response_action="errors", errors=error.field_errors)
        return
    except RetrobotError as error:  # the database could not take it: the modal stays open
        ack(response_action="errors", errors={ids.PATTERN_KIND_BLOCK: str(error)})
        return
    ack()
    publish_home(client, services, user_id)


def register(app: Any) -> None:
    """Register the working-pattern modal's submission."""
    app.view(ids.PATTERN_MODAL)(handle_pattern_submission)
