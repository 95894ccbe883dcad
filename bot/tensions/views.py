"""Block Kit for tensions: the modal to raise one, the raiser's confirmation, the coaches' note."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core import ids
from bot.core.config import TeamConfig
from bot.slack.blocks import (
    Block,
    checkboxes,
    context,
    message,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from bot.tensions.service import AREA_LIMIT, TEXT_LIMIT
from prompts import Renderer
from storage.models import Tension


def build_tension_modal(
    renderer: Renderer,
    *,
    teams: Sequence[TeamConfig],
    team_id: str | None = None,
    text: str = "",
    area: str = "",
    private: bool = False,
    permalink: str | None = None,
    editing: Tension | None = None,
    from_home: bool = False,
    role_choice: Block | None = None,
) -> dict[str, Any]:
    """The modal that raises a tension, prefilled with whatever is already known.

    With ``editing`` it is the raiser's own open tension, prefilled, to change in place (its
    team stays as it is). ``from_home`` marks a modal opened on the Home tab, which is then
    published again once the tension is raised (the person is looking at it). ``role_choice``
    (bot.roles) offers the teams' roles, whose holders are then told of the tension.
    """
    if editing is not None:
        team_id, text, area, private = editing.team_id, editing.text, editing.area, editing.private
        permalink = editing.source_permalink
        teams = [t for t in teams if t.id == team_id]
    if editing is not None and teams:
        intro = renderer.say("tension.edit_intro", team_name=teams[0].name)
    else:
        intro = renderer.say("tension.modal_intro", team_names=[t.name for t in teams])
    blocks = [section(intro)]
    if permalink:
        blocks.append(context(renderer.say("tension.source_context", permalink=permalink)))
    blocks += _words_blocks(renderer, text=text, area=area)
    if role_choice is not None and editing is None:
        blocks.append(role_choice)
    blocks += _team_and_private_blocks(renderer, teams=teams, team_id=team_id, private=private)
    metadata: dict[str, Any] = {
        "permalink": permalink,
        "team_id": teams[0].id if len(teams) == 1 else None,
    }
    if from_home:
        metadata["from_home"] = True
    if editing is not None:
        metadata["tension_id"] = editing.id
        return modal(
            callback_id=ids.TENSION_EDIT_MODAL,
            title=renderer.plain("tension.edit_title"),
            submit=renderer.plain("tension.edit_submit"),
            blocks=blocks,
            private_metadata=json.dumps(metadata),
        )
    return modal(
        callback_id=ids.TENSION_MODAL,
        title=renderer.plain("tension.modal_title"),
        submit=renderer.plain("tension.modal_submit"),
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


def _words_blocks(renderer: Renderer, *, text: str, area: str) -> list[Block]:
    """The tension modal's words: the tension, and the role or area it is about."""
    return [
        text_input(
            block_id=ids.TENSION_TEXT_BLOCK,
            action_id=ids.TENSION_TEXT_ACTION,
            label=renderer.plain("tension.text_label"),
            placeholder=renderer.plain("tension.text_placeholder"),
            initial=text,
            multiline=True,
            max_length=TEXT_LIMIT,
        ),
        text_input(
            block_id=ids.TENSION_AREA_BLOCK,
            action_id=ids.TENSION_AREA_ACTION,
            label=renderer.plain("tension.area_label"),
            placeholder=renderer.plain("tension.area_placeholder"),
            initial=area,
            max_length=AREA_LIMIT,
            optional=True,
        ),
    ]


def _team_and_private_blocks(
    renderer: Renderer, *, teams: Sequence[TeamConfig], team_id: str | None, private: bool
) -> list[Block]:
    """The team to raise it in (when the person has several) and "only for the coaches"."""
    blocks: list[Block] = []
    if len(teams) > 1:
        blocks.append(
            static_select(
                block_id=ids.TENSION_TEAM_BLOCK,
                action_id=ids.TENSION_TEAM_ACTION,
                label=renderer.plain("tension.team_label"),
                options=[option(t.name, t.id) for t in teams],
                initial_value=team_id or teams[0].id,
            )
        )
    private_block = checkboxes(
        block_id=ids.TENSION_PRIVATE_BLOCK,
        action_id=ids.TENSION_PRIVATE_ACTION,
        label=renderer.plain("tension.private_label"),
        options=[option(renderer.plain("tension.private_option"), ids.TENSION_PRIVATE_VALUE)],
        checked=[ids.TENSION_PRIVATE_VALUE] if private else [],
    )
    private_block["hint"] = {"type": "plain_text", "text": renderer.plain("tension.private_hint")}
    blocks.append(private_block)
    return blocks


def build_withdraw_modal(renderer: Renderer, *, tension: Tension, team_name: str) -> dict[str, Any]:
    """The modal that asks the raiser to confirm taking their open tension off the agenda."""
    return modal(
        callback_id=ids.TENSION_WITHDRAW_MODAL,
        title=renderer.plain("tension.withdraw_title"),
        submit=renderer.plain("tension.withdraw_submit"),
        blocks=[
            section(renderer.say("tension.withdraw_question", tension=tension, team_name=team_name))
        ],
        private_metadata=json.dumps({"tension_id": tension.id}),
    )


def build_tension_confirmation(
    renderer: Renderer, *, tension: Tension, team_name: str
) -> dict[str, Any]:
    """The DM that tells the raiser their tension is recorded, and where it will be seen."""
    return message(
        renderer.plain("tension.confirmation_fallback", team_name=team_name),
        [section(renderer.say("tension.confirmation", tension=tension, team_name=team_name))],
    )


def build_private_tension_note(
    renderer: Renderer, *, tension: Tension, team_name: str
) -> dict[str, Any]:
    """The DM a coach gets when a private tension is raised for their team."""
    return message(
        renderer.plain("tension.coach_note_fallback", team_name=team_name),
        [section(renderer.say("tension.coach_note", tension=tension, team_name=team_name))],
    )
