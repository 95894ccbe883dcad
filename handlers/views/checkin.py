"""The check-in modal's and the away modal's submissions."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.checkins import service as checkins
from bot.core import ids
from bot.core.config import TeamConfig
from bot.core.errors import InvalidInputError, RetrobotError
from bot.services import Services
from handlers.actions.checkin import redraw_checkin_dm
from handlers.events.app_home import publish_home
from handlers.state import State, selected_date, selected_value, selected_values, text_value


def _ticked(values: State, prefix: str, action_id: str) -> list[str]:
    """The ticked options of every checkbox block whose id starts with ``prefix``."""
    blocks = [block_id for block_id in values if block_id.startswith(f"{prefix}_")]
    return [value for block_id in blocks for value in selected_values(values, block_id, action_id)]


def read_checkin_state(values: State, team: TeamConfig) -> dict[str, Any]:
    """The check-in modal's state as the keyword arguments of :func:`checkins.check_answers`."""
    return {
        "mood": selected_value(values, ids.CHECKIN_MOOD_BLOCK, ids.CHECKIN_MOOD_ACTION),
        "note": text_value(values, ids.CHECKIN_NOTE_BLOCK, ids.CHECKIN_NOTE_ACTION),
        "metrics": {
            metric.id: text_value(
                values,
                ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, metric.id),
                ids.CHECKIN_METRIC_ACTION,
            )
            for metric in team.metrics
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
            for index in range(len(team.questions or []))
        },
        "tension_text": text_value(values, ids.CHECKIN_TENSION_BLOCK, ids.CHECKIN_TENSION_ACTION),
        "shared": ids.CHECKIN_SHARE_VALUE
        in selected_values(values, ids.CHECKIN_SHARE_BLOCK, ids.CHECKIN_SHARE_ACTION),
        "story_beyond_team": ids.CHECKIN_STORY_BEYOND_VALUE  # the organisation report
        in selected_values(values, ids.CHECKIN_SHARE_BLOCK, ids.CHECKIN_SHARE_ACTION),
    }


def handle_checkin_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the check-in (or the edit), or show in the modal what to fix; nothing typed is lost."""
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    try:
        team = services.config.team(str(metadata.get("team_id")))
        answers = checkins.check_answers(
            config=services.config,
            team=team,
            user_id=user_id,
            **read_checkin_state(view["state"]["values"], team),
        )
        with services.session() as session:
            saved = checkins.save_checkin(
                session,
                config=services.config,
                round_id=int(metadata.get("round_id") or 0),
                user_id=user_id,
                answers=answers,
                now=services.now(),
            )
    except InvalidInputError as error:
        errors = {ids.checkin_field_block(f): text for f, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except RetrobotError as error:
        ack(response_action="errors", errors={ids.CHECKIN_MOOD_BLOCK: str(error)})
        return
    ack()
    with services.session() as session:
        tension = checkins.raise_checkin_tension(
            session, user_id=user_id, answers=answers, now=services.now(), request_key=view["id"]
        )
    redraw_checkin_dm(
        client, services, saved.prompt, edited=saved.edited, tension_added=tension is not None
    )
    publish_home(client, services, user_id)


def handle_away_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Record the last day away; open rounds up to it stop asking, and the DM says so."""
    user_id = body["user"]["id"]
    picked = selected_date(view["state"]["values"], ids.AWAY_DATE_BLOCK, ids.AWAY_DATE_ACTION)
    try:
        with services.session() as session:
            now = services.now()
            today = checkins.person_today(session, config=services.config, user_id=user_id, now=now)
            until = checkins.check_away_date(picked, today=today)
            changed = checkins.set_away(session, user_id=user_id, until=until, now=now)
    except InvalidInputError as error:
        errors = {ids.AWAY_BLOCKS[f]: text for f, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except RetrobotError as error:
        ack(response_action="errors", errors={ids.AWAY_DATE_BLOCK: str(error)})
        return
    ack()
    for prompt in changed:
        redraw_checkin_dm(client, services, prompt)
    publish_home(client, services, user_id)
