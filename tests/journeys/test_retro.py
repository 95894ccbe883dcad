"""The retrospective, end to end over signed HTTP: it opens, members reflect from their DM, the
thread fills without names, reflection closes with the team's health chart, members vote, voting
closes, and the chosen improvements are on the next tactical agenda, triaged like any tension —
the team, which raised them, answers "did you get what you need?".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.core import ids
from bot.retros import usecases
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import TensionStatus
from tests.conftest import ANA, BEN, CARA, DEV, NORTH_CHANNEL, SHARED
from tests.journeys.steps import click_for_view, new_dm
from tests.journeys.tactical_steps import submit_triage, tactical

OPENS = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)  # Thursday 21 May 2026, 14:00 in London
TEXT = f"{ids.RETRO_TEXT_ACTION}"


@pytest.fixture
def clock(services: Services) -> Iterator[object]:
    with freeze_time(OPENS, tick=True) as frozen:
        yield frozen


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still running after their ack finish before the database goes away."""
    yield
    fake_slack.wait_quiet(0.2)


def roots(fake: FakeSlack) -> list[Message]:
    """The messages in North's channel itself, as they are now."""
    found = [fake.message(NORTH_CHANNEL, m.ts) for m in fake.messages(NORTH_CHANNEL)]
    return [m for m in found if m is not None and m.thread_ts is None]


def replies(fake: FakeSlack, root: Message) -> list[Message]:
    found = [fake.message(NORTH_CHANNEL, m.ts) for m in fake.messages(NORTH_CHANNEL)]
    return [m for m in found if m is not None and m.thread_ts == root.ts]


def reflect(slack: SlackSender, fake: FakeSlack, user: str, **kinds: str) -> None:
    """Click Reflect in the person's DM, write, save; wait for the thread to show it."""
    [invitation] = [m for m in fake.dms(user) if "retrospective is open" in m.all_text]
    view = click_for_view(slack, fake, invitation, ids.RETRO_REFLECT, user)
    blocks = {
        "well": ids.RETRO_WENT_WELL_BLOCK,
        "better": ids.RETRO_BETTER_BLOCK,
        "idea": ids.RETRO_IDEA_BLOCK,
    }
    values: dict[str, object] = {f"{blocks[k]}.{TEXT}": v for k, v in kinds.items()}
    values[f"retro_health_0.{ids.RETRO_HEALTH_ACTION}"] = "4"
    updates = len(fake.calls_to("chat.update"))
    answer = slack.submit_view(view, user_id=user, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(lambda: len(fake.calls_to("chat.update")) > updates)  # the count moved


def test_open_reflect_vote_close_and_the_improvements_are_on_the_agenda(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> None:
    report = usecases.open_retrospective(services, team_id="north")
    assert report.sent == 5
    [board] = roots(fake_slack)
    assert "Reflect by Saturday 23 May, 14:00" in board.all_text

    reflect(slack, fake_slack, ANA, well="Calm handovers", better="Rota reaches us late")
    reflect(slack, fake_slack, BEN, better="No cover on Fridays <!channel>", idea="Pair visits")
    reflect(slack, fake_slack, CARA, idea="Publish the rota two weeks ahead")
    fake_slack.wait_quiet(0.2)
    thread = "\n".join(m.all_text for m in replies(fake_slack, board))
    assert "Pair visits" in thread and "No cover on Fridays &lt;!channel&gt;" in thread
    for person in (ANA, BEN, CARA):
        assert person not in thread

    with freeze_time(OPENS + timedelta(days=2, minutes=1), tick=True):
        usecases.run_due(services)
    [board] = roots(fake_slack)
    assert "Vote by Monday 25 May" in board.all_text
    [chart] = fake_slack.files()
    assert chart.thread_ts == board.ts and chart.content.startswith(b"\x89PNG")

    ideas = next(m for m in replies(fake_slack, board) if "Ideas to try" in m.all_text)
    votes = {
        b["text"]["text"].split(" ", 1)[1]: b["accessory"]["value"]
        for b in ideas.blocks
        if b.get("accessory")
    }
    for voter in (ANA, BEN, DEV):
        assert (
            slack.click(ideas, ids.RETRO_VOTE, user_id=voter, value=votes["Pair visits"]).status
            == 200
        )
    view = click_for_view(slack, fake_slack, board, ids.RETRO_OPEN_VOTE, SHARED)
    choices = next(b for b in view["blocks"] if b.get("block_id") == ids.RETRO_VOTES_BLOCK)
    by_text = {
        o["text"]["text"].split(". ", 1)[1]: o["value"]
        for g in choices["element"]["option_groups"]
        for o in g["options"]
    }
    picked = [by_text["Publish the rota two weeks ahead"], by_text["Rota reaches us late"]]
    assert (
        slack.submit_view(view, user_id=SHARED, values={ids.RETRO_VOTES_ACTION: picked}).status
        == 200
    )
    fake_slack.wait_quiet(0.2)

    with freeze_time(OPENS + timedelta(days=4, minutes=5), tick=True):
        usecases.run_due(services)
        fake_slack.wait_quiet(0.2)
        results = next(m for m in replies(fake_slack, board) if "The team chose" in m.all_text)
        assert results.all_text.index("Pair visits") < results.all_text.index("Publish the rota")
        tactical(slack, fake_slack, CARA)
        agenda = next(m for m in roots(fake_slack) if "Tactical meeting" in m.all_text)
        for words in ("Pair visits", "Publish the rota two weeks ahead", "Rota reaches us late"):
            assert f"{words} — <#{NORTH_CHANNEL}> · _Retrospective improvement_" in agenda.all_text
        triage = next(
            b["accessory"]["value"]
            for b in agenda.blocks
            if "Pair visits" in b.get("text", {}).get("text", "") and b.get("accessory")
        )
        view = click_for_view(slack, fake_slack, agenda, ids.AGENDA_TRIAGE, DEV, value=triage)
        answer = submit_triage(slack, view, DEV, outcome="next_action", owner=CARA)
        assert answer.status == 200
        # The team raised it, so the question comes to the team's channel; any member answers.
        question = fake_slack.wait_for(
            lambda: next(
                (m for m in roots(fake_slack) if "Did you get what you need?" in m.all_text), None
            )
        )
        assert slack.click(question, ids.NEEDS_MET_YES, user_id=BEN).status == 200
        tension_id = int(triage.split(":")[0])
        fake_slack.wait_for(lambda: stored_status(services, tension_id) == TensionStatus.CLOSED)
        assert new_dm(fake_slack, CARA, 0)  # the owner heard of their next action
    assert json.dumps(fake_slack.limit_violations) == "[]"


def stored_status(services: Services, tension_id: int) -> TensionStatus:
    from storage.models import Tension

    with services.session() as session:
        tension = session.get(Tension, tension_id)
        assert tension is not None
        return tension.status
