"""The tension modal's submission: check it, store it, confirm it."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.agenda.service import refresh_agendas, refresh_posted_agendas
from bot.core import ids
from bot.core.errors import InvalidInputError, NotInTeamError, RetrobotError
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack import client as delivery
from bot.tensions import service as tensions
from bot.tensions.service import TensionDraft
from bot.tensions.views import build_private_tension_note, build_tension_confirmation
from bot.triage.views import build_notice_modal
from handlers.events.app_home import publish_home
from handlers.state import selected_value, selected_values, text_value


def handle_tension_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Store the tension, or show what to fix in the modal; nothing typed is lost either way."""
    user_id = body["user"]["id"]
    draft = _checked_draft(ack, services, user_id, view)
    if draft is None:
        return
    role_key = _checked_role(ack, services, draft, view)
    if role_key is False:
        return
    ack()
    team, now = services.config.team(draft.team_id), services.now()
    with services.autocommit() as connection:
        raised = tensions.raise_tension_onto_agenda(
            connection, user_id=user_id, draft=draft, team=team, now=now, request_key=view["id"]
        )
    if raised is None:
        return  # the same modal submitted twice: recorded (and confirmed) once
    tension = raised.tension
    confirmation = build_tension_confirmation(
        services.renderer, tension=tension, team_name=team.name
    )
    delivery.post(client, user_id, confirmation)
    if role_key:  # bot/roles: the role's holders hear of it
        roles.route_tension(services, client, tension=tension, role_key=role_key)
    if tension.private:
        note = build_private_tension_note(services.renderer, tension=tension, team_name=team.name)
        delivery.post_each(client, team.coach_ids, note)
    else:
        refresh_posted_agendas(services, round_ids=[raised.agenda_round_id], now=now)
    if _opened_from_home(view):
        # Only then is the person looking at their Home; anyone else sees it fresh when they
        # open it (app_home_opened), so building it now would be work for nobody.
        publish_home(client, services, user_id)


def _checked_role(
    ack: Any, services: Services, draft: TensionDraft, view: dict
) -> str | bool | None:
    """The role chosen for the tension's team (None for none); False once the modal has been
    told that the role chosen is another team's."""
    chosen = selected_value(
        view["state"]["values"], ids.TENSION_ROLE_BLOCK, ids.TENSION_ROLE_ACTION
    )
    try:
        return roles.check_role_choice(chosen, team_id=draft.team_id, renderer=services.renderer)
    except InvalidInputError as error:
        ack(response_action="errors", errors={ids.TENSION_ROLE_BLOCK: error.field_errors["role"]})
        return False


def _opened_from_home(view: dict) -> bool:
    """True for a modal opened with the Home tab's button."""
    return bool(json.loads(view.get("private_metadata") or "{}").get("from_home"))


def _checked_draft(ack: Any, services: Services, user_id: str, view: dict) -> TensionDraft | None:
    """The modal's answers, checked; None once the modal has been told what to fix."""
    values = view["state"]["values"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    try:
        return tensions.check_draft(
            config=services.config,
            user_id=user_id,
            team_id=selected_value(values, ids.TENSION_TEAM_BLOCK, ids.TENSION_TEAM_ACTION)
            or metadata.get("team_id"),
            text=text_value(values, ids.TENSION_TEXT_BLOCK, ids.TENSION_TEXT_ACTION),
            area=text_value(values, ids.TENSION_AREA_BLOCK, ids.TENSION_AREA_ACTION),
            private=ids.TENSION_PRIVATE_VALUE
            in selected_values(values, ids.TENSION_PRIVATE_BLOCK, ids.TENSION_PRIVATE_ACTION),
            permalink=metadata.get("permalink"),
        )
    except InvalidInputError as error:
        errors = {ids.TENSION_BLOCKS[field]: text for field, text in error.field_errors.items()}
        ack(response_action="errors", errors=errors)
    except NotInTeamError:
        ack(
            response_action="errors",
            errors={ids.TENSION_TEXT_BLOCK: services.renderer.plain("errors.not_in_team")},
        )
    return None


def handle_tension_edit_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Save the raiser's changes to their open tension, or say why it can't change now."""
    user_id, now = body["user"]["id"], services.now()
    draft = _checked_draft(ack, services, user_id, view)
    if draft is None:
        return
    tension_id = int(json.loads(view["private_metadata"])["tension_id"])
    try:
        with services.session() as session:
            tension, became_private = tensions.edit_tension(
                session, user_id=user_id, tension_id=tension_id, draft=draft, now=now
            )
    except RetrobotError as refused:
        ack(response_action="errors", errors={ids.TENSION_TEXT_BLOCK: str(refused)})
        return
    ack()
    team = services.config.team(tension.team_id)
    if became_private:
        note = build_private_tension_note(services.renderer, tension=tension, team_name=team.name)
        delivery.post_each(client, team.coach_ids, note)
    refresh_agendas(services, team_id=team.id, now=now)
    publish_home(client, services, user_id)


def handle_tension_withdraw_submission(
    ack: Any, body: dict, view: dict, client: WebClient, services: Services
) -> None:
    """Take the raiser's open tension off the agenda, or say why it can't be now."""
    user_id, now = body["user"]["id"], services.now()
    tension_id = int(json.loads(view["private_metadata"])["tension_id"])
    try:
        with services.session() as session:
            tension = tensions.withdraw_tension(
                session, user_id=user_id, tension_id=tension_id, now=now
            )
    except RetrobotError as refused:
        text = services.renderer.say("triage.refused", reason=str(refused))
        ack(response_action="update", view=build_notice_modal(services.renderer, text=text))
        return
    ack()
    refresh_agendas(services, team_id=tension.team_id, now=now)
    publish_home(client, services, user_id)
