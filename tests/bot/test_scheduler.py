"""The scheduler: jobs at the right local time across DST, catching up, one leader, reloads."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

import bot.standin  # noqa: F401  (the stand-in keeps real time while a test freezes the app's)
from bot.checkins import usecases as checkins
from bot.core.config import AppConfig, load_config, parse_config
from bot.core.settings import Settings
from bot.jobs.scheduler import Scheduler, reload_on_sighup
from bot.jobs.triggers import (
    MeetingTrigger,
    WeeklyTrigger,
    coach_schedules,
    derive_jobs,
    previous_week,
)
from bot.services import Services, open_services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.web_api import FakeSlack
from storage.locks import AdvisoryLock, LeaseLock
from storage.models import (
    CheckinPrompt,
    CheckinRound,
    DigestKind,
    PromptStatus,
    RoundStatus,
    SentDigest,
)
from tests.conftest import ANA, BEN, CARA, DEV, SHARED, TEST_APP_YAML

NORTH = [ANA, BEN, CARA, DEV, SHARED]


@pytest.fixture(autouse=True)
def fast_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:  # type: ignore[no-untyped-def]
    """The trigger's fire times in [start, end), chained as APScheduler chains them."""
    times = []
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and moment < end:
        times.append(moment)
        moment = trigger.get_next_fire_time(moment, moment)
    return times


def local(moments: list[datetime], zone: str = "Europe/London") -> list[str]:
    from zoneinfo import ZoneInfo

    return [m.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") for m in moments]


def jobs_by_id(config: AppConfig) -> dict[str, object]:
    return {spec.id: spec.trigger for spec in derive_jobs(config)}


# --- Triggers -------------------------------------------------------------------------------------


def test_jobs_follow_app_yaml_for_each_team_and_coach(config: AppConfig) -> None:
    assert sorted(jobs_by_id(config)) == sorted(
        [
            "checkin:north",
            "remind:north",
            "agenda:north",
            "summary:north",
            "checkin:south",
            "remind:south",
            "agenda:south",
            "summary:south",
            "digest:U0COACH",
            "digest:U0SCOACH",
        ]
    )


@pytest.mark.parametrize(
    ("start", "end", "opens", "reminders", "agendas"),
    [
        # Clocks go forward on Sunday 29 March 2026...
        (
            datetime(2026, 3, 16, tzinfo=UTC),
            datetime(2026, 4, 8, tzinfo=UTC),
            ["Mon 16 Mar 10:00", "Mon 23 Mar 10:00", "Mon 30 Mar 10:00", "Mon 06 Apr 10:00"],
            ["Mon 16 Mar 14:00", "Mon 23 Mar 14:00", "Mon 30 Mar 14:00", "Mon 06 Apr 14:00"],
            ["Tue 17 Mar 09:30", "Tue 24 Mar 09:30", "Tue 31 Mar 09:30", "Tue 07 Apr 09:30"],
        ),
        # ...and back on Sunday 25 October 2026.
        (
            datetime(2026, 10, 12, tzinfo=UTC),
            datetime(2026, 11, 4, tzinfo=UTC),
            ["Mon 12 Oct 10:00", "Mon 19 Oct 10:00", "Mon 26 Oct 10:00", "Mon 02 Nov 10:00"],
            ["Mon 12 Oct 14:00", "Mon 19 Oct 14:00", "Mon 26 Oct 14:00", "Mon 02 Nov 14:00"],
            ["Tue 13 Oct 09:30", "Tue 20 Oct 09:30", "Tue 27 Oct 09:30", "Tue 03 Nov 09:30"],
        ),
    ],
)
def test_meeting_jobs_keep_their_local_time_across_both_dst_changes(
    config: AppConfig,
    start: datetime,
    end: datetime,
    opens: list[str],
    reminders: list[str],
    agendas: list[str],
) -> None:
    jobs = jobs_by_id(config)
    assert local(fire_times(jobs["checkin:north"], start, end)) == opens
    assert local(fire_times(jobs["remind:north"], start, end)) == reminders
    assert local(fire_times(jobs["agenda:north"], start, end)) == agendas


def test_weekly_deliveries_keep_their_local_time_in_each_zone() -> None:
    config = parse_config(
        TEST_APP_YAML.replace(
            "    coaches: [U0COACH]", "    coaches: [{id: U0COACH, timezone: America/New_York}]"
        )
    )
    jobs = jobs_by_id(config)
    march = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC))
    assert local(fire_times(jobs["summary:north"], *march)) == [
        "Mon 02 Mar 08:30",
        "Mon 09 Mar 08:30",
        "Mon 16 Mar 08:30",
        "Mon 23 Mar 08:30",
        "Mon 30 Mar 08:30",
        "Mon 06 Apr 08:30",
    ]
    # New York changes its clocks on 8 March, London on 29 March: each coach keeps 08:30.
    digests = fire_times(jobs["digest:U0COACH"], *march)
    assert local(digests, "America/New_York") == [
        "Mon 02 Mar 08:30",
        "Mon 09 Mar 08:30",
        "Mon 16 Mar 08:30",
        "Mon 23 Mar 08:30",
        "Mon 30 Mar 08:30",
        "Mon 06 Apr 08:30",
    ]
    assert coach_schedules(config)["U0COACH"][1].key == "America/New_York"
    assert previous_week(digests[0], coach_schedules(config)["U0COACH"][1]) == "2026-W09"


