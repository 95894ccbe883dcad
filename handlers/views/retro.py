"""The Reflect and Vote modals' submissions: stored before the modal closes, or shown what to
change with everything typed still in it."""

from __future__ import annotations

import json
from typing import Any

from bot.core import ids
from bot.core.errors import CouldNotSaveError, InvalidInputError, RetrobotError
from bot.retros import usecases as retros
from bot.retros.views import KIND_BLOCKS
from bot.services import Services
from handlers.events.app_home import publish_home
from handlers.state import selected_value, selected_values, text_value


def _retro_id(view: dict) -> int:
    """The retrospective the modal is about (0, which no retrospective has, when unreadable)."""
    value = json.loads(view.get("private_metadata") or "{}").get("retro_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _health_scores(values: dict) -> dict[int, str | None]:
    """The health answers chosen, by question number."""
    prefix = f"{ids.RETRO_HEALTH_BLOCK}_"
    return {
        int(block[len(prefix) :]): selected_value(values, block, ids.RETRO_HEALTH_ACTION)
        for block in values
        if block.startswith(prefix) and block[len(prefix) :].isdigit()
    }


def handle_reflect_submission(
    ack: Any, body: dict, view: dict, client: Any, services: Services
) -> None:
    """Store the person's reflections and health answers, then show them in the thread."""
    user_id, values, retro_id = body["user"]["id"], view["state"]["values"], _retro_id(view)
    texts = {
        kind: text_value(values, block, ids.RETRO_TEXT_ACTION)
        for kind, block in KIND_BLOCKS.items()
    }
    try:
        saved = retros.submit_reflection(
            services,
            retro_id=retro_id,
            user_id=user_id,
            texts=texts,
            scores=_health_scores(values),
            request_key=view.get("id"),
        )
    except InvalidInputError as error:
        errors = {ids.retro_field_block(f): text for f, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except CouldNotSaveError:
        text = services.renderer.plain("retros.saving_failed")
        ack(response_action="errors", errors={ids.RETRO_WENT_WELL_BLOCK: text})
        return
    except RetrobotError as error:
        text = retros.refusal(services, error, user_id=user_id)
        ack(response_action="errors", errors={ids.RETRO_WENT_WELL_BLOCK: text})
        return
    ack()
    if saved is not None:
        retros.show_changes(services, retro_id=retro_id)
        publish_home(client, services, user_id)


def handle_vote_submission(
    ack: Any, body: dict, view: dict, client: Any, services: Services
) -> None:
    """Put the person's votes where they chose (at most three)."""
    user_id, values, retro_id = body["user"]["id"], view["state"]["values"], _retro_id(view)
    chosen = selected_values(values, ids.RETRO_VOTES_BLOCK, ids.RETRO_VOTES_ACTION)
    try:
        picked = [int(value) for value in chosen if value.isdigit()]
        retros.submit_votes(services, retro_id=retro_id, user_id=user_id, reflection_ids=picked)
    except InvalidInputError as error:
        errors = {ids.retro_field_block(f): text for f, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
        return
    except CouldNotSaveError:
        text = services.renderer.plain("retros.saving_failed")
        ack(response_action="errors", errors={ids.RETRO_VOTES_BLOCK: text})
        return
    except RetrobotError as error:
        text = retros.refusal(services, error, user_id=user_id, voting=True)
        ack(response_action="errors", errors={ids.RETRO_VOTES_BLOCK: text})
        return
    ack()
    retros.show_changes(services, retro_id=retro_id)
    publish_home(client, services, user_id)


def register(app: Any) -> None:
    """Register the Reflect and Vote modals' submissions."""
    app.view(ids.RETRO_REFLECT_MODAL)(handle_reflect_submission)
    app.view(ids.RETRO_VOTE_MODAL)(handle_vote_submission)
