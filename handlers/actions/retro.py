"""The retrospective's buttons: Reflect (channel message, DM, reminder, App Home), Vote on the
channel message (the Vote modal) and Vote on a reflection in the thread (one vote, or back)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import RetrobotError
from bot.retros import usecases as retros
from bot.retros.views import build_notice_modal
from bot.services import Services


def _clicked(body: dict) -> int:
    """The id the button carries in its value."""
    return int(body["actions"][0]["value"])


def _open(client: WebClient, body: dict, services: Services, view: dict) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_retro_reflect(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the person's own reflection (or, once reflection closed, the Vote modal)."""
    ack()
    user_id = body["user"]["id"]
    try:
        view = retros.reflect_view(services, retro_id=_clicked(body), user_id=user_id)
    except RetrobotError as error:
        text = retros.refusal(services, error, user_id=user_id)
        view = build_notice_modal(services.renderer, text=text)
    _open(client, body, services, view)


def handle_retro_open_vote(ack: Any, body: dict, client: WebClient, services: Services) -> None:
    """Open the Vote modal: every reflection, and the person's three votes."""
    ack()
    user_id = body["user"]["id"]
    try:
        view = retros.vote_view(services, retro_id=_clicked(body), user_id=user_id)
    except RetrobotError as error:
        text = retros.refusal(services, error, user_id=user_id, voting=True)
        view = build_notice_modal(services.renderer, text=text)
    _open(client, body, services, view)


def handle_retro_vote(ack: Any, body: dict, respond: Any, services: Services) -> None:
    """Vote on a reflection in the thread, or take that vote back; only the voter is told."""
    ack()
    user_id = body["user"]["id"]
    try:
        change, retro_id = retros.click_vote(
            services, reflection_id=_clicked(body), user_id=user_id
        )
    except RetrobotError as error:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=retros.refusal(services, error, user_id=user_id, voting=True),
        )
        return
    words = "retros.vote_added" if change.added else "retros.vote_taken_back"
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=services.renderer.say(words, change=change),
    )
    retros.show_changes(services, retro_id=retro_id)


def register(app: Any) -> None:
    """Register the retrospective's buttons."""
    app.action(ids.RETRO_REFLECT)(handle_retro_reflect)
    app.action(ids.RETRO_OPEN_VOTE)(handle_retro_open_vote)
    app.action(ids.RETRO_VOTE)(handle_retro_vote)
