"""What people do with tensions: open the modal, raise one, edit it, withdraw it.

Each use case owns its transaction. A modal's submission is stored before the modal closes
(:meth:`bot.services.Services.saving`): the use case returns the field errors to show in it —
what to fix, or "couldn't save just now" — or what was stored; the handler acks with them, and
only then are those concerned told (:func:`announce_tension`), off the ack's path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.agenda.service import refresh_agendas, refresh_posted_agendas
from bot.core import ids
from bot.core.errors import CouldNotSaveError, InvalidInputError, NotInTeamError, RetrobotError
from bot.core.text import strip_slack_links
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack import client as delivery
from bot.tensions import service as tensions
from bot.tensions.service import RaisedTension, TensionDraft
from bot.tensions.views import (
    build_private_tension_note,
    build_tension_confirmation,
    build_tension_modal,
    build_withdraw_modal,
)
from storage.models import Tension

# The longest tension a message shortcut carries into the modal (the modal's own limit).
SHORTCUT_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class TensionForm:
    """What the tension modal holds when it is submitted."""

    team_id: str | None
    text: str | None
    area: str | None
    private: bool
    permalink: str | None = None
    # The role chosen among the person's teams' roles ("<team id>:<role id>", bot/roles).
    role: str | None = None


@dataclass(frozen=True)
class Submitted:
    """A submission's outcome: field errors (block id -> words) to show in the modal, or what
    was stored (None for the same modal submitted twice: stored and confirmed once), and the
    role of its team it was raised about, whose holders are then told."""

    errors: dict[str, str] = field(default_factory=dict)
    raised: RaisedTension | None = None
    role_key: str | None = None


def team_for_modal(services: Services, *, user_id: str, channel_id: str | None) -> str:
    """The team the tension modal starts on: the one whose channel it was opened in, else the
    person's first. NotInTeamError for someone in no team: there is no meeting to bring it to.
    """
    return tensions.default_team(services.config, user_id, channel_id).id


def tension_modal(
    services: Services, *, user_id: str, team_id: str, text: str = "", permalink: str | None = None
) -> dict[str, Any]:
    """The tension modal, starting on ``team_id``, prefilled with the words given; it offers
    the roles of the person's teams."""
    teams = services.config.teams_of(user_id)
    return build_tension_modal(
        services.renderer,
        teams=teams,
        team_id=team_id,
        text=strip_slack_links(text)[:SHORTCUT_TEXT_LIMIT],
        permalink=permalink,
        role_choice=roles.tension_role_choice(services, teams=teams),
    )


def message_tension_modal(
    services: Services, client: WebClient, *, user_id: str, shortcut: dict[str, Any]
) -> dict[str, Any]:
    """The tension modal for "Raise as tension": the message's words and a link back to it.

    NotInTeamError for someone in no team.
    """
    channel_id = (shortcut.get("channel") or {}).get("id")
    team_id = team_for_modal(services, user_id=user_id, channel_id=channel_id)
    message = shortcut.get("message") or {}
    message_ts = shortcut.get("message_ts") or message.get("ts")
    try:
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
    except SlackApiError:
        permalink = None  # a message we cannot link to still makes a good tension
    return tension_modal(
        services,
        user_id=user_id,
        team_id=team_id,
        text=message.get("text") or "",
        permalink=permalink,
    )


def home_tension_modal(services: Services, *, user_id: str) -> dict[str, Any]:
    """The empty tension modal the Home tab's button opens, offering the teams' roles."""
    teams = tensions.teams_for(services.config, user_id)
    role_choice = roles.tension_role_choice(services, teams=teams)
    return build_tension_modal(
        services.renderer, teams=teams, from_home=True, role_choice=role_choice
    )


def check_form(services: Services, *, user_id: str, form: TensionForm) -> TensionDraft:
    """The modal's answers, checked; InvalidInputError carries the modal's field errors."""
    try:
        return tensions.check_draft(
            config=services.config,
            user_id=user_id,
            team_id=form.team_id,
            text=form.text,
            area=form.area,
            private=form.private,
            permalink=form.permalink,
        )
    except InvalidInputError as error:
        errors = {ids.TENSION_BLOCKS[name]: text for name, text in error.field_errors.items()}
        raise InvalidInputError(errors) from None
    except NotInTeamError:
        not_in_team = services.renderer.plain("errors.not_in_team")
        raise InvalidInputError({ids.TENSION_TEXT_BLOCK: not_in_team}) from None


