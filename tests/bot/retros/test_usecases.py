"""The retrospective's use cases against the Slack stand-in: opening (channel message, then each
member's DM), the schedule's whole cycle with its reminders, the close that puts improvements on
the tactical agenda, and nothing ever sent twice."""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.agenda.service import post_agenda
from bot.retros import service, usecases
from bot.services import Services
from bot.slack import pacing
from bot.standin.web_api import FakeSlack
from storage.models import (
    Member,
    PromptStatus,
    ReflectionKind,
    RetroParticipant,
    Retrospective,
    RetroStatus,
    Tension,
)
from tests.conftest import ANA, BEN, CARA, COACH, DEV, NORTH_CHANNEL, SAM, SHARED, SOUTH_CHANNEL

# Thursday 21 May 2026, 14:00 in London: the default retrospective time (every 4 weeks from
# the cadence's anchor, Monday 1 January 2024 — 21 May 2026 is in an "on" week).
OPENS = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)
WELL, BETTER, IDEA = ReflectionKind.WENT_WELL, ReflectionKind.COULD_BE_BETTER, ReflectionKind.IDEA


def reflect(services: Services, retro_id: int, user_id: str, **texts: str) -> None:
    usecases.submit_reflection(
        services,
        retro_id=retro_id,
        user_id=user_id,
        texts={WELL: texts.get("well"), BETTER: texts.get("better"), IDEA: texts.get("idea")},
        scores={0: "4", 1: "3", 2: "5"},
        request_key=None,
    )
    usecases.show_changes(services, retro_id=retro_id)


def retro_of(services: Services, team_id: str = "north") -> Retrospective:
    with services.session() as session:
        found = session.exec(
            select(Retrospective)
            .where(Retrospective.team_id == team_id)
            .order_by(Retrospective.id.desc())  # type: ignore[union-attr]
        ).first()
    assert found is not None
    return found


def thread(fake: FakeSlack, ts: str) -> list:
    return [m for m in fake.messages(NORTH_CHANNEL) if m.thread_ts == ts]


def test_opening_posts_one_message_then_dms_each_member_but_the_away(
    services: Services, fake_slack: FakeSlack
) -> None:
    with services.session() as session:
        dev = session.exec(select(Member).where(Member.user_id == DEV)).one()
        dev.away_until = date(2026, 5, 25)
        session.add(dev)
        session.commit()
    with freeze_time(OPENS):
        report = usecases.open_retrospective(services, team_id="north")
    assert (report.asked, report.away, report.sent, report.failed) == (4, 1, 4, 0)
    [board] = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]
    assert board.ts == report.ts
    assert "Retrospective · North Neighbourhood Team" in board.all_text
    assert "Reflect by Saturday 23 May, 14:00" in board.all_text
    assert board.metadata == {"event_type": "retrobot_retro", "event_payload": {"retro_id": 1}}
    for user_id in (ANA, BEN, CARA, SHARED):
        [dm] = fake_slack.dms(user_id)
        assert "North Neighbourhood Team's retrospective is open" in dm.all_text
    assert fake_slack.dms(DEV) == [] and fake_slack.dms(COACH) == []
    with pytest.raises(service.AlreadyOpenError), freeze_time(OPENS):
        usecases.open_retrospective(services, team_id="north")
    assert len(fake_slack.calls_to("chat.postMessage")) == 5


