"""Check-in rounds: the database decides who is asked, once; answers are checked and stored.

The rounds go out over real HTTP to the local Slack stand-in, with a fixed clock: Monday 1 June
2026, 10:00 in London, exactly when North's round opens (24 h before its Tuesday meeting).
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.checkins import delivery
from bot.checkins.answers import check_answers, check_away_date, check_metric
from bot.checkins.delivery import dm_metadata
from bot.checkins.model import CheckinContext, NextCheckin, describe_error
from bot.checkins.rounds import close_past_rounds, record_missed
from bot.checkins.service import (
    checkin_context,
    checkin_for_command,
    save_checkin,
    set_away,
    skip_checkin,
    teams_of,
)
from bot.checkins.usecases import send_reminders, send_round
from bot.core.config import AppConfig, parse_config
from bot.core.errors import InvalidInputError, NotAllowedError, StaleActionError
from bot.core.settings import Settings
from bot.services import Services, open_services
from bot.slack import pacing
from bot.slack.outbox import IN_DOUBT_AFTER
from bot.slack.pacing import Pace, RealClock
from bot.standin.web_api import FakeSlack
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Member,
    OutcomeKind,
    PromptStatus,
    RoundStatus,
    Tension,
    TensionStatus,
)
from tests.conftest import ANA, BEN, CARA, DEV, SHARED, TEST_APP_YAML

NORTH = [ANA, BEN, CARA, DEV, SHARED]
OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 BST
MEETING = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # Tuesday 10:00 BST


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests do not wait on Slack's budget (the pace has its own test)."""
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def clock(services: Services) -> list[datetime]:
    """The services' clock, as a one-item list a test can move."""
    now = [OPENS]
    services.clock = lambda: now[0]
    return now


def prompts(services: Services) -> dict[str, CheckinPrompt]:
    with services.session() as session:
        return {p.user_id: p for p in session.exec(select(CheckinPrompt))}


def dm_count(fake: FakeSlack, users: list[str]) -> dict[str, int]:
    return {user: len(fake.dms(user)) for user in users}


# --- Sending ------------------------------------------------------------------------------------


