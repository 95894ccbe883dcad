"""The check-in modal's and the away modal's submissions."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.checkins import usecases
from bot.checkins.usecases import CheckinForm
from bot.core import ids
from bot.core.config import TeamConfig
from bot.core.errors import InvalidInputError, RetrobotError
from bot.services import Services
from handlers.events.app_home import publish_home
from handlers.state import State, selected_date, selected_value, selected_values, text_value


def _ticked(values: State, prefix: str, action_id: str) -> list[str]:
    """The ticked options of every checkbox block whose id starts with ``prefix``."""
    blocks = [block_id for block_id in values if block_id.startswith(f"{prefix}_")]
    return [value for block_id in blocks for value in selected_values(values, block_id, action_id)]


def read_checkin_state(values: State, team: TeamConfig | None) -> dict[str, Any]:
    """The check-in modal's state as the keyword arguments of
    :func:`bot.checkins.answers.check_answers`; for a team app.yaml no longer has (None), no
    metrics or questions (the use case says the team is gone)."""
    metrics = team.metrics if team is not None else []
    questions = (team.questions if team is not None else None) or []
    return {
        "mood": selected_value(values, ids.CHECKIN_MOOD_BLOCK, ids.CHECKIN_MOOD_ACTION),
        "note": text_value(values, ids.CHECKIN_NOTE_BLOCK, ids.CHECKIN_NOTE_ACTION),
        "metrics": {
            metric.id: text_value(
                values,
                ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, metric.id),
                ids.CHECKIN_METRIC_ACTION,
            )
            for metric in metrics
        },
        "checklist_ticked": _ticked(
            values, ids.CHECKIN_CHECKLIST_BLOCK, ids.CHECKIN_CHECKLIST_ACTION
        ),
        "done_ticked": _ticked(values, ids.CHECKIN_DONE_BLOCK, ids.CHECKIN_DONE_ACTION),
        "progress": text_value(values, ids.CHECKIN_PROGRESS_BLOCK, ids.CHECKIN_PROGRESS_ACTION),
        "story": text_value(values, ids.CHECKIN_STORY_BLOCK, ids.CHECKIN_STORY_ACTION),
        "answers": {
            index: text_value(
                values,
                ids.numbered_block(ids.CHECKIN_QUESTION_BLOCK, index),
                ids.CHECKIN_QUESTION_ACTION,
            )
            for index in range(len(questions))
        },
        "tension_text": text_value(values, ids.CHECKIN_TENSION_BLOCK, ids.CHECKIN_TENSION_ACTION),
        "shared": ids.CHECKIN_SHARE_VALUE
        in selected_values(values, ids.CHECKIN_SHARE_BLOCK, ids.CHECKIN_SHARE_ACTION),
    }


def handle_checkin_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the check-in (or the edit) before the modal closes, or show in it what to fix;
    nothing typed is lost."""
    user_id = body["user"]["id"]
    submitted = usecases.submit_checkin(
        services, user_id=user_id, form=_form(view, services), request_key=view["id"]
    )
    saved = submitted.saved
    if saved is None:
        ack(response_action="errors", errors=submitted.errors)
        return
    ack()
    usecases.redraw_checkin_dm(
        services,
        client,
        saved.prompt,
        edited=saved.edited,
        tension_added=submitted.tension is not None,
    )
    publish_home(client, services, user_id)


def _form(view: dict, services: Services) -> CheckinForm:
    """The modal's answers, and the team and round it carries, as plain values."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    team_id = str(metadata.get("team_id"))
    team = services.config.find_team(team_id)
    return CheckinForm(
        team_id=team_id,
        round_id=int(metadata.get("round_id") or 0),
        answers=read_checkin_state(view["state"]["values"], team),
    )


def handle_away_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the last day away; open rounds up to it stop asking, and the DM says so."""
    user_id = body["user"]["id"]
    picked = selected_date(view["state"]["values"], ids.AWAY_DATE_BLOCK, ids.AWAY_DATE_ACTION)
    try:
        changed = usecases.go_away(services, user_id=user_id, picked=picked)
    except InvalidInputError as error:
        errors = {ids.AWAY_BLOCKS[f]: text for f, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except RetrobotError as error:
        ack(response_action="errors", errors={ids.AWAY_DATE_BLOCK: str(error)})
        return
    ack()
    for prompt in changed:
        usecases.redraw_checkin_dm(services, client, prompt)
    publish_home(client, services, user_id)
