"""Block Kit for deciding: the proposal modal and its Amend / Decide / advice / reason modals,
the proposal's channel message and thread notes, the DMs that ask, the App Home, the log.

Pure functions: words come from ``prompts/templates/decisions.j2``; every button carries
``"<proposal id>:<version>"`` (bot.decisions.model.button_value); every modal carries what it is
about in its private_metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core import ids
from bot.core.config import OrganisationConfig, TeamConfig
from bot.decisions.model import (
    ADVICE_LIMIT,
    NOTE_LIMIT,
    REASON_LIMIT,
    SHAPED_LIMIT,
    TEXT_LIMIT,
    WHY_LIMIT,
    button_value,
)
from bot.decisions.service import Tally
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    datepicker,
    message,
    modal,
    multi_static_select,
    option,
    radio_buttons,
    section,
    split_sections,
    static_select,
    text_input,
    users_select,
)
from prompts import Renderer
from storage.models import (
    Advice,
    Decision,
    Objection,
    Proposal,
    ProposalAmendment,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
    Tension,
)

# Every DM that asks carries this metadata type, so a DM in doubt is found, not sent twice.
ASK_METADATA_TYPE = "retrobot_decision_ask"
CARD_METADATA_TYPE = "retrobot_proposal"


def proposal_value(proposal: Proposal) -> str:
    """The value of every button about this proposal, as it stands."""
    return button_value(proposal.id, proposal.version)


@dataclass(frozen=True)
class RoleOption:
    """A role that can be asked for advice (its holders are); the roles capability lists them."""

    id: str
    name: str


# --- modals ---------------------------------------------------------------------------------


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
    blocks: list[Block] = [section(renderer.say("decisions.modal_intro"))]
    if tension is not None:
        blocks.append(context(renderer.say("decisions.from_tension", tension=tension)))
    if permalink:
        blocks.append(context(renderer.say("decisions.source_context", permalink=permalink)))
    blocks += [
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
    methods = []
    for method in ProposalMethod:
        choice = option(renderer.plain("decisions.method_option", method=method), method.value)
        choice["description"] = {
            "type": "plain_text",
            "text": renderer.plain("decisions.method_hint", method=method)[:75],
        }
        methods.append(choice)
    blocks.append(
        radio_buttons(
            block_id=ids.PROPOSAL_METHOD_BLOCK,
            action_id=ids.PROPOSAL_METHOD_ACTION,
            label=renderer.plain("decisions.method_label"),
            options=methods,
            initial_value=ProposalMethod.ADVICE.value,
        )
    )
    blocks.append(
        users_select(
            block_id=ids.PROPOSAL_PEOPLE_BLOCK,
            action_id=ids.PROPOSAL_PEOPLE_ACTION,
            label=renderer.plain("decisions.people_label"),
            placeholder=renderer.plain("decisions.people_placeholder"),
            initial_users=list(suggested),
            optional=True,
            hint=renderer.plain("decisions.people_hint"),
        )
    )
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
    blocks.append(
        datepicker(
            block_id=ids.PROPOSAL_DECIDE_BY_BLOCK,
            action_id=ids.PROPOSAL_DECIDE_BY_ACTION,
            label=renderer.plain("decisions.decide_by_label"),
            initial_date=decide_by.isoformat(),
            hint=renderer.plain("decisions.decide_by_hint"),
        )
    )
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


def build_amend_modal(renderer: Renderer, *, proposal: Proposal) -> dict[str, Any]:
    """The proposer's Amend modal: the words as they stand, what changed, the date."""
    blocks: list[Block] = [
        section(renderer.say("decisions.amend_intro", proposal=proposal)),
        text_input(
            block_id=ids.PROPOSAL_TEXT_BLOCK,
            action_id=ids.PROPOSAL_TEXT_ACTION,
            label=renderer.plain("decisions.text_label"),
            initial=proposal.text,
            multiline=True,
            max_length=TEXT_LIMIT,
        ),
        text_input(
            block_id=ids.PROPOSAL_WHY_BLOCK,
            action_id=ids.PROPOSAL_WHY_ACTION,
            label=renderer.plain("decisions.why_label"),
            initial=proposal.why,
            multiline=True,
            max_length=WHY_LIMIT,
            optional=True,
        ),
        text_input(
            block_id=ids.PROPOSAL_NOTE_BLOCK,
            action_id=ids.PROPOSAL_NOTE_ACTION,
            label=renderer.plain("decisions.note_label"),
            placeholder=renderer.plain("decisions.note_placeholder"),
            multiline=True,
            max_length=NOTE_LIMIT,
        ),
        datepicker(
            block_id=ids.PROPOSAL_DECIDE_BY_BLOCK,
            action_id=ids.PROPOSAL_DECIDE_BY_ACTION,
            label=renderer.plain("decisions.decide_by_label"),
            initial_date=proposal.decide_by.isoformat(),
            hint=renderer.plain("decisions.decide_by_hint"),
        ),
    ]
    return modal(
        callback_id=ids.AMEND_MODAL,
        title=renderer.plain("decisions.amend_title"),
        submit=renderer.plain("decisions.amend_submit"),
        blocks=blocks,
        private_metadata=json.dumps({"proposal_id": proposal.id, "version": proposal.version}),
    )


