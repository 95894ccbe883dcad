"""Setting one's working time on the App Home: the section, the modal and its kind field
errors (which keep every choice), storing once, clearing; someone in no team is told so.

Signed requests to the real app, dispatched in-process; every view is checked against Block
Kit's limits (the fake_slack fixture fails the test on any breach).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import PatternKind, ShiftHold, WorkingPattern
from tests.conftest import ANA, COACH, OUTSIDER, SHARED
from tests.handlers.decision_steps import Clock, field_errors
from tests.journeys.steps import click_for_view, element, homes_published, open_home


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def section_text(home: dict[str, Any]) -> str:
    """The words of the Home's "Your working time" section."""
    blocks = home["blocks"]
    start = next(
        i
        for i, b in enumerate(blocks)
        if b["type"] == "header" and "working time" in b["text"]["text"]
    )
    texts = []
    for block in blocks[start + 1 :]:
        if block["type"] in ("divider", "header"):
            break
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [e["text"] for e in block["elements"]]
    return "\n".join(texts)


def open_modal(slack: SlackSender, fake: FakeSlack, user: str) -> dict[str, Any]:
    home = open_home(slack, fake, user)
    return click_for_view(slack, fake, home, ids.HOME_SET_PATTERN, user)


def patterns(services: Services) -> list[WorkingPattern]:
    with services.session() as session:
        return list(session.exec(select(WorkingPattern).order_by(WorkingPattern.team_id)))


def submit(slack: SlackSender, fake: FakeSlack, view: dict[str, Any], user: str, **values: Any):
    fields = {
        ids.PATTERN_KIND_ACTION: values.get("kind", "nights"),
        ids.PATTERN_DAYS_ACTION: values.get("days", ["0", "1", "2", "3"]),
        ids.PATTERN_STARTS_ACTION: values.get("starts", "20:00"),
        ids.PATTERN_ENDS_ACTION: values.get("ends", "08:00"),
    }
    before = homes_published(fake, user)
    answer = slack.submit_view(view, user_id=user, values=fields)
    assert answer.status == 200
    errors = field_errors(answer)
    if not errors:
        fake.wait_for(lambda: homes_published(fake, user) > before)
    return errors


def test_a_member_sets_nights_and_the_home_says_so(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    home = open_home(slack, fake_slack, SHARED)
    assert "No working time set" in section_text(home)

    view = click_for_view(slack, fake_slack, home, ids.HOME_SET_PATTERN, SHARED)
    assert view["callback_id"] == ids.PATTERN_MODAL
    assert "Europe/London" in view["blocks"][0]["text"]["text"]
    kind = element(view, ids.PATTERN_KIND_BLOCK)
    assert [o["text"]["text"] for o in kind["options"]] == [
        "Working days and hours",
        "Nights",
        "Part-time: these days",
    ]
    assert kind["initial_option"]["value"] == "days"
    assert [o["value"] for o in element(view, ids.PATTERN_DAYS_BLOCK)["initial_options"]] == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]
    assert element(view, ids.PATTERN_STARTS_BLOCK)["initial_time"] == "08:00"

    assert submit(slack, fake_slack, view, SHARED) == {}

    # Shay is in North and South: one pattern, kept in each team's rows alike.
    stored = patterns(services)
    assert [(p.team_id, p.kind, p.days, p.starts, p.ends) for p in stored] == [
        ("north", PatternKind.NIGHTS, [0, 1, 2, 3], "20:00", "08:00"),
        ("south", PatternKind.NIGHTS, [0, 1, 2, 3], "20:00", "08:00"),
    ]
    text = section_text(fake_slack.home(SHARED) or {})
    assert "You work *nights starting Mon, Tue, Wed, Thu, 20:00 to 08:00 the next morning*" in text
    assert "(Europe/London)" in text

    again = click_for_view(slack, fake_slack, fake_slack.home(SHARED), ids.HOME_SET_PATTERN, SHARED)
    assert element(again, ids.PATTERN_KIND_BLOCK)["initial_option"]["value"] == "nights"
    assert element(again, ids.PATTERN_ENDS_BLOCK)["initial_time"] == "08:00"


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        ({"days": []}, ids.PATTERN_DAYS_BLOCK, "Tick at least one day you work"),
        (
            {"kind": "days", "starts": "17:00", "ends": "09:00"},
            ids.PATTERN_ENDS_BLOCK,
            "Your hours end before they start. Working past midnight? Choose Nights.",
        ),
        (
            {"kind": "nights", "starts": "08:00", "ends": "20:00"},
            ids.PATTERN_ENDS_BLOCK,
            "A night ends the next morning",
        ),
        ({"starts": "20:00", "ends": "20:00"}, ids.PATTERN_ENDS_BLOCK, "no working time"),
        ({"starts": None}, ids.PATTERN_STARTS_BLOCK, "Pick the time your work starts."),
    ],
)
def test_a_pattern_with_no_working_time_gets_a_kind_field_error(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: Clock,
    values: dict[str, Any],
    block: str,
    words: str,
) -> None:
    view = open_modal(slack, fake_slack, ANA)

    errors = submit(slack, fake_slack, view, ANA, **values)

    assert list(errors) == [block] and words in errors[block]
    assert patterns(services) == []  # nothing stored; the modal stays open, as chosen


