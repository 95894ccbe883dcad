"""Deciding's Block Kit: every modal, message and Home section within Slack's limits at its
largest (the longest texts, many people, many results), and every typed word escaped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot.core.config import AppConfig
from bot.decisions.home_views import (
    FoundDecision,
    HomeProposal,
    build_home_section,
    build_search_results,
)
from bot.decisions.model import ADVICE_LIMIT, REASON_LIMIT, TEXT_LIMIT, WHY_LIMIT
from bot.decisions.service import Tally
from bot.decisions.views import (
    RoleOption,
    build_advice_ask,
    build_advice_modal,
    build_amend_modal,
    build_card,
    build_decide_modal,
    build_note,
    build_objection_modal,
    build_proposal_modal,
    build_proposer_reminder,
    build_reminder,
    build_round_answered,
    build_round_ask,
    build_told_amended,
)
from bot.slack.blockkit import assert_within_limits
from prompts import Renderer
from storage.models import (
    Advice,
    AdviceAnswer,
    Decision,
    Objection,
    Proposal,
    ProposalAmendment,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
    Tension,
)

RENDERER = Renderer()
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NASTY = "<!channel> & <@U0ANA> <https://evil.example|click> 😀 "


def long(limit: int) -> str:
    return (NASTY * (limit // len(NASTY) + 1))[:limit]


def proposal(method: ProposalMethod = ProposalMethod.ADVICE, **more: object) -> Proposal:
    fields: dict = {
        "id": 7,
        "team_id": "north",
        "proposer": "U0ANA",
        "text": long(TEXT_LIMIT),
        "why": long(WHY_LIMIT),
        "method": method,
        "decide_by": date(2026, 6, 8),
        "review_date": date(2026, 12, 1),
        "values": ["Compassion", "Trust", "Accountability", "Courage"],
        "version": 3,
        "channel": "C0NORTH",
        "message_ts": "1.2",
        "source_permalink": "https://example.slack.com/archives/C0NORTH/p1",
        "created_at": NOW,
    }
    return Proposal(**(fields | more))


def unescaped(payload: dict) -> bool:
    """True when typed markup reaches Slack as mrkdwn (a notification text or a mrkdwn object);
    plain_text (an input's initial value, a label) is never parsed, so it may hold it."""
    shown: list[str] = [payload.get("text") or ""]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                shown.append(str(node.get("text")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks"))
    text = "\n".join(shown)
    return "<!channel>" in text or "<https://evil" in text or "<@U0ANA> <https" in text


TALLY = Tally(
    asked=1000,
    answered=999,
    advised=900,
    unreachable=12,
    members=12,
    round_answered=11,
    objections=3,
    concerns=4,
    round_unreachable=1,
)


def test_the_proposal_modal_at_its_largest(config: AppConfig) -> None:
    north = config.team("north")
    tension = Tension(id=3, team_id="north", raised_by="U0BEN", text=long(2000), created_at=NOW)
    view = build_proposal_modal(
        RENDERER,
        organisation=config.organisation,
        teams=config.teams,
        other_teams=[
            north.model_copy(update={"id": f"t{i}", "name": "T" * 200}) for i in range(100)
        ],
        team_id="north",
        decide_by=date(2026, 6, 8),
        text=long(TEXT_LIMIT),
        why=long(WHY_LIMIT),
        permalink="https://example.slack.com/archives/C1/p2",
        tension=tension,
        suggested=["U0BEN", "U0CARA"],
        roles=[RoleOption(f"r{i}", "Role " * 30) for i in range(100)],
    )
    assert_within_limits("view", view)
    assert not unescaped(view)


@pytest.mark.parametrize("method", list(ProposalMethod))
@pytest.mark.parametrize("status", list(ProposalStatus))
def test_the_channel_message_in_every_state(
    config: AppConfig, method: ProposalMethod, status: ProposalStatus
) -> None:
    decision = Decision(
        team_id="north",
        proposal_id=7,
        method=method,
        text=long(TEXT_LIMIT),
        shaped_by=long(2000),
        decided_by="U0ANA" if method == ProposalMethod.ADVICE else None,
        decided_at=NOW,
        unanswered=[f"U0X{i:04d}" for i in range(800)],
    )
    message = build_card(
        RENDERER,
        proposal=proposal(method, status=status, withdrawn_at=NOW),
        team=config.team("north"),
        tally=TALLY,
        decision=decision,
        blocked=status == ProposalStatus.OPEN,
    )
    assert_within_limits("message", message)
    assert not unescaped(message)
    assert "*Decide by:*" in json.dumps(message)  # not cut off by the long words before it
    has_buttons = "proposal_amend" in json.dumps(message)
    assert has_buttons == (status == ProposalStatus.OPEN)
    assert ("proposal_decide" in json.dumps(message)) == (
        status == ProposalStatus.OPEN and method == ProposalMethod.ADVICE
    )
    thread = build_note(RENDERER, "thread_decided", proposal=proposal(method), decision=decision)
    assert_within_limits("message", thread)
    assert "and 780 more" in json.dumps(thread["blocks"])


def test_every_modal_and_dm_at_its_largest(config: AppConfig) -> None:
    team = config.team("north")
    big = proposal(ProposalMethod.INTEGRATED)
    amendment = ProposalAmendment(
        proposal_id=7,
        version=3,
        text=big.text,
        why=big.why,
        note=long(1000),
        decide_by=big.decide_by,
    )
    objector = Objection(
        proposal_id=7,
        user_id="U0DEV",
        answer=RoundAnswer.OBJECTION,
        reason=long(REASON_LIMIT),
        objection=long(REASON_LIMIT),
        objected_at=NOW,
        objected_version=2,
        answered_version=2,
    )
    advice = Advice(
        proposal_id=7, user_id="U0BEN", answer=AdviceAnswer.ADVICE, text=long(ADVICE_LIMIT)
    )
    payloads = {
        "view": [
            build_amend_modal(RENDERER, proposal=big),
            build_decide_modal(
                RENDERER, proposal=big, tally=TALLY, unanswered=[f"U0X{i}" for i in range(500)]
            ),
            build_advice_modal(RENDERER, proposal=big, team_name=team.name, dm=("D1", "1.1")),
            build_objection_modal(RENDERER, proposal=big, answer=RoundAnswer.OBJECTION),
            build_objection_modal(RENDERER, proposal=big, answer=RoundAnswer.CONCERN),
        ],
        "message": [
            build_advice_ask(RENDERER, proposal=big, team=team),
            build_told_amended(RENDERER, proposal=big, amendment=amendment, team=team),
            build_round_ask(RENDERER, proposal=big, team=team),
            build_round_ask(
                RENDERER,
                proposal=big,
                team=team,
                row=objector,
                amendment=amendment,
                answered="an objection",
            ),
            build_round_answered(RENDERER, proposal=big, row=objector),
            build_reminder(RENDERER, proposal=big, kind="advice"),
            build_reminder(RENDERER, proposal=big, kind="round"),
            build_proposer_reminder(RENDERER, proposal=big, tally=TALLY),
            build_note(RENDERER, "advice_answered", row=advice),
            build_note(RENDERER, "thread_advice", row=advice),
            build_note(RENDERER, "thread_round", row=objector, integrated=False),
            build_note(RENDERER, "thread_amended", proposal=big, amendment=amendment),
            build_note(
                RENDERER,
                "thread_opened",
                proposal=big,
                advisors=[f"U0X{i}" for i in range(1000)],
                teams=["South " * 30],
                members=12,
            ),
            build_note(
                RENDERER,
                "proposer_confirmation",
                proposal=big,
                team_name=team.name,
                channel=team.channel,
                missed=[f"U0X{i}" for i in range(300)],
            ),
        ],
    }
    for kind, built in payloads.items():
        for payload in built:
            assert_within_limits(kind, payload)
            assert not unescaped(payload), payload
    reask = json.dumps(payloads["message"][3])
    assert "It's integrated" in reask and "Withdraw my objection" in reask
    assert "Does the amendment integrate it?" in reask  # not cut off by the long words
    assert "No objection" not in reask
    assert "Withdraw my objection" in json.dumps(payloads["message"][4])


def test_the_home_section_and_the_search_results_at_their_largest() -> None:
    many = [proposal(status=ProposalStatus.OPEN, id=i) for i in range(20)]
    home = build_home_section(
        RENDERER,
        asked=[(p, "advice" if i % 2 else "round") for i, p in enumerate(many)],
        asked_total=20,
        mine=[HomeProposal(p, TALLY, blocked=True) for p in many],
        mine_total=20,
        team_names={"north": "N" * 200},
    )
    assert len(home) <= 20  # a share of the Home's 100 blocks
    assert_within_limits("view", {"type": "home", "blocks": home})
    decision = Decision(
        team_id="north",
        proposal_id=7,
        method=ProposalMethod.ADVICE,
        text=long(TEXT_LIMIT),
        decided_by="U0ANA",
        decided_at=NOW,
        review_date=date(2027, 1, 1),
    )
    found = [FoundDecision(decision, proposal(), "North", 1000, 999) for _ in range(10)]
    answer = build_search_results(
        RENDERER, words=long(100), found=found, team_names=["T" * 150] * 30
    )
    assert answer["response_type"] == "ephemeral"
    assert_within_limits("message", answer)
    assert not unescaped(answer)
