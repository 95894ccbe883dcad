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
from datetime import timedelta

import pytest

from bot.data.status import delivery_report, format_report
from bot.digests import ledger
from bot.digests.model import DeliveryOutcome
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.services import Services
from bot.slack.outbox import IN_DOUBT_AFTER
from bot.standin.web_api import FakeSlack, Message
from storage import claims
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


def test_a_run_that_stopped_after_noting_the_first_message_is_recorded_without_looking(
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

    found = send_coach_digest(services, coach_id=COACH, week=WEEK, now=LATER)
    assert (found.outcome, found.found) == (DeliveryOutcome.FOUND, ["north"])
    assert fake_slack.calls_to("conversations.history") == []  # its ts says it went
    assert digest_dms(fake_slack) == [dm]
    [row] = deliveries(services)
    assert (row.status, row.message_ts) == (DeliveryStatus.SENT, dm.ts)


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
