"""Exactly once under retries and double clicks (issue 8, item 2), over real HTTP.

Slack redelivers an event when our ack seems slow, with ``X-Slack-Retry-Num`` and
``X-Slack-Retry-Reason``: every event type retrobot subscribes to (bot/manifest.py) must take
effect once however many copies arrive, whether they come one after the other, while the first
is still at work (Slack made slow), or at the same instant. A button clicked twice and a modal
submitted twice at the same moment (a double click) record once too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from slack_bolt import App
from sqlmodel import select

import bot.standin  # noqa: F401  (imported before time is frozen, as its clock must stay real)
from bot.app import create_app
from bot.checkins import usecases as checkins
from bot.checkins.service import _prompt
from bot.core import ids
from bot.manifest import BOT_EVENTS
from bot.server import LocalServer, make_wsgi_app
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import (
    CheckinResponse,
    Feedback,
    ProcessedEvent,
    PromptStatus,
    Tension,
    TensionStatus,
)
from tests.conftest import ANA, BEN, CARA, DEV, SIGNING_SECRET
from tests.journeys.tactical_steps import (
    MEETING_AT,
    open_triage,
    seed_tensions,
    tactical,
    the_agenda,
)

T = TypeVar("T")
SLOW = 4.0  # seconds the stand-in holds a call, so that a redelivery lands in the middle
ACK_WITHIN = 3.0  # Slack's limit for an ack


# --- the app, with a handle on its listeners ---------------------------------------------------


@dataclass
class Served:
    app: App
    slack: SlackSender

    def settle(self) -> None:
        """Wait for every listener still at work after its ack; the app takes no more requests."""
        self.app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def served(services: Services, fake_slack: FakeSlack) -> Iterator[Served]:
    app = create_app(services)
    with LocalServer(make_wsgi_app(app, services)) as server:
        yield Served(app, SlackSender(f"{server.url}/slack/events", SIGNING_SECRET, fake_slack))
    app.listener_runner.listener_executor.shutdown(wait=True)


class Arrivals:
    """Counts the Web API calls that reached the stand-in, from the moment they arrive.

    The stand-in records a call once it has answered it; a call it is holding (``delay``) is
    seen here already, so a test knows the app is in the middle of it.
    """

    def __init__(self, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
        self._lock = threading.Lock()
        self._methods: list[str] = []
        original = fake._handle_api

        def handle(method: str, query: str, body: bytes, headers: Any) -> Any:
            with self._lock:
                self._methods.append(method)
            return original(method, query, body, headers)

        monkeypatch.setattr(fake, "_handle_api", handle)

    def count(self, method: str) -> int:
        with self._lock:
            return self._methods.count(method)


@pytest.fixture
def arrivals(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Arrivals:
    return Arrivals(fake_slack, monkeypatch)


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Run the calls in threads released together; their results in order (errors re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def post_payload(slack: SlackSender, payload: dict[str, Any]) -> Response:
    """Send one interactivity payload, signed, as Slack does."""
    return slack._post_payload(payload)


def error_dms(fake: FakeSlack) -> list[str]:
    """Every DM that tells someone their action did not go through."""
    return [
        m.all_text
        for m in fake.messages()
        if m.channel.startswith("D") and "something went wrong" in m.all_text
    ]


# --- events: one case per event type retrobot subscribes to ---------------------------------


@dataclass(frozen=True)
class EventCase:
    """How Slack delivers one event type, which Slack call carries its effect, and a count."""

    deliver: Callable[[SlackSender, str, int | None], Response]
    slow_method: str
    effects: Callable[[FakeSlack], int]


def _app_home_opened(slack: SlackSender, event_id: str, retry: int | None) -> Response:
    event = {
        "type": "app_home_opened",
        "user": ANA,
        "channel": slack.fake.dm_channel(ANA),
        "tab": "home",
    }
    return slack.event(event, event_id=event_id, retry_num=retry)


def _homes_published(fake: FakeSlack) -> int:
    return sum(c.args.get("user_id") == ANA for c in fake.calls_to("views.publish"))


EVENT_CASES = {
    "app_home_opened": EventCase(_app_home_opened, "views.publish", _homes_published),
}


def test_every_event_type_retrobot_subscribes_to_has_a_redelivery_case() -> None:
    assert sorted(EVENT_CASES) == sorted(BOT_EVENTS)


def processed(services: Services, event_id: str) -> int:
    with services.session() as session:
        return len(
            session.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == event_id)).all()
        )


@pytest.mark.parametrize("event_type", sorted(EVENT_CASES))
def test_three_deliveries_of_each_event_type_take_effect_once(
    event_type: str, served: Served, fake_slack: FakeSlack, services: Services
) -> None:
    case = EVENT_CASES[event_type]
    answers = [case.deliver(served.slack, "Ev0REDELIVER1", retry) for retry in (None, 1, 2)]
    assert [a.status for a in answers] == [200, 200, 200]
    fake_slack.wait_for(lambda: case.effects(fake_slack) >= 1)
    # Another event of the same type is no retry: it takes effect.
    assert case.deliver(served.slack, "Ev0REDELIVER2", None).status == 200
    fake_slack.wait_for(lambda: case.effects(fake_slack) >= 2)
    served.settle()
    assert case.effects(fake_slack) == 2
    assert processed(services, "Ev0REDELIVER1") == 1
    assert error_dms(fake_slack) == []


@pytest.mark.parametrize("event_type", sorted(EVENT_CASES))
def test_a_redelivery_while_the_first_is_still_at_work_takes_effect_once(
    event_type: str,
    served: Served,
    fake_slack: FakeSlack,
    arrivals: Arrivals,
    services: Services,
) -> None:
    case = EVENT_CASES[event_type]
    fake_slack.delay(case.slow_method, SLOW)
    assert case.deliver(served.slack, "Ev0SLOW1", None).status == 200
    # The first delivery's Slack call has reached Slack, which is holding it: still at work.
    fake_slack.wait_for(lambda: arrivals.count(case.slow_method) == 1)
    retries = at_once(
        lambda: case.deliver(served.slack, "Ev0SLOW1", 1),
        lambda: case.deliver(served.slack, "Ev0SLOW1", 2),
    )
    acked = datetime.now(UTC).timestamp()
    assert [r.status for r in retries] == [200, 200]
    assert all(r.elapsed < ACK_WITHIN for r in retries)  # acked at once, not after the first
    finished = fake_slack.wait_for(lambda: fake_slack.calls_to(case.slow_method), timeout=30)
    assert acked <= finished[0].at  # the retries were answered before the first was done
    served.settle()
    assert arrivals.count(case.slow_method) == 1
    assert case.effects(fake_slack) == 1
    assert processed(services, "Ev0SLOW1") == 1


@pytest.mark.parametrize("event_type", sorted(EVENT_CASES))
def test_three_deliveries_at_the_same_instant_take_effect_once(
    event_type: str, served: Served, fake_slack: FakeSlack, services: Services
) -> None:
    case = EVENT_CASES[event_type]
    answers = at_once(
        *(
            (lambda retry=retry: case.deliver(served.slack, "Ev0RACE1", retry))
            for retry in (None, 1, 2)
        )
    )
    assert [a.status for a in answers] == [200, 200, 200]
    fake_slack.wait_for(lambda: case.effects(fake_slack) >= 1)
    served.settle()
    assert case.effects(fake_slack) == 1
    assert processed(services, "Ev0RACE1") == 1
    assert error_dms(fake_slack) == []


# --- double clicks ----------------------------------------------------------------------------

CHECKIN_OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def checkin_round(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """North's round, open on Monday 1 June 2026: every member has their check-in DM."""
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))
    services.clock = lambda: CHECKIN_OPENS
    checkins.send_round(services, team_id="north")


