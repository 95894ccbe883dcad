"""Block Kit for deciding on the App Home ("Advice asked of you", "Your proposals") and for
`/decisions` (the decision log, found by words). Pure functions; words from decisions.j2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import ids
from bot.decisions.service import Tally
from bot.decisions.views import advice_buttons, proposal_value, round_buttons
from bot.slack.blocks import Block, actions, button, context, header, message, section
from prompts import Renderer
from storage.models import Decision, Proposal, ProposalMethod

HOME_SHOWN = 3


# --- the App Home ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeProposal:
    """One of the person's open proposals, with its numbers."""

    proposal: Proposal
    tally: Tally
    blocked: bool


def build_home_section(
    renderer: Renderer,
    *,
    asked: Sequence[tuple[Proposal, str]],
    asked_total: int,
    mine: Sequence[HomeProposal],
    mine_total: int,
    team_names: dict[str, str],
) -> list[Block]:
    """What waits for the person's advice or consent, and their own open proposals."""
    blocks: list[Block] = [
        header(renderer.plain("decisions.home_heading")),
        actions(button(renderer.plain("decisions.home_propose_button"), ids.HOME_PROPOSE)),
        section(renderer.say("decisions.home_asked_heading", count=asked_total)),
    ]
    for proposal, kind in asked[:HOME_SHOWN]:
        name = team_names.get(proposal.team_id, proposal.team_id)
        blocks.append(
            section(
                renderer.say("decisions.home_asked", proposal=proposal, kind=kind, team_name=name)
            )
        )
        blocks.append(
            advice_buttons(renderer, proposal)
            if kind == "advice"
            else round_buttons(renderer, proposal, objector=False)
        )
    if asked_total > HOME_SHOWN:
        blocks.append(context(renderer.say("decisions.home_more", more=asked_total - HOME_SHOWN)))
    if mine_total:
        blocks.append(section(renderer.say("decisions.home_mine_heading", count=mine_total)))
    for item in mine[:HOME_SHOWN]:
        proposal = item.proposal
        value = proposal_value(proposal)
        buttons = [
            button(renderer.plain("decisions.amend_button"), ids.PROPOSAL_AMEND, value=value)
        ]
        if proposal.method == ProposalMethod.ADVICE:
            buttons.append(
                button(renderer.plain("decisions.decide_button"), ids.PROPOSAL_DECIDE, value=value)
            )
        buttons.append(
            button(renderer.plain("decisions.withdraw_button"), ids.PROPOSAL_WITHDRAW, value=value)
        )
        blocks += [
            section(
                renderer.say(
                    "decisions.home_mine", proposal=proposal, tally=item.tally, blocked=item.blocked
                )
            ),
            actions(*buttons),
        ]
    if mine_total > HOME_SHOWN:
        blocks.append(context(renderer.say("decisions.home_more", more=mine_total - HOME_SHOWN)))
    return blocks


# --- the decision log in Slack -------------------------------------------------------------


@dataclass(frozen=True)
class FoundDecision:
    """A decision found by `/decisions`, with its proposal and how many were asked."""

    decision: Decision
    proposal: Proposal
    team_name: str
    asked: int
    answered: int


def build_search_results(
    renderer: Renderer, *, words: str, found: Sequence[FoundDecision], team_names: Sequence[str]
) -> dict[str, Any]:
    """The ephemeral answer to `/decisions [words]`: the newest matching decisions."""
    blocks: list[Block] = [
        section(
            renderer.say(
                "decisions.search_heading", words=words, count=len(found), teams=list(team_names)
            )
        )
    ]
    for item in found:
        blocks.append(
            section(
                renderer.say(
                    "decisions.search_item",
                    decision=item.decision,
                    proposal=item.proposal,
                    team_name=item.team_name,
                    asked=item.asked,
                    answered=item.answered,
                )
            )
        )
    if not found and words:
        blocks.append(section(renderer.say("decisions.search_none", words=words)))
    blocks.append(context(renderer.say("decisions.search_footer")))
    return {
        "response_type": "ephemeral",
        **message(renderer.say("decisions.search_fallback"), blocks),
    }
