"""An organisation-wide question: a proposal that asks 500 people for advice reaches each of
them once, at the pace the app is told — also when the process stopped in the middle of asking,
with some DMs out and some claims left in doubt."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select, update

from bot.core.config import AppConfig, parse_config
from bot.decisions import asks, checks, service, usecases
from bot.services import Services
from bot.slack import outbox, pacing
from bot.slack.pacing import Pace, RealClock
from bot.standin.web_api import FakeSlack
from storage.models import Advice, AskStatus
from tests.conftest import ANA, TEST_APP_YAML

pytestmark = pytest.mark.usefixtures("fast_pace")  # Slack's pace, not its real wait

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
EVERYONE = [f"U0E{i:04d}" for i in range(500)]


@pytest.fixture
def config() -> AppConfig:
    """The test organisation, with a team of 500 whose people a proposal may all ask."""
    return parse_config(
        TEST_APP_YAML
        + f"""
  - id: everyone
    name: Everyone
    channel: C0EVERY
    members: [{", ".join(EVERYONE)}]
""",
        source="test-app.yaml",
    )


def ask_everyone(services: Services) -> int:
    draft = checks.check_proposal(
        config=services.config,
        user_id=ANA,
        team_id="north",
        text="One shared referral form for every team",
        why="",
        method="advice",
        people=[],
        teams=["everyone"],
        decide_by="2026-06-15",
        values=[],
        review_date=None,
        accounts={},
        now=NOW,
    )
    with services.session() as session:
        proposal = service.create_proposal(
            session, config=services.config, user_id=ANA, draft=draft, now=NOW
        )
        assert proposal is not None
        return proposal.id or 0


def test_five_hundred_people_are_each_asked_once_even_after_a_crash(
    services: Services, fake_slack: FakeSlack
) -> None:
    for person in EVERYONE:
        fake_slack.add_user(person, name=person)
    pid = ask_everyone(services)
    with services.session() as session:
        rows = list(
            session.exec(select(Advice).where(Advice.proposal_id == pid).order_by(Advice.id))
        )
    assert len(rows) == 500
    # The process stopped while asking: the first 100 were asked, the next 50 claimed (30 of
    # them posted, Slack's answer lost), the rest still to send.
    payload = {"text": "An earlier ask"}
    for row in rows[:130]:
        sent = services.client.chat_postMessage(
            channel=row.user_id,
            **payload,
            metadata={
                "event_type": "retrobot_decision_ask",
                "event_payload": {"kind": "advice", "row_id": row.id, "version": 1},
            },
        )
        if row in rows[:100]:
            with services.session() as session:
                session.exec(
                    update(Advice)
                    .where(Advice.id == row.id)
                    .values(status=AskStatus.SENT, dm_channel=sent["channel"], dm_ts=sent["ts"])
                )
                session.commit()
    with services.session() as session:
        session.exec(
            update(Advice)
            .where(Advice.id.in_([r.id for r in rows[100:150]]))  # type: ignore[union-attr]
            .values(status=AskStatus.SENDING, claimed_at=NOW)
        )
        session.commit()

    report = usecases.run_decision_jobs(services, now=NOW + timedelta(minutes=5))
    usecases.run_decision_jobs(services, now=NOW + timedelta(minutes=10))  # nothing left

    assert report.asked == 400  # 30 found in Slack, 370 posted
    for person in EVERYONE:
        assert len(fake_slack.dms(person)) == 1, person
    with services.session() as session:
        statuses = set(session.exec(select(Advice.status).where(Advice.proposal_id == pid)))
    assert statuses == {AskStatus.SENT}


class Killed(BaseException):
    """The process stopped (kill -9) before it wrote down what Slack had answered."""


def test_the_asks_go_at_the_pace_the_app_is_told_and_slack_refuses_none(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person in EVERYONE:
        fake_slack.add_user(person, name=person)
    fake_slack.rate_limit("chat.postMessage", per_second=200, burst=10)
    monkeypatch.setattr(pacing, "PACE", Pace(200, 1))
    pid = ask_everyone(services)

    started = RealClock.monotonic()
    report = usecases.run_decision_jobs(services, now=NOW)
    elapsed = RealClock.monotonic() - started

    assert report.asked == 500
    assert elapsed >= 499 / 200  # never faster than the pace
    assert [c.error for c in fake_slack.calls_to("chat.postMessage") if not c.ok] == []
    for person in EVERYONE:
        assert len(fake_slack.dms(person)) == 1, person
    assert statuses(services, pid) == {AskStatus.SENT}


def test_killed_before_it_recorded_what_slack_answered_each_person_is_still_asked_once(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for person in EVERYONE:
        fake_slack.add_user(person, name=person)
    pid = ask_everyone(services)

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(asks, "record_asks", killed)
        with pytest.raises(Killed):
            usecases.run_decision_jobs(services, now=NOW)
        fake_slack.wait_quiet(0.3)  # the posts already in flight land
    left = statuses_counted(services, pid)
    assert left[AskStatus.SENDING] > 0 and left[AskStatus.PENDING] > 0  # in doubt, and unsent
    assert left[AskStatus.SENDING] <= outbox.CLAIM_BATCH * 4  # claimed just ahead, not 100s

    # As the app resumes: the scheduler's job at start, then its next tick (claims in doubt).
    usecases.run_decision_jobs(services, now=NOW + timedelta(seconds=30))
    usecases.run_decision_jobs(services, now=NOW + timedelta(minutes=5))

    for person in EVERYONE:
        assert len(fake_slack.dms(person)) == 1, person
    assert statuses(services, pid) == {AskStatus.SENT}


def statuses(services: Services, proposal_id: int) -> set[AskStatus]:
    with services.session() as session:
        return set(session.exec(select(Advice.status).where(Advice.proposal_id == proposal_id)))


def statuses_counted(services: Services, proposal_id: int) -> Counter[AskStatus]:
    with services.session() as session:
        return Counter(session.exec(select(Advice.status).where(Advice.proposal_id == proposal_id)))