def new_view(fake: FakeSlack, user: str, before: int) -> dict[str, Any]:
    return fake.wait_for(
        lambda: fake.views_opened(user)[-1] if len(fake.views_opened(user)) > before else None
    )


def test_a_check_in_submitted_twice_at_once_is_stored_once(
    served: Served, fake_slack: FakeSlack, services: Services, checkin_round: None
) -> None:
    slack = served.slack
    [dm] = fake_slack.dms(ANA)
    before = len(fake_slack.views_opened(ANA))
    assert slack.click(dm, ids.CHECKIN_OPEN, user_id=ANA).status == 200
    view = new_view(fake_slack, ANA, before)
    values = {
        ids.CHECKIN_MOOD_ACTION: "4",
        ids.CHECKIN_NOTE_ACTION: "Rested and ready",
        ids.CHECKIN_TENSION_ACTION: "Handovers run late on Fridays",
    }
    # A double click: two submissions of the same modal, each with its own trigger.
    payloads = [slack.build_view_submission(view, user_id=ANA, values=values) for _ in range(2)]
    answers = at_once(*(lambda p=p: post_payload(slack, p) for p in payloads))
    assert [a.status for a in answers] == [200, 200]
    assert all(not a.body.strip() for a in answers), [a.body for a in answers]
    served.settle()

    with services.session() as session:
        stored = session.exec(select(CheckinResponse)).all()
        tensions = session.exec(select(Tension)).all()
    assert [(r.user_id, r.mood, r.note) for r in stored] == [(ANA, 4, "Rested and ready")]
    assert [t.text for t in tensions] == ["Handovers run late on Fridays"]
    with services.session() as session:
        prompt = _prompt(session, round_id=stored[0].round_id, user_id=ANA)
    assert prompt is not None and prompt.status == PromptStatus.ANSWERED
    assert len(fake_slack.dms(ANA)) == 1  # the check-in DM, redrawn; nothing more
    assert error_dms(fake_slack) == []


