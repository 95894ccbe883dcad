"""Check-in rounds through the shift gate: who is asked now, who waits for their shift or for
Slack's do-not-disturb to end, who is off shift until the meeting — and that a restart neither
sends early nor forgets.

North's round opens on Monday 1 June 2026 at 10:00 in London, for Tuesday's 10:00 meeting.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.checkins import usecases as checkins
from bot.checkins.report import format_report
from bot.core.config import AppConfig
from bot.core.settings import Settings
from bot.jobs.tasks import Jobs
from bot.services import Services, open_services
from bot.shifts import usecases as shifts
from bot.shifts.usecases import PatternForm
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.web_api import FakeSlack
from storage import weekly
from storage.models import CheckinPrompt, PromptStatus, ShiftHold
from tests.conftest import ANA, BEN, CARA, DEV, SHARED

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 BST
MEETING = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # Tuesday 10:00 BST
NIGHTS = PatternForm("nights", tuple(str(d) for d in range(7)), "20:00", "08:00")


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


@pytest.fixture
def clock(services: Services) -> list[datetime]:
    now = [OPENS - timedelta(days=2)]
    services.clock = lambda: now[0]
    return now


def prompts(services: Services) -> dict[str, CheckinPrompt]:
    with services.session() as session:
        return {p.user_id: p for p in session.exec(select(CheckinPrompt))}


def holds(services: Services) -> dict[tuple[str, str], ShiftHold]:
    with services.session() as session:
        return {(h.kind, h.user_id): h for h in session.exec(select(ShiftHold))}


def dnd_calls(fake: FakeSlack) -> list[list[str]]:
    return [str(c.args["users"]).split(",") for c in fake.calls_to("dnd.teamInfo") if c.ok]


def test_the_night_nurse_and_the_one_in_dnd_wait_and_the_rest_are_asked(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    shifts.save_pattern(services, user_id=CARA, form=NIGHTS)  # set on Saturday
    clock[0] = OPENS
    fake_slack.set_dnd(BEN, OPENS - timedelta(hours=1), OPENS + timedelta(hours=2))
    fake_slack.set_dnd(DEV, OPENS - timedelta(hours=1), MEETING + timedelta(hours=1))

    report = checkins.send_round(services, team_id="north")

    assert report.asked == [ANA, SHARED]
    assert report.waiting == {
        BEN: OPENS + timedelta(hours=2),
        CARA: datetime(2026, 6, 1, 19, 0, tzinfo=UTC),
    }
    assert report.off_shift == [DEV]
    assert [fake_slack.dms(u) for u in (BEN, CARA, DEV)] == [[], [], []]
    assert len(fake_slack.dms(ANA)) == 1
    # DND is read only for those whose pattern has them working: all but Cara, in one call.
    assert dnd_calls(fake_slack) == [[ANA, BEN, DEV, SHARED]]
    stored = prompts(services)
    assert (stored[BEN].status, stored[BEN].not_before) == (
        PromptStatus.PENDING,
        OPENS + timedelta(hours=2),
    )
    assert stored[CARA].not_before == datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
    assert (stored[DEV].status, stored[DEV].not_before) == (PromptStatus.OFF_SHIFT, None)
    recorded = holds(services)
    assert (recorded[("checkin", CARA)].reason, recorded[("checkin", BEN)].reason) == (
        "pattern",
        "dnd",
    )
    assert recorded[("checkin", DEV)].send_at is None
    assert recorded[("checkin", DEV)].deadline == MEETING

    text = format_report(report)
    assert "off shift:      1  (U0DEV)" in text
    assert "waiting:        2" in text and "U0CARA until Mon 20:00" in text


def test_a_restart_neither_sends_early_nor_forgets(
    services: Services,
    fake_slack: FakeSlack,
    clock: list[datetime],
    settings: Settings,
    config: AppConfig,
) -> None:
    shifts.save_pattern(services, user_id=CARA, form=NIGHTS)
    clock[0] = OPENS
    fake_slack.set_dnd(BEN, OPENS - timedelta(hours=1), OPENS + timedelta(hours=2))
    checkins.send_round(services, team_id="north")
    services.engine.dispose()

    # Another process takes over, half an hour on: nothing is due yet.
    later = open_services(settings, config)
    now = [OPENS + timedelta(minutes=30)]
    later.clock = lambda: now[0]
    try:
        calls = len(fake_slack.calls_to("chat.postMessage"))
        Jobs(later).sweep()
        assert len(fake_slack.calls_to("chat.postMessage")) == calls
        assert len(dnd_calls(fake_slack)) == 1  # nothing due, nothing read

        # Ben's DND has ended: the sweep asks him, reading his DND again first.
        fake_slack.clear_dnd(BEN)
        now[0] = OPENS + timedelta(hours=2)
        Jobs(later).sweep()
        assert len(fake_slack.dms(BEN)) == 1 and fake_slack.dms(CARA) == []
        assert dnd_calls(fake_slack)[-1] == [BEN]

        # Cara's shift starts at 20:00: asked then, once.
        now[0] = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
        Jobs(later).sweep()
        Jobs(later).sweep()
        assert len(fake_slack.dms(CARA)) == 1
        assert prompts(later)[CARA].status == PromptStatus.SENT
    finally:
        later.engine.dispose()


def test_dnd_turned_on_again_when_the_held_dm_is_due_holds_it_again(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    clock[0] = OPENS
    fake_slack.set_dnd(BEN, OPENS, OPENS + timedelta(hours=1))
    checkins.send_round(services, team_id="north")
    fake_slack.set_dnd(BEN, OPENS + timedelta(hours=1), OPENS + timedelta(hours=3))  # snoozed on
    clock[0] = OPENS + timedelta(hours=1)

    report = checkins.send_round(services, team_id="north", read_members=False)

    assert report.waiting == {BEN: OPENS + timedelta(hours=3)}
    assert fake_slack.dms(BEN) == []


def test_the_reminder_waits_for_the_shift_too(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    clock[0] = OPENS
    checkins.send_round(services, team_id="north")
    clock[0] = OPENS + timedelta(hours=4)  # reminder_after: 4h
    fake_slack.set_dnd(BEN, clock[0] - timedelta(minutes=5), clock[0] + timedelta(hours=1))

    reminded = checkins.send_reminders(services, team_id="north")

    assert BEN not in reminded.reminded and {ANA, CARA, DEV, SHARED} <= set(reminded.reminded)
    assert holds(services)[("checkin_reminder", BEN)].send_at == clock[0] + timedelta(hours=1)
    clock[0] += timedelta(minutes=30)
    assert checkins.send_reminders(services, team_id="north").reminded == []
    assert len(dnd_calls(fake_slack)) == 2  # the round, the first reminders: the hold is kept
    fake_slack.clear_dnd(BEN)
    clock[0] += timedelta(hours=1)
    assert checkins.send_reminders(services, team_id="north").reminded == [BEN]
    assert len(fake_slack.dms(BEN)) == 2


def test_off_shift_is_not_counted_silent_in_the_summary(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    clock[0] = OPENS
    fake_slack.set_dnd(DEV, OPENS - timedelta(hours=1), MEETING + timedelta(hours=1))
    checkins.send_round(services, team_id="north")
    with services.session() as session:
        weeks = weekly.Weeks(
            bounds=(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC)),
            ref=MEETING,
            ref_date=MEETING.date(),
        )
        [(_, week)] = weekly.checkin_weeks(session, team_ids=["north"], weeks=weeks).items()
    assert (week.asked, week.off_shift, week.answered) == (4, 1, 0)


def test_changing_ones_pattern_lets_go_of_what_the_old_one_held(
    services: Services, fake_slack: FakeSlack, clock: list[datetime]
) -> None:
    wednesdays = PatternForm("days", ("2",), "08:00", "16:00")
    shifts.save_pattern(services, user_id=CARA, form=wednesdays)
    clock[0] = OPENS
    checkins.send_round(services, team_id="north")
    assert prompts(services)[CARA].status == PromptStatus.OFF_SHIFT

    shifts.save_pattern(services, user_id=CARA, form=NIGHTS)  # she swapped onto nights

    assert prompts(services)[CARA].status == PromptStatus.PENDING
    assert ("checkin", CARA) not in holds(services)
    clock[0] = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
    Jobs(services).sweep()
    assert len(fake_slack.dms(CARA)) == 1


def test_a_large_team_is_read_fifty_at_a_time_and_a_failure_is_said_once(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.core.config import parse_config

    members = [f"U{n:05d}X" for n in range(120)]
    yaml = (
        "organisation: {name: Big Care}\n"
        "defaults: {timezone: Europe/London, tactical: {day: tuesday, time: '10:00'}}\n"
        "teams:\n"
        f"  - {{id: big, name: Big Team, channel: C0BIG, members: [{', '.join(members)}]}}\n"
    )
    with FakeSlack(strict_users=False, strict_channels=False) as fake:
        services = open_services(
            Settings(
                bot_token="xoxb-big",
                slack_api_url=fake.url,
                database_url=f"sqlite:///{tmp_path}/big.db",
            ),
            parse_config(yaml, source="big.yaml"),
        )
        services.clock = lambda: OPENS
        try:
            fake.set_dnd(members[70], OPENS, OPENS + timedelta(hours=1))
            report = checkins.send_round(services, team_id="big")
            assert [len(users) for users in dnd_calls(fake)] == [50, 50, 20]
            assert report.waiting == {members[70]: OPENS + timedelta(hours=1)}
            assert len(report.asked) == 119

            # Rate limited from the first call of the next round: DMs go as before, one line said.
            fake.reset()
            fake.rate_limit_next("dnd.teamInfo", retry_after=30, times=5)
            services.clock = lambda: OPENS + timedelta(days=7)
            with caplog.at_level(logging.WARNING, logger="bot.shifts"):
                report = checkins.send_round(services, team_id="big")
            assert len(report.asked) == 120 and report.dnd_problem == "ratelimited"
            assert len(fake.calls_to("dnd.teamInfo")) == 1  # no more asked, and not waited out
            said = [r for r in caplog.records if "do-not-disturb" in r.getMessage()]
            assert len(said) == 1
            assert "DMs went by working patterns alone" in format_report(report)
        finally:
            services.engine.dispose()


def test_rounds_sent_at_the_same_hour_share_their_dnd_calls(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.core.config import parse_config
    from bot.shifts import dnd

    # Slack's pace, so the queue fills while the reader waits for its turn.
    monkeypatch.setattr(dnd, "PACE", Pace(4, 1))
    teams = [[f"U{t:02d}{n:03d}X" for n in range(12)] for t in range(10)]
    yaml = "organisation: {name: Many Teams}\n" + (
        "defaults: {timezone: Europe/London, tactical: {day: tuesday, time: '10:00'}}\nteams:\n"
    )
    for number, members in enumerate(teams):
        yaml += (
            f"  - {{id: t{number}, name: Team {number}, channel: C0T{number}, "
            f"members: [{', '.join(members)}]}}\n"
        )
    with FakeSlack(strict_users=False, strict_channels=False) as fake:
        services = open_services(
            Settings(
                bot_token="xoxb-many",
                slack_api_url=fake.url,
                database_url=f"sqlite:///{tmp_path}/many.db",
            ),
            parse_config(yaml, source="many.yaml"),
        )
        services.clock = lambda: OPENS
        try:
            with ThreadPoolExecutor(10) as pool:
                reports = list(
                    pool.map(lambda n: checkins.send_round(services, team_id=f"t{n}"), range(10))
                )
        finally:
            services.engine.dispose()
        assert sum(len(r.asked) for r in reports) == 120
        calls = dnd_calls(fake)
        assert sorted(u for call in calls for u in call) == sorted(u for t in teams for u in t)
        assert max(len(call) for call in calls) <= 50
        assert len(calls) < 10  # fewer calls than rounds: they were read together
