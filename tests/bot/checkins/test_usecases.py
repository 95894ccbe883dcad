"""A check-in, and the tension typed in it, are stored before the modal closes: a database that
cannot take them in time keeps the modal open with a field error, everything typed still there,
and trying again stores them once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.checkins import usecases
from bot.checkins.usecases import CheckinForm
from bot.checkins.views import build_checkin_modal
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from storage.models import CheckinResponse, PromptStatus, Tension
from tests.bot.held_database import could_not_save, database_held
from tests.conftest import ANA

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in London: North's round opens
TYPED_NOTE = "Rested after a quiet weekend, ready for the Tuesday visits"
TYPED_TENSION = "The new rota leaves Friday evenings without a second nurse"


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The round's DMs do not wait on Slack's budget."""
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


def test_a_checkin_the_database_cannot_take_keeps_the_modal_open_and_is_stored_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    services.clock = lambda: OPENS
    round_id = usecases.send_round(services, team_id="north", now=OPENS).round_id
    assert round_id is not None
    checkin = usecases.open_checkin(services, round_id=round_id, user_id=ANA)
    modal = build_checkin_modal(services.renderer, checkin=checkin)
    answers = {"mood": "4", "note": TYPED_NOTE, "tension_text": TYPED_TENSION}
    form = CheckinForm(team_id="north", round_id=round_id, answers=answers)

    caplog.set_level(logging.DEBUG)
    with database_held(services, "checkin_response"):
        started = time.monotonic()
        busy = usecases.submit_checkin(services, user_id=ANA, form=form, request_key="V-in")
        waited = time.monotonic() - started
    assert (busy.saved, busy.tension) == (None, None)
    assert busy.errors == could_not_save(services, modal)
    assert waited < 2.5, "the ack waits for the database, well inside Slack's 3 s"
    with services.session() as session:
        assert list(session.exec(select(CheckinResponse))) == []
        assert list(session.exec(select(Tension))) == []
    assert TYPED_NOTE not in caplog.text and TYPED_TENSION not in caplog.text

    first = usecases.submit_checkin(services, user_id=ANA, form=form, request_key="V-in")
    again = usecases.submit_checkin(services, user_id=ANA, form=form, request_key="V-in")
    assert first.errors == {} and first.saved is not None and first.tension is not None
    assert again.errors == {} and again.saved is not None and again.tension is None
    # What the DM is redrawn from stays readable, the tension's second time rolled back or not.
    assert again.saved.edited and again.saved.prompt.status == PromptStatus.ANSWERED
    with services.session() as session:
        stored = list(session.exec(select(CheckinResponse)))
        raised = list(session.exec(select(Tension)))
    assert [(r.user_id, r.mood, r.note) for r in stored] == [(ANA, 4, TYPED_NOTE)]
    assert [t.text for t in raised] == [TYPED_TENSION], "the tension typed in it is raised once"