def test_a_fortnightly_team_counts_from_its_start_week() -> None:
    config = parse_config(
        TEST_APP_YAML.replace(
            "  - id: south\n",
            "  - id: south\n"
            "    tactical: {day: thursday, time: '14:00', every: 2, start_week: 2026-W12}\n",
        )
    )
    opens = fire_times(
        jobs_by_id(config)["checkin:south"],
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 30, tzinfo=UTC),
    )
    assert local(opens) == [
        "Wed 18 Mar 14:00",
        "Wed 01 Apr 14:00",
        "Wed 15 Apr 14:00",
        "Wed 29 Apr 14:00",
    ]


def test_a_trigger_due_now_fires_now(config: AppConfig) -> None:
    opens = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    trigger = MeetingTrigger(config.team("north"), timedelta(hours=24))
    assert trigger.get_next_fire_time(None, opens) == opens
    assert trigger.get_next_fire_time(opens, opens) == opens + timedelta(days=7)
    weekly = WeeklyTrigger("monday", opens.time(), UTC)  # type: ignore[arg-type]
    assert weekly.latest(opens + timedelta(days=6)) == opens


# --- Running the jobs with the clock moving through DST -------------------------------------------


@pytest.fixture
def scheduler(services: Services) -> Iterator[Scheduler]:
    """A scheduler on the test services whose jobs a test runs by hand (no thread)."""
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="test"))
    yield scheduler
    scheduler.stop()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 4, 8, tzinfo=UTC)),
        (datetime(2026, 10, 12, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)),
    ],
)
def test_rounds_go_out_once_a_week_at_ten_local_through_dst(
    services: Services,
    scheduler: Scheduler,
    fake_slack: FakeSlack,
    start: datetime,
    end: datetime,
) -> None:
    jobs = jobs_by_id(services.config)
    events = sorted(
        [(t, "open_checkin") for t in fire_times(jobs["checkin:north"], start, end)]
        + [(t, "remind") for t in fire_times(jobs["remind:north"], start, end)]
    )
    for moment, action in events:
        with freeze_time(moment):
            getattr(scheduler, action)("north")
            # A second firing (another process, a retry) changes nothing.
            getattr(scheduler, action)("north")
    with services.session() as session:
        rounds = session.exec(select(CheckinRound).order_by(CheckinRound.meeting_date)).all()
        prompts = session.exec(select(CheckinPrompt)).all()
    assert len(rounds) == 4 and all(r.status == RoundStatus.OPEN for r in rounds[-1:])
    assert [local([r.opens_at])[0][-5:] for r in rounds] == ["10:00"] * 4
    assert len(prompts) == 4 * len(NORTH)
    dm_times = sorted({p.sent_at for p in prompts})
    assert local(dm_times) == local([r.opens_at for r in rounds])
    for user in NORTH:
        messages = fake_slack.dms(user)
        assert len(messages) == 8  # four check-ins and four reminders, none doubled
        assert sum("gentle nudge" in m.all_text for m in messages) == 4