def build_decide_modal(
    renderer: Renderer, *, proposal: Proposal, tally: Tally, unanswered: Sequence[str]
) -> dict[str, Any]:
    """The proposer's Decide modal (advice process): the decision and how the advice shaped it."""
    intro = renderer.say(
        "decisions.decide_intro", proposal=proposal, tally=tally, unanswered=list(unanswered)[:20]
    )
    review = proposal.review_date.isoformat() if proposal.review_date else None
    blocks: list[Block] = [
        section(intro),
        text_input(
            block_id=ids.DECIDE_TEXT_BLOCK,
            action_id=ids.DECIDE_TEXT_ACTION,
            label=renderer.plain("decisions.decision_label"),
            initial=proposal.text,
            multiline=True,
            max_length=TEXT_LIMIT,
        ),
        text_input(
            block_id=ids.DECIDE_SHAPED_BLOCK,
            action_id=ids.DECIDE_SHAPED_ACTION,
            label=renderer.plain("decisions.shaped_label"),
            placeholder=renderer.plain("decisions.shaped_placeholder"),
            multiline=True,
            max_length=SHAPED_LIMIT,
            optional=not tally.advised,
        ),
        datepicker(
            block_id=ids.PROPOSAL_REVIEW_BLOCK,
            action_id=ids.PROPOSAL_REVIEW_ACTION,
            label=renderer.plain("decisions.review_label"),
            initial_date=review,
            optional=True,
            hint=renderer.plain("decisions.review_hint"),
        ),
    ]
    return modal(
        callback_id=ids.DECIDE_MODAL,
        title=renderer.plain("decisions.decide_title"),
        submit=renderer.plain("decisions.decide_submit"),
        blocks=blocks,
        private_metadata=json.dumps({"proposal_id": proposal.id, "version": proposal.version}),
    )


def _dm_metadata(proposal: Proposal, dm: tuple[str | None, str | None] | None) -> dict[str, Any]:
    where = {"dm_channel": dm[0], "dm_ts": dm[1]} if dm and dm[0] and dm[1] else {}
    return {"proposal_id": proposal.id, "version": proposal.version, **where}


def build_advice_modal(
    renderer: Renderer,
    *,
    proposal: Proposal,
    team_name: str,
    dm: tuple[str | None, str | None] | None = None,
) -> dict[str, Any]:
    """The Give advice modal; ``dm`` is the DM it was opened from, updated once advice is in."""
    blocks: list[Block] = [
        section(renderer.say("decisions.advice_intro", proposal=proposal, team_name=team_name)),
        text_input(
            block_id=ids.ADVICE_TEXT_BLOCK,
            action_id=ids.ADVICE_TEXT_ACTION,
            label=renderer.plain("decisions.advice_label"),
            placeholder=renderer.plain("decisions.advice_placeholder"),
            multiline=True,
            max_length=ADVICE_LIMIT,
            hint=renderer.plain("decisions.advice_hint"),
        ),
    ]
    return modal(
        callback_id=ids.ADVICE_MODAL,
        title=renderer.plain("decisions.advice_title"),
        submit=renderer.plain("decisions.advice_submit"),
        blocks=blocks,
        private_metadata=json.dumps(_dm_metadata(proposal, dm)),
    )


