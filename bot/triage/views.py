"""Block Kit for triage and progress: the triage modal, the owner's and raiser's DMs, the Home.

Buttons carry the tension's id as their value; the triage modal carries the tension and the
meeting's round in its private_metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.core.config import TeamConfig
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    datepicker,
    message,
    modal,
    option,
    plain,
    radio_buttons,
    section,
    text_input,
)
from bot.triage.service import NOTE_LIMIT, OUTCOMES
from prompts import Renderer
from storage.models import OutcomeKind, Tension

HOME_ACTIONS_SHOWN = 8


@dataclass(frozen=True)
class HomeAction:
    """A next action or project on its owner's App Home."""

    tension: Tension
    team_name: str
    overdue: bool


@dataclass(frozen=True)
class HomeMeeting:
    """A team's next meeting, in the person's own time zone."""

    team_name: str
    at: datetime
    zone: ZoneInfo


def _users_select(
    *, block_id: str, action_id: str, label: str, hint: str, placeholder: str
) -> Block:
    """An optional input block holding a single users_select."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {
            "type": "users_select",
            "action_id": action_id,
            "placeholder": plain(placeholder),
        },
        "optional": True,
        "hint": plain(hint),
    }


def build_triage_modal(
    renderer: Renderer,
    *,
    tension: Tension,
    team: TeamConfig,
    round_id: int | None,
    circles: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The modal that turns an agenda's tension into an outcome with an owner. ``circles``
    (id, name) are the circles the team is in (bot/circles): "Take to <circle>" each."""
    outcomes = _outcome_options(renderer, circles=circles)
    blocks: list[Block] = [section(renderer.say("triage.modal_tension", tension=tension))]
    if tension.source_permalink:
        blocks.append(
            context(renderer.say("tension.source_context", permalink=tension.source_permalink))
        )
    blocks += [
        radio_buttons(
            block_id=ids.TRIAGE_OUTCOME_BLOCK,
            action_id=ids.TRIAGE_OUTCOME_ACTION,
            label=renderer.plain("triage.outcome_label_field"),
            options=outcomes,
        ),
        _users_select(
            block_id=ids.TRIAGE_OWNER_BLOCK,
            action_id=ids.TRIAGE_OWNER_ACTION,
            label=renderer.plain("triage.owner_label"),
            hint=renderer.plain("triage.owner_hint", team_name=team.name),
            placeholder=renderer.plain("triage.owner_placeholder"),
        ),
        datepicker(
            block_id=ids.TRIAGE_DUE_BLOCK,
            action_id=ids.TRIAGE_DUE_ACTION,
            label=renderer.plain("triage.due_label"),
            optional=True,
        ),
        text_input(
            block_id=ids.TRIAGE_NOTE_BLOCK,
            action_id=ids.TRIAGE_NOTE_ACTION,
            label=renderer.plain("triage.note_label"),
            placeholder=renderer.plain("triage.note_placeholder"),
            multiline=True,
            max_length=NOTE_LIMIT,
            optional=True,
        ),
    ]
    return modal(
        callback_id=ids.TRIAGE_MODAL,
        title=renderer.plain("triage.modal_title"),
        submit=renderer.plain("triage.modal_submit"),
        blocks=blocks,
        private_metadata=json.dumps({"tension_id": tension.id, "round_id": round_id}),
    )


