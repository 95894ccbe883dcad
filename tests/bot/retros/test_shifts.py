"""The reflection DMs respect working time (bot/shifts): a night nurse is asked at the start of
her shift, not at the 14:00 opening; someone in do-not-disturb until after reflection closes is
not messaged at all (recorded off shift), and nobody gets the DM twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.retros import delivery, usecases
from bot.services import Services
from bot.shifts import usecases as shifts
from bot.shifts.usecases import PatternForm
from bot.standin.web_api import FakeSlack
from storage.models import PromptStatus, RetroParticipant, ShiftHold
from tests.conftest import ANA, BEN, CARA, DEV

OPENS = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)  # Thursday 14:00 in London
HER_SHIFT = datetime(2026, 5, 21, 19, 0, tzinfo=UTC)  # Thursday 20:00 in London
NIGHTS = PatternForm("nights", tuple(str(d) for d in range(7)), "20:00", "08:00")


def invited(fake: FakeSlack, user_id: str) -> int:
    return sum("retrospective is open" in m.all_text for m in fake.dms(user_id))


def status_of(services: Services, user_id: str) -> PromptStatus:
    with services.session() as session:
        return session.exec(
            select(RetroParticipant.status).where(RetroParticipant.user_id == user_id)
        ).one()


def test_reflection_dms_wait_for_a_shift_and_skip_who_is_away_until_it_closes(
    services: Services, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS - timedelta(days=2)):
        shifts.save_pattern(services, user_id=CARA, form=NIGHTS)
    fake_slack.set_dnd(BEN, OPENS - timedelta(hours=1), OPENS + timedelta(days=4))

    with freeze_time(OPENS):
        usecases.open_retrospective(services, team_id="north")
    assert invited(fake_slack, ANA) == 1
    assert invited(fake_slack, CARA) == 0  # asleep before her night
    assert invited(fake_slack, BEN) == 0
    assert status_of(services, BEN) == PromptStatus.OFF_SHIFT
    with services.session() as session:
        held = {h.user_id: h for h in session.exec(select(ShiftHold)).all()}
    assert held[CARA].send_at == HER_SHIFT

    with freeze_time(HER_SHIFT - timedelta(minutes=1)):
        delivery.send_invitations(services)
    assert invited(fake_slack, CARA) == 0
    with freeze_time(HER_SHIFT + timedelta(minutes=1)):
        delivery.send_invitations(services)
        delivery.send_invitations(services)
    assert invited(fake_slack, CARA) == 1
    assert status_of(services, CARA) == PromptStatus.SENT
    assert invited(fake_slack, ANA) == 1 and invited(fake_slack, BEN) == 0


def reminded(fake: FakeSlack, user_id: str) -> int:
    return sum("retrospective closes" in m.all_text for m in fake.dms(user_id))


def test_the_reminder_to_reflect_waits_for_a_shift_and_for_do_not_disturb_and_goes_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS - timedelta(days=2)):
        shifts.save_pattern(services, user_id=CARA, form=NIGHTS)
    with freeze_time(OPENS):
        usecases.open_retrospective(services, team_id="north")
    with freeze_time(HER_SHIFT + timedelta(minutes=1)):
        delivery.send_invitations(services)
    assert invited(fake_slack, CARA) == 1

    reminder_time = OPENS + timedelta(days=1)  # Friday 14:00 in London: Cara is asleep
    dnd_ends = reminder_time + timedelta(hours=3)
    fake_slack.set_dnd(DEV, reminder_time - timedelta(hours=1), dnd_ends)
    with freeze_time(reminder_time):
        usecases.run_due(services)
    assert reminded(fake_slack, ANA) == 1
    assert reminded(fake_slack, CARA) == 0 and reminded(fake_slack, DEV) == 0
    with services.session() as session:
        held = {h.user_id: h.send_at for h in session.exec(select(ShiftHold)).all()}
    assert held[DEV] == dnd_ends
    assert held[CARA] == HER_SHIFT + timedelta(days=1)

    with freeze_time(dnd_ends - timedelta(minutes=1)):
        usecases.run_due(services)
    assert reminded(fake_slack, DEV) == 0
    with freeze_time(dnd_ends + timedelta(minutes=1)):
        usecases.run_due(services)
        usecases.run_due(services)
    assert reminded(fake_slack, DEV) == 1 and reminded(fake_slack, CARA) == 0
    with freeze_time(HER_SHIFT + timedelta(days=1, minutes=1)):
        usecases.run_due(services)
        usecases.run_due(services)
    assert [reminded(fake_slack, who) for who in (ANA, CARA, DEV)] == [1, 1, 1]


def test_a_reminder_held_past_the_close_of_reflection_is_never_sent(
    services: Services, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        usecases.open_retrospective(services, team_id="north")
    reminder_time = OPENS + timedelta(days=1)
    fake_slack.set_dnd(DEV, reminder_time - timedelta(hours=1), reminder_time + timedelta(days=3))
    with freeze_time(reminder_time):
        usecases.run_due(services)
    for hours in (2, 20, 30):
        with freeze_time(reminder_time + timedelta(hours=hours)):
            usecases.run_due(services)
    assert reminded(fake_slack, ANA) == 1 and reminded(fake_slack, DEV) == 0
    with services.session() as session:
        hold = session.exec(select(ShiftHold).where(ShiftHold.user_id == DEV)).one()
    assert hold.send_at is None  # off shift until reflection closes: recorded, not sent
