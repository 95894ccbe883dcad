"""Raising a tension stores it before its modal closes: a database that cannot take it in time
keeps the modal open with a field error, everything typed still there, and nothing is lost or
stored twice when the person tries again."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.tensions import usecases
from bot.tensions.usecases import TensionForm
from storage.models import Tension
from tests.conftest import ANA

TYPED = "Friday handovers run late and the night team waits"
FORM = TensionForm(team_id="north", text=TYPED, area=None, private=False)


@contextmanager
def database_held(services: Services) -> Iterator[None]:
    """Another connection holds the tension table for writing, as a long job would."""
    url = services.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database or "", timeout=0)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    with services.engine.connect() as other:
        other.execute(text("LOCK TABLE tension IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            other.rollback()


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
