"""Faults from Slack against every outbound path (issue 8, item 3), as one matrix.

Every path that sends something to Slack on its own (check-in DMs, their reminders, the agenda,
triage DMs, feedback and its shared post, feedback requests, the team summary, the coach digest,
the summary's chart) meets every fault the local stand-in can inject, each aimed at one person
or channel (the victim) while the others of the same run are served normally:

- transient: a 429 with Retry-After, an HTTP 500. The client's retry handlers cure each:
  exactly one message arrives, never two.
- no answer: Slack acts but answers after the client stopped waiting (``timeout``), Slack acts
  and the connection drops before its answer (``dropped_after_acting``), or the connection
  drops before Slack acted (``dropped``: the client cannot tell it from the one before). A post
  is never retried blindly then (a retry could post twice): the failure is recorded as
  ``timeout``, the message is there once or not at all, and a check-in DM, an agenda, a summary
  or a digest is looked for in Slack on the next run — found, it is recorded (or updated) and
  never doubled; not there, it is sent then, once.
- permanent: user_not_found, user_disabled, channel_not_found, not_in_channel, invalid_blocks.
  The failure is recorded for the victim alone, everyone else gets theirs, nobody sees a
  traceback, and where the product can send again (``--retry-failed``, the next run of a
  summary, digest or agenda) the victim then gets exactly one.

Each test is one path and one kind of fault, and goes through that kind's faults in turn, one
fresh occasion (a new week's round, a new piece of feedback...) each. The client's waits are cut
short (the waits it asked for are kept and checked), so the matrix runs in seconds.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import slack_sdk.http_retry.builtin_handlers as builtin_handlers
import slack_sdk.http_retry.handler as retry_handler
from sqlmodel import select

from bot.agenda.service import post_agenda
from bot.checkins import usecases as checkins
from bot.checkins.model import DeliveryReport, ReminderReport
from bot.data.status import delivery_report, format_report
from bot.digests import charts
from bot.digests.model import DeliveryOutcome
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.feedback import service as feedback
from bot.feedback.delivery import deliver_feedback, deliver_request
from bot.feedback.model import AskedForFeedback, FeedbackDraft, GivenFeedback, RequestDraft
from bot.services import Services
from bot.slack import client as delivery
from bot.slack import pacing
from bot.slack.pacing import Pace, RealClock
from bot.standin.web_api import FakeSlack, Message
from bot.triage import service as triage
from bot.triage.delivery import announce_triage
from storage.models import (
    CheckinPrompt,
    CheckinRound,
    DeliveryStatus,
    DigestKind,
    Feedback,
    FeedbackKind,
    FeedbackRequestRecipient,
    OutcomeKind,
    PromptStatus,
    SentDigest,
)
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    SAM,
    SHARED,
    SOUTH_CHANNEL,
    SOUTH_COACH,
)
from tests.journeys.tactical_steps import seed_tensions

TRANSIENT = ("ratelimited", "server_error")
NO_ANSWER = ("timeout", "dropped_after_acting", "dropped")
ARRIVES = ("timeout", "dropped_after_acting")  # Slack acted before the answer was lost
PERMANENT = (
    "user_not_found",
    "user_disabled",
    "channel_not_found",
    "not_in_channel",
    "invalid_blocks",
)
KINDS = {"transient": TRANSIENT, "no_answer": NO_ANSWER, "permanent": PERMANENT}
RETRY_AFTER = 1
CLIENT_TIMEOUT = 0.75  # for the timeout faults only; Slack's late answer comes after 1.5 s
LATE = 2 * CLIENT_TIMEOUT
NORTH = [ANA, BEN, CARA, DEV, SHARED]
CHECKIN_OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 BST, North's round opens
AGENDA_DUE = datetime(2026, 6, 2, 8, 30, tzinfo=UTC)  # Tuesday 09:30 BST, 30 min before
WEEKLY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # summaries of weeks before this
FEEDBACK_AT = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
# The next run of a summary or digest sends what Slack refused, and what got no answer and is
# not in Slack; what got no answer but arrived is found in Slack and recorded, never sent twice.
FOUND_OR_SENT = {False: DeliveryOutcome.SENT, True: DeliveryOutcome.FOUND}


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait slack_sdk's retry handlers (and the check-in pace) ask for, cut to 10 ms.

    The waits asked for are returned, to check that a 429's Retry-After was honoured.
    """
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(min(seconds, 0.01))

    quick = types.SimpleNamespace(sleep=sleep)
    monkeypatch.setattr(retry_handler, "time", quick)
    monkeypatch.setattr(builtin_handlers, "time", quick)
    monkeypatch.setattr(RealClock, "sleep", staticmethod(sleep))
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))
    return asked


