"""Raising a tension stores it before its modal closes: a database that cannot take it in time
keeps the modal open with a field error, everything typed still there, and nothing is lost or
stored twice when the person tries again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.tensions import usecases
from bot.tensions.usecases import TensionForm
from storage.models import Tension
from tests.bot import held_database
from tests.bot.held_database import could_not_save
from tests.conftest import ANA

TYPED = "Friday handovers run late and the night team waits"
FORM = TensionForm(team_id="north", text=TYPED, area=None, private=False)


@contextmanager
def database_held(services: Services) -> Iterator[None]:
    """Another connection holds the tension table for writing, as a long job would."""
    with held_database.database_held(services, "tension"):
        yield


def stored(services: Services) -> list[Tension]:
    with services.session() as session:
        return list(session.exec(select(Tension).where(Tension.text == TYPED)))


def test_a_busy_database_keeps_the_modal_open_and_says_so(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with database_held(services):
        started = time.monotonic()
        submitted = usecases.submit_tension(services, user_id=ANA, form=FORM, request_key="V-busy")
        waited = time.monotonic() - started
    assert submitted.raised is None
    assert submitted.errors == {
        ids.TENSION_TEXT_BLOCK: services.renderer.plain("errors.could_not_save")
    }
    assert "couldn't save just now" in submitted.errors[ids.TENSION_TEXT_BLOCK].lower()
    assert waited < 2.5, "the ack waits for the database, well inside Slack's 3 s"
    assert stored(services) == []
    assert TYPED not in caplog.text


def test_trying_again_stores_the_tension_once(services: Services) -> None:
    with database_held(services):
        usecases.submit_tension(services, user_id=ANA, form=FORM, request_key="V-again")
    first = usecases.submit_tension(services, user_id=ANA, form=FORM, request_key="V-again")
    second = usecases.submit_tension(services, user_id=ANA, form=FORM, request_key="V-again")
    assert first.errors == {} and first.raised is not None
    assert second.errors == {} and second.raised is None, "the same modal is stored once"
    assert len(stored(services)) == 1


def test_the_database_freed_during_the_wait_takes_the_tension(services: Services) -> None:
    """A lock released within the wait costs the person nothing but the wait."""
    release = threading.Event()

    def hold() -> None:
        with database_held(services):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    threading.Timer(0.3, release.set).start()
    submitted = usecases.submit_tension(services, user_id=ANA, form=FORM, request_key="V-freed")
    holder.join()
    assert submitted.errors == {} and submitted.raised is not None
    assert len(stored(services)) == 1


def test_an_edit_the_database_cannot_take_keeps_the_modal_open_and_is_saved_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    before = TensionForm(team_id="north", text="Handovers run late", area=None, private=False)
    raised = usecases.submit_tension(services, user_id=ANA, form=before, request_key="V-raise")
    assert raised.raised is not None and raised.raised.tension.id is not None
    tension_id = raised.raised.tension.id
    modal = usecases.edit_modal(services, user_id=ANA, tension_id=tension_id)
    caplog.set_level(logging.DEBUG)
    with database_held(services):
        started = time.monotonic()
        errors = usecases.edit_tension(
            services, services.client, user_id=ANA, tension_id=tension_id, form=FORM
        )
        waited = time.monotonic() - started
    assert errors == could_not_save(services, modal)
    assert waited < 2.5, "the ack waits for the database, well inside Slack's 3 s"
    assert stored(services) == [], "the edit is not half made"
    assert TYPED not in caplog.text

    for _ in ("retry", "the same modal once more"):
        assert (
            usecases.edit_tension(
                services, services.client, user_id=ANA, tension_id=tension_id, form=FORM
            )
            == {}
        )
    assert [tension.id for tension in stored(services)] == [tension_id]