def test_a_failed_dm_is_recorded_and_the_rest_go_on(
    services: Services, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next(
        "chat.postMessage", "user_disabled", when=lambda a: a.get("channel") == BEN
    )
    with freeze_time(OPENS):
        report = usecases.open_retrospective(services, team_id="north")
    assert (report.sent, report.failed) == (4, 1)
    with services.session() as session:
        ben = session.exec(select(RetroParticipant).where(RetroParticipant.user_id == BEN)).one()
    assert (ben.status, ben.error) == (PromptStatus.FAILED, "user_disabled")


def test_reflections_appear_in_the_thread_grouped_by_kind_and_update_in_place(
    services: Services, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        report = usecases.open_retrospective(services, team_id="north")
        retro = retro_of(services)
        reflect(services, retro.id or 0, ANA, well="Calm handovers <!channel>", better="Late rota")
        reflect(services, retro.id or 0, BEN, well="Cover on Friday")
        posted = len(fake_slack.calls_to("chat.postMessage"))
        reflect(services, retro.id or 0, BEN, well="Cover on Friday & Saturday")
    assert len(fake_slack.calls_to("chat.postMessage")) == posted  # an edit updates in place
    replies = thread(fake_slack, report.ts or "")
    assert [r.blocks[0]["text"]["text"].split("*")[1] for r in replies] == [
        "What went well",
        "What could be better",
    ]
    went_well = fake_slack.message(NORTH_CHANNEL, replies[0].ts)
    assert went_well is not None
    assert "Calm handovers &lt;!channel&gt;" in went_well.all_text
    assert "Cover on Friday &amp; Saturday" in went_well.all_text
    assert ANA not in went_well.all_text and BEN not in went_well.all_text
    board = fake_slack.message(NORTH_CHANNEL, report.ts or "")
    assert board is not None and "2 of 5 reflected so far" in board.all_text


class CountedPace(pacing.Pace):
    """A pace with no wait that counts the calls it let go."""

    def __init__(self) -> None:
        super().__init__(per_second=math.inf)
        self.calls = 0

    def wait(self) -> None:
        self.calls += 1


def test_a_process_with_its_own_pace_sends_every_retrospective_message_at_it(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's local Slack keeps no rate limit: with ``Services.dm_pace`` set, the board,
    the reflection DMs and the reminders all go at that pace, and none waits on Slack's."""
    slack_s, own = CountedPace(), CountedPace()
    monkeypatch.setattr(pacing, "PACE", slack_s)
    services.dm_pace = own
    with freeze_time(OPENS + timedelta(minutes=1)):
        assert usecases.run_due(services).invited == 7
    with freeze_time(OPENS + timedelta(days=1, minutes=1)):
        usecases.run_due(services)
    reminder = "reflection for *North Neighbourhood Team*'s retrospective closes"
    reminded = sum(reminder in m.all_text for u in (ANA, DEV) for m in fake_slack.dms(u))
    assert reminded == 2
    boards = len([m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None])
    assert boards == 1
    assert slack_s.calls == 0
    assert own.calls >= 7 + reminded + boards


def test_the_schedule_opens_reminds_closes_and_puts_the_improvements_on_the_agenda(
    services: Services, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with freeze_time(OPENS - timedelta(minutes=1)):
        assert usecases.run_due(services).opened == []
    with freeze_time(OPENS + timedelta(minutes=1)):
        done = usecases.run_due(services)
        assert done.opened == ["north", "south"] and done.invited == 7
        assert usecases.run_due(services).opened == []  # once
    north = retro_of(services)
    with freeze_time(OPENS + timedelta(hours=2)):
        reflect(services, north.id or 0, ANA, well="Calm handovers", better="Late rota\nNo cover")
        reflect(services, north.id or 0, BEN, better="Late rota", idea="Pair visits")
        reflect(services, north.id or 0, CARA, idea="Rota two weeks ahead")
    with freeze_time(OPENS + timedelta(days=1, minutes=1)):
        usecases.run_due(services)
    reminder = "reflection for *North Neighbourhood Team*'s retrospective closes"
    reminded = {
        u
        for u in (ANA, BEN, CARA, DEV, SHARED)
        if any(reminder in m.all_text for m in fake_slack.dms(u))
    }
    assert reminded == {DEV, SHARED}
    assert (
        "reflection for *North Neighbourhood Team*'s retrospective closes"
        in fake_slack.dms(DEV)[-1].all_text
    )
    with freeze_time(OPENS + timedelta(days=1, hours=3)):
        usecases.run_due(services)  # the reminder goes once
    assert sum(reminder in m.all_text for m in fake_slack.dms(SHARED)) == 1

    with freeze_time(OPENS + timedelta(days=2, minutes=1)):
        done = usecases.run_due(services)
    assert north.id in done.reflection_closed
    [chart] = [f for f in fake_slack.files() if f.channel == NORTH_CHANNEL]
    assert chart.thread_ts == north.message_ts or chart.thread_ts == retro_of(services).message_ts
    assert chart.content.startswith(b"\x89PNG")
    with services.session() as session:
        reflections = {r.text: r.id for r in session.exec(select(service.Reflection))}  # type: ignore[attr-defined]
    with freeze_time(OPENS + timedelta(days=2, hours=1)):
        from bot.retros import voting

        with services.session() as session:
            for voter, picks in {
                ANA: ["Pair visits", "Late rota"],
                BEN: ["Pair visits"],
                DEV: ["Calm handovers"],
            }.items():
                voting.set_votes(
                    session,
                    config=services.config,
                    retro_id=north.id or 0,
                    voter=voter,
                    reflection_ids=[reflections[p] for p in picks],
                )
    with freeze_time(OPENS + timedelta(days=3, minutes=1)):
        usecases.run_due(services)
    vote_reminded = {
        u
        for u in (ANA, BEN, CARA, DEV, SHARED)
        if any("voting in *North" in m.all_text for m in fake_slack.dms(u))
    }
    assert vote_reminded == {CARA, SHARED}
    with freeze_time(OPENS + timedelta(days=4, minutes=1)):
        done = usecases.run_due(services)
        assert north.id in done.voting_closed
        agenda = post_agenda(services, team_id="north", now=OPENS + timedelta(days=4, minutes=1))
    with services.session() as session:
        tensions = session.exec(select(Tension).where(Tension.team_id == "north")).all()
    assert sorted(t.text for t in tensions) == ["Calm handovers", "Late rota", "Pair visits"]
    assert {(t.raised_by, t.area) for t in tensions} == {
        (NORTH_CHANNEL, "Retrospective improvement")
    }
    main = fake_slack.message(NORTH_CHANNEL, agenda.ts or "")
    assert main is not None
    assert "Pair visits — <#C0NORTH> · _Retrospective improvement_" in main.all_text
    # The South team's, where nobody reflected, closed with nothing to vote on.
    assert retro_of(services, "south").status == RetroStatus.CLOSED
    assert [f for f in fake_slack.files() if f.channel == SOUTH_CHANNEL] == []
    # Nothing anyone wrote reached retrobot's logs.
    ours = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.split(".")[0] in ("bot", "handlers", "storage")
    )
    assert f"Retrospective {north.id}: voting closed" in ours
    for words in ("Calm handovers", "Late rota", "Pair visits", "Rota two weeks ahead"):
        assert words not in ours
    assert SAM  # South's members were asked too


def test_the_next_retrospective_opens_with_what_became_of_the_improvements(
    services: Services, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        usecases.open_retrospective(services, team_id="north")
        retro = retro_of(services)
        reflect(services, retro.id or 0, ANA, better="Late rota")
        usecases.close_retrospective(services, team_id="north")
        with services.session() as session:
            [row] = session.exec(select(service.Reflection)).all()  # type: ignore[attr-defined]
        usecases.click_vote(services, reflection_id=row.id, user_id=BEN)
        closed = usecases.close_retrospective(services, team_id="north")
    assert closed.retro.status == RetroStatus.CLOSED and len(closed.chosen) == 1
    with services.session() as session:
        tension = session.get(Tension, closed.chosen[0].tension.id)
        assert tension is not None
        tension.done_at = OPENS + timedelta(days=10)
        session.add(tension)
        session.commit()
    with freeze_time(OPENS + timedelta(weeks=4)):
        report = usecases.open_retrospective(services, team_id="north")
    board = fake_slack.message(NORTH_CHANNEL, report.ts or "")
    assert board is not None
    assert "Last retrospective's improvements" in board.all_text
    assert ":white_check_mark: *done* — Late rota" in board.all_text
    assert retro_of(services).period_start == OPENS


def test_publishing_again_changes_nothing_and_a_lost_answer_is_found_not_reposted(
    services: Services, fake_slack: FakeSlack
) -> None:
    # Posted, but the answer is lost.
    fake_slack.drop_after_acting_next(
        "chat.postMessage", when=lambda a: a.get("channel") == NORTH_CHANNEL
    )
    with freeze_time(OPENS):
        report = usecases.open_retrospective(services, team_id="north", send=False)
        assert report.ts is None
        retro = retro_of(services)
        again = usecases.delivery.publish(services, retro_id=retro.id or 0)
        usecases.delivery.publish(services, retro_id=retro.id or 0)
    boards = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]
    assert len(boards) == 1 and again.ts == boards[0].ts
    assert retro_of(services).message_ts == boards[0].ts


def test_close_with_nothing_open_says_so(services: Services) -> None:
    with pytest.raises(service.NoRetroError):
        usecases.close_retrospective(services, team_id="north")
