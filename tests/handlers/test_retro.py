"""The retrospective's listeners, in-process: signed requests dispatched through Bolt
(``app.dispatch``), the Slack stand-in behind the Web API. What people see — the modal, the
thread, field errors, the private answers — and what must never happen: a second copy, a vote
too many, a reflection after the close, an unescaped ``<!channel>``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from slack_bolt import App, BoltRequest
from sqlmodel import select

from bot.app import create_app
from bot.core import ids
from bot.retros import usecases
from bot.services import Services
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import Reflection, Retrospective, RetroStatus
from tests.conftest import ANA, BEN, CARA, COACH, NORTH_CHANNEL, OUTSIDER, SIGNING_SECRET
from tests.journeys.steps import newest_view

OPENS = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)  # a Thursday, 14:00 in London
FORGED = "<!channel> come & see <https://evil.example|this>"


class InProcess(SlackSender):
    """The stand-in's Slack, sending each signed request straight into ``app.dispatch``."""

    def __init__(self, app: App, fake: FakeSlack) -> None:
        super().__init__("http://in-process.invalid/slack/events", SIGNING_SECRET, fake)
        self.app = app

    def _send(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        answer = self.app.dispatch(BoltRequest(body=body.decode(), headers=headers))
        text = answer.body or ""
        parsed = json.loads(text) if text.lstrip().startswith("{") else None
        flat = {name: values[0] for name, values in answer.headers.items() if values}
        return Response(answer.status, text, parsed, flat)


@pytest.fixture
def app(services: Services) -> Iterator[App]:
    app = create_app(services)
    yield app
    app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def slack(app: App, fake_slack: FakeSlack) -> Iterator[InProcess]:
    yield InProcess(app, fake_slack)
    fake_slack.wait_quiet(0.2)


@pytest.fixture
def opened(services: Services, fake_slack: FakeSlack) -> Iterator[Retrospective]:
    """North's retrospective, opened at OPENS with every DM sent; the clock stays there."""
    with freeze_time(OPENS, tick=True):
        usecases.open_retrospective(services, team_id="north")
        with services.session() as session:
            retro = session.exec(select(Retrospective)).one()
        yield retro


def dm(fake: FakeSlack, user_id: str) -> Message:
    return fake.wait_for(lambda: fake.dms(user_id))[-1]


def click(
    slack: InProcess,
    fake: FakeSlack,
    container: Any,
    action: str,
    user: str,
    value: str | None = None,
) -> dict:
    before = len(fake.views_opened(user))
    assert slack.click(container, action, user_id=user, value=value).status == 200
    return newest_view(fake, user, before)


def reflect(slack: InProcess, fake: FakeSlack, user: str, **values: Any) -> Response:
    view = click(slack, fake, dm(fake, user), ids.RETRO_REFLECT, user)
    return slack.submit_view(view, user_id=user, values=values)


def board(fake: FakeSlack) -> Message:
    """The retrospective's channel message as it is now."""
    found = fake.message(NORTH_CHANNEL, fake.messages(NORTH_CHANNEL)[0].ts)
    assert found is not None
    return found


def thread(fake: FakeSlack, retro: Retrospective, services: Services) -> str:
    with services.session() as session:
        ts = session.get(Retrospective, retro.id).message_ts  # type: ignore[union-attr]
    return "\n".join(m.all_text for m in fake.messages(NORTH_CHANNEL) if m.thread_ts == ts)


def settled_reflection(slack: InProcess, fake: FakeSlack, user: str, text: str) -> None:
    """Reflect and wait until the thread shows it."""
    answer = reflect(
        slack, fake, user, **{f"{ids.RETRO_WENT_WELL_BLOCK}.{ids.RETRO_TEXT_ACTION}": text}
    )
    assert answer.status == 200 and not answer.body.strip(), answer.body


def test_reflect_opens_the_modal_and_the_reflection_appears_in_the_thread_without_a_name(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    view = click(slack, fake_slack, dm(fake_slack, ANA), ids.RETRO_REFLECT, ANA)
    assert view["callback_id"] == ids.RETRO_REFLECT_MODAL
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:3] == ["What went well?", "What could be better?", "An idea to try"]
    assert labels[3:] == opened.health_questions
    answer = slack.submit_view(
        view,
        user_id=ANA,
        values={
            f"{ids.RETRO_WENT_WELL_BLOCK}.{ids.RETRO_TEXT_ACTION}": FORGED,
            f"{ids.RETRO_IDEA_BLOCK}.{ids.RETRO_TEXT_ACTION}": "Pair visits\nRota two weeks ahead",
            f"retro_health_0.{ids.RETRO_HEALTH_ACTION}": "4",
        },
    )
    assert answer.status == 200 and answer.body.strip() == ""
    shown = fake_slack.wait_for(
        lambda: (t := thread(fake_slack, opened, services)) and "Rota two" in t and t
    )
    assert "&lt;!channel&gt; come &amp; see &lt;https://evil.example|this&gt;" in shown
    assert "<!channel>" not in shown and ANA not in shown
    assert "What went well" in shown and "Ideas to try" in shown


def test_reopening_shows_ones_own_reflection_to_edit_and_a_double_submission_counts_once(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    view = click(slack, fake_slack, dm(fake_slack, BEN), ids.RETRO_REFLECT, BEN)
    values = {f"{ids.RETRO_BETTER_BLOCK}.{ids.RETRO_TEXT_ACTION}": "Late rota"}
    assert slack.submit_view(view, user_id=BEN, values=values).status == 200
    slack.submit_view(view, user_id=BEN, values=values)  # the same submission again
    fake_slack.wait_quiet(0.2)
    with services.session() as session:
        assert [r.text for r in session.exec(select(Reflection))] == ["Late rota"]
    again = click(slack, fake_slack, dm(fake_slack, BEN), ids.RETRO_REFLECT, BEN)
    field = next(b for b in again["blocks"] if b.get("block_id") == ids.RETRO_BETTER_BLOCK)
    assert field["element"]["initial_value"] == "Late rota"


def test_an_empty_or_client_identifying_reflection_is_refused_with_a_field_error(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    empty = reflect(slack, fake_slack, CARA)
    assert empty.json is not None and empty.json["response_action"] == "errors"
    assert "at least one reflection" in empty.json["errors"][ids.RETRO_WENT_WELL_BLOCK]
    client = reflect(
        slack,
        fake_slack,
        CARA,
        **{f"{ids.RETRO_IDEA_BLOCK}.{ids.RETRO_TEXT_ACTION}": "Ring 07700 900123"},
    )
    assert client.json is not None and "phone number" in client.json["errors"][ids.RETRO_IDEA_BLOCK]
    with services.session() as session:
        assert session.exec(select(Reflection)).all() == []


def test_retro_alone_opens_ones_own_and_says_when_the_next_opens_otherwise(
    slack: InProcess, fake_slack: FakeSlack, services: Services
) -> None:
    with freeze_time(OPENS - timedelta(days=3), tick=True):
        answer = slack.command("/retro", "", user_id=ANA, channel_id=NORTH_CHANNEL)
    assert answer.json is not None
    text = json.dumps(answer.json)
    assert "has no retrospective open; the next opens *Thursday 21 May, 14:00*" in text
    assert "`/retro digest`" in text  # the list of commands follows
    with freeze_time(OPENS, tick=True):
        usecases.open_retrospective(services, team_id="north")
        before = len(fake_slack.views_opened(ANA))
        assert slack.command("/retro", "", user_id=ANA, channel_id=NORTH_CHANNEL).status == 200
        view = newest_view(fake_slack, ANA, before)
    assert view["callback_id"] == ids.RETRO_REFLECT_MODAL
    outsider = slack.command("/retro", "", user_id=OUTSIDER, channel_id=NORTH_CHANNEL)
    assert "not in a retrobot team yet" in outsider.body


def test_a_coach_sees_counts_never_reflections(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    settled_reflection(slack, fake_slack, ANA, "Private words of Ana")
    answer = slack.command("/retro", "", user_id=COACH, channel_id=NORTH_CHANNEL)
    assert "1 of 5 reflected" in answer.body and "Private words" not in answer.body
    view = click(slack, fake_slack, board(fake_slack), ids.RETRO_REFLECT, COACH)
    assert view["callback_id"] == ids.RETRO_NOTICE_MODAL
    assert "coaches see counts" in json.dumps(view)


def test_voting_in_the_thread_three_votes_secret_until_the_close(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    for user, text in ((ANA, "A\nB"), (BEN, "C\nD")):
        settled_reflection(slack, fake_slack, user, text)
    fake_slack.wait_quiet(0.2)
    with freeze_time(OPENS + timedelta(days=2), tick=True):
        usecases.close_reflection_now(services, retro_id=opened.id or 0)
    replies = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts]
    went_well = fake_slack.message(NORTH_CHANNEL, replies[0].ts)
    assert went_well is not None
    buttons = [b["accessory"]["value"] for b in went_well.blocks if b.get("accessory")]
    assert len(buttons) == 4
    told = []
    for value in buttons:
        before = len(fake_slack.ephemerals(CARA))
        assert slack.click(went_well, ids.RETRO_VOTE, user_id=CARA, value=value).status == 200
        told.append(
            fake_slack.wait_for(
                lambda b=before: (
                    len(fake_slack.ephemerals(CARA)) > b and fake_slack.ephemerals(CARA)[-1]
                )
            ).all_text
        )
    assert "2 votes left" in told[0] and "last vote" in told[2]
    assert "used your 3 votes" in told[3]
    before = len(fake_slack.ephemerals(CARA))
    slack.click(went_well, ids.RETRO_VOTE, user_id=CARA, value=buttons[0])
    back = fake_slack.wait_for(
        lambda: len(fake_slack.ephemerals(CARA)) > before and fake_slack.ephemerals(CARA)[-1]
    )
    assert "Vote taken back" in back.all_text and "1 vote left" in back.all_text
    fake_slack.wait_quiet(0.2)
    shown = thread(fake_slack, opened, services)
    assert not re.search(r"\*\d+ votes?\*", shown)  # no count before the close

    # The Vote modal moves them; more than three is refused.
    view = click(slack, fake_slack, board(fake_slack), ids.RETRO_OPEN_VOTE, CARA)
    assert view["callback_id"] == ids.RETRO_VOTE_MODAL
    element = next(b for b in view["blocks"] if b.get("block_id") == ids.RETRO_VOTES_BLOCK)[
        "element"
    ]
    assert len(element["initial_options"]) == 2
    too_many = slack.submit_view(view, user_id=CARA, values={ids.RETRO_VOTES_ACTION: buttons})
    assert (
        too_many.json is not None and "at most 3" in too_many.json["errors"][ids.RETRO_VOTES_BLOCK]
    )
    assert (
        slack.submit_view(view, user_id=CARA, values={ids.RETRO_VOTES_ACTION: buttons[:1]}).status
        == 200
    )

    with freeze_time(OPENS + timedelta(days=4), tick=True):
        usecases.close_voting_now(services, retro_id=opened.id or 0)
    before = len(fake_slack.ephemerals(CARA))
    slack.click(went_well, ids.RETRO_VOTE, user_id=CARA, value=buttons[1])
    late = fake_slack.wait_for(
        lambda: len(fake_slack.ephemerals(CARA)) > before and fake_slack.ephemerals(CARA)[-1]
    )
    assert "Voting has closed" in late.all_text
    with services.session() as session:
        assert session.get(Retrospective, opened.id).status == RetroStatus.CLOSED  # type: ignore[union-attr]
        votes = {r.text: r.votes for r in session.exec(select(Reflection))}
    assert votes == {"A": 1, "B": 0, "C": 0, "D": 0}
    fake_slack.wait_quiet(0.2)
    assert "*1 vote*" in thread(fake_slack, opened, services)


def test_reflect_after_the_close_offers_voting_instead(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    settled_reflection(slack, fake_slack, ANA, "Calm handovers")
    view = click(slack, fake_slack, dm(fake_slack, BEN), ids.RETRO_REFLECT, BEN)
    with freeze_time(OPENS + timedelta(days=2), tick=True):
        usecases.close_reflection_now(services, retro_id=opened.id or 0)
    late = slack.submit_view(
        view,
        user_id=BEN,
        values={f"{ids.RETRO_WENT_WELL_BLOCK}.{ids.RETRO_TEXT_ACTION}": "Too late"},
    )
    assert (
        late.json is not None
        and "Reflection has closed" in late.json["errors"][ids.RETRO_WENT_WELL_BLOCK]
    )
    again = click(slack, fake_slack, dm(fake_slack, BEN), ids.RETRO_REFLECT, BEN)
    assert again["callback_id"] == ids.RETRO_VOTE_MODAL


def test_the_app_home_shows_the_open_retrospective(
    slack: InProcess, fake_slack: FakeSlack, services: Services, opened: Retrospective
) -> None:
    slack.app_home_opened(ANA)
    home = fake_slack.wait_for(lambda: fake_slack.home(ANA))
    text = json.dumps(home)
    assert "Retrospective" in text and "reflect by Saturday 23 May, 14:00" in text
    assert ids.RETRO_REFLECT in text


def test_a_database_that_cannot_take_it_keeps_the_modal_open_with_everything_typed(
    slack: InProcess,
    fake_slack: FakeSlack,
    services: Services,
    opened: Retrospective,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.retros import service

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE ... 'My private words'", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "save_reflection", locked)
    answer = reflect(
        slack,
        fake_slack,
        ANA,
        **{f"{ids.RETRO_WENT_WELL_BLOCK}.{ids.RETRO_TEXT_ACTION}": "My private words"},
    )
    assert answer.json is not None and answer.json["response_action"] == "errors"
    assert "couldn't be saved just now" in answer.json["errors"][ids.RETRO_WENT_WELL_BLOCK]
    assert "My private words" not in caplog.text
