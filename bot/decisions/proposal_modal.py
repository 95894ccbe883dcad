"""The proposal modal: what is proposed and why, the method, whom to ask (people, other teams,
roles — the affected roles' holders suggested), whether it changes a role, decide by, the values
it serves, a review date.

"This proposal changes a role" is one select (no change, create, change, assign, remove) that
dispatches an action: the modal is then updated in place to show only the fields that kind of
change needs (:func:`with_role_change`), so a proposal that changes no role stays short and the
modal stays far within Block Kit's 100 blocks. What was typed elsewhere stays (Slack keeps an
input's value across an update when its block_id is unchanged).

Words come from ``prompts/templates/decisions.j2``; the modal carries its team, the message it
came from and the tension it answers in its private_metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core import ids
from bot.core.config import OrganisationConfig, TeamConfig
from bot.decisions.model import TEXT_LIMIT, WHY_LIMIT
from bot.decisions.role_change import NO_CHANGE, NO_ROTATION, ROTATIONS
from bot.roles.model import NAME_LIMIT, PURPOSE_LIMIT, ChangeKind
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
    blocks.append(_role_kind_choice(renderer))
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


# --- "This proposal changes a role" ---------------------------------------------------------

ROLE_KINDS = (NO_CHANGE, *(kind.value for kind in ChangeKind))
ACCOUNTABILITIES_LIMIT = 1500
EXPERTISE_LIMIT = 300


def _role_kind_choice(renderer: Renderer, kind: str | None = None) -> Block:
    """What the proposal does to a role; choosing dispatches an action that shows its fields."""
    block = static_select(
        block_id=ids.PROPOSAL_ROLE_KIND_BLOCK,
        action_id=ids.PROPOSAL_ROLE_KIND_ACTION,
        label=renderer.plain("decisions.role_kind_label"),
        options=[
            option(renderer.plain("decisions.role_kind_option", kind=kind), kind)
            for kind in ROLE_KINDS
        ],
        initial_value=kind if kind in ROLE_KINDS else NO_CHANGE,
        optional=True,
    )
    block["dispatch_action"] = True
    block["hint"] = {"type": "plain_text", "text": renderer.plain("decisions.role_kind_hint")}
    return block


def with_role_change(
    renderer: Renderer, view: Mapping[str, Any], *, kind: str | None, roles: Sequence[RoleOption]
) -> dict[str, Any]:
    """The proposal modal as it is, with the fields of this kind of role change in place of
    any shown before (for views.update once the kind is chosen)."""
    blocks = [
        block
        for block in view.get("blocks") or []
        if isinstance(block, dict)
        and not str(block.get("block_id", "")).startswith(ids.ROLE_CHANGE_PREFIX)
    ]
    at = next(
        (i for i, b in enumerate(blocks) if b.get("block_id") == ids.PROPOSAL_ROLE_KIND_BLOCK),
        len(blocks),
    )
    # The choice shows the kind chosen (Slack keeps it anyway), its fields right under it.
    blocks[at : at + 1] = [
        _role_kind_choice(renderer, kind),
        *role_change_fields(renderer, kind=kind, roles=roles),
    ]
    return modal(
        callback_id=ids.PROPOSAL_MODAL,
        title=renderer.plain("decisions.modal_title"),
        submit=renderer.plain("decisions.modal_submit"),
        blocks=blocks,
        private_metadata=str(view.get("private_metadata") or ""),
    )


def role_change_fields(
    renderer: Renderer, *, kind: str | None, roles: Sequence[RoleOption]
) -> list[Block]:
    """The fields one kind of role change needs: a new role's words and holders; the role to
    change and its new words; the role and its new holders; the role to remove."""
    if kind == ChangeKind.CREATE:
        return [
            _role_text(renderer, "name", ids.ROLE_CHANGE_NAME_BLOCK, ids.ROLE_CHANGE_NAME_ACTION),
            *_role_words(renderer, kind),
            _role_holders(renderer, optional=True),
            _role_rotation(renderer, kind),
        ]
    if kind not in (ChangeKind.CHANGE, ChangeKind.ASSIGN, ChangeKind.REMOVE):
        return []
    if not roles:
        note = context(renderer.say("decisions.role_change_no_roles"))
        note["block_id"] = f"{ids.ROLE_CHANGE_PREFIX}none"
        return [note]
    chosen = static_select(
        block_id=ids.ROLE_CHANGE_ROLE_BLOCK,
        action_id=ids.ROLE_CHANGE_ROLE_ACTION,
        label=renderer.plain("decisions.role_change_role_label", kind=kind),
        options=[option(r.name, r.id) for r in roles],
    )
    if kind == ChangeKind.CHANGE:
        return [chosen, *_role_words(renderer, kind), _role_rotation(renderer, kind)]
    if kind == ChangeKind.ASSIGN:
        return [chosen, _role_holders(renderer, optional=False)]
    return [chosen]


def _role_text(renderer: Renderer, field: str, block_id: str, action_id: str, **kw: Any) -> Block:
    limits = {"name": NAME_LIMIT, "purpose": PURPOSE_LIMIT}
    limits |= {"accountabilities": ACCOUNTABILITIES_LIMIT, "expertise": EXPERTISE_LIMIT}
    return text_input(
        block_id=block_id,
        action_id=action_id,
        label=renderer.plain("decisions.role_change_label", field=field),
        placeholder=renderer.plain("decisions.role_change_placeholder", field=field),
        max_length=limits[field],
        **kw,
    )


def _role_words(renderer: Renderer, kind: str) -> list[Block]:
    """Purpose, accountabilities (one a line) and expertise words: optional; for a change,
    left empty means kept as they are."""
    hint = renderer.plain("decisions.role_change_keep_hint") if kind == ChangeKind.CHANGE else None
    return [
        _role_text(
            renderer,
            "purpose",
            ids.ROLE_CHANGE_PURPOSE_BLOCK,
            ids.ROLE_CHANGE_PURPOSE_ACTION,
            optional=True,
            hint=hint,
        ),
        _role_text(
            renderer,
            "accountabilities",
            ids.ROLE_CHANGE_DUTIES_BLOCK,
            ids.ROLE_CHANGE_DUTIES_ACTION,
            optional=True,
            multiline=True,
        ),
        _role_text(
            renderer,
            "expertise",
            ids.ROLE_CHANGE_EXPERTISE_BLOCK,
            ids.ROLE_CHANGE_EXPERTISE_ACTION,
            optional=True,
        ),
    ]


def _role_holders(renderer: Renderer, *, optional: bool) -> Block:
    return users_select(
        block_id=ids.ROLE_CHANGE_HOLDERS_BLOCK,
        action_id=ids.ROLE_CHANGE_HOLDERS_ACTION,
        label=renderer.plain("decisions.role_change_holders_label"),
        optional=optional,
        hint=renderer.plain("decisions.role_change_holders_hint", optional=optional),
    )


def _role_rotation(renderer: Renderer, kind: str) -> Block:
    """How the role passes around: does not rotate, or one of the usual rotations."""
    choices = [option(renderer.plain("decisions.role_change_no_rotation"), NO_ROTATION)]
    choices += [option(rotation.capitalize(), rotation) for rotation in ROTATIONS]
    block = static_select(
        block_id=ids.ROLE_CHANGE_ROTATION_BLOCK,
        action_id=ids.ROLE_CHANGE_ROTATION_ACTION,
        label=renderer.plain("decisions.role_change_rotation_label"),
        options=choices,
        optional=True,
    )
    hint = renderer.plain("decisions.role_change_rotation_hint", kind=kind)
    block["hint"] = {"type": "plain_text", "text": hint}
    return block
