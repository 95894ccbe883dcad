"""Summaries and digests an earlier run left unconfirmed are looked for in Slack, never lost and
never doubled (issue 8: "every coach digested exactly once").

A run that stopped after posting (or whose post got no answer) leaves its claim pending. Once
the claim is older than IN_DOUBT_AFTER (at once, after a timeout) the next run looks for the
message in the channel or DM by its metadata: found, it is recorded and what never followed it
(the thread, the chart) is sent; not there, it is sent; when Slack cannot say, it stays in doubt
— shown by `retrobot status`, never sent blind — and the next run looks again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

from bot.data.status import delivery_report, format_report
from bot.digests import delivery, ledger
from bot.digests.model import DeliveryOutcome
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.jobs.scheduler import Scheduler
from bot.services import Services
from bot.slack.outbox import IN_DOUBT_AFTER
from bot.standin.web_api import FakeSlack, Message
from storage import claims
from storage.locks import LeaseLock
from storage.models import DeliveryStatus, DigestKind
from tests.conftest import COACH, NORTH_CHANNEL
from tests.journeys.test_digests import NOW, WEEK, deliveries, week_data  # noqa: F401

LATER = NOW + IN_DOUBT_AFTER + timedelta(minutes=1)


class Stopped(BaseException):
    """The process stops here (as kill -9 would: nothing after it runs)."""


def stop_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def stop(*args: object, **kwargs: object) -> None:
        raise Stopped(name)

    monkeypatch.setattr(ledger, name, stop)


def roots(fake: FakeSlack) -> list[Message]:
    return [m for m in fake.messages(NORTH_CHANNEL) if m.thread_ts is None]


def digest_dms(fake: FakeSlack) -> list[Message]:
    return [m for m in fake.dms(COACH) if m.text]


def status_text(services: Services) -> str:
    with services.session() as session:
        return format_report(delivery_report(session, now=LATER))


def test_a_summary_posted_by_a_run_that_stopped_is_found_and_its_thread_follows(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop_at(monkeypatch, "_keep_ts")  # the headline went; the run stopped before noting it
    with pytest.raises(Stopped):
        send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    monkeypatch.undo()
    [headline] = fake_slack.messages(NORTH_CHANNEL)
    assert headline.metadata == {
        "event_type": "retrobot_digest",
        "event_payload": {
            "kind": "team_summary",
            "week": WEEK,
            "recipient": NORTH_CHANNEL,
            "teams": "north",
        },
    }
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.PENDING, None)

    # At once, the claim may be another run's still at work: left alone.
    assert (
        send_team_summary(services, team_id="north", week=WEEK, now=NOW).outcome
        is DeliveryOutcome.IN_PROGRESS
    )
    assert fake_slack.calls_to("conversations.history") == []

    found = send_team_summary(services, team_id="north", week=WEEK, now=LATER)
    assert found.outcome is DeliveryOutcome.FOUND and found.ok
    assert roots(fake_slack) == [headline]  # never posted twice
    thread = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts == headline.ts]
    assert thread and found.messages == len(thread)  # the details never sent before, now
    [chart] = fake_slack.files()
    assert chart.thread_ts == headline.ts
    [row] = deliveries(services)
    assert (row.status, row.message_ts, row.error) == (DeliveryStatus.SENT, headline.ts, None)
    assert "checked in" in row.body
    words = services.renderer.plain("summary.report", r=found, team_name="North")
    assert f"was found in #{NORTH_CHANNEL}" in words and "never sent twice" in words

    again = send_team_summary(services, team_id="north", week=WEEK, now=LATER)
    assert again.outcome is DeliveryOutcome.ALREADY_SENT
    assert len(fake_slack.messages(NORTH_CHANNEL)) == 1 + len(thread)
    assert len(fake_slack.files()) == 1


def test_a_digest_stopped_after_its_first_message_gets_the_rest_once_without_a_second_dm(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop_at(monkeypatch, "_post_rest")  # the digest's first message went, and its ts was kept
    with pytest.raises(Stopped):
        send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    monkeypatch.undo()
    [dm] = digest_dms(fake_slack)
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.PENDING, dm.ts)
    assert fake_slack.files() == []

    found = send_coach_digest(services, coach_id=COACH, week=WEEK, now=LATER)
    assert (found.outcome, found.found) == (DeliveryOutcome.FOUND, ["north"])
    # Its ts says it went: it is not looked for, only what follows it (one read of the DM).
    assert len(fake_slack.calls_to("conversations.history")) == 1
    assert digest_dms(fake_slack) == [dm]
    [chart] = fake_slack.files()  # the chart it never got, now, once
    assert chart.channel == dm.channel
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.SENT, dm.ts)

    assert send_coach_digest(services, coach_id=COACH, week=WEEK, now=LATER).outcome is (
        DeliveryOutcome.ALREADY_SENT
    )
    assert digest_dms(fake_slack) == [dm] and len(fake_slack.files()) == 1


def test_a_digest_slack_cannot_check_stays_in_doubt_until_it_can(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop_at(monkeypatch, "_keep_ts")
    with pytest.raises(Stopped):
        send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    monkeypatch.undo()
    [dm] = digest_dms(fake_slack)

    # Installed without im:history, retrobot cannot read the coach's DM: it does not send blind.
    granted = fake_slack.scopes
    fake_slack.scopes = tuple(scope for scope in granted if scope != "im:history")
    for _ in range(2):  # each run looks again; none sends
        doubt = send_coach_digest(services, coach_id=COACH, week=WEEK, now=LATER)
        assert (doubt.outcome, doubt.in_doubt, doubt.error) == (
            DeliveryOutcome.IN_DOUBT,
            ["north"],
            "in_doubt:missing_scope",
        )
        assert not doubt.ok  # `retrobot digest --send` exits 1: a person should look
        assert digest_dms(fake_slack) == [dm]
    [row] = deliveries(services)
    assert (row.status, row.error) == (DeliveryStatus.PENDING, "in_doubt:missing_scope")
    words = services.renderer.plain("digest.report", r=doubt, team_name="North")
    assert "could not say whether it did (in_doubt:missing_scope)" in words
    shown = status_text(services)
    assert "in_doubt:missing_scope" in shown and COACH in shown

    fake_slack.scopes = granted  # the app reinstalled with the scope: the next run finds it
    found = send_coach_digest(services, coach_id=COACH, week=WEEK, now=LATER)
    assert found.outcome is DeliveryOutcome.FOUND
    assert digest_dms(fake_slack) == [dm]
    [row] = deliveries(services)
    assert (row.status, row.message_ts, row.error) == (DeliveryStatus.SENT, dm.ts, None)
    assert "in_doubt" not in status_text(services)


def test_a_summary_that_never_arrived_is_sent_once_by_one_of_many_runs(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
) -> None:
    # A run claimed the summary and stopped before it reached Slack.
    with services.session() as session:
        claims.claim_delivery(
            session,
            kind=DigestKind.TEAM_SUMMARY,
            recipient=NORTH_CHANNEL,
            team_id="north",
            iso_week=WEEK,
            now=NOW,
        )
    barrier = threading.Barrier(4)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(send_team_summary(services, team_id="north", week=WEEK, now=LATER))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = [r.outcome for r in reports]
    assert outcomes.count(DeliveryOutcome.SENT) == 1, outcomes  # one took it over, and sent it
    assert set(outcomes) <= {DeliveryOutcome.SENT, DeliveryOutcome.IN_PROGRESS}
    assert len(roots(fake_slack)) == 1
    assert len(fake_slack.calls_to("conversations.history")) == 1  # looked for once, not there
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.SENT, roots(fake_slack)[0].ts)


# --- finished by the scheduler's catch-up after a restart, exactly once (issue 15, item 10) -----


@pytest.fixture
def scheduler(services: Services) -> Iterator[Scheduler]:
    """A scheduler on the test services whose jobs the test runs by hand (a restart's)."""
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="restarted"))
    yield scheduler
    scheduler.stop()