def test_a_round_goes_at_the_services_own_pace_when_it_has_one(
    services: Services,
    fake_slack: FakeSlack,
    clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack's pace unless ``Services.dm_pace`` is set (the demo's local Slack has no limit)."""
    used: list[Pace] = []
    real = delivery.paced_client
    monkeypatch.setattr(delivery, "paced_client", lambda c, p: used.append(p) or real(c, p))
    own = Pace(per_second=math.inf)
    services.dm_pace = own
    assert send_round(services, team_id="north", now=OPENS).asked == sorted(NORTH)
    assert used == [own]


def test_a_round_asks_every_member_once_with_the_meeting_in_local_time(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    report = send_round(services, team_id="north", now=OPENS)
    assert report.asked == sorted(NORTH)
    assert (report.already_asked, report.away, report.failed, report.late) == ([], [], {}, False)
    dm = fake_slack.dms(ANA)[0]
    assert "Tuesday 2 June at 10:00" in dm.all_text and "later than planned" not in dm.all_text
    buttons = [e["action_id"] for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["checkin_open", "checkin_skip", "checkin_away"]
    stored = prompts(services)
    assert {u: p.status for u, p in stored.items()} == dict.fromkeys(NORTH, PromptStatus.SENT)
    assert stored[ANA].message_ts == dm.ts and stored[ANA].channel == dm.channel
    with services.session() as session:
        [round_] = session.exec(select(CheckinRound)).all()
    assert (round_.team_id, round_.meeting_date, round_.meeting_at) == (
        "north",
        date(2026, 6, 2),
        MEETING,
    )

    again = send_round(services, team_id="north", now=OPENS + timedelta(minutes=5))
    assert again.asked == [] and again.already_asked == sorted(NORTH)
    assert dm_count(fake_slack, NORTH) == dict.fromkeys(NORTH, 1)


def test_prompts_are_written_before_any_dm_goes_out(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    seen: list[int] = []

    def count_prompts(args: dict) -> bool:
        seen.append(len(prompts(services)))
        return False  # let every call through

    fake_slack.fail_next("chat.postMessage", when=count_prompts, times=99)
    send_round(services, team_id="north", now=OPENS)
    assert seen and set(seen) == {len(NORTH)}


def test_the_same_round_from_a_restart_or_two_threads_at_once_asks_each_member_once(
    services: Services, settings: Settings, config: AppConfig, fake_slack: FakeSlack
) -> None:
    fake_slack.delay("chat.postMessage", 0.05)  # keep both senders in flight together
    second = open_services(settings, config)  # another process on the same database
    try:
        reports = []
        runs = [
            threading.Thread(
                target=lambda s=s: reports.append(send_round(s, team_id="north", now=OPENS))
            )
            for s in (services, second)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        assert sorted(u for r in reports for u in r.asked) == sorted(NORTH)
        restarted = open_services(settings, config)
        try:
            assert send_round(restarted, team_id="north", now=OPENS).asked == []
        finally:
            restarted.engine.dispose()
    finally:
        second.engine.dispose()
    assert dm_count(fake_slack, NORTH) == dict.fromkeys(NORTH, 1)
    assert len(fake_slack.calls_to("chat.postMessage")) == len(NORTH)


def test_a_member_slack_refuses_is_recorded_and_the_round_goes_on(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    fake_slack.add_user(BEN, name="Ben", deleted=True)
    fake_slack.fail_next("chat.postMessage", "cannot_dm_bot", when=lambda a: a["channel"] == DEV)
    report = send_round(services, team_id="north", now=OPENS)
    assert report.failed == {BEN: "user_disabled", DEV: "cannot_dm_bot"}
    assert report.asked == sorted([ANA, CARA, SHARED])
    assert prompts(services)[BEN].status == PromptStatus.FAILED
    # A deactivated account will not come back by itself: not retried unless asked to.
    assert send_round(services, team_id="north", now=OPENS).failed == report.failed
    fake_slack.add_user(BEN, name="Ben")
    retried = send_round(services, team_id="north", now=OPENS, retry_failed=True)
    assert sorted(retried.asked) == [BEN, DEV] and retried.failed == {}


def test_slack_errors_after_retries_fail_one_member_and_are_tried_again_later(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    # Three 500s for Cara outlast the client's two retries.
    fake_slack.fail_next(
        "chat.postMessage",
        "internal_error",
        status=500,
        times=3,
        when=lambda a: a["channel"] == CARA,
    )
    report = send_round(services, team_id="north", now=OPENS)
    assert report.failed == {CARA: "internal_error"}
    assert len(report.asked) == 4
    later = send_round(services, team_id="north", now=OPENS + timedelta(minutes=1))
    assert later.asked == [CARA] and later.failed == {}


def test_429s_are_waited_out(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1, times=2)
    report = send_round(services, team_id="north", now=OPENS)
    assert report.asked == sorted(NORTH) and report.failed == {}
    refused = [c for c in fake_slack.calls_to("chat.postMessage") if c.status == 429]
    assert len(refused) == 2
    assert dm_count(fake_slack, NORTH) == dict.fromkeys(NORTH, 1)


def test_the_pace_spaces_calls_after_its_burst() -> None:
    pace = Pace(per_second=20, burst=3)
    started = RealClock.monotonic()
    for _ in range(7):
        pace.wait()
    elapsed = RealClock.monotonic() - started
    assert 0.18 <= elapsed < 0.5  # three at once, then four 50 ms apart


def test_away_members_are_not_asked_and_say_so(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    with services.session() as session:
        set_away(session, user_id=DEV, until=date(2026, 6, 2), now=OPENS)
    report = send_round(services, team_id="north", now=OPENS)
    assert report.away == [DEV] and DEV not in report.asked
    assert fake_slack.dms(DEV) == []
    assert prompts(services)[DEV].status == PromptStatus.AWAY


def test_an_absence_ending_before_the_meeting_does_not_count(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    with services.session() as session:
        set_away(session, user_id=DEV, until=date(2026, 6, 1), now=OPENS)
    assert DEV in send_round(services, team_id="north", now=OPENS).asked


def test_a_claim_left_by_a_stopped_process_is_checked_against_the_dm_history(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    send_round(services, team_id="north", now=OPENS)
    # As if a process had claimed Ana's and Ben's prompts, posted only Ana's DM, and died.
    with services.session() as session:
        for user in (ANA, BEN):
            prompt = session.exec(select(CheckinPrompt).where(CheckinPrompt.user_id == user)).one()
            prompt.status, prompt.message_ts, prompt.claimed_at = PromptStatus.SENDING, None, OPENS
            session.add(prompt)
        session.commit()
    fake_slack.reset()
    ana = prompts(services)[ANA]
    posted = services.client.chat_postMessage(
        channel=ANA, text="check in", metadata=dm_metadata(ana.id or 0, ana.round_id)
    )
    clock[0] = OPENS + timedelta(minutes=5)
    assert send_round(services, team_id="north").in_progress == [ANA, BEN]
    clock[0] = OPENS + IN_DOUBT_AFTER + timedelta(minutes=1)
    report = send_round(services, team_id="north")
    assert report.asked == [BEN]  # Ben's never arrived: asked now; Ana's is found, not re-sent
    assert prompts(services)[ANA].message_ts == posted["ts"]
    assert prompts(services)[ANA].status == PromptStatus.SENT
    assert len(fake_slack.dms(ANA)) == 1 and len(fake_slack.dms(BEN)) == 1


def test_a_claim_slack_cannot_confirm_is_not_sent_again(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    send_round(services, team_id="north", now=OPENS)
    with services.session() as session:
        prompt = session.exec(select(CheckinPrompt).where(CheckinPrompt.user_id == ANA)).one()
        prompt.status, prompt.claimed_at = PromptStatus.SENDING, OPENS
        session.add(prompt)
        session.commit()
    fake_slack.fail_next("conversations.history", "missing_scope")
    clock[0] = OPENS + IN_DOUBT_AFTER + timedelta(minutes=1)
    report = send_round(services, team_id="north")
    assert report.failed == {ANA: "in_doubt:missing_scope"}
    assert "could not check whether it arrived" in describe_error(report.failed[ANA])
    assert send_round(services, team_id="north").failed == report.failed
    assert len(fake_slack.dms(ANA)) == 1


def test_members_come_from_the_user_group_read_again_at_each_round(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    config = parse_config(
        TEST_APP_YAML.replace(
            f"members: [{ANA}, {BEN}, {CARA}, {DEV}, {SHARED}]",
            f"members: [{ANA}]\n    usergroup: S0NORTH",
        )
    )
    fake_slack.add_usergroup("S0NORTH", [BEN, CARA])
    services = open_services(settings, config)
    try:
        first = send_round(services, team_id="north", now=OPENS)
        assert first.asked == [ANA, BEN, CARA]
        fake_slack.add_usergroup("S0NORTH", [CARA, DEV])  # Ben left the group, Dev joined
        next_week = OPENS + timedelta(days=7)
        assert send_round(services, team_id="north", now=next_week).asked == [ANA, CARA, DEV]
        fake_slack.fail_next("usergroups.users.list", "missing_scope")
        week_after = OPENS + timedelta(days=14)
        report = send_round(services, team_id="north", now=week_after)
        assert report.asked == [ANA, CARA, DEV]  # the members already known
        assert report.roster_problem == "could not read user group S0NORTH: missing_scope"
        # A restart keeps the group's members: app.yaml alone does not know them.
        restarted = open_services(settings, config)
        with restarted.session() as session:
            assert teams_of(session, config=config, user_id=DEV)[0].id == "north"
        restarted.engine.dispose()
    finally:
        services.engine.dispose()


def test_a_member_in_another_zone_is_asked_in_their_morning(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    config = parse_config(
        TEST_APP_YAML.replace(
            f"members: [{ANA}, {BEN}, {CARA}, {DEV}, {SHARED}]",
            f"members: [{ANA}, {{id: {BEN}, timezone: Asia/Tokyo}}]",
        )
    )
    services = open_services(settings, config)
    try:
        report = send_round(services, team_id="north", now=OPENS)  # 18:00 in Tokyo: fine
        assert report.asked == [ANA, BEN]
        late_opening = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
        report = send_round(services, team_id="north", now=late_opening)
        morning = datetime(2026, 6, 8, 23, 0, tzinfo=UTC)  # 08:00 on Tuesday in Tokyo
        assert report.asked == [ANA] and report.waiting == {BEN: morning}
        assert send_round(services, team_id="north", now=morning - timedelta(minutes=1)).asked == []
        assert send_round(services, team_id="north", now=morning).asked == [BEN]
    finally:
        services.engine.dispose()


# --- Rounds over time -----------------------------------------------------------------------------


def test_past_rounds_close_and_meetings_missed_while_down_are_recorded(
    services: Services, config: AppConfig, clock: list[datetime]
) -> None:
    send_round(services, team_id="north", now=OPENS)
    three_weeks_later = OPENS + timedelta(days=21, hours=2)  # Monday 22 June, after the 16th
    with services.session() as session:
        assert close_past_rounds(session, team_id="north", now=three_weeks_later) == 1
        missed = record_missed(session, team=config.team("north"), now=three_weeks_later)
        assert missed == [date(2026, 6, 9), date(2026, 6, 16)]
        assert record_missed(session, team=config.team("north"), now=three_weeks_later) == []
        statuses = {r.meeting_date: r.status for r in session.exec(select(CheckinRound))}
    assert statuses == {
        date(2026, 6, 2): RoundStatus.CLOSED,
        date(2026, 6, 9): RoundStatus.MISSED,
        date(2026, 6, 16): RoundStatus.MISSED,
    }


def test_a_team_that_never_had_a_round_missed_nothing(
    services: Services, config: AppConfig
) -> None:
    with services.session() as session:
        assert record_missed(session, team=config.team("north"), now=OPENS) == []


# --- Reminders ------------------------------------------------------------------------------------


def test_reminders_go_once_and_only_to_the_silent(
    services: Services, config: AppConfig, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    fake_slack.add_user(DEV, name="Dev", deleted=True)
    report = send_round(services, team_id="north", now=OPENS)
    with services.session() as session:
        answers = check_answers(config=config, team=config.team("north"), user_id=ANA, mood="4")
        save_checkin(
            session,
            config=config,
            round_id=report.round_id,
            user_id=ANA,
            answers=answers,
            now=OPENS,
        )
        skip_checkin(session, round_id=report.round_id, user_id=BEN, now=OPENS)
        set_away(session, user_id=CARA, until=date(2026, 6, 5), now=OPENS)
    too_soon = send_reminders(services, team_id="north", now=OPENS + timedelta(hours=3))
    assert too_soon.reminded == []
    due = OPENS + timedelta(hours=4)
    assert send_reminders(services, team_id="north", now=due).reminded == [SHARED]
    assert send_reminders(services, team_id="north", now=due + timedelta(hours=1)).reminded == []
    reminder = fake_slack.dms(SHARED)[-1]
    assert "gentle nudge" in reminder.all_text
    assert prompts(services)[SHARED].reminder_ts == reminder.ts
    assert [len(fake_slack.dms(u)) for u in (ANA, BEN, CARA)] == [1, 1, 1]
    after_meeting = MEETING + timedelta(minutes=1)
    assert send_reminders(services, team_id="north", now=after_meeting).reminded == []


# --- Answers --------------------------------------------------------------------------------------


def north(config: AppConfig):  # type: ignore[no-untyped-def]
    return config.team("north")


def test_answers_are_checked_field_by_field(config: AppConfig) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_answers(
            config=config,
            team=north(config),
            user_id=ANA,
            mood=None,
            note="x" * 501,
            metrics={"visits": "twelve"},
            story="Mrs B, 12 High Street, LS1 4DY, was delighted",
            tension_text="y" * 2001,
        )
    errors = caught.value.field_errors
    assert set(errors) == {"mood", "note", "metric:visits", "story", "tension"}
    assert errors["mood"] == "Pick how you're arriving, from 1 to 5."
    assert errors["metric:visits"] == "Please enter a number of visits, like 12."
    assert "postcode" in errors["story"]
    assert "under 500" in errors["note"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", 12), (" 7.5 ", 7.5), ("1,200", 1200), ("", None), ("0", 0), ("100000", 100000)],
)
def test_metric_values_are_numbers_within_range(
    config: AppConfig, typed: str, expected: float | None
) -> None:
    assert check_metric(north(config).metrics[0], typed) == expected


@pytest.mark.parametrize("typed", ["-1", "100001", "nan", "inf", "1e9", "12 visits"])
def test_metric_values_out_of_range_or_not_numbers_are_field_errors(
    config: AppConfig, typed: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_metric(north(config).metrics[0], typed)
    assert list(caught.value.field_errors) == ["metric:visits"]


def test_a_teams_own_questions_and_checklist_are_answered(config: AppConfig) -> None:
    team = parse_config(
        TEST_APP_YAML.replace(
            "    metrics:\n",
            "    questions: [What went well?, What is in the way?]\n"
            "    checklist: [Rota published, Audit done]\n    metrics:\n",
        )
    ).team("north")
    answers = check_answers(
        config=config,
        team=team,
        user_id=ANA,
        mood="3",
        answers={0: "A good visit", 1: ""},
        checklist_ticked=["1"],
        shared=False,
    )
    assert answers.answers == {"What went well?": "A good visit"}
    assert answers.checklist == {"Rota published": False, "Audit done": True}
    assert (answers.mood, answers.shared) == (3, False)


def open_round(services: Services) -> int:
    return send_round(services, team_id="north", now=OPENS).round_id


def test_resubmitting_edits_the_one_answer(
    services: Services, config: AppConfig, clock: list[datetime]
) -> None:
    round_id = open_round(services)
    first = check_answers(config=config, team=north(config), user_id=ANA, mood="2", note="Tired")
    second = check_answers(
        config=config, team=north(config), user_id=ANA, mood="4", metrics={"visits": "9"}
    )
    with services.session() as session:
        saved = save_checkin(
            session, config=config, round_id=round_id, user_id=ANA, answers=first, now=OPENS
        )
        assert not saved.edited and saved.prompt.status == PromptStatus.ANSWERED
        later = OPENS + timedelta(hours=1)
        again = save_checkin(
            session, config=config, round_id=round_id, user_id=ANA, answers=second, now=later
        )
        assert again.edited
        [stored] = session.exec(select(CheckinResponse)).all()
    assert (stored.mood, stored.note, stored.metric_values) == (4, "", {"visits": 9})
    assert stored.created_at == OPENS and stored.updated_at == OPENS + timedelta(hours=1)


def test_no_answer_after_the_meeting_or_from_another_team(
    services: Services, config: AppConfig, clock: list[datetime]
) -> None:
    round_id = open_round(services)
    answers = check_answers(config=config, team=north(config), user_id=ANA, mood="3")
    with services.session() as session:
        with pytest.raises(StaleActionError, match="closed when the meeting started"):
            save_checkin(
                session, config=config, round_id=round_id, user_id=ANA, answers=answers, now=MEETING
            )
        with pytest.raises(NotAllowedError):
            save_checkin(
                session,
                config=config,
                round_id=round_id,
                user_id="U0SAM",
                answers=answers,
                now=OPENS,
            )


def test_ticking_my_actions_done_marks_only_mine(
    services: Services, config: AppConfig, clock: list[datetime]
) -> None:
    round_id = open_round(services)
    with services.session() as session:
        mine = Tension(
            team_id="north",
            raised_by=BEN,
            text="Fix the rota",
            owner=ANA,
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.NEXT_ACTION,
        )
        theirs = Tension(
            team_id="north",
            raised_by=ANA,
            text="Call the GP",
            owner=BEN,
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.NEXT_ACTION,
        )
        session.add_all([mine, theirs])
        session.commit()
        context = checkin_context(session, config=config, round_id=round_id, user_id=ANA, now=OPENS)
        assert [t.text for t in context.actions] == ["Fix the rota"]
        answers = check_answers(
            config=config,
            team=north(config),
            user_id=ANA,
            mood="5",
            done_ticked=[str(mine.id), str(theirs.id)],
        )
        saved = save_checkin(
            session, config=config, round_id=round_id, user_id=ANA, answers=answers, now=OPENS
        )
        assert saved.actions_done == 1
        session.expire_all()
        assert session.get(Tension, mine.id).done_at == OPENS  # type: ignore[union-attr]
        assert session.get(Tension, theirs.id).done_at is None  # type: ignore[union-attr]


def test_skipping_after_answering_is_refused_kindly(
    services: Services, config: AppConfig, clock: list[datetime]
) -> None:
    round_id = open_round(services)
    answers = check_answers(config=config, team=north(config), user_id=ANA, mood="3")
    with services.session() as session:
        save_checkin(
            session, config=config, round_id=round_id, user_id=ANA, answers=answers, now=OPENS
        )
        with pytest.raises(StaleActionError, match="already checked in"):
            skip_checkin(session, round_id=round_id, user_id=ANA, now=OPENS)


def test_away_and_back_follow_the_open_round(services: Services, clock: list[datetime]) -> None:
    open_round(services)
    with services.session() as session:
        changed = set_away(session, user_id=SHARED, until=date(2026, 6, 12), now=OPENS)
        assert [p.status for p in changed] == [PromptStatus.AWAY]
        members = session.exec(select(Member).where(Member.user_id == SHARED)).all()
        assert {m.team_id: m.away_until for m in members} == {
            "north": date(2026, 6, 12),
            "south": date(2026, 6, 12),
        }
        back = set_away(session, user_id=SHARED, until=None, now=OPENS)
        assert [p.status for p in back] == [PromptStatus.SENT]


def test_the_away_date_must_be_from_today_and_within_a_year() -> None:
    today = date(2026, 6, 1)
    assert check_away_date("2026-06-01", today=today) == today
    for bad, message in [
        (None, "Pick the last day"),
        ("2026-05-31", "has passed"),
        ("2027-06-03", "within the next year"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            check_away_date(bad, today=today)


def test_checkin_command_finds_the_open_round_or_the_next_opening(
    services: Services, config: AppConfig
) -> None:
    before = OPENS - timedelta(hours=2)
    with services.session() as session:
        found = checkin_for_command(
            session, config=config, user_id=ANA, channel_id=None, now=before
        )
        assert isinstance(found, NextCheckin)
        assert (found.team.id, found.opens_at, found.meeting_at) == ("north", OPENS, MEETING)
        # Due but not sent yet: the round opens for this person at once.
        found = checkin_for_command(
            session, config=config, user_id=ANA, channel_id=None, now=OPENS + timedelta(minutes=1)
        )
        assert isinstance(found, CheckinContext) and found.round.meeting_at == MEETING
        # After the meeting: the next week's opening.
        found = checkin_for_command(
            session, config=config, user_id=ANA, channel_id=None, now=MEETING + timedelta(hours=1)
        )
        assert isinstance(found, NextCheckin)
        assert found.opens_at == OPENS + timedelta(days=7)