def _outcome_options(
    renderer: Renderer, *, circles: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The triage modal's outcomes, then "Take to <circle>" for each circle the team is in."""
    outcomes = []
    for kind in OUTCOMES:
        choice = option(renderer.plain("triage.outcome_label", kind=kind), kind.value)
        choice["description"] = plain(renderer.plain("triage.outcome_hint", kind=kind))
        outcomes.append(choice)
    for circle_id, circle_name in circles[: 10 - len(OUTCOMES)]:  # radio buttons hold 10
        choice = option(
            renderer.plain("circles.circle_option", circle_name=circle_name),
            circle_outcome_value(circle_id),
        )
        choice["description"] = plain(renderer.plain("circles.circle_hint"))
        outcomes.append(choice)
    return outcomes


def circle_outcome_value(circle_id: str) -> str:
    """The triage modal's value for "Take to <circle>"."""
    return f"circle:{circle_id}"


def parse_circle_outcome(value: str | None) -> str | None:
    """The circle id a triage outcome names, or None for the other outcomes."""
    if value and value.startswith("circle:"):
        return value.removeprefix("circle:")
    return None


def build_owner_dm(renderer: Renderer, *, tension: Tension, team_name: str) -> dict[str, Any]:
    """The owner's DM: their new next action or project, with a Done button; for a proposal,
    **Draft the proposal** (its modal is bot.decisions', prefilled from the tension)."""
    if tension.outcome == OutcomeKind.PROPOSAL:
        return message(
            renderer.plain("triage.owner_dm_fallback", tension=tension, team_name=team_name),
            [
                section(
                    renderer.say("triage.owner_dm", tension=tension, team_name=team_name),
                    accessory=button(
                        renderer.plain("triage.draft_proposal_button"),
                        ids.DRAFT_PROPOSAL,
                        value=str(tension.id),
                        style="primary",
                    ),
                ),
                context(renderer.say("triage.proposal_owner_context")),
            ],
        )
    return message(
        renderer.plain("triage.owner_dm_fallback", tension=tension, team_name=team_name),
        [
            section(
                renderer.say("triage.owner_dm", tension=tension, team_name=team_name),
                accessory=button(
                    renderer.plain("triage.done_button"),
                    ids.ACTION_DONE,
                    value=str(tension.id),
                    style="primary",
                ),
            ),
            context(renderer.say("triage.owner_dm_context", tension=tension)),
        ],
    )


def build_done_confirmation(renderer: Renderer, *, tension: Tension) -> dict[str, Any]:
    """What the owner's DM becomes once the work is marked done."""
    text = renderer.say("triage.done_confirmation", tension=tension)
    return message(renderer.plain("triage.done_fallback"), [section(text)])


def build_raiser_question(
    renderer: Renderer, *, tension: Tension, team_name: str
) -> dict[str, Any]:
    """The raiser's DM: the outcome, and "did you get what you need?" with yes and no."""
    value = str(tension.id)
    return message(
        renderer.plain("triage.raiser_dm_fallback", team_name=team_name),
        [
            section(renderer.say("triage.raiser_dm", tension=tension, team_name=team_name)),
            actions(
                button(
                    renderer.plain("triage.yes_button"),
                    ids.NEEDS_MET_YES,
                    value=value,
                    style="primary",
                ),
                button(renderer.plain("triage.no_button"), ids.NEEDS_MET_NO, value=value),
            ),
        ],
    )


def build_needs_met_answer(renderer: Renderer, *, tension: Tension) -> dict[str, Any]:
    """What the raiser's question becomes once answered (the buttons go)."""
    key = "triage.answered_yes" if tension.needs_met else "triage.answered_no"
    return message(
        renderer.plain("triage.answered_fallback", met=bool(tension.needs_met)),
        [section(renderer.say(key, tension=tension))],
    )


def build_reopened_note(renderer: Renderer, *, tension: Tension) -> dict[str, Any]:
    """The owner's note that the raiser said no, so the tension is back on the agenda."""
    return message(
        renderer.plain("triage.reopened_owner_fallback"),
        [section(renderer.say("triage.reopened_owner_note", tension=tension))],
    )


def build_notice(text: str) -> dict[str, Any]:
    """An ephemeral reply (a refusal, a stale button) as message arguments."""
    return {"text": text}


def build_notice_modal(renderer: Renderer, *, text: str) -> dict[str, Any]:
    """A small modal with one message, for clicks on the App Home (which has no channel)."""
    return modal(
        callback_id=ids.NOTICE_MODAL,
        title=renderer.plain("home.title"),
        blocks=[section(text)],
        close="OK",
    )


def build_progress_section(
    renderer: Renderer, *, items: Sequence[HomeAction], meetings: Sequence[HomeMeeting]
) -> list[Block]:
    """The App Home's part: next meetings (in the person's zone), then their open work."""
    blocks: list[Block] = [
        section(
            renderer.say(
                "triage.home_next_meeting",
                team_name=m.team_name,
                meeting_at=m.at,
                zone=m.zone,
                zone_name=m.zone.key,
            )
        )
        for m in meetings
    ]
    shown = items[:HOME_ACTIONS_SHOWN]
    blocks.append(
        section(renderer.say("triage.home_actions", count=len(shown), more=len(items) - len(shown)))
    )
    for item in shown:
        blocks.append(
            section(
                renderer.say(
                    "triage.home_action",
                    tension=item.tension,
                    team_name=item.team_name,
                    overdue=item.overdue,
                ),
                accessory=button(
                    renderer.plain("triage.done_button"),
                    ids.ACTION_DONE,
                    value=str(item.tension.id),
                ),
            )
        )
    if len(items) > len(shown):
        blocks.append(context(renderer.say("triage.home_more", more=len(items) - len(shown))))
    return blocks
