"""Weekly summaries and coach digests, end to end: sent once through the Slack stand-in, with
their chart, and read back by the team with `/retro digest` over signed HTTP requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.core import charts
from bot.core.charts import Drawing, draw_later
from bot.core.config import parse_config
from bot.core.settings import Settings
from bot.digests import delivery
from bot.digests import service as digests
from bot.digests.model import DeliveryOutcome
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.services import Services, open_services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import DeliveryStatus, DigestKind, SentDigest
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    OUTSIDER,
    SAM,
    SHARED,
    SOUTH_CHANNEL,
    SOUTH_COACH,
)
from tests.storage.factories import make_answered_round, make_feedback, make_tension

WEEK = "2026-W48"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MEETING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
STORY = "Mrs J walked to the shop & back"
FEEDBACK_TEXT = "Thank you for the night cover"
PRIVATE_TEXT = "I dread the lone night visits"


@pytest.fixture
def week_data(services: Services) -> None:
    """North's week 48: four answers and a story, tensions, feedback; South: two answers."""
    with services.session() as session:
        make_answered_round(
            session,
            meeting_at=MEETING,
            answers=[(ANA, 4), (BEN, 3), (CARA, 5), (DEV, 2)],
            unanswered=[SHARED],
            metric_values={"visits": 6},
            stories={ANA: STORY},
        )
        make_answered_round(
            session, team_id="south", meeting_at=MEETING, answers=[(SAM, 1), (SHARED, 2)]
        )
        make_tension(session, created_at=MEETING, raised_by=BEN, text="Rota clashes")
        make_tension(session, created_at=MEETING, raised_by=CARA, text=PRIVATE_TEXT, private=True)
        make_feedback(
            session, created_at=MEETING, giver=ANA, receiver=BEN, text=FEEDBACK_TEXT, shared=True
        )
        session.commit()


def deliveries(services: Services, kind: DigestKind | None = None) -> list[SentDigest]:
    with services.session() as session:
        statement = select(SentDigest).order_by(SentDigest.id)
        if kind is not None:
            statement = statement.where(SentDigest.kind == kind)
        return list(session.exec(statement))


def everything(fake: FakeSlack, channel: str) -> str:
    return "\n".join(m.all_text for m in fake.messages(channel))


# --- the team summary -------------------------------------------------------------------------


def test_the_summary_is_posted_once_with_its_details_and_chart_in_the_thread(
    services: Services, fake_slack: FakeSlack, week_data: None
) -> None:
    report = send_team_summary(services, team_id="north", week=WEEK, now=NOW)

    assert report.outcome is DeliveryOutcome.SENT and report.chart_error is None
    headline, *thread = fake_slack.messages(NORTH_CHANNEL)
    assert headline.thread_ts is None and report.message_ts == headline.ts
    assert "4 of 5 checked in (80%) · mood 3.5/5" in headline.all_text
    assert thread and all(reply.thread_ts == headline.ts for reply in thread)
    details = "\n".join(reply.all_text for reply in thread)
    assert "Mrs J walked to the shop &amp; back — <@U0ANA>" in details
    assert "Client visits: 24 visits this week" in details
    assert PRIVATE_TEXT not in details and FEEDBACK_TEXT not in details
    [chart] = fake_slack.files()
    assert chart.content.startswith(b"\x89PNG") and chart.filename == "north-2026-W48.png"
    assert (chart.channel, chart.thread_ts) == (NORTH_CHANNEL, headline.ts)
    [row] = deliveries(services)
    assert (row.kind, row.recipient, row.status, row.message_ts) == (
        DigestKind.TEAM_SUMMARY,
        NORTH_CHANNEL,
        DeliveryStatus.SENT,
        headline.ts,
    )
    assert STORY.replace("&", "&amp;") in row.body

    again = send_team_summary(services, team_id="north", week=WEEK, now=NOW + timedelta(hours=1))
    assert again.outcome is DeliveryOutcome.ALREADY_SENT
    assert (again.message_ts, again.sent_at) == (headline.ts, NOW)
    assert len(fake_slack.messages(NORTH_CHANNEL)) == 1 + len(thread)
    assert len(fake_slack.files()) == 1
    # Another week is another summary.
    assert send_team_summary(services, team_id="north", week="2026-W47", now=NOW).ok
    assert len(deliveries(services)) == 2