def test_a_triage_submitted_twice_at_once_records_one_outcome_and_tells_people_once(
    served: Served, fake_slack: FakeSlack, services: Services
) -> None:
    from freezegun import freeze_time

    slack = served.slack
    with freeze_time(MEETING_AT + timedelta(minutes=5), tick=True):
        [tension_id] = seed_tensions(services, ["Friday handovers run late"])
        tactical(slack, fake_slack, CARA)
        agenda = the_agenda(fake_slack)
        view = open_triage(slack, fake_slack, DEV, agenda, tension_id)
        owner_dms, raiser_dms = len(fake_slack.dms(CARA)), len(fake_slack.dms(ANA))
        values = {
            ids.TRIAGE_OUTCOME_ACTION: "next_action",
            ids.TRIAGE_OWNER_ACTION: CARA,
            ids.TRIAGE_NOTE_ACTION: "Cara drafts a checklist",
        }
        payloads = [slack.build_view_submission(view, user_id=DEV, values=values) for _ in (1, 2)]
        answers = at_once(*(lambda p=p: post_payload(slack, p) for p in payloads))
        assert [a.status for a in answers] == [200, 200]
        # One is accepted; the other, if it came second, is told the tension is already triaged
        # (Slack has closed the modal by then, so nobody sees it).
        assert sum(not a.body.strip() for a in answers) >= 1
        for answer in answers:
            assert not answer.body.strip() or (
                answer.json is not None and answer.json.get("response_action") == "errors"
            )
        served.settle()

    with services.session() as session:
        tension = session.get(Tension, tension_id)
    assert tension is not None
    assert (tension.status, tension.owner, tension.triaged_by) == (
        TensionStatus.TRIAGED,
        CARA,
        DEV,
    )
    assert len(fake_slack.dms(CARA)) == owner_dms + 1  # the owner is told once
    assert len(fake_slack.dms(ANA)) == raiser_dms + 1  # the raiser is asked once
    assert error_dms(fake_slack) == []


def test_feedback_given_twice_at_once_and_thanked_twice_at_once_counts_once(
    served: Served, fake_slack: FakeSlack, services: Services
) -> None:
    slack = served.slack
    before = len(fake_slack.views_opened(ANA))
    assert slack.command(ids.FEEDBACK_COMMAND, "", user_id=ANA).status == 200
    view = new_view(fake_slack, ANA, before)
    values = {ids.FEEDBACK_RECEIVERS_ACTION: [BEN], ids.FEEDBACK_TEXT_ACTION: "Great cover"}
    payloads = [slack.build_view_submission(view, user_id=ANA, values=values) for _ in (1, 2)]
    answers = at_once(*(lambda p=p: post_payload(slack, p) for p in payloads))
    assert [a.status for a in answers] == [200, 200]
    assert all(not a.body.strip() for a in answers), [a.body for a in answers]
    [received] = fake_slack.wait_for(lambda: fake_slack.dms(BEN))
    confirmations = fake_slack.wait_for(lambda: fake_slack.dms(ANA))

    # Ben double-clicks Thanks: two clicks, each with its own trigger.
    clicks = [slack.build_block_actions(received, ids.FEEDBACK_THANKS, user_id=BEN) for _ in (1, 2)]
    answers = at_once(*(lambda c=c: post_payload(slack, c) for c in clicks))
    assert [a.status for a in answers] == [200, 200]
    fake_slack.wait_for(lambda: len(fake_slack.dms(ANA)) > len(confirmations))
    served.settle()

    with services.session() as session:
        stored = session.exec(select(Feedback)).all()
    assert [(f.giver, f.receiver, f.text) for f in stored] == [(ANA, BEN, "Great cover")]
    assert stored[0].thanked_at is not None
    assert len(fake_slack.dms(BEN)) == 1  # delivered once
    thanked = [m for m in fake_slack.dms(ANA) if "thanked you" in m.all_text]
    assert len(thanked) == 1  # Ana is told once
    assert len(fake_slack.dms(ANA)) == len(confirmations) + 1
    assert json.dumps(error_dms(fake_slack)) == "[]"
