"""Triage is recorded before its modal closes: a database that cannot take it in time keeps the
modal open with a field error, everything chosen and typed still there, and trying again
records the outcome once."""

from __future__ import annotations

import logging
import time

import pytest

from bot.services import Services
from bot.triage import usecases
from bot.triage.usecases import TriageForm
from storage.models import OutcomeKind, Tension, TensionStatus
from tests.bot.held_database import could_not_save, database_held, first_input_block
from tests.conftest import ANA, CARA, DEV

TYPED = "Cara drafts a handover checklist with the night team"


def open_tension(services: Services) -> int:
    with services.session() as session:
        tension = Tension(team_id="north", raised_by=ANA, text="Friday handovers run late")
        session.add(tension)
        session.commit()
        assert tension.id is not None
        return tension.id


def as_stored(services: Services, tension_id: int) -> Tension:
    with services.session() as session:
        tension = session.get(Tension, tension_id)
        assert tension is not None
        return tension


def test_a_triage_the_database_cannot_take_keeps_the_modal_open_and_is_recorded_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    tension_id = open_tension(services)
    modal = usecases.triage_modal(services, user_id=DEV, tension_id=tension_id, round_id=None)
    form = TriageForm(
        tension_id=tension_id,
        round_id=None,
        outcome="next_action",
        owner=CARA,
        due_date=None,
        note=TYPED,
    )
    caplog.set_level(logging.DEBUG)
    with database_held(services, "tension"):
        started = time.monotonic()
        busy = usecases.submit_triage(services, user_id=DEV, form=form, request_key="V-triage")
        waited = time.monotonic() - started
    assert busy.tension is None
    assert busy.errors == could_not_save(services, modal)
    assert "couldn't save just now" in busy.errors[first_input_block(modal)].lower()
    assert waited < 2.5, "the ack waits for the database, well inside Slack's 3 s"
    untouched = as_stored(services, tension_id)
    assert (untouched.status, untouched.triage_note) == (TensionStatus.OPEN, "")
    assert TYPED not in caplog.text

    first = usecases.submit_triage(services, user_id=DEV, form=form, request_key="V-triage")
    again = usecases.submit_triage(services, user_id=DEV, form=form, request_key="V-triage")
    assert first.errors == {} and first.tension is not None
    assert again.errors == {} and again.tension is None, "the same modal is recorded once"
    triaged = as_stored(services, tension_id)
    assert (triaged.status, triaged.outcome, triaged.owner, triaged.triage_note) == (
        TensionStatus.TRIAGED,
        OutcomeKind.NEXT_ACTION,
        CARA,
        TYPED,
    )
    assert triaged.triaged_by == DEV