def test_the_same_modal_submitted_twice_is_stored_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_modal(slack, fake_slack, ANA)
    part_time = {"kind": "part_time", "days": ["1", "3"], "starts": None, "ends": None}
    assert submit(slack, fake_slack, view, ANA, **part_time) == {}
    assert submit(slack, fake_slack, view, ANA, **part_time) == {}

    [stored] = patterns(services)  # Ana is in North alone
    assert (stored.kind, stored.days, stored.starts, stored.ends) == (
        PatternKind.PART_TIME,
        [1, 3],
        "08:00",  # part-time with no hours picked: the usual day
        "18:00",
    )
    text = section_text(fake_slack.home(ANA) or {})
    assert "You work *part-time on Tue, Thu, 08:00 to 18:00*" in text


def test_clearing_forgets_the_pattern_and_what_it_held(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_modal(slack, fake_slack, ANA)
    assert (
        submit(slack, fake_slack, view, ANA, kind="days", days=["5"], starts="08:00", ends="16:00")
        == {}
    )
    with services.session() as session:
        session.add(
            ShiftHold(
                kind="checkin",
                ref_id=1,
                user_id=ANA,
                team_id="north",
                send_at=clock.now + timedelta(days=5),
                deadline=clock.now + timedelta(days=6),
                reason="pattern",
                decided_at=clock.now,
            )
        )
        session.commit()
    home = open_home(slack, fake_slack, ANA)
    text = section_text(home)
    assert "You work *Sat, 08:00 to 16:00*" in text
    assert "1 message waiting for your working time (the first Saturday at 10:00)" in text

    before = homes_published(fake_slack, ANA)
    assert slack.click(home, ids.HOME_CLEAR_PATTERN, user_id=ANA).status == 200
    fake_slack.wait_for(lambda: homes_published(fake_slack, ANA) > before)

    assert patterns(services) == []
    with services.session() as session:
        assert list(session.exec(select(ShiftHold))) == []
    assert "No working time set" in section_text(fake_slack.home(ANA) or {})


def test_a_coach_or_someone_in_no_team_has_no_working_time_to_set(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    home = open_home(slack, fake_slack, COACH)
    assert not any(
        b["type"] == "header" and "working time" in b["text"]["text"] for b in home["blocks"]
    )
    # A button left on an old Home (or forged) is answered kindly, to the clicker only.
    fake_home = {
        "type": "home",
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.HOME_SET_PATTERN,
                        "text": {"type": "plain_text", "text": "x"},
                    }
                ],
            }
        ],
    }
    before = len(fake_slack.views_opened(OUTSIDER))
    slack.click(fake_home, ids.HOME_SET_PATTERN, user_id=OUTSIDER)
    notice = fake_slack.wait_for(
        lambda: fake_slack.views_opened(OUTSIDER)[before:] and fake_slack.views_opened(OUTSIDER)[-1]
    )
    assert "not in a retrobot team" in notice["blocks"][0]["text"]["text"]
    assert patterns(services) == []


def test_the_modal_stays_open_when_the_database_cannot_take_it(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.shifts import service

    view = open_modal(slack, fake_slack, ANA)

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("UPDATE working_pattern", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "save_pattern", busy)
    errors = submit(slack, fake_slack, view, ANA)

    assert "Couldn't save just now" in errors[ids.PATTERN_KIND_BLOCK]