@pytest.fixture(autouse=True)
def quick_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts drawn as a few bytes (drawing is tests/bot/test_charts.py's): the upload is the
    same, in a fraction of the time."""
    png = b"\x89PNG\r\n\x1a\n a chart"
    monkeypatch.setattr(charts, "summary_chart", lambda *args, **kwargs: png)
    monkeypatch.setattr(charts, "digest_chart", lambda *args, **kwargs: png)


def inject(fake: FakeSlack, fault: str, target: str, method: str = "chat.postMessage") -> None:
    """Aim ``fault`` at the calls of ``method`` for ``target`` (a user, or a channel id)."""

    def hits(args: dict[str, Any]) -> bool:
        return target in (args.get("channel"), args.get("channel_id"))

    if fault == "ratelimited":
        fake.rate_limit_next(method, retry_after=RETRY_AFTER, when=hits)
    elif fault == "server_error":
        fake.server_error_next(method, status=500, when=hits)
    elif fault == "dropped":
        fake.drop_next(method, when=hits)
    elif fault == "dropped_after_acting":
        fake.drop_after_acting_next(method, when=hits)
    elif fault == "timeout":
        fake.answer_late_next(method, LATE, when=hits)
    else:  # permanent: every call for the target is refused, however often it is tried
        fake.fail_next(method, fault, times=1_000, when=hits)


def recorded_as(fault: str) -> str:
    """The error a failure caused by ``fault`` is recorded with."""
    return delivery.TIMEOUT if fault in NO_ANSWER else fault


def roots(fake: FakeSlack, channel: str) -> list[Message]:
    """Messages posted in a channel, not in a thread."""
    return [m for m in fake.messages(channel) if m.thread_ts is None]


def status_text(services: Services, now: datetime) -> str:
    """What `retrobot status` prints."""
    with services.session() as session:
        return format_report(delivery_report(session, now=now))


# --- the paths ----------------------------------------------------------------------------------


@dataclass
class Path:
    """One outbound path: how to make an occasion of it, and how to read what people got.

    ``victim`` is who the fault is aimed at; ``others`` get theirs in the same run whatever
    happens to the victim. ``send`` runs the path for occasion ``i`` and returns what it reports;
    ``got`` counts what one recipient received of it; ``failure`` is the victim's failure as
    recorded (None when recorded as delivered); ``again`` sends the victim's again, where the
    product can (None where it cannot), given the fault; ``again_after_timeout`` says whether
    that is safe after a timeout (it looks in Slack first), and ``resends`` whether it sends.
    """

    victim: str
    others: list[str]
    prepare: Callable[[int], Any]
    send: Callable[[int, Any], Any]
    got: Callable[[str], int]
    failure: Callable[[int, Any, Any], str | None]
    again: Callable[[int, Any, str], Any] | None = None
    in_status: bool = False
    method: str = "chat.postMessage"
    again_after_timeout: bool = False
    resends: bool = True


def checkin_round(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def opens(i: int) -> datetime:
        return CHECKIN_OPENS + timedelta(weeks=i)

    def prepare(i: int) -> None:
        clock[0] = opens(i)

    def send(i: int, _: None) -> DeliveryReport:
        return checkins.send_round(services, team_id="north", now=opens(i))

    def failure(i: int, _: None, report: DeliveryReport) -> str | None:
        prompt = prompt_of(services, BEN, report.round_id)
        assert report.failed.get(BEN) == prompt.error
        return prompt.error if prompt.status == PromptStatus.FAILED else None

    def again(i: int, _: None, fault: str) -> None:
        clock[0] = opens(i) + timedelta(minutes=1)
        # A refusal for good waits for --retry-failed; no answer, for the next run (the sweep).
        report = checkins.send_round(services, team_id="north", retry_failed=fault not in NO_ANSWER)
        assert report.failed == {}
        prompt = prompt_of(services, BEN, report.round_id)
        assert prompt.status == PromptStatus.SENT
        assert prompt.message_ts == fake.dms(BEN)[-1].ts  # the DM there is the one on record

    path = Path(BEN, [u for u in NORTH if u != BEN], prepare, send, dms(fake), failure, again)
    path.in_status = path.again_after_timeout = True
    return path


def checkin_reminder(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def reminded_at(i: int) -> datetime:
        return CHECKIN_OPENS + timedelta(weeks=i, hours=4, minutes=1)

    def prepare(i: int) -> None:
        clock[0] = CHECKIN_OPENS + timedelta(weeks=i)
        assert checkins.send_round(services, team_id="north").failed == {}
        fake.reset()  # only the reminders are counted
        clock[0] = reminded_at(i)

    def send(i: int, _: None) -> ReminderReport:
        return checkins.send_reminders(services, team_id="north", now=reminded_at(i))

    def failure(i: int, _: None, report: ReminderReport) -> str | None:
        assert report.round_id is not None
        prompt = prompt_of(services, BEN, report.round_id)
        assert prompt.status == PromptStatus.SENT  # the check-in DM went; only its reminder not
        error = prompt.error.removeprefix("reminder:") if prompt.error else None
        assert report.failed.get(BEN) == error
        return error

    # A reminder goes once: a refused one is recorded, never tried again on its own.
    def again(i: int, _: None, fault: str) -> None:
        report = checkins.send_reminders(services, team_id="north", now=reminded_at(i))
        assert report.reminded == [] and report.failed == {}

    path = Path(BEN, [u for u in NORTH if u != BEN], prepare, send, dms(fake), failure, again)
    path.in_status = path.again_after_timeout = True
    path.resends = False
    return path


def agenda(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def due(i: int) -> datetime:
        return AGENDA_DUE + timedelta(weeks=i)

    def prepare(i: int) -> None:
        clock[0] = due(i)
        seed_tensions(services, [f"Rota clash, week {i}"], start=due(i) - timedelta(days=2))

    def send(i: int, _: None) -> Any:
        north = post_agenda(services, team_id="north", now=due(i))
        south = post_agenda(services, team_id="south", now=due(i))
        assert south.ok and south.error is None
        return north

    def failure(i: int, _: None, north: Any) -> str | None:
        with services.session() as session:
            round_ = session.exec(
                select(CheckinRound).where(
                    CheckinRound.team_id == "north",
                    CheckinRound.meeting_date == north.meeting_date,
                )
            ).one()
        # Not posted: nothing is kept, so the next post (or /tactical) posts it.
        assert (round_.agenda_ts is None) == (north.error is not None)
        return north.error

    def again(i: int, _: None, fault: str) -> None:
        assert post_agenda(services, team_id="north", now=due(i)).ok

    def got(channel: str) -> int:
        return len(roots(fake, channel))

    # After no answer, the next post finds the agenda if it arrived (by its metadata) and
    # updates it; posts it if it did not: one agenda either way.
    return Path(
        NORTH_CHANNEL, [SOUTH_CHANNEL], prepare, send, got, failure, again, again_after_timeout=True
    )


def triage_dms(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    """The owner's DM with their new action (the victim) and the raiser's "did you get what
    you need?" (sent whatever became of the owner's)."""

    def prepare(i: int) -> Any:
        now = AGENDA_DUE + timedelta(days=i)
        clock[0] = now
        [tension_id] = seed_tensions(services, [f"Nobody covers the night rota {i}"], start=now)
        with services.session() as session:
            return triage.triage_tension(
                session,
                config=services.config,
                user_id=DEV,
                tension_id=tension_id,
                round_id=None,
                decision=triage.TriageDecision(
                    OutcomeKind.NEXT_ACTION, owner=BEN, due_date=date(2026, 7, 1)
                ),
                now=now,
            )

    def send(i: int, tension: Any) -> list[delivery.Delivery]:
        return announce_triage(
            services, services.client, tension=tension, round_id=None, now=clock[0]
        )

    def failure(i: int, tension: Any, sent: list[delivery.Delivery]) -> str | None:
        [owner] = [d for d in sent if d.recipient == BEN]
        return owner.error

    return Path(BEN, [ANA], prepare, send, dms(fake), failure)


def feedback_dms(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def prepare(i: int) -> GivenFeedback:
        now = FEEDBACK_AT + timedelta(hours=i)
        clock[0] = now
        draft = FeedbackDraft(
            receivers=(BEN, CARA, DEV),
            kind=FeedbackKind.APPRECIATION,
            values=("Trust",),
            text=f"Thank you for the night cover ({i})",
        )
        with services.session() as session:
            given = feedback.give_feedback(
                session, config=services.config, giver=ANA, draft=draft, now=now
            )
        assert given is not None
        return given

    def send(i: int, given: GivenFeedback) -> None:
        deliver_feedback(services, services.client, giver=ANA, given=given)

    def failure(i: int, given: GivenFeedback, _: None) -> str | None:
        with services.session() as session:
            rows = {r.receiver: r for r in session.exec(select(Feedback)) if r.id in ids(given)}
        assert all(rows[u].dm_ts for u in (CARA, DEV))
        confirmation = fake.dms(ANA)[-1].all_text
        if rows[BEN].dm_ts is not None:
            assert "couldn't reach" not in confirmation
            return None
        # Kept for Ben (his Home tab shows it), and Ana is told it did not reach him.
        assert f"couldn't reach <@{BEN}>" in confirmation
        return "not delivered"

    return Path(BEN, [CARA, DEV], prepare, send, dms(fake), failure)


def shared_appreciation(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    """Shay (in both teams) thanks Ben (North) and Sam (South), shared: one post per team
    channel. North's channel is the victim; the DMs and South's post go."""

    def prepare(i: int) -> GivenFeedback:
        now = FEEDBACK_AT + timedelta(hours=i)
        clock[0] = now
        draft = FeedbackDraft(
            receivers=(BEN, SAM),
            kind=FeedbackKind.APPRECIATION,
            values=("Courage",),
            text=f"You two held the fort ({i})",
            shared=True,
        )
        with services.session() as session:
            given = feedback.give_feedback(
                session, config=services.config, giver=SHARED, draft=draft, now=now
            )
        assert given is not None
        return given

    def send(i: int, given: GivenFeedback) -> None:
        deliver_feedback(services, services.client, giver=SHARED, given=given)

    def failure(i: int, given: GivenFeedback, _: None) -> str | None:
        assert len(fake.dms(BEN)) == len(fake.dms(SAM)) == 1
        confirmation = fake.dms(SHARED)[-1].all_text
        assert f"<#{SOUTH_CHANNEL}>" in confirmation
        return None if f"<#{NORTH_CHANNEL}>" in confirmation else "not shared"

    def got(channel: str) -> int:
        return len(roots(fake, channel))

    return Path(NORTH_CHANNEL, [SOUTH_CHANNEL], prepare, send, got, failure)


def feedback_request(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def prepare(i: int) -> AskedForFeedback:
        now = FEEDBACK_AT + timedelta(hours=i)
        clock[0] = now
        draft = RequestDraft(
            team_id="north",
            recipients=(BEN, CARA, DEV),
            about=f"How I ran the handover ({i})",
            due_date=date(2026, 6, 20),
        )
        with services.session() as session:
            asked = feedback.ask_for_feedback(
                session, config=services.config, requester=ANA, draft=draft, now=now
            )
        assert asked is not None
        return asked

    def send(i: int, asked: AskedForFeedback) -> None:
        deliver_request(services, services.client, asked=asked)

    def failure(i: int, asked: AskedForFeedback, _: None) -> str | None:
        with services.session() as session:
            rows = {
                r.user_id: r
                for r in session.exec(
                    select(FeedbackRequestRecipient).where(
                        FeedbackRequestRecipient.request_id == asked.request.id
                    )
                )
            }
        assert rows[CARA].dm_ts and rows[DEV].dm_ts
        confirmation = fake.dms(ANA)[-1].all_text
        if rows[BEN].dm_ts is not None:
            return None
        assert f"<@{BEN}>" in confirmation.split("couldn't", 1)[-1]
        return "not delivered"

    return Path(BEN, [CARA, DEV], prepare, send, dms(fake), failure)


def team_summary(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def week(i: int) -> str:
        return f"2026-W{40 + i:02d}"

    def prepare(i: int) -> None:
        clock[0] = WEEKLY

    def send(i: int, _: None) -> Any:
        south = send_team_summary(services, team_id="south", week=week(i), now=WEEKLY)
        assert south.outcome is DeliveryOutcome.SENT and south.chart_error is None
        return send_team_summary(services, team_id="north", week=week(i), now=WEEKLY)

    def failure(i: int, _: None, north: Any) -> str | None:
        row = sent_digest(services, DigestKind.TEAM_SUMMARY, NORTH_CHANNEL, week(i))
        assert north.error == row.error
        return row.error if row.status is not DeliveryStatus.SENT else None

    def again(i: int, _: None, fault: str) -> None:
        north = send_team_summary(services, team_id="north", week=week(i), now=WEEKLY)
        assert north.outcome is FOUND_OR_SENT[fault in ARRIVES]
        row = sent_digest(services, DigestKind.TEAM_SUMMARY, NORTH_CHANNEL, week(i))
        [headline] = roots(fake, NORTH_CHANNEL)
        assert (row.status, row.message_ts) == (DeliveryStatus.SENT, headline.ts)
        # Whether found or sent now, the thread and the chart are there, once.
        assert fake.messages(NORTH_CHANNEL)[1:] and all(
            m.thread_ts == headline.ts for m in fake.messages(NORTH_CHANNEL)[1:]
        )
        assert len([f for f in fake.files() if f.channel == NORTH_CHANNEL]) == 1

    def got(channel: str) -> int:
        return len(roots(fake, channel))

    path = Path(NORTH_CHANNEL, [SOUTH_CHANNEL], prepare, send, got, failure, again, True)
    path.again_after_timeout = True
    return path


def coach_digest(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    def week(i: int) -> str:
        return f"2026-W{40 + i:02d}"

    def prepare(i: int) -> None:
        clock[0] = WEEKLY

    def send(i: int, _: None) -> Any:
        south = send_coach_digest(services, coach_id=SOUTH_COACH, week=week(i), now=WEEKLY)
        assert south.outcome is DeliveryOutcome.SENT
        return send_coach_digest(services, coach_id=COACH, week=week(i), now=WEEKLY)

    def failure(i: int, _: None, report: Any) -> str | None:
        row = sent_digest(services, DigestKind.COACH_DIGEST, COACH, week(i))
        assert report.error == row.error
        return row.error if row.status is not DeliveryStatus.SENT else None

    def again(i: int, _: None, fault: str) -> None:
        report = send_coach_digest(services, coach_id=COACH, week=week(i), now=WEEKLY)
        assert report.outcome is FOUND_OR_SENT[fault in ARRIVES]
        row = sent_digest(services, DigestKind.COACH_DIGEST, COACH, week(i))
        [digest] = [m for m in fake.dms(COACH) if m.text]
        assert (row.status, row.message_ts) == (DeliveryStatus.SENT, digest.ts)
        assert len([f for f in fake.files() if f.channel == digest.channel]) == 1

    def got(user: str) -> int:
        return len([m for m in fake.dms(user) if m.text])

    path = Path(COACH, [SOUTH_COACH], prepare, send, got, failure, again, True)
    path.again_after_timeout = True
    return path


def summary_chart(services: Services, fake: FakeSlack, clock: list[datetime]) -> Path:
    """The chart attached to the summary's thread: the words go whatever becomes of it."""

    def week(i: int) -> str:
        return f"2026-W{40 + i:02d}"

    def prepare(i: int) -> None:
        clock[0] = WEEKLY

    def send(i: int, _: None) -> Any:
        south = send_team_summary(services, team_id="south", week=week(i), now=WEEKLY)
        assert south.chart_error is None
        north = send_team_summary(services, team_id="north", week=week(i), now=WEEKLY)
        assert north.outcome is DeliveryOutcome.SENT  # the words went, once
        assert len(roots(fake, NORTH_CHANNEL)) == 1
        return north

    def failure(i: int, _: None, north: Any) -> str | None:
        return north.chart_error

    def got(channel: str) -> int:
        return len([f for f in fake.files() if f.channel == channel])

    path = Path(NORTH_CHANNEL, [SOUTH_CHANNEL], prepare, send, got, failure)
    path.method = "files.completeUploadExternal"
    return path


PATHS = {
    "checkin_round": checkin_round,
    "checkin_reminder": checkin_reminder,
    "agenda": agenda,
    "triage_dms": triage_dms,
    "feedback_dms": feedback_dms,
    "shared_appreciation": shared_appreciation,
    "feedback_request": feedback_request,
    "team_summary": team_summary,
    "coach_digest": coach_digest,
    "summary_chart": summary_chart,
}


def dms(fake: FakeSlack) -> Callable[[str], int]:
    return lambda user: len(fake.dms(user))


def ids(given: GivenFeedback) -> set[int | None]:
    return {row.id for row in given.feedback}


def prompt_of(services: Services, user_id: str, round_id: int) -> CheckinPrompt:
    with services.session() as session:
        return session.exec(
            select(CheckinPrompt).where(
                CheckinPrompt.user_id == user_id, CheckinPrompt.round_id == round_id
            )
        ).one()


def sent_digest(services: Services, kind: DigestKind, recipient: str, week: str) -> SentDigest:
    with services.session() as session:
        return session.exec(
            select(SentDigest).where(
                SentDigest.kind == kind,
                SentDigest.recipient == recipient,
                SentDigest.iso_week == week,
            )
        ).one()


# --- the matrix ---------------------------------------------------------------------------------


@pytest.fixture
def clock(services: Services) -> Iterator[list[datetime]]:
    now = [CHECKIN_OPENS]
    services.clock = lambda: now[0]
    yield now


def nobody_saw_a_traceback(fake: FakeSlack) -> None:
    shown = [m.all_text for m in fake.messages()] + [e.all_text for e in fake.ephemerals()]
    assert not [text for text in shown if "Traceback" in text or "went wrong" in text]
    assert fake.internal_errors == []


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("path_name", list(PATHS))
def test_fault_matrix(
    path_name: str,
    kind: str,
    services: Services,
    fake_slack: FakeSlack,
    clock: list[datetime],
    short_waits: list[float],
) -> None:
    path = PATHS[path_name](services, fake_slack, clock)
    if kind == "no_answer":
        services.client.timeout = CLIENT_TIMEOUT  # type: ignore[misc]
    for i, fault in enumerate(KINDS[kind]):
        what = f"{path_name} × {fault}"
        fake_slack.reset()
        short_waits.clear()
        context = path.prepare(i)
        inject(fake_slack, fault, path.victim, path.method)
        result = path.send(i, context)  # never raises: a fault is an outcome, not an error

        for other in path.others:
            assert path.got(other) == 1, f"{what}: {other} should get theirs once"
        failure = path.failure(i, context, result)
        if fault in TRANSIENT:
            assert path.got(path.victim) == 1, f"{what}: one message after the retry"
            assert failure is None, f"{what}: a retried fault is no failure"
            tries = [
                c
                for c in fake_slack.calls_to(path.method)
                if path.victim in (c.args.get("channel"), c.args.get("channel_id"))
            ]
            assert [c.ok for c in tries][:2] == [False, True], f"{what}: failed once, then went"
            if fault == "ratelimited":
                assert max(short_waits) >= RETRY_AFTER - 0.05, f"{what}: Retry-After not waited"
            continue

        if fault in NO_ANSWER:
            tries = [
                c
                for c in fake_slack.calls_to(path.method)
                if path.victim in (c.args.get("channel"), c.args.get("channel_id"))
            ]
            assert len(tries) <= 1, f"{what}: a post with no answer is never retried blindly"
        if fault in ARRIVES:
            # Slack acted: the message is there once, though the client never heard so.
            fake_slack.wait_for(lambda: path.got(path.victim) >= 1)
            assert path.got(path.victim) == 1, f"{what}: not posted twice"
        else:
            assert path.got(path.victim) == 0, f"{what}: Slack refused it"
        assert failure in (recorded_as(fault), "not delivered", "not shared"), what
        if path.in_status and failure is not None:
            shown = status_text(services, clock[0])
            assert recorded_as(fault) in shown and path.victim in shown, f"{what}: not in status"
        nobody_saw_a_traceback(fake_slack)

        fake_slack.clear_faults()
        if path.again is not None and (fault not in NO_ANSWER or path.again_after_timeout):
            path.again(i, context, fault)
            # Sent again exactly once; after no answer, found in Slack and not sent twice.
            expected = 1 if path.resends or fault in ARRIVES else 0
            assert path.got(path.victim) == expected, f"{what}: sent again exactly once"
            for other in path.others:
                assert path.got(other) == 1, f"{what}: {other} not sent twice"