def test_with_a_chart_helper_the_charts_are_drawn_while_the_words_go_and_are_the_same(
    services: Services, fake_slack: FakeSlack, week_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[str, int, Drawing[bytes]]] = []

    def noting(draw: Any, *args: Any) -> Drawing[bytes]:
        drawing = draw_later(draw, *args)
        started.append((draw.__name__, len(fake_slack.calls), drawing))
        return drawing

    monkeypatch.setattr(delivery, "draw_later", noting)
    with charts.helpers(warm=("bot.digests.charts",)):
        assert send_team_summary(services, team_id="north", week=WEEK, now=NOW).ok
        assert send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW).ok

    [(summary, before_summary, drawn), (digest, before_digest, _)] = started
    assert (summary, digest) == ("summary_chart", "digest_chart")
    assert drawn.elsewhere
    assert before_summary == 0  # before the headline was posted
    assert fake_slack.calls[before_digest].method == "chat.postMessage"  # before the digest
    summary_png, digest_png = fake_slack.files()
    assert summary_png.content == drawn.result()
    assert digest_png.filename == f"coach-digest-{WEEK}.png"


def test_concurrent_runs_post_the_summary_once(
    services: Services, fake_slack: FakeSlack, week_data: None
) -> None:
    barrier = threading.Barrier(5)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(send_team_summary(services, team_id="north", week=WEEK, now=NOW))

    threads = [threading.Thread(target=run) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted(r.outcome for r in reports)
    assert outcomes.count(DeliveryOutcome.SENT) == 1
    assert set(outcomes) <= {
        DeliveryOutcome.SENT,
        DeliveryOutcome.ALREADY_SENT,
        DeliveryOutcome.IN_PROGRESS,
    }
    headlines = [m for m in fake_slack.messages(NORTH_CHANNEL) if m.thread_ts is None]
    assert len(headlines) == 1 and len(deliveries(services)) == 1


def test_a_refusal_is_recorded_and_the_next_run_sends_it(
    services: Services, fake_slack: FakeSlack, week_data: None
) -> None:
    fake_slack.fail_next("chat.postMessage", "not_in_channel")
    failed = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    assert (failed.outcome, failed.error, failed.ok) == (
        DeliveryOutcome.FAILED,
        "not_in_channel",
        False,
    )
    assert fake_slack.messages(NORTH_CHANNEL) == [] and fake_slack.files() == []
    [row] = deliveries(services)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, "not_in_channel")

    retried = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    assert retried.outcome is DeliveryOutcome.SENT
    [row] = deliveries(services)
    assert (row.status, row.error, row.message_ts) == (
        DeliveryStatus.SENT,
        None,
        retried.message_ts,
    )


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "files.completeUploadExternal"])
def test_when_the_chart_cannot_be_uploaded_the_words_still_go(
    services: Services, fake_slack: FakeSlack, week_data: None, method: str
) -> None:
    fake_slack.fail_next(method, "file_uploads_disabled")
    report = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    assert report.outcome is DeliveryOutcome.SENT
    assert report.chart_error == "file_uploads_disabled"
    assert fake_slack.files() == []
    assert "checked in" in everything(fake_slack, NORTH_CHANNEL)
    assert deliveries(services)[0].status is DeliveryStatus.SENT