# --- Catching up ----------------------------------------------------------------------------------

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_a_round_missed_while_down_is_sent_late_if_its_meeting_is_ahead(
    services: Services, scheduler: Scheduler, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        checkins.send_round(services, team_id="north")  # the app ran last week
    with freeze_time(OPENS + timedelta(days=7, hours=5)):  # down all Monday morning
        scheduler.catch_up()
        scheduler.catch_up()
    for user in NORTH:
        latest = fake_slack.dms(user)
        assert len(latest) == 2
        assert (
            "later than planned" in latest[-1].all_text and "Tuesday 9 June" in latest[-1].all_text
        )


def test_a_round_whose_meeting_passed_while_down_is_recorded_as_missed(
    services: Services, scheduler: Scheduler, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        checkins.send_round(services, team_id="north")
    with freeze_time(OPENS + timedelta(days=9)):  # Wednesday after the next meeting
        scheduler.catch_up()
    with services.session() as session:
        statuses = {
            r.meeting_date: r.status
            for r in session.exec(select(CheckinRound).where(CheckinRound.team_id == "north"))
        }
    assert statuses == {date(2026, 6, 2): RoundStatus.CLOSED, date(2026, 6, 9): RoundStatus.MISSED}
    assert all(len(fake_slack.dms(user)) == 1 for user in NORTH)


def test_a_new_install_sends_nothing_on_start_up(
    services: Services, scheduler: Scheduler, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS + timedelta(hours=5)):
        scheduler.catch_up()
    assert fake_slack.calls_to("chat.postMessage") == []
    with services.session() as session:
        assert session.exec(select(CheckinRound)).all() == []


def test_the_sweep_sends_dms_held_for_the_morning_and_retries_slacks_errors(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    config = parse_config(
        TEST_APP_YAML.replace(
            f"members: [{ANA}, {BEN}, {CARA}, {DEV}, {SHARED}]",
            f"members: [{ANA}, {CARA}, {{id: {BEN}, timezone: Asia/Tokyo}}]",
        )
    )
    services = open_services(settings, config)
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="test"))
    try:
        fake_slack.fail_next(
            "chat.postMessage",
            "internal_error",
            status=500,
            times=3,
            when=lambda a: a["channel"] == CARA,
        )
        night_in_tokyo = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
        with freeze_time(night_in_tokyo):
            report = checkins.send_round(services, team_id="north")
        assert report.asked == [ANA] and list(report.waiting) == [BEN] and CARA in report.failed
        with freeze_time(night_in_tokyo + timedelta(minutes=1)):
            scheduler.sweep()  # no scheduler thread: the sweep's sends run at once
        assert len(fake_slack.dms(CARA)) == 1 and fake_slack.dms(BEN) == []
        with freeze_time(datetime(2026, 6, 1, 23, 0, tzinfo=UTC)):  # 08:00 in Tokyo
            scheduler.sweep()
        assert len(fake_slack.dms(BEN)) == 1
        with freeze_time(datetime(2026, 6, 2, 0, 0, tzinfo=UTC)):  # hours later: reminders due
            scheduler.sweep()
        assert [len(fake_slack.dms(u)) for u in (ANA, CARA, BEN)] == [2, 2, 1]
    finally:
        scheduler.stop()
        services.engine.dispose()


# --- One leader -----------------------------------------------------------------------------------


def test_a_lease_elects_one_holder_and_passes_on_when_it_runs_out(
    services: Services, settings: Settings, config: AppConfig
) -> None:
    now = [OPENS]
    services.clock = lambda: now[0]
    first = LeaseLock(services, holder="a", lease=timedelta(seconds=30))
    second = LeaseLock(services, holder="b", lease=timedelta(seconds=30))
    assert first.acquire() and not second.acquire()
    now[0] += timedelta(seconds=20)
    assert first.renew() and not second.acquire()
    now[0] += timedelta(seconds=31)  # a stopped without renewing
    assert second.acquire() and not first.renew() and not first.acquire()
    second.release()
    assert first.acquire()


def test_schedulers_elect_one_leader_and_another_takes_over(
    services: Services, settings: Settings, config: AppConfig
) -> None:
    now = [OPENS]
    services.clock = lambda: now[0]
    other = open_services(settings, config)
    other.clock = services.clock
    leader = Scheduler(services, lock=LeaseLock(services, holder="a"))
    follower = Scheduler(other, lock=LeaseLock(other, holder="b"))
    try:
        assert leader.step() and not follower.step()
        assert "checkin:north" in dict(leader.jobs()) and follower.jobs() == []
        leader.lock.release = lambda: None  # type: ignore[method-assign]  # as if killed
        leader._follow(wait=True)
        now[0] += timedelta(seconds=29)
        assert not follower.step()
        now[0] += timedelta(seconds=2)
        assert follower.step() and "sweep" in dict(follower.jobs())
        assert not leader.step()
    finally:
        follower.stop()
        leader.stop()
        other.engine.dispose()


def test_a_leader_that_loses_its_lease_stops_its_jobs(
    services: Services, settings: Settings, config: AppConfig
) -> None:
    now = [OPENS]
    services.clock = lambda: now[0]
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="a"))
    try:
        assert scheduler.step()
        now[0] += timedelta(minutes=5)
        assert LeaseLock(services, holder="b").acquire()  # it stalled; b took over
        assert not scheduler.step() and scheduler.jobs() == []
    finally:
        scheduler.stop()