def build_objection_modal(
    renderer: Renderer,
    *,
    proposal: Proposal,
    answer: RoundAnswer,
    dm: tuple[str | None, str | None] | None = None,
) -> dict[str, Any]:
    """The reason for a Concern (optional) or an Objection (required)."""
    blocks: list[Block] = [
        section(renderer.say("decisions.objection_intro", proposal=proposal, answer=answer)),
        text_input(
            block_id=ids.OBJECTION_REASON_BLOCK,
            action_id=ids.OBJECTION_REASON_ACTION,
            label=renderer.plain("decisions.reason_label", answer=answer),
            placeholder=renderer.plain("decisions.reason_placeholder", answer=answer),
            multiline=True,
            max_length=REASON_LIMIT,
            optional=answer is not RoundAnswer.OBJECTION,
        ),
    ]
    metadata = _dm_metadata(proposal, dm) | {"answer": answer.value}
    return modal(
        callback_id=ids.OBJECTION_MODAL,
        title=renderer.plain("decisions.objection_title", answer=answer),
        submit=renderer.plain("decisions.objection_submit", answer=answer),
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


# --- the channel message and its thread ------------------------------------------------------


def build_card(
    renderer: Renderer,
    *,
    proposal: Proposal,
    team: TeamConfig,
    tally: Tally,
    decision: Decision | None = None,
    blocked: bool = False,
) -> dict[str, Any]:
    """The proposal's one message in the team channel, updated in place as the process goes."""
    words = renderer.say("decisions.card", proposal=proposal, team_name=team.name, zone=team.zone)
    blocks: list[Block] = _sections(words)
    blocks.append(
        section(
            renderer.say(
                "decisions.card_status",
                proposal=proposal,
                tally=tally,
                decision=decision,
                blocked=blocked,
            )
        )
    )
    if proposal.status == ProposalStatus.OPEN:
        value = proposal_value(proposal)
        buttons = [
            button(renderer.plain("decisions.amend_button"), ids.PROPOSAL_AMEND, value=value)
        ]
        if proposal.method == ProposalMethod.ADVICE:
            buttons.append(
                button(
                    renderer.plain("decisions.decide_button"),
                    ids.PROPOSAL_DECIDE,
                    value=value,
                    style="primary",
                )
            )
        buttons.append(
            button(
                renderer.plain("decisions.withdraw_button"),
                ids.PROPOSAL_WITHDRAW,
                value=value,
                style="danger",
            )
        )
        blocks.append(actions(*buttons))
    blocks.append(context(renderer.say("decisions.card_context", proposal=proposal)))
    return message(renderer.say("decisions.card_fallback", proposal=proposal), blocks)


def _sections(text: str) -> list[Block]:
    """Sections holding ``text`` whole: split between lines, within 3,000 characters each."""
    return [section(part) for part in split_sections(text.split("\n"))]


def build_note(renderer: Renderer, key: str, **context_: Any) -> dict[str, Any]:
    """A thread note (or any one-section message) from one macro; its notification text is
    the same mrkdwn, escaped, cut short (never inside an entity such as ``&amp;``)."""
    text = renderer.say(f"decisions.{key}", **context_)
    short = text if len(text) <= 300 else re.sub(r"&[a-z]*$", "", text[:299]) + "…"
    return message(short, _sections(text))


# --- the DMs --------------------------------------------------------------------------------


def advice_buttons(renderer: Renderer, proposal: Proposal) -> Block:
    """**Give advice** and "no advice from me"."""
    value = proposal_value(proposal)
    return actions(
        button(
            renderer.plain("decisions.give_advice_button"),
            ids.ADVICE_GIVE,
            value=value,
            style="primary",
        ),
        button(renderer.plain("decisions.no_advice_button"), ids.ADVICE_NONE, value=value),
    )


def round_buttons(renderer: Renderer, proposal: Proposal, *, objector: bool) -> Block:
    """**No objection** / **Concern** / **Object**; an objector asked again after an amendment
    gets **It's integrated** in place of No objection, and **Withdraw my objection**."""
    value = proposal_value(proposal)
    first = (
        button(
            renderer.plain("decisions.integrated_button"),
            ids.OBJECTION_INTEGRATED,
            value=value,
            style="primary",
        )
        if objector
        else button(
            renderer.plain("decisions.no_objection_button"),
            ids.ROUND_NO_OBJECTION,
            value=value,
            style="primary",
        )
    )
    rest = [
        button(renderer.plain("decisions.concern_button"), ids.ROUND_CONCERN, value=value),
        button(renderer.plain("decisions.object_button"), ids.ROUND_OBJECT, value=value),
    ]
    if objector:
        rest.append(
            button(
                renderer.plain("decisions.withdraw_objection_button"),
                ids.OBJECTION_WITHDRAW,
                value=value,
            )
        )
    return actions(first, *rest)


def build_advice_ask(renderer: Renderer, *, proposal: Proposal, team: TeamConfig) -> dict[str, Any]:
    """The DM that asks someone's advice: **Give advice** and "no advice from me"."""
    return message(
        renderer.say("decisions.ask_advice_fallback", proposal=proposal),
        [
            *_sections(
                renderer.say("decisions.ask_advice", proposal=proposal, team_name=team.name)
            ),
            advice_buttons(renderer, proposal),
            context(renderer.say("decisions.ask_advice_context", channel=team.channel)),
        ],
    )


def build_told_amended(
    renderer: Renderer, *, proposal: Proposal, amendment: ProposalAmendment, team: TeamConfig
) -> dict[str, Any]:
    """An advisor who answered is told what changed, and may advise again."""
    text = renderer.say(
        "decisions.told_amended", proposal=proposal, amendment=amendment, team_name=team.name
    )
    return message(
        renderer.say("decisions.told_amended_fallback", proposal=proposal),
        [*_sections(text), advice_buttons(renderer, proposal)],
    )


def build_round_ask(
    renderer: Renderer,
    *,
    proposal: Proposal,
    team: TeamConfig,
    row: Objection | None = None,
    amendment: ProposalAmendment | None = None,
    answered: str = "",
) -> dict[str, Any]:
    """The DM of the objection round: **No objection** / **Concern** / **Object**. After an
    amendment (``amendment``), a member who answered is asked again; an objector is asked
    whether it integrated their objection."""
    objector = row is not None and row.objected_at is not None and row.resolution is None
    if amendment is not None and row is not None:
        text = renderer.say(
            "decisions.reask_round",
            proposal=proposal,
            amendment=amendment,
            row=row,
            team_name=team.name,
            answered=answered,
        )
    else:
        text = renderer.say("decisions.ask_round", proposal=proposal, team_name=team.name)
    return message(
        renderer.say("decisions.ask_round_fallback", proposal=proposal),
        [
            *_sections(text),
            round_buttons(renderer, proposal, objector=objector),
            context(renderer.say("decisions.ask_round_context", channel=team.channel)),
        ],
    )


def build_advice_answered(renderer: Renderer, *, row: Advice) -> dict[str, Any]:
    """What the advice DM becomes once answered (its buttons go)."""
    return build_note(renderer, "advice_answered", row=row)


def build_round_answered(
    renderer: Renderer, *, proposal: Proposal, row: Objection, integrated: bool = False
) -> dict[str, Any]:
    """What the round DM becomes once answered; an objector keeps "Withdraw my objection"."""
    payload = build_note(renderer, "round_answered", row=row, integrated=integrated)
    if row.objected_at is not None and row.resolution is None:
        payload["blocks"].append(
            actions(
                button(
                    renderer.plain("decisions.withdraw_objection_button"),
                    ids.OBJECTION_WITHDRAW,
                    value=proposal_value(proposal),
                )
            )
        )
    return payload


def build_reminder(renderer: Renderer, *, proposal: Proposal, kind: str) -> dict[str, Any]:
    """The one reminder, the day before the date, with the same buttons as the ask."""
    buttons = (
        advice_buttons(renderer, proposal)
        if kind == "advice"
        else round_buttons(renderer, proposal, objector=False)
    )
    return message(
        renderer.say("decisions.reminder_fallback", proposal=proposal),
        [section(renderer.say("decisions.reminder", proposal=proposal, kind=kind)), buttons],
    )


def build_proposer_reminder(
    renderer: Renderer, *, proposal: Proposal, tally: Tally
) -> dict[str, Any]:
    """The proposer's reminder (advice process) that the date is tomorrow, with **Decide**."""
    return message(
        renderer.say("decisions.proposer_reminder_fallback"),
        [
            section(renderer.say("decisions.proposer_reminder", proposal=proposal, tally=tally)),
            actions(
                button(
                    renderer.plain("decisions.decide_button"),
                    ids.PROPOSAL_DECIDE,
                    value=proposal_value(proposal),
                    style="primary",
                )
            ),
        ],
    )
