"""Messages sent at once that Slack refuses — a triage DM, an appreciation shared in the team
channel, the agenda — are recorded, and `retrobot status` shows them per team and kind with
Slack's errors: never their words, nor whom they were for (issue 15, item 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.agenda.service import post_agenda
from bot.cli import main
from bot.feedback import service as feedback
from bot.feedback.delivery import deliver_feedback
from bot.feedback.model import FeedbackDraft
from bot.services import Services
from bot.standin.web_api import FakeSlack
from bot.triage import service as triage
from bot.triage.delivery import announce_triage
from storage.models import FeedbackKind, OutcomeKind, RefusedDelivery, RefusedKind
from tests.conftest import ANA, BEN, DEV, NORTH_CHANNEL, SAM, SHARED, SOUTH_CHANNEL
from tests.storage.factories import make_tension

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # North's agenda is due; its meeting is at 10
TENSION_TEXT = "Nobody covers the night rota"
APPRECIATION_TEXT = "You two held the fort"


def refused(fake: FakeSlack, channel: str, error: str, *, in_thread: bool = False) -> None:
    """Slack refuses the next post to ``channel`` with ``error``."""
    fake.fail_next(
        "chat.postMessage",
        error,
        when=lambda args: args.get("channel") == channel and ("thread_ts" in args) == in_thread,
    )


def share_an_appreciation(services: Services, fake_slack: FakeSlack) -> None:
    """Shay thanks Ben (North) and Sam (South), shared: North's channel refuses the post."""
    refused(fake_slack, NORTH_CHANNEL, "not_in_channel")
    draft = FeedbackDraft(
        receivers=(BEN, SAM),
        kind=FeedbackKind.APPRECIATION,
        values=("Courage",),
        text=APPRECIATION_TEXT,
        shared=True,
    )
    with services.session() as session:
        given = feedback.give_feedback(
            session, config=services.config, giver=SHARED, draft=draft, now=NOW
        )
    assert given is not None
    deliver_feedback(services, services.client, giver=SHARED, given=given)
    assert fake_slack.messages(NORTH_CHANNEL) == []
    assert len(fake_slack.messages(SOUTH_CHANNEL)) == 1  # South's post went


def triage_to_a_closed_account(services: Services, fake_slack: FakeSlack) -> None:
    """A next action for Ben, whose account is deactivated: his DM is refused, Ana's goes."""
    with services.session() as session:
        tension = make_tension(session, raised_by=ANA, text=TENSION_TEXT, created_at=NOW)
        session.commit()
        assert tension.id is not None
        triaged = triage.triage_tension(
            session,
            config=services.config,
            user_id=DEV,
            tension_id=tension.id,
            round_id=None,
            decision=triage.TriageDecision(
                OutcomeKind.NEXT_ACTION, owner=BEN, due_date=date(2026, 12, 8)
            ),
            now=NOW,
        )
    refused(fake_slack, BEN, "user_disabled")
    sent = announce_triage(services, services.client, tension=triaged, round_id=None, now=NOW)
    assert [(d.recipient, d.error) for d in sent] == [(BEN, "user_disabled"), (ANA, None)]


def test_refused_triage_dms_appreciations_and_agendas_are_counted_by_retrobot_status(
    services: Services,
    fake_slack: FakeSlack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with freeze_time(NOW):
        share_an_appreciation(services, fake_slack)
        triage_to_a_closed_account(services, fake_slack)
        refused(fake_slack, NORTH_CHANNEL, "not_in_channel")  # the bot was removed
        assert post_agenda(services, team_id="north", now=NOW).error == "not_in_channel"

    with services.session() as session:
        rows = session.exec(select(RefusedDelivery).order_by(RefusedDelivery.kind)).all()
        assert [(r.team_id, r.kind, r.error, r.refused_at) for r in rows] == [
            ("north", RefusedKind.AGENDA, "not_in_channel", NOW),
            ("north", RefusedKind.SHARED_APPRECIATION, "not_in_channel", NOW),
            ("north", RefusedKind.TRIAGE_DM, "user_disabled", NOW),
        ]

    monkeypatch.setenv("DATABASE_URL", database_url)
    with freeze_time(NOW + timedelta(days=1)):  # the admin looks the next day
        assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "Messages Slack refused in the last 7 days:\n"
        "  north  agenda               ×1  not_in_channel ×1\n"
        "  north  shared appreciation  ×1  not_in_channel ×1\n"
        "  north  triage DM            ×1  user_disabled ×1\n"
    )
    for private in (TENSION_TEXT, APPRECIATION_TEXT, BEN, SHARED, ANA):
        assert private not in out  # no typed word, and nobody it was for

    with freeze_time(NOW + timedelta(days=8)):  # a week on, the report is about this week
        assert main(["status"]) == 0
    assert "refused" not in capsys.readouterr().out


def test_messages_that_went_record_nothing(
    services: Services, fake_slack: FakeSlack, database_url: str
) -> None:
    with freeze_time(NOW):
        assert post_agenda(services, team_id="north", now=NOW).ok
        with services.session() as session:
            tension = make_tension(session, raised_by=ANA, created_at=NOW)
            session.commit()
            assert tension.id is not None
            triaged = triage.triage_tension(
                session,
                config=services.config,
                user_id=DEV,
                tension_id=tension.id,
                round_id=None,
                decision=triage.TriageDecision(OutcomeKind.INFORMATION),
                now=NOW,
            )
        assert all(
            d.ok
            for d in announce_triage(
                services, services.client, tension=triaged, round_id=None, now=NOW
            )
        )
    with services.session() as session:
        assert session.exec(select(RefusedDelivery)).all() == []
