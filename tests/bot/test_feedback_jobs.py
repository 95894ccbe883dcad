"""The scheduler's hourly feedback-reminder job, and the demo's feedback scenes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from bot.demo import run_demo
from bot.feedback import service as feedback
from bot.feedback.model import RequestDraft
from bot.jobs.scheduler import Scheduler
from bot.services import Services
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN


def test_the_scheduler_reminds_once_through_its_hourly_job(
    services: Services, fake_slack: FakeSlack
) -> None:
    draft = RequestDraft(
        team_id="north", recipients=(BEN,), about="My notes", due_date=date(2026, 6, 5)
    )
    with services.session() as session:
        feedback.ask_for_feedback(
            session,
            config=services.config,
            requester=ANA,
            draft=draft,
            now=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        )
    services.clock = lambda: datetime(2026, 6, 4, 8, 30, tzinfo=UTC)  # Thursday 09:30, London
    scheduler = Scheduler(services)
    scheduler.feedback_reminders()
    scheduler.feedback_reminders()
    [reminder] = fake_slack.dms(BEN)
    assert "A gentle reminder" in reminder.all_text and "My notes" in reminder.all_text


def test_the_demo_plays_feedback(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(out_dir=tmp_path, stream=out) == 0
    transcript = (tmp_path / "transcript.txt").read_text(encoding="utf-8")
    assert "@Ana appreciates @Ben, showing Compassion" in transcript  # in the channel
    assert "A suggestion from @Cara" in transcript
    assert "@Eve would like your feedback" in transcript
    assert "In answer to your request" in transcript
    assert "@Ben thanked you for your appreciation" in transcript
    assert "Answered: @Fran · ⏳ Not yet: @Ana" in transcript