def summaries(fake: FakeSlack) -> list[Message]:
    """The summary headlines in North's channel (the catch-up may post its agenda there too)."""
    return [m for m in roots(fake) if (m.metadata or {}).get("event_type") == ledger.METADATA_TYPE]


def thread_texts(fake: FakeSlack, ts: str) -> list[str]:
    return [m.all_text for m in fake.messages(NORTH_CHANNEL) if m.thread_ts == ts]


def stop_in_delivery(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Make the run stop (as kill -9 would) at ``where``: a function of the ledger's or the
    delivery's, between the summary's steps."""
    module = delivery if where == "_upload_chart" else ledger

    def stop(*args: object, **kwargs: object) -> None:
        raise Stopped(where)

    monkeypatch.setattr(module, where, stop)


@pytest.mark.parametrize(
    "where",
    [
        "_post_rest",  # the headline went; nothing of its thread
        "_upload_chart",  # the headline and its thread went; not the chart
        "_record",  # everything went; nothing was recorded sent
    ],
)
def test_a_summary_stopped_mid_send_is_finished_once_by_the_catch_up_after_a_restart(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    scheduler: Scheduler,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    stop_in_delivery(monkeypatch, where)
    with pytest.raises(Stopped):
        send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    monkeypatch.undo()
    [headline] = summaries(fake_slack)
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.PENDING, headline.ts)

    with freeze_time(LATER):  # the process restarts; its scheduler catches up (twice)
        scheduler.catch_up()
        scheduler.catch_up()

    assert summaries(fake_slack) == [headline]
    replies = thread_texts(fake_slack, headline.ts)
    assert replies and len(replies) == len(set(replies))  # each reply of the thread once
    assert any("checked in" in text for text in replies) or "checked in" in headline.all_text
    [chart] = fake_slack.files()  # one chart, in the thread
    assert chart.thread_ts == headline.ts
    [row] = deliveries(services)
    assert (row.status, row.message_ts, row.error) == (DeliveryStatus.SENT, headline.ts, None)
    assert "timeout" not in status_text(services)


@pytest.mark.parametrize(
    "method", ["chat.postMessage", "files.completeUploadExternal"], ids=["reply", "chart"]
)
def test_a_summary_reply_or_chart_whose_answer_was_lost_is_never_sent_twice(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    scheduler: Scheduler,
    method: str,
) -> None:
    # Slack carries out the call, and the answer never comes back (a timeout after delivery).
    fake_slack.drop_after_acting_next(
        method, when=lambda args: method != "chat.postMessage" or "thread_ts" in args
    )
    first = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    [headline] = summaries(fake_slack)
    replies = thread_texts(fake_slack, headline.ts)
    [row] = deliveries(services)
    assert (row.status, row.error) == (DeliveryStatus.PENDING, "timeout")  # not confirmed
    assert "timeout" in status_text(services)

    with freeze_time(LATER):
        scheduler.catch_up()
        scheduler.catch_up()

    assert summaries(fake_slack) == [headline]
    after = thread_texts(fake_slack, headline.ts)
    assert len(after) == len(set(after)) and set(replies) <= set(after)
    assert len(fake_slack.files()) == 1  # the chart once: found, or attached once
    [row] = deliveries(services)
    assert (row.status, row.error) == (DeliveryStatus.SENT, None)
    assert first.message_ts == headline.ts


def test_a_digest_stopped_before_its_chart_gets_it_once_from_the_catch_up(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,  # noqa: F811
    scheduler: Scheduler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop_in_delivery(monkeypatch, "_upload_chart")
    with pytest.raises(Stopped):
        send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    monkeypatch.undo()
    dms = digest_dms(fake_slack)
    assert dms and fake_slack.files() == []

    with freeze_time(LATER):
        scheduler.catch_up()
        scheduler.catch_up()

    assert digest_dms(fake_slack) == dms  # no second digest, no message of it twice
    [chart] = fake_slack.files()
    assert chart.channel == dms[0].channel
    assert {row.status for row in deliveries(services, DigestKind.COACH_DIGEST)} == {
        DeliveryStatus.SENT
    }
