"""Deciding's asks and the feedback reminder wait for their person's working time: advice asked
of a night nurse reaches her at the start of her shift, someone in do-not-disturb until after
the proposal's date is not asked (and can still advise from the App Home), and a feedback
reminder waits for the end of a do-not-disturb.

The app's clock stands at Monday 1 June 2026, 10:00 in London; proposals are decided by
Monday 8 June.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core import ids
from bot.decisions.usecases import run_decision_jobs
from bot.feedback import service as feedback
from bot.feedback.delivery import send_feedback_reminders
from bot.feedback.model import RequestDraft
from bot.services import Services
from bot.shifts import usecases as shifts
from bot.shifts.usecases import PatternForm
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import AskStatus, ShiftHold
from tests.conftest import ANA, BEN, CARA, DEV
from tests.handlers.decision_steps import (
    DECIDE_BY,
    Clock,
    advice_rows,
    proposal_values,
    propose,
)
from tests.journeys.steps import open_home

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


NIGHTS = PatternForm("nights", tuple(str(d) for d in range(7)), "20:00", "08:00")
SHIFT_STARTS = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # Monday 20:00 in London


def asked(fake: FakeSlack, user: str) -> int:
    """How many DMs asking for advice the person got."""
    return sum(ids.ADVICE_GIVE in str(m.blocks) for m in fake.dms(user))


def test_advice_reaches_the_night_nurse_at_the_start_of_her_shift(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    shifts.save_pattern(services, user_id=CARA, form=NIGHTS)
    fake_slack.set_dnd(BEN, clock.now - timedelta(hours=1), datetime(2026, 6, 9, tzinfo=UTC))

    proposal = propose(slack, fake_slack, services, ANA, proposal_values(people=[BEN, CARA, DEV]))

    fake_slack.wait_for(lambda: asked(fake_slack, DEV) == 1)
    assert (asked(fake_slack, CARA), asked(fake_slack, BEN)) == (0, 0)
    rows = advice_rows(services, proposal.id)
    assert rows[CARA].status == AskStatus.PENDING
    assert rows[BEN].status == AskStatus.OFF_SHIFT  # in DND past the end of 8 June
    with services.session() as session:
        hold = session.exec(select(ShiftHold).where(ShiftHold.user_id == CARA)).one()
    assert (hold.kind, hold.send_at, hold.reason) == ("advice", SHIFT_STARTS, "pattern")

    clock.now = SHIFT_STARTS - timedelta(minutes=5)
    run_decision_jobs(services, now=clock.now)
    assert asked(fake_slack, CARA) == 0  # not a minute early

    clock.now = SHIFT_STARTS
    run_decision_jobs(services, now=clock.now)
    run_decision_jobs(services, now=clock.now + timedelta(minutes=5))
    assert asked(fake_slack, CARA) == 1 and asked(fake_slack, BEN) == 0
    assert advice_rows(services, proposal.id)[CARA].status == AskStatus.SENT

    # Ben was never messaged, but the proposal waits for him on his App Home all the same.
    home = open_home(slack, fake_slack, BEN)
    assert "Friday handovers start at 14:30" in str(home["blocks"])
    assert date(2026, 6, 8) == DECIDE_BY


def test_a_feedback_reminder_waits_for_the_dnd_to_end(
    services: Services, fake_slack: FakeSlack, clock: Clock
) -> None:
    draft = RequestDraft(
        team_id="north", recipients=(BEN,), about="My notes", due_date=date(2026, 6, 5)
    )
    with services.session() as session:
        feedback.ask_for_feedback(
            session, config=services.config, requester=ANA, draft=draft, now=clock.now
        )
    thursday = datetime(2026, 6, 4, 8, 30, tzinfo=UTC)  # 09:30 in London, the day before
    fake_slack.set_dnd(BEN, thursday - timedelta(hours=1), thursday + timedelta(hours=2))

    assert send_feedback_reminders(services, now=thursday) == 0
    assert send_feedback_reminders(services, now=thursday + timedelta(hours=1)) == 0
    assert len(fake_slack.calls_to("dnd.teamInfo")) == 1  # the hold is kept, not read again
    assert fake_slack.dms(BEN) == []

    fake_slack.clear_dnd(BEN)
    assert send_feedback_reminders(services, now=thursday + timedelta(hours=2)) == 1
    [reminder] = fake_slack.dms(BEN)
    assert "A gentle reminder" in reminder.all_text
