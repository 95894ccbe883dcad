"""The tactical-meeting agenda, end to end: /tactical signed and dispatched in-process to the real
app, which posts through the Slack stand-in.

Time is frozen (ticking) half an hour before North's meeting on Tuesday 1 December 2026, 10:00
London, when the scheduler would post it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import CheckinResponse, CheckinRound, OutcomeKind, Tension, TensionStatus
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    OUTSIDER,
    SAM,
    SOUTH_CHANNEL,
)
from tests.journeys.tactical_steps import (
    BEFORE_MEETING,
    MEETING_DAY,
    agenda_roots,
    find_item,
    open_triage,
    rounds,
    seed_tensions,
    submit_triage,
    tactical,
    the_agenda,
    thread,
    triage_buttons,
)


@pytest.fixture(autouse=True)
def before_the_meeting(services: Services) -> Iterator[None]:
    # After ``services``: the database driver is imported before time is frozen.
    with freeze_time(BEFORE_MEETING, tick=True):
        yield


def test_tactical_posts_one_agenda_and_then_updates_it(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    first, second = seed_tensions(services, ["Friday handovers run late", "No weekend rota"])
    seed_tensions(services, ["Mileage forms"], raised_by=BEN, start=BEFORE_MEETING)

    reply = tactical(slack, fake_slack, BEN)

    assert "Posted" in reply.all_text and "<#C0NORTH>" in reply.all_text
    assert "Tuesday 1 December, 10:00" in reply.all_text
    agenda = the_agenda(fake_slack)
    assert agenda.blocks[0]["text"]["text"] == "Tactical meeting · Tuesday 1 December, 10:00"
    text = agenda.all_text
    # Holacracy order, then the tensions oldest first, each with who raised it.
    order = [text.index(part) for part in ("Check-in round", "Checklist", "Progress", "Agenda")]
    assert order == sorted(order)
    assert text.index("Friday handovers") < text.index("No weekend rota") < text.index("Mileage")
    assert "— <@U0ANA>" in text and "— <@U0BEN>" in text
    assert set(triage_buttons(agenda)) == {first, second, first + 2}
    [checkin_round] = rounds(services)
    assert (checkin_round.meeting_date, checkin_round.agenda_ts) == (MEETING_DAY, agenda.ts)

    again = tactical(slack, fake_slack, CARA)

    assert "Updated" in again.all_text
    assert len(agenda_roots(fake_slack)) == 1  # the same message, never a second agenda
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    [update] = fake_slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (NORTH_CHANNEL, agenda.ts)


def test_a_tension_raised_after_the_agenda_went_out_joins_it_in_place(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    seed_tensions(services, ["Friday handovers run late"])
    tactical(slack, fake_slack, ANA)
    agenda = the_agenda(fake_slack)

    before = len(fake_slack.views_opened(DEV))
    slack.command(
        ids.TENSION_COMMAND, "Parking permits expire", user_id=DEV, channel_id=NORTH_CHANNEL
    )
    view = fake_slack.wait_for(
        lambda: (
            fake_slack.views_opened(DEV)[-1] if len(fake_slack.views_opened(DEV)) > before else None
        )
    )
    slack.submit_view(view, user_id=DEV)

    fake_slack.wait_for(lambda: "Parking permits" in the_agenda(fake_slack).all_text)
    assert the_agenda(fake_slack).ts == agenda.ts
    assert len(triage_buttons(the_agenda(fake_slack))) == 2
    assert len(agenda_roots(fake_slack)) == 1


def test_private_tensions_never_reach_the_agenda_or_a_teammates_home(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    seed_tensions(services, ["Rota gaps on Sundays"])
    before = len(fake_slack.views_opened(ANA))
    slack.command(ids.TENSION_COMMAND, "", user_id=ANA, channel_id=NORTH_CHANNEL)
    view = fake_slack.wait_for(
        lambda: (
            fake_slack.views_opened(ANA)[-1] if len(fake_slack.views_opened(ANA)) > before else None
        )
    )
    slack.submit_view(
        view,
        user_id=ANA,
        values={
            ids.TENSION_TEXT_ACTION: "I feel unsafe on late visits alone",
            ids.TENSION_PRIVATE_ACTION: [ids.TENSION_PRIVATE_VALUE],
        },
    )
    note = fake_slack.wait_for(lambda: fake_slack.dms(COACH))[-1]
    assert "unsafe on late visits" in note.all_text

    tactical(slack, fake_slack, BEN)
    agenda = the_agenda(fake_slack)
    everything = agenda.all_text + "".join(m.all_text for m in thread(fake_slack, agenda))
    assert "Rota gaps" in everything and "unsafe" not in everything
    assert len(triage_buttons(agenda)) == 1

    for teammate in (BEN, CARA):
        slack.app_home_opened(teammate)
        home = fake_slack.wait_for(lambda t=teammate: fake_slack.home(t))
        assert "unsafe" not in json.dumps(home)
        assert "Rota gaps" in json.dumps(home)
    slack.app_home_opened(ANA)
    assert "unsafe on late visits" in json.dumps(fake_slack.wait_for(lambda: fake_slack.home(ANA)))
    slack.app_home_opened(COACH)
    coach_home = json.dumps(fake_slack.wait_for(lambda: fake_slack.home(COACH)))
    assert "unsafe on late visits" in coach_home and "Private tensions" in coach_home


def test_tactical_elsewhere_says_where_and_changes_nothing(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    in_south = tactical(slack, fake_slack, ANA, channel_id=SOUTH_CHANNEL)
    assert "<#C0NORTH>" in in_south.all_text and "/tactical" in in_south.all_text
    in_dm = tactical(slack, fake_slack, SAM, channel_id=fake_slack.dm_channel(SAM))
    assert "<#C0SOUTH>" in in_dm.all_text
    outsider = tactical(slack, fake_slack, OUTSIDER)
    assert "not in a retrobot team" in outsider.all_text
    coach = tactical(slack, fake_slack, COACH)
    assert "any member of *North Neighbourhood Team*" in coach.all_text
    assert fake_slack.messages(NORTH_CHANNEL) == [] and fake_slack.messages(SOUTH_CHANNEL) == []
    assert rounds(services) == []


def test_a_channel_the_bot_is_not_in_gets_a_kind_explanation(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    fake_slack.add_channel(NORTH_CHANNEL, members=[ANA, BEN], bot_member=False)

    reply = tactical(slack, fake_slack, ANA)

    assert "not_in_channel" in reply.all_text and "/invite @retrobot" in reply.all_text
    assert rounds(services)[0].agenda_ts is None  # nothing recorded: the next try posts it


def test_checkin_round_metrics_and_progress_come_from_shared_answers(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    with services.session() as session:
        checkin_round = CheckinRound(
            team_id="north",
            meeting_date=MEETING_DAY,
            meeting_at=BEFORE_MEETING + timedelta(minutes=30),
            opens_at=BEFORE_MEETING - timedelta(hours=23, minutes=30),
        )
        session.add(checkin_round)
        session.flush()
        assert checkin_round.id is not None
        for user_id, mood, note, visits, shared in (
            (ANA, 4, "Good week, <!channel> tired", 12, True),
            (BEN, 2, "Struggling with the van & the rota", 8, True),
            (CARA, 1, "Private: my back hurts", 30, False),
        ):
            session.add(
                CheckinResponse(
                    round_id=checkin_round.id,
                    user_id=user_id,
                    mood=mood,
                    note=note,
                    shared=shared,
                    metric_values={"visits": visits},
                    progress="Called the pharmacy" if user_id == ANA else "",
                )
            )
        session.commit()
    [overdue, on_time] = seed_tensions(
        services,
        ["Order new blood pressure cuffs", "Draft the winter rota"],
        status=TensionStatus.TRIAGED,
        outcome=OutcomeKind.NEXT_ACTION,
        owner=DEV,
    )
    with services.session() as session:
        for tension_id, due in ((overdue, MEETING_DAY - timedelta(days=3)), (on_time, MEETING_DAY)):
            row = session.get(Tension, tension_id)
            assert row is not None
            row.due_date = due
            session.add(row)
        session.commit()

    tactical(slack, fake_slack, ANA)
    agenda = the_agenda(fake_slack)

    summary = agenda.all_text
    assert "2 shared answers, average mood 3.0/5" in summary
    assert "Client visits: *20* visits" in summary  # the shared answers only: 12 + 8
    assert "2 open next actions and projects, :warning: 1 overdue" in summary
    [checkin, metrics, progress] = thread(fake_slack, agenda)
    assert "<@U0ANA>" in checkin.all_text and "&lt;!channel&gt; tired" in checkin.all_text
    assert "the van &amp; the rota" in checkin.all_text
    assert "back hurts" not in checkin.all_text + summary and "<@U0CARA>" not in checkin.all_text
    assert "10 on average" in metrics.all_text
    lines = progress.all_text
    assert "Order new blood pressure cuffs — <@U0DEV>, due Sat 28 Nov :warning: *overdue*" in lines
    assert "Draft the winter rota — <@U0DEV>, due Tue 1 Dec" in lines
    assert "Draft the winter rota — <@U0DEV>, due Tue 1 Dec :warning:" not in lines
    assert "Called the pharmacy" in lines
    assert [r.thread_ts for r in thread(fake_slack, agenda)] == [agenda.ts] * 3


def test_a_120_tension_agenda_is_split_within_slacks_limits(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    body = "Long & <b>bold</b> tension " * 100  # 2,700 characters of text with & < >
    ids_ = seed_tensions(services, [f"#{n} {body}"[:2000] for n in range(1, 121)])

    tactical(slack, fake_slack, ANA)

    agenda = the_agenda(fake_slack)
    replies = thread(fake_slack, agenda)
    messages = [agenda, *replies]
    assert all(len(m.blocks) <= 50 for m in messages)
    assert all(
        len(b["text"]["text"]) <= 3000 for m in messages for b in m.blocks if b["type"] == "section"
    )
    buttons: dict[int, str] = {}
    for message in messages:
        buttons.update(triage_buttons(message))
    assert sorted(buttons) == ids_  # every tension once, with its button
    assert "&lt;b&gt;bold&lt;/b&gt;" in agenda.all_text and "<b>" not in agenda.all_text
    assert len(replies) == 2  # 40 in the channel message, then 45 and 35 in the thread
    assert "*120.*" in replies[-1].all_text

    # Triaging the 100th updates its continuation in place, and nothing else.
    continuation = find_item(fake_slack, agenda, ids_[99])
    assert continuation.ts == replies[-1].ts
    updates = len(fake_slack.calls_to("chat.update"))
    view = open_triage(slack, fake_slack, CARA, continuation, ids_[99])
    submit_triage(slack, view, CARA, outcome="space")
    fake_slack.wait_for(lambda: ids_[99] not in triage_buttons(thread(fake_slack, agenda)[-1]))
    [update] = fake_slack.calls_to("chat.update")[updates:]
    assert update.args["ts"] == continuation.ts
    assert "*Space to share*" in thread(fake_slack, agenda)[-1].all_text
    assert len(thread(fake_slack, agenda)) == 2 and len(agenda_roots(fake_slack)) == 1