def test_a_chart_that_cannot_be_drawn_leaves_the_words_sent(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr("bot.digests.charts.summary_chart", broken)
    report = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    assert (report.outcome, report.chart_error) == (DeliveryOutcome.SENT, "chart: RuntimeError")
    assert fake_slack.messages(NORTH_CHANNEL)


def test_a_broken_build_after_the_claim_leaves_the_week_retryable(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("template bug")

    monkeypatch.setattr("bot.digests.views.build_summary_messages", broken)  # as digests sees it
    with pytest.raises(RuntimeError):
        send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    [row] = deliveries(services)
    assert row.status is DeliveryStatus.FAILED and "template bug" in (row.error or "")
    monkeypatch.undo()
    assert send_team_summary(services, team_id="north", week=WEEK, now=NOW).ok


def test_a_crash_after_posting_never_leads_to_a_second_post(
    services: Services, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr("bot.digests.ledger._record", lost)
    with pytest.raises(ConnectionError):
        send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    posted = len(fake_slack.messages(NORTH_CHANNEL))
    assert posted >= 1
    monkeypatch.undo()
    [row] = deliveries(services)
    assert row.status is DeliveryStatus.PENDING  # unconfirmed, so never sent again
    again = send_team_summary(services, team_id="north", week=WEEK, now=NOW)
    assert again.outcome is DeliveryOutcome.IN_PROGRESS
    assert len(fake_slack.messages(NORTH_CHANNEL)) == posted


# --- the coach digest -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coach", "teams", "not_seen"),
    [
        (COACH, ["north"], ["South Neighbourhood Team"]),
        (SOUTH_COACH, ["south"], ["North Neighbourhood Team", "Client visits"]),
    ],
)
def test_each_coach_gets_aggregates_of_their_own_teams_only(
    services: Services,
    fake_slack: FakeSlack,
    week_data: None,
    coach: str,
    teams: list[str],
    not_seen: list[str],
) -> None:
    report = send_coach_digest(services, coach_id=coach, week=WEEK, now=NOW)
    assert (report.outcome, report.team_ids) == (DeliveryOutcome.SENT, teams)
    dms = fake_slack.dms(coach)
    text = "\n".join(dm.all_text for dm in dms)
    for never in (STORY, "Mrs J", FEEDBACK_TEXT, PRIVATE_TEXT, "Rota clashes", *not_seen):
        assert never not in text
    for person in (ANA, BEN, CARA, DEV, SAM, SHARED):
        assert person not in text  # nobody's answers, nobody named
    other = SOUTH_COACH if coach == COACH else COACH
    assert fake_slack.dms(other) == []
    [chart] = fake_slack.files()
    assert chart.channel == fake_slack.dm_channel(coach)
    if coach == COACH:
        assert "Mood 3.5 out of 5, over 4 answers" in text
        assert "1 private tension was raised with the coaches this week" in text
    else:
        # Two answers: the mood is never shown, not even to the coach.
        assert "Mood not shown: fewer than 3 answers gave one." in text
    rows = deliveries(services, DigestKind.COACH_DIGEST)
    assert [(r.recipient, r.team_id, r.status) for r in rows] == [
        (coach, team, DeliveryStatus.SENT) for team in teams
    ]


def test_a_coach_digest_goes_once_and_a_member_has_none(
    services: Services, fake_slack: FakeSlack, week_data: None
) -> None:
    assert send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW).ok
    again = send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    assert (again.outcome, again.already_sent) == (DeliveryOutcome.ALREADY_SENT, ["north"])
    assert len(fake_slack.dms(COACH)) == 1
    nobody = send_coach_digest(services, coach_id=ANA, week=WEEK, now=NOW)
    assert nobody.outcome is DeliveryOutcome.NOTHING_TO_SEND and fake_slack.dms(ANA) == []


def test_a_coach_who_cannot_be_reached_is_recorded(
    services: Services, fake_slack: FakeSlack, week_data: None
) -> None:
    fake_slack.add_user(COACH, name="Coach Kim", deleted=True)
    report = send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    assert (report.outcome, report.error) == (DeliveryOutcome.FAILED, "user_disabled")
    [row] = deliveries(services, DigestKind.COACH_DIGEST)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, "user_disabled")


MANY_TEAMS = 130


@pytest.fixture
def many_teams_services(
    settings: Settings, fake_slack: FakeSlack
) -> Iterator[tuple[Services, list[str]]]:
    """A coach of 130 teams, each with its channel in the stand-in."""
    teams = []
    for n in range(MANY_TEAMS):
        channel = f"C0T{n:04d}"
        fake_slack.add_channel(channel, members=[ANA])
        teams.append(
            f"  - {{id: t{n:03d}, name: Team {n:03d}, channel: {channel}, "
            f"members: [{ANA}], coaches: [{COACH}]}}"
        )
    config = parse_config(
        "organisation: {name: Big Care}\n"
        'defaults: {tactical: {day: tuesday, time: "10:00"}}\n'
        "teams:\n" + "\n".join(teams) + "\n"
    )
    services = open_services(settings, config)
    try:
        yield services, [f"t{n:03d}" for n in range(MANY_TEAMS)]
    finally:
        services.engine.dispose()


