"""Feedback given, asked for or replied to is stored before its modal closes: a database that
cannot take it in time keeps the modal open with a field error, everything typed still there,
and trying again stores it once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.feedback import service as feedback
from bot.feedback import usecases
from bot.feedback.model import FeedbackDraft
from bot.feedback.usecases import FeedbackForm, ReplyForm, RequestForm, Submitted
from bot.services import Services
from storage.models import Feedback, FeedbackKind, FeedbackRequest, ProcessedEvent
from tests.bot.held_database import could_not_save, database_held
from tests.conftest import ANA, BEN

TYPED = "Thank you for covering my Friday visits at such short notice"


def inputs(modal: dict[str, Any]) -> frozenset[str]:
    return frozenset(b["block_id"] for b in modal["blocks"] if b["type"] == "input")


def submitted_while_busy(
    services: Services, table: str, submit: Callable[[], Submitted[Any]]
) -> Submitted[Any]:
    """Submit while another connection holds ``table``; the person waits well inside 3 s."""
    with database_held(services, table):
        started = time.monotonic()
        busy = submit()
        waited = time.monotonic() - started
    assert waited < 2.5, "the ack waits for the database, well inside Slack's 3 s"
    assert busy.stored is None
    return busy


def rows(services: Services, statement: Any) -> list[Any]:
    with services.session() as session:
        return list(session.exec(statement))


def test_feedback_the_database_cannot_take_keeps_the_modal_open_and_is_given_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    modal = usecases.give_modal(services, user_id=ANA)
    form = FeedbackForm(
        receivers=[BEN],
        kind="appreciation",
        values=[],
        text=TYPED,
        shared=False,
        anonymous=False,
        request_id=None,
        shown_blocks=inputs(modal),
    )

    def give() -> Submitted[Any]:
        return usecases.give_feedback(
            services, services.client, giver=ANA, form=form, request_key="V-give"
        )

    caplog.set_level(logging.DEBUG)
    busy = submitted_while_busy(services, "feedback", give)
    assert busy.errors == could_not_save(services, modal)
    given = select(Feedback).where(Feedback.text == TYPED)
    assert rows(services, given) == []
    assert TYPED not in caplog.text

    first, again = give(), give()
    assert first.errors == {} and first.stored is not None
    assert again.errors == {} and again.stored is None, "the same modal is given once"
    assert [(row.giver, row.receiver) for row in rows(services, given)] == [(ANA, BEN)]


def test_a_request_the_database_cannot_take_keeps_the_modal_open_and_is_asked_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    modal = usecases.request_modal(services, user_id=ANA)
    due = (services.now() + timedelta(days=7)).date().isoformat()
    form = RequestForm(recipients=[BEN], about=TYPED, due_date=due, shown_blocks=inputs(modal))

    def ask() -> Submitted[Any]:
        return usecases.ask_for_feedback(
            services, services.client, requester=ANA, form=form, request_key="V-ask"
        )

    caplog.set_level(logging.DEBUG)
    busy = submitted_while_busy(services, "feedback_request", ask)
    assert busy.errors == could_not_save(services, modal)
    asked = select(FeedbackRequest).where(FeedbackRequest.about == TYPED)
    assert rows(services, asked) == []
    assert TYPED not in caplog.text

    first, again = ask(), ask()
    assert first.errors == {} and first.stored is not None
    assert again.errors == {} and again.stored is None, "the same modal asks once"
    assert [request.requester for request in rows(services, asked)] == [ANA]


def test_a_reply_the_database_cannot_take_keeps_the_modal_open_and_is_sent_once_on_retry(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    draft = FeedbackDraft(receivers=(ANA,), kind=FeedbackKind.SUGGESTION, values=(), text="Hi")
    with services.session() as session:
        given = feedback.give_feedback(
            session, config=services.config, giver=BEN, draft=draft, now=services.now()
        )
    assert given is not None and given.first.id is not None
    modal = usecases.reply_modal(services, user_id=ANA, feedback_id=given.first.id)
    form = ReplyForm(feedback_id=given.first.id, text=TYPED, shown_blocks=inputs(modal))

    def reply() -> Submitted[Any]:
        return usecases.reply_to_feedback(services, user_id=ANA, form=form, request_key="V-reply")

    caplog.set_level(logging.DEBUG)
    busy = submitted_while_busy(services, "processed_event", reply)
    assert busy.errors == could_not_save(services, modal)
    sent = select(ProcessedEvent).where(ProcessedEvent.event_id == "feedback-reply:V-reply")
    assert rows(services, sent) == []
    assert TYPED not in caplog.text

    first, again = reply(), reply()
    assert first.errors == {} and first.stored is not None and first.stored.text == TYPED
    assert again.errors == {} and again.stored is None, "the same modal is passed on once"
    assert len(rows(services, sent)) == 1