def test_the_scheduler_thread_leads_and_hands_over_on_stop(
    services: Services, settings: Settings, config: AppConfig
) -> None:
    other = open_services(settings, config)
    first = Scheduler(services, renew_every=0.05, poll_every=0.05).start()
    second = Scheduler(other, renew_every=0.05, poll_every=0.05)
    try:
        assert first.became_leader.wait(10)
        second.start()
        time.sleep(0.3)
        assert first.leading and not second.leading
        first.stop()
        assert second.became_leader.wait(10)
    finally:
        first.stop()
        second.stop()
        other.engine.dispose()


def test_postgresql_advisory_lock_frees_when_its_connection_dies(
    services: Services, settings: Settings, config: AppConfig
) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    first, second = AdvisoryLock(services.engine), AdvisoryLock(services.engine)
    try:
        assert first.acquire() and first.renew() and not second.acquire()
        assert first._connection is not None
        first._connection.connection.dbapi_connection.close()  # type: ignore[union-attr]
        assert not first.renew()
        assert second.acquire()
        second.release()
        assert first.acquire()
    finally:
        first.release()
        second.release()


# --- Reloading ------------------------------------------------------------------------------------


def test_reload_derives_the_jobs_from_the_new_app_yaml(
    services: Services, scheduler: Scheduler
) -> None:
    assert scheduler.step()
    assert "checkin:south" in dict(scheduler.jobs())
    without_south = parse_config(TEST_APP_YAML.split("  - id: south")[0])
    assert scheduler.reload(without_south)
    assert services.config is without_south
    assert not any(job.endswith(":south") for job, _ in scheduler.jobs())
    assert "checkin:north" in dict(scheduler.jobs())


def test_sighup_reloads_app_yaml_and_a_broken_file_keeps_the_running_one(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(TEST_APP_YAML, encoding="utf-8")
    services = open_services(settings, load_config(path))
    scheduler = Scheduler(services, lock=LeaseLock(services, holder="test"))
    previous = signal.getsignal(signal.SIGHUP)
    try:
        reload_on_sighup(scheduler)
        path.write_text(TEST_APP_YAML.replace("North Neighbourhood Team", "North Team"), "utf-8")
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 10
        while services.config.team("north").name != "North Team":
            assert time.monotonic() < deadline, "SIGHUP did not reload app.yaml"
            time.sleep(0.02)
        path.write_text("teams: [", encoding="utf-8")
        assert not scheduler.reload()
        assert services.config.team("north").name == "North Team"
        assert "app.yaml was not reloaded" in caplog.text
    finally:
        signal.signal(signal.SIGHUP, previous)
        scheduler.stop()
        services.engine.dispose()


def test_prompts_left_pending_are_visible_to_the_sweep(
    services: Services, scheduler: Scheduler, fake_slack: FakeSlack
) -> None:
    with freeze_time(OPENS):
        report = checkins.send_round(services, team_id="north")
    with services.session() as session:
        prompt = session.exec(select(CheckinPrompt).where(CheckinPrompt.user_id == ANA)).one()
        prompt.status, prompt.message_ts = PromptStatus.PENDING, None  # as if back from away
        session.add(prompt)
        session.commit()
    with freeze_time(OPENS + timedelta(minutes=1)):
        scheduler.sweep()
    assert len(fake_slack.dms(ANA)) == 2 and report.asked


def test_the_agenda_summary_and_digest_jobs_reach_their_features_once(
    services: Services, scheduler: Scheduler, fake_slack: FakeSlack
) -> None:
    monday = datetime(2026, 6, 1, 7, 30, tzinfo=UTC)  # 08:30 in London: summaries and digests
    with freeze_time(monday):
        scheduler.team_summary("north")
        scheduler.coach_digest("U0COACH")
        scheduler.team_summary("north")  # the same week again: nothing more
        scheduler.coach_digest("U0COACH")
    with freeze_time(datetime(2026, 6, 2, 8, 30, tzinfo=UTC)):  # 09:30, the agenda is due
        scheduler.post_agenda("north")
        scheduler.post_agenda("north")  # updated in place, not posted twice
    with services.session() as session:
        sent = session.exec(
            select(SentDigest.kind, SentDigest.recipient, SentDigest.iso_week).order_by(
                col(SentDigest.kind)
            )
        ).all()
    assert sorted(set(sent)) == sorted(
        {
            (DigestKind.COACH_DIGEST, "U0COACH", "2026-W22"),
            (DigestKind.TEAM_SUMMARY, "C0NORTH", "2026-W22"),
        }
    )
    agendas = [
        m
        for m in fake_slack.messages("C0NORTH")
        if m.thread_ts is None and "agenda" in m.all_text.lower()
    ]
    assert len(agendas) == 1
