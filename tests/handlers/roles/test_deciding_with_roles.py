"""Deciding with roles, through the real app: the proposal modal suggests the holders of the
roles a proposal touches and offers the team's roles to ask; a role chosen asks its holders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, CARA
from tests.handlers.decision_steps import (
    Clock,
    advice_rows,
    field_errors,
    open_proposal_modal,
    proposal_values,
    stored_proposals,
    submit,
)

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_the_modal_suggests_the_holders_of_the_roles_the_proposal_touches(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_proposal_modal(slack, fake_slack, ANA, "Publish the rotas three weeks ahead")
    assert block(view, ids.PROPOSAL_PEOPLE_BLOCK)["element"]["initial_users"] == [BEN]
    offered = block(view, ids.PROPOSAL_ROLES_BLOCK)["element"]["options"]
    assert [o["text"]["text"] for o in offered] == [
        "Rota organiser",
        "Facilitator",
        "Tissue viability lead",
        "Training circle rep",
    ]
    # Words that touch no role suggest nobody; the proposer is never suggested to themselves.
    quiet = open_proposal_modal(slack, fake_slack, ANA, "Biscuits at the Friday meeting")
    assert not block(quiet, ids.PROPOSAL_PEOPLE_BLOCK)["element"].get("initial_users")
    own = open_proposal_modal(slack, fake_slack, BEN, "Publish the rotas three weeks ahead")
    assert not block(own, ids.PROPOSAL_PEOPLE_BLOCK)["element"].get("initial_users")


def test_a_role_chosen_in_the_modal_asks_its_holders_for_advice(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_proposal_modal(slack, fake_slack, ANA)
    tissue = next(
        o
        for o in block(view, ids.PROPOSAL_ROLES_BLOCK)["element"]["options"]
        if o["text"]["text"] == "Tissue viability lead"
    )
    values = proposal_values(
        "Check every heel at each visit", people=[BEN], **{ids.PROPOSAL_ROLES_ACTION: [tissue]}
    )
    assert field_errors(submit(slack, view, ANA, values)) == {}
    proposal = fake_slack.wait_for(
        lambda: stored_proposals(services) and stored_proposals(services)[0]
    )
    assert proposal.ask_roles == ["north:tissue"]
    asked = fake_slack.wait_for(
        lambda: len(advice_rows(services, proposal.id)) == 2 and advice_rows(services, proposal.id)
    )
    assert set(asked) == {BEN, CARA}
    dm = fake_slack.wait_for(lambda: fake_slack.dms(CARA) and fake_slack.dms(CARA)[-1])
    assert "Give advice" in str(dm.blocks)
