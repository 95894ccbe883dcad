"""What people do with peer feedback: open its modals, give it, ask for it, reply, say thanks.

Each use case owns its transaction. A modal's submission is stored before the modal closes
(:meth:`bot.services.Services.saving_session`): the use case returns the field errors to show
in it — what to change, or "couldn't save just now" — or what was stored; the listener acks
with them, and only then is it delivered (the ``announce_*`` functions), off the ack's path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from slack_sdk import WebClient

from bot.core import ids
from bot.core.errors import CouldNotSaveError, InvalidInputError, NotInTeamError
from bot.feedback import delivery, rules, service
from bot.feedback.model import (
    ABOUT_LIMIT,
    TEXT_LIMIT,
    AskedForFeedback,
    FeedbackCommand,
    GivenFeedback,
    Reply,
)
from bot.feedback.views import (
    build_feedback_modal,
    build_reply_modal,
    build_request_modal,
    chosen_values,
)
from bot.services import Services
from bot.slack import users as slack_users

StoredT = TypeVar("StoredT")


@dataclass(frozen=True)
class Submitted(Generic[StoredT]):
    """A submission's outcome: field errors (block id -> words) to show in the modal, or what
    was stored (None for the same modal submitted twice: stored and delivered once)."""

    errors: dict[str, str] = field(default_factory=dict)
    stored: StoredT | None = None


@dataclass(frozen=True)
class FeedbackForm:
    """What the give-modal holds when it is submitted; ``values`` are the options picked."""

    receivers: list[str]
    kind: str | None
    values: list[str]
    text: str | None
    shared: bool
    anonymous: bool
    request_id: int | None
    shown_blocks: frozenset[str]


@dataclass(frozen=True)
class RequestForm:
    """What the request modal holds when it is submitted."""

    recipients: list[str]
    about: str | None
    due_date: str | None
    shown_blocks: frozenset[str]


@dataclass(frozen=True)
class ReplyForm:
    """What the private-reply modal holds when it is submitted."""

    feedback_id: int | None
    text: str | None
    shown_blocks: frozenset[str]


# --- the modals -------------------------------------------------------------------------------


def feedback_command(services: Services, *, user_id: str, text: str | None) -> FeedbackCommand:
    """What `/feedback ...` asks for; NotInTeamError for someone in no team (help aside)."""
    command = rules.parse_command(text)
    if command.action != "help":
        rules.require_teams(services.config, user_id)
    return command


def command_modal(services: Services, *, user_id: str, command: FeedbackCommand) -> dict[str, Any]:
    """The give-modal, or the request modal, prefilled from the command."""
    if command.action == "request":
        return request_modal(
            services, user_id=user_id, recipients=command.people, about=command.text[:ABOUT_LIMIT]
        )
    return give_modal(
        services, user_id=user_id, receivers=command.people, text=command.text[:TEXT_LIMIT]
    )


def give_modal(
    services: Services, *, user_id: str, receivers: Sequence[str] = (), text: str = ""
) -> dict[str, Any]:
    """The give-modal, prefilled; NotInTeamError for someone in no team."""
    rules.require_teams(services.config, user_id)
    return build_feedback_modal(
        services.renderer,
        organisation=services.config.organisation,
        receivers=receivers,
        text=text,
    )


def request_modal(
    services: Services, *, user_id: str, recipients: Sequence[str] = (), about: str = ""
) -> dict[str, Any]:
    """The request modal, due a week from today; NotInTeamError for someone in no team."""
    rules.require_teams(services.config, user_id)
    due = rules.default_due_date(services.config, user_id, services.now())
    return build_request_modal(services.renderer, due_date=due, recipients=recipients, about=about)


def answer_request_modal(services: Services, *, user_id: str, request_id: int) -> dict[str, Any]:
    """The give-modal prefilled with the requester and their question, for someone asked."""
    with services.session() as session:
        asked = service.request_to_answer(session, request_id=request_id, user_id=user_id)
    return build_feedback_modal(
        services.renderer,
        organisation=services.config.organisation,
        receivers=[asked.request.requester],
        request=asked.request,
        answered=asked.answered,
    )


def reply_modal(services: Services, *, user_id: str, feedback_id: int) -> dict[str, Any]:
    """The private-reply modal, for feedback the person received from someone named."""
    with services.session() as session:
        received = service.feedback_to_reply_to(session, feedback_id=feedback_id, user_id=user_id)
    return build_reply_modal(services.renderer, feedback=received)


# --- the submissions --------------------------------------------------------------------------


def give_feedback(
    services: Services, client: WebClient, *, giver: str, form: FeedbackForm, request_key: str
) -> Submitted[GivenFeedback]:
    """Check and store feedback before its modal closes, once per modal (its view id)."""
    config = services.config
    known = rules.teammates(config, giver)
    try:
        accounts = slack_users.look_up(client, form.receivers, known=known)
        draft = rules.check_feedback(
            config=config,
            giver=giver,
            accounts=accounts,
            receivers=form.receivers,
            kind=form.kind,
            values=chosen_values(config.organisation, form.values),
            text=form.text,
            shared=form.shared,
            anonymous=form.anonymous,
            request_id=form.request_id,
        )
        with services.saving_session() as session:
            given = service.give_feedback(
                session,
                config=config,
                giver=giver,
                draft=draft,
                now=services.now(),
                request_key=request_key,
            )
    except InvalidInputError as error:
        return Submitted(errors=_placed(error.field_errors, ids.FEEDBACK_BLOCKS, form.shown_blocks))
    except NotInTeamError:
        return Submitted(errors={ids.FEEDBACK_TEXT_BLOCK: _not_in_team(services)})
    except CouldNotSaveError:
        return Submitted(errors=_could_not_save(services, ids.FEEDBACK_BLOCKS, form.shown_blocks))
    return Submitted(stored=given)


def announce_feedback(
    services: Services, client: WebClient, *, giver: str, given: GivenFeedback
) -> None:
    """DM each receiver, post shared appreciations, and confirm to the giver."""
    delivery.deliver_feedback(services, client, giver=giver, given=given)


def ask_for_feedback(
    services: Services, client: WebClient, *, requester: str, form: RequestForm, request_key: str
) -> Submitted[AskedForFeedback]:
    """Check and store a request for feedback before its modal closes, once per modal."""
    config, now = services.config, services.now()
    known = rules.teammates(config, requester)
    try:
        accounts = slack_users.look_up(client, form.recipients, known=known)
        draft = rules.check_request(
            config=config,
            requester=requester,
            accounts=accounts,
            now=now,
            recipients=form.recipients,
            about=form.about,
            due_date=form.due_date,
        )
        with services.saving_session() as session:
            asked = service.ask_for_feedback(
                session,
                config=config,
                requester=requester,
                draft=draft,
                now=now,
                request_key=request_key,
            )
    except InvalidInputError as error:
        blocks = ids.FEEDBACK_REQUEST_BLOCKS
        return Submitted(errors=_placed(error.field_errors, blocks, form.shown_blocks))
    except NotInTeamError:
        return Submitted(errors={ids.FEEDBACK_ABOUT_BLOCK: _not_in_team(services)})
    except CouldNotSaveError:
        blocks = ids.FEEDBACK_REQUEST_BLOCKS
        return Submitted(errors=_could_not_save(services, blocks, form.shown_blocks))
    return Submitted(stored=asked)


def announce_request(services: Services, client: WebClient, *, asked: AskedForFeedback) -> None:
    """DM each person asked (with the "Give feedback" button) and confirm to the requester."""
    delivery.deliver_request(services, client, asked=asked)


def reply_to_feedback(
    services: Services, *, user_id: str, form: ReplyForm, request_key: str
) -> Submitted[Reply]:
    """Check a private reply and note it was sent (its words are never stored), before its
    modal closes, once per modal."""
    try:
        with services.saving_session() as session:
            reply = service.reply_to_feedback(
                session,
                feedback_id=form.feedback_id or 0,
                user_id=user_id,
                text=form.text,
                now=services.now(),
                request_key=request_key,
            )
    except InvalidInputError as error:
        blocks = ids.FEEDBACK_REPLY_BLOCKS
        return Submitted(errors=_placed(error.field_errors, blocks, form.shown_blocks))
    except CouldNotSaveError:
        blocks = ids.FEEDBACK_REPLY_BLOCKS
        return Submitted(errors=_could_not_save(services, blocks, form.shown_blocks))
    return Submitted(stored=reply)


def announce_reply(services: Services, client: WebClient, *, reply: Reply) -> None:
    """Pass the private reply to the giver, and tell the receiver whether it reached them."""
    delivery.deliver_reply(services, client, reply=reply)


# --- thanks -----------------------------------------------------------------------------------


def thank_for_feedback(
    services: Services,
    client: WebClient,
    *,
    user_id: str,
    feedback_id: int,
    channel: str | None,
    ts: str | None,
) -> None:
    """Record the receiver's thanks (once), show it on their DM, and tell the giver (unless
    anonymous); RetrobotError when the feedback is not theirs or is gone."""
    with services.session() as session:
        thanks = service.thank_for_feedback(
            session, feedback_id=feedback_id, user_id=user_id, now=services.now()
        )
    delivery.deliver_thanks(services, client, thanks=thanks, channel=channel, ts=ts)


# --- field errors -----------------------------------------------------------------------------


def _placed(
    field_errors: Mapping[str, str], blocks: Mapping[str, str], shown: Collection[str]
) -> dict[str, str]:
    """The domain's field errors placed on the modal's blocks; one the modal lacks goes on its
    first input block."""
    first = next(block for block in blocks.values() if block in shown)
    errors: dict[str, str] = {}
    for name, text in field_errors.items():
        block = blocks.get(name, first)
        block = block if block in shown else first
        errors[block] = f"{errors[block]} {text}" if block in errors else text
    return errors


def _could_not_save(
    services: Services, blocks: Mapping[str, str], shown: Collection[str]
) -> dict[str, str]:
    """ "Couldn't save just now", on the modal's first input block."""
    return _placed({"": services.renderer.plain("errors.could_not_save")}, blocks, shown)


def _not_in_team(services: Services) -> str:
    return services.renderer.plain("errors.not_in_team")
