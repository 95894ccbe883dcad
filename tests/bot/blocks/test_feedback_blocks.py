"""The feedback builders stay within Block Kit's limits however much people write."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.core import ids
from bot.core.config import AppConfig
from bot.feedback.model import FeedbackHome, MyRequest, Reply
from bot.feedback.views import (
    build_feedback_dm,
    build_feedback_home_section,
    build_feedback_modal,
    build_giver_confirmation,
    build_reply_modal,
    build_reply_note,
    build_request_dm,
    build_request_modal,
    build_shared_appreciation,
    chosen_values,
    value_option,
)
from bot.home.views import build_home
from bot.slack.blockkit import message_problems, view_problems
from prompts import Renderer
from storage.models import Feedback, FeedbackKind, FeedbackRequest, FeedbackRequestRecipient

RENDERER = Renderer()
LONG = "word & <b> " * 400  # 4,400 characters, growing further when escaped
WHEN = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def make_feedback(**fields: object) -> Feedback:
    values: dict = {
        "id": 7,
        "team_id": "north",
        "giver": "U0ANA",
        "receiver": "U0BEN",
        "kind": FeedbackKind.APPRECIATION,
        "values": ["Compassion"],
        "text": LONG,
        "created_at": WHEN,
    } | fields
    return Feedback(**values)


def make_request(**fields: object) -> FeedbackRequest:
    values: dict = {
        "id": 3,
        "team_id": "north",
        "requester": "U0ANA",
        "about": LONG[:300],
        "due_date": date(2026, 12, 4),
        "created_at": WHEN,
    } | fields
    return FeedbackRequest(**values)


def block_of(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_give_modal_with_a_few_values_uses_checkboxes(config: AppConfig) -> None:
    view = build_feedback_modal(
        RENDERER, organisation=config.organisation, receivers=["U0BEN"] * 3, text=LONG
    )
    assert view_problems(view) == []
    assert block_of(view, ids.FEEDBACK_VALUES_BLOCK)["element"]["type"] == "checkboxes"
    assert block_of(view, ids.FEEDBACK_RECEIVERS_BLOCK)["element"]["initial_users"] == ["U0BEN"]
    assert len(block_of(view, ids.FEEDBACK_TEXT_BLOCK)["element"]["initial_value"]) == 2000
    assert ids.FEEDBACK_ANONYMOUS_BLOCK not in {b.get("block_id") for b in view["blocks"]}
    assert json.loads(view["private_metadata"]) == {"request_id": None}


def test_give_modal_with_many_long_values_uses_a_multi_select(config: AppConfig) -> None:
    config.organisation.values = [f"Value {n} " + "x" * 200 for n in range(15)]
    config.organisation.anonymous_feedback = True
    view = build_feedback_modal(RENDERER, organisation=config.organisation)
    assert view_problems(view) == []
    element = block_of(view, ids.FEEDBACK_VALUES_BLOCK)["element"]
    assert element["type"] == "multi_static_select" and len(element["options"]) == 15
    picked = [element["options"][2]["value"], "gone"]
    assert chosen_values(config.organisation, picked) == [config.organisation.values[2], "gone"]
    assert value_option("Trust") == "Trust"
    assert block_of(view, ids.FEEDBACK_ANONYMOUS_BLOCK)


def test_give_modal_from_a_request_names_it_and_offers_no_anonymity(config: AppConfig) -> None:
    config.organisation.anonymous_feedback = True
    view = build_feedback_modal(
        RENDERER,
        organisation=config.organisation,
        receivers=["U0ANA"],
        request=make_request(),
        answered=True,
    )
    assert view_problems(view) == []
    text = json.dumps(view)
    assert "<@U0ANA> asked for your feedback by *Fri 4 Dec*" in text
    assert "already answered" in text
    assert ids.FEEDBACK_ANONYMOUS_BLOCK not in text
    assert json.loads(view["private_metadata"]) == {"request_id": 3}


def test_receiver_dm_named_anonymous_and_thanked() -> None:
    named = build_feedback_dm(RENDERER, feedback=make_feedback(), request=make_request())
    assert message_problems(named) == []
    buttons = [
        e["action_id"] for b in named["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [ids.FEEDBACK_THANKS, ids.FEEDBACK_OPEN_REPLY]
    assert "In answer to your request" in json.dumps(named)
    assert "<b>" not in json.dumps(named)

    anonymous = build_feedback_dm(
        RENDERER, feedback=make_feedback(giver=None, anonymous=True, kind=FeedbackKind.SUGGESTION)
    )
    assert message_problems(anonymous) == []
    assert "U0ANA" not in json.dumps(anonymous)
    assert "An anonymous suggestion for you" in anonymous["blocks"][0]["text"]["text"]
    buttons = [
        e["action_id"] for b in anonymous["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [ids.FEEDBACK_THANKS]

    thanked = build_feedback_dm(RENDERER, feedback=make_feedback(thanked_at=WHEN))
    assert not [b for b in thanked["blocks"] if b["type"] == "actions"]
    assert "You said thanks on Thu 26 Nov" in json.dumps(thanked)


def test_channel_confirmation_reply_and_request_messages_stay_within_limits() -> None:
    people = [f"U0P{n:03d}" for n in range(10)]
    feedback = make_feedback(values=["v" * 2000, "w" * 2000])
    for payload in (
        build_shared_appreciation(RENDERER, feedback=feedback, receivers=people),
        build_giver_confirmation(
            RENDERER,
            feedback=feedback,
            reached=people[:5],
            missed=people[5:],
            channels=["C0NORTH", "C0SOUTH"],
            answered=make_request(),
        ),
        build_reply_note(RENDERER, reply=Reply(feedback=feedback, text="r" * 1000)),
        build_request_dm(RENDERER, request=make_request()),
        build_request_dm(RENDERER, request=make_request(), reminder=True),
    ):
        assert message_problems(payload) == []
    tomorrow = build_request_dm(RENDERER, request=make_request(), reminder=True)
    today = build_request_dm(RENDERER, request=make_request(), reminder=True, due_today=True)
    assert "by *tomorrow, Fri 4 Dec*" in tomorrow["blocks"][0]["text"]["text"]
    assert "by *today, Fri 4 Dec*" in today["blocks"][0]["text"]["text"]
    assert view_problems(build_reply_modal(RENDERER, feedback=feedback)) == []
    request_modal = build_request_modal(
        RENDERER, due_date=date(2026, 12, 4), recipients=people * 2, about=LONG
    )
    assert view_problems(request_modal) == []
    assert block_of(request_modal, ids.FEEDBACK_DUE_BLOCK)["element"]["initial_date"] == (
        "2026-12-04"
    )


def test_home_section_at_its_fullest_fits_the_home_tab() -> None:
    asked = [
        FeedbackRequestRecipient(request_id=3, user_id=f"U0P{n:03d}", answered_at=WHEN)
        for n in range(5)
    ] + [FeedbackRequestRecipient(request_id=3, user_id=f"U0Q{n:03d}") for n in range(5)]
    overview = FeedbackHome(
        received=[make_feedback(id=n, values=["x" * 500] * 4) for n in range(5)],
        received_total=12,
        page=1,
        pages=3,
        waiting=[make_request(id=n) for n in range(5)],
        waiting_total=9,
        mine=[MyRequest(request=make_request(id=n), asked=asked) for n in range(5)],
    )
    section = build_feedback_home_section(RENDERER, overview=overview)
    view = build_home(RENDERER, sections=[section], in_team=True)
    assert view_problems(view) == []
    text = json.dumps(section)
    assert ids.HOME_FEEDBACK_PREVIOUS in text and ids.HOME_FEEDBACK_NEXT in text
    assert "Page 2 of 3" in text and "and 4 more" in text
    assert len(section) < 40  # room for the other features' sections


def test_home_section_when_there_is_nothing_yet() -> None:
    overview = FeedbackHome(
        received=[], received_total=0, page=0, pages=1, waiting=[], waiting_total=0, mine=[]
    )
    section = build_feedback_home_section(RENDERER, overview=overview)
    text = json.dumps(section)
    assert "Nothing yet" in text and "None yet" in text
    assert ids.HOME_FEEDBACK_NEXT not in text and "Waiting for your feedback" not in text