def submit_tension(
    services: Services, *, user_id: str, form: TensionForm, request_key: str
) -> Submitted:
    """Check and store a new tension before its modal closes, once per modal (its view id)."""
    try:
        draft = check_form(services, user_id=user_id, form=form)
        role_key = _checked_role(services, form=form, team_id=draft.team_id)
        team, now = services.config.team(draft.team_id), services.now()
        with services.saving() as connection:
            raised = tensions.raise_tension_onto_agenda(
                connection,
                user_id=user_id,
                draft=draft,
                team=team,
                now=now,
                request_key=request_key,
            )
    except InvalidInputError as error:
        return Submitted(errors=error.field_errors)
    except CouldNotSaveError:
        return Submitted(errors=_could_not_save(services))
    return Submitted(raised=raised, role_key=role_key)


def _checked_role(services: Services, *, form: TensionForm, team_id: str) -> str | None:
    """The role chosen for the tension's own team (None for none); InvalidInputError, on the
    modal's role block, when the role chosen is another team's."""
    try:
        return roles.check_role_choice(form.role, team_id=team_id, renderer=services.renderer)
    except InvalidInputError as error:
        errors = {ids.TENSION_BLOCKS[name]: text for name, text in error.field_errors.items()}
        raise InvalidInputError(errors) from None


def announce_tension(
    services: Services,
    client: WebClient,
    *,
    raised: RaisedTension,
    role_key: str | None = None,
) -> None:
    """Confirm a stored tension to its raiser; tell the holders of the role it is about (not
    for a private one); tell the coaches of a private one, or put a public one on the agenda
    already posted."""
    tension = raised.tension
    team = services.config.team(tension.team_id)
    if role_key:  # first, so the confirmation and the agenda show the role as its area
        roles.route_tension(services, client, tension=tension, role_key=role_key)
    confirmation = build_tension_confirmation(
        services.renderer, tension=tension, team_name=team.name
    )
    delivery.post(client, tension.raised_by, confirmation)
    if tension.private:
        note = build_private_tension_note(services.renderer, tension=tension, team_name=team.name)
        delivery.post_each(client, team.coach_ids, note)
    else:
        refresh_posted_agendas(services, round_ids=[raised.agenda_round_id], now=services.now())


def edit_tension(
    services: Services, client: WebClient, *, user_id: str, tension_id: int, form: TensionForm
) -> dict[str, str]:
    """Save the raiser's changes to their open tension before its modal closes; the field
    errors to show, if any (what to fix, why it can't change now, or "couldn't save just now").

    A tension made private is now the coaches' (they are told); every agenda follows.
    """
    now = services.now()
    try:
        draft = check_form(services, user_id=user_id, form=form)
        with services.saving_session() as session:
            tension, became_private = tensions.edit_tension(
                session, user_id=user_id, tension_id=tension_id, draft=draft, now=now
            )
    except InvalidInputError as error:
        return error.field_errors
    except CouldNotSaveError:
        return _could_not_save(services)
    except RetrobotError as refused:
        return {ids.TENSION_TEXT_BLOCK: str(refused)}
    team = services.config.team(tension.team_id)
    if became_private:
        note = build_private_tension_note(services.renderer, tension=tension, team_name=team.name)
        delivery.post_each(client, team.coach_ids, note)
    refresh_agendas(services, team_id=team.id, now=now)
    return {}


def withdraw_tension(services: Services, *, user_id: str, tension_id: int) -> Tension:
    """Take the raiser's open tension off the agenda; RetrobotError says why it can't be."""
    now = services.now()
    with services.session() as session:
        tension = tensions.withdraw_tension(
            session, user_id=user_id, tension_id=tension_id, now=now
        )
    refresh_agendas(services, team_id=tension.team_id, now=now)
    return tension


def edit_modal(services: Services, *, user_id: str, tension_id: int) -> dict[str, Any]:
    """The tension modal prefilled with the person's own open tension (RetrobotError if not)."""
    tension = _own_open_tension(services, user_id=user_id, tension_id=tension_id)
    teams = services.config.teams_of(user_id)
    return build_tension_modal(services.renderer, teams=teams, editing=tension)


def withdraw_modal(services: Services, *, user_id: str, tension_id: int) -> dict[str, Any]:
    """The confirmation to withdraw the person's own open tension (RetrobotError if not)."""
    tension = _own_open_tension(services, user_id=user_id, tension_id=tension_id)
    team = services.config.team(tension.team_id)
    return build_withdraw_modal(services.renderer, tension=tension, team_name=team.name)


def _own_open_tension(services: Services, *, user_id: str, tension_id: int) -> Tension:
    with services.session() as session:
        return tensions.own_open_tension(session, user_id=user_id, tension_id=tension_id)


def _could_not_save(services: Services) -> dict[str, str]:
    return {ids.TENSION_TEXT_BLOCK: services.renderer.plain("errors.could_not_save")}