def test_a_long_digest_is_split_into_several_messages(
    many_teams_services: tuple[Services, list[str]], fake_slack: FakeSlack
) -> None:
    services, team_ids = many_teams_services
    with services.session() as session:
        for team_id in team_ids:
            make_tension(session, team_id=team_id, created_at=MEETING - timedelta(weeks=5))
        session.commit()
    report = send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    assert report.outcome is DeliveryOutcome.SENT and report.team_ids == team_ids
    dms = fake_slack.dms(COACH)
    assert len(dms) == report.messages >= 3
    assert all(len(dm.blocks) <= 50 for dm in dms)  # and the fixture checks every limit
    text = "\n".join(dm.all_text for dm in dms)
    assert all(f"*Team {n:03d}*" in text for n in range(MANY_TEAMS))
    assert text.count("1 tension has waited more than 3 weeks for triage") == MANY_TEAMS
    assert len(deliveries(services, DigestKind.COACH_DIGEST)) == MANY_TEAMS


# --- `/retro` ---------------------------------------------------------------------------------


def retro(slack: SlackSender, fake: FakeSlack, user_id: str, text: str, channel: str) -> str:
    """Run `/retro text` and return what only the person saw (the ack or the later reply)."""
    before = len(fake.ephemerals(user_id))
    response = slack.command("/retro", text, user_id=user_id, channel_id=channel)
    assert response.status == 200
    fake.wait_for(lambda: len(fake.ephemerals(user_id)) > before)
    return fake.ephemerals(user_id)[-1].all_text


def test_the_team_reads_word_for_word_what_its_coach_received(
    services: Services, fake_slack: FakeSlack, slack: SlackSender, week_data: None
) -> None:
    assert "haven't received a digest about *North Neighbourhood Team*" in retro(
        slack, fake_slack, BEN, "digest", NORTH_CHANNEL
    )
    send_coach_digest(services, coach_id=COACH, week=WEEK, now=NOW)
    send_coach_digest(services, coach_id=SOUTH_COACH, week=WEEK, now=NOW)
    [row] = [r for r in deliveries(services) if r.recipient == COACH]

    seen = retro(slack, fake_slack, BEN, "digest", NORTH_CHANNEL)
    assert "What your coaches received" in seen
    assert f"week {WEEK} · sent to <@{COACH}> on Tue 1 Dec" in seen
    for line in row.body.splitlines():
        assert line in seen
    assert "1 private tension was raised with the coaches" in seen
    assert "South" not in seen and PRIVATE_TEXT not in seen

    # In both teams: both digests. In South only: South's alone.
    both = retro(slack, fake_slack, SHARED, "digest", SOUTH_CHANNEL)
    assert "*North Neighbourhood Team*" in both and "*South Neighbourhood Team*" in both
    south = retro(slack, fake_slack, SAM, "digest", SOUTH_CHANNEL)
    assert "*South Neighbourhood Team*" in south and "North" not in south
    # The coach can look too.
    assert "*North Neighbourhood Team*" in retro(slack, fake_slack, COACH, "DIGEST", NORTH_CHANNEL)


def test_someone_in_no_team_is_told_kindly(
    services: Services, fake_slack: FakeSlack, slack: SlackSender
) -> None:
    assert "not in a retrobot team yet" in retro(
        slack, fake_slack, OUTSIDER, "digest", NORTH_CHANNEL
    )


def test_retro_help_and_an_unknown_word(fake_slack: FakeSlack, slack: SlackSender) -> None:
    help_text = retro(slack, fake_slack, ANA, "help", NORTH_CHANNEL)
    assert "`/retro digest`" in help_text and "`/tension [what's up]`" in help_text
    assert "/retro digest" in retro(slack, fake_slack, ANA, "", NORTH_CHANNEL)
    unknown = retro(slack, fake_slack, ANA, "<!channel> please", NORTH_CHANNEL)
    assert "I don't know `/retro &lt;!channel&gt;`" in unknown and "<!channel>" not in unknown
    assert fake_slack.messages(NORTH_CHANNEL) == []  # all of it private to the person


def test_digests_received_lists_the_newest_first(services: Services, week_data: None) -> None:
    for week in ("2026-W46", "2026-W47", WEEK):
        send_coach_digest(services, coach_id=COACH, week=week, now=NOW)
    with services.session() as session:
        received = digests.digests_received(session, config=services.config, user_id=ANA)
    assert [(d.week, d.coach_id, d.team_id) for d in received] == [
        (WEEK, COACH, "north"),
        ("2026-W47", COACH, "north"),
        ("2026-W46", COACH, "north"),
    ]
    assert all(d.body.startswith("*North Neighbourhood Team*\n") for d in received)
