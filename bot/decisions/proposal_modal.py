"""The proposal modal: what is proposed and why, the method, whom to ask (people, other teams,
roles — the affected roles' holders suggested), decide by, the values it serves, a review date.

Words come from ``prompts/templates/decisions.j2``; the modal carries its team, the message it
came from and the tension it answers in its private_metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core import ids
from bot.core.config import OrganisationConfig, TeamConfig
from bot.decisions.model import TEXT_LIMIT, WHY_LIMIT
from bot.slack.blocks import (
    Block,
    context,
    datepicker,
    modal,
    multi_static_select,
    option,
    radio_buttons,
    section,
    static_select,
    text_input,
    users_select,
)
from prompts import Renderer
from storage.models import ProposalMethod, Tension


@dataclass(frozen=True)
class RoleOption:
    """A role that can be asked for advice (its holders are); the roles capability lists them."""

    id: str
    name: str


def build_proposal_modal(
    renderer: Renderer,
    *,
    organisation: OrganisationConfig,
    teams: Sequence[TeamConfig],
    other_teams: Sequence[TeamConfig],
    team_id: str | None,
    decide_by: date,
    text: str = "",
    why: str = "",
    permalink: str | None = None,
    tension: Tension | None = None,
    suggested: Sequence[str] = (),
    roles: Sequence[RoleOption] = (),
) -> dict[str, Any]:
    """The modal that makes a proposal, prefilled with what is known (a message, a tension)."""
    blocks = _what_and_why(renderer, text=text, why=why, permalink=permalink, tension=tension)
    if len(teams) > 1:
        blocks.append(
            static_select(
                block_id=ids.PROPOSAL_TEAM_BLOCK,
                action_id=ids.PROPOSAL_TEAM_ACTION,
                label=renderer.plain("decisions.team_label"),
                options=[option(t.name, t.id) for t in teams],
                initial_value=team_id or teams[0].id,
            )
        )
    blocks.append(_method_choice(renderer))
    blocks += _whom_to_ask(renderer, suggested=suggested, other_teams=other_teams, roles=roles)
    blocks += _dates_and_values(renderer, organisation=organisation, decide_by=decide_by)
    metadata = {
        "team_id": team_id or (teams[0].id if teams else None),
        "permalink": permalink,
        "tension_id": tension.id if tension is not None else None,
    }
    return modal(
        callback_id=ids.PROPOSAL_MODAL,
        title=renderer.plain("decisions.modal_title"),
        submit=renderer.plain("decisions.modal_submit"),
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


def _what_and_why(
    renderer: Renderer, *, text: str, why: str, permalink: str | None, tension: Tension | None
) -> list[Block]:
    """The modal's opening: where it comes from, the proposal and why."""
    blocks: list[Block] = [section(renderer.say("decisions.modal_intro"))]
    if tension is not None:
        blocks.append(context(renderer.say("decisions.from_tension", tension=tension)))
    if permalink:
        blocks.append(context(renderer.say("decisions.source_context", permalink=permalink)))
    return [
        *blocks,
        text_input(
            block_id=ids.PROPOSAL_TEXT_BLOCK,
            action_id=ids.PROPOSAL_TEXT_ACTION,
            label=renderer.plain("decisions.text_label"),
            placeholder=renderer.plain("decisions.text_placeholder"),
            initial=text,
            multiline=True,
            max_length=TEXT_LIMIT,
        ),
        text_input(
            block_id=ids.PROPOSAL_WHY_BLOCK,
            action_id=ids.PROPOSAL_WHY_ACTION,
            label=renderer.plain("decisions.why_label"),
            placeholder=renderer.plain("decisions.why_placeholder"),
            initial=why,
            multiline=True,
            max_length=WHY_LIMIT,
            optional=True,
        ),
    ]


def _method_choice(renderer: Renderer) -> Block:
    """The advice process or an integrated decision, each with a one-line hint."""
    methods = []
    for method in ProposalMethod:
        choice = option(renderer.plain("decisions.method_option", method=method), method.value)
        choice["description"] = {
            "type": "plain_text",
            "text": renderer.plain("decisions.method_hint", method=method)[:75],
        }
        methods.append(choice)
    return radio_buttons(
        block_id=ids.PROPOSAL_METHOD_BLOCK,
        action_id=ids.PROPOSAL_METHOD_ACTION,
        label=renderer.plain("decisions.method_label"),
        options=methods,
        initial_value=ProposalMethod.ADVICE.value,
    )


def _whom_to_ask(
    renderer: Renderer,
    *,
    suggested: Sequence[str],
    other_teams: Sequence[TeamConfig],
    roles: Sequence[RoleOption],
) -> list[Block]:
    """Whom to ask: people (the affected roles' holders suggested), other teams, roles."""
    blocks = [
        users_select(
            block_id=ids.PROPOSAL_PEOPLE_BLOCK,
            action_id=ids.PROPOSAL_PEOPLE_ACTION,
            label=renderer.plain("decisions.people_label"),
            placeholder=renderer.plain("decisions.people_placeholder"),
            initial_users=list(suggested),
            optional=True,
            hint=renderer.plain("decisions.people_hint"),
        )
    ]
    if other_teams:
        blocks.append(
            multi_static_select(
                block_id=ids.PROPOSAL_TEAMS_BLOCK,
                action_id=ids.PROPOSAL_TEAMS_ACTION,
                label=renderer.plain("decisions.teams_label"),
                options=[option(t.name, t.id) for t in other_teams],
            )
        )
        blocks[-1]["hint"] = {"type": "plain_text", "text": renderer.plain("decisions.teams_hint")}
    if roles:
        blocks.append(
            multi_static_select(
                block_id=ids.PROPOSAL_ROLES_BLOCK,
                action_id=ids.PROPOSAL_ROLES_ACTION,
                label=renderer.plain("decisions.roles_label"),
                options=[option(r.name, r.id) for r in roles],
            )
        )
    return blocks


def _dates_and_values(
    renderer: Renderer, *, organisation: OrganisationConfig, decide_by: date
) -> list[Block]:
    """Decide by, the organisation's values it serves, and a review date."""
    blocks = [
        datepicker(
            block_id=ids.PROPOSAL_DECIDE_BY_BLOCK,
            action_id=ids.PROPOSAL_DECIDE_BY_ACTION,
            label=renderer.plain("decisions.decide_by_label"),
            initial_date=decide_by.isoformat(),
            hint=renderer.plain("decisions.decide_by_hint"),
        )
    ]
    if organisation.values:
        blocks.append(
            multi_static_select(
                block_id=ids.PROPOSAL_VALUES_BLOCK,
                action_id=ids.PROPOSAL_VALUES_ACTION,
                label=renderer.plain("decisions.values_label", organisation=organisation.name),
                options=[option(v, v[:150]) for v in organisation.values],
            )
        )
    blocks.append(
        datepicker(
            block_id=ids.PROPOSAL_REVIEW_BLOCK,
            action_id=ids.PROPOSAL_REVIEW_ACTION,
            label=renderer.plain("decisions.review_label"),
            optional=True,
            hint=renderer.plain("decisions.review_hint"),
        )
    )
    return blocks
