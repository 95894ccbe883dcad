"""The next-working-time rule: when a scheduled DM may go, by a working pattern and Slack's
do-not-disturb, before its deadline — in London across both clock changes of 2026 (29 March,
the clocks go forward at 01:00 GMT; 25 October, back at 02:00 BST), nights included.

The clock is frozen with freezegun, as the app's is in the journeys; the rule is given "now".
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from bot.shifts.model import Dnd, Pattern, check_pattern
from bot.shifts.service import decide, next_send_time
from storage.models import PatternKind

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
FAR = datetime(2027, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def days(start: str, end: str, on: frozenset[int] = WEEKDAYS) -> Pattern:
    return Pattern(PatternKind.DAYS, on, time.fromisoformat(start), time.fromisoformat(end), LONDON)


def nights(start: str, end: str, on: frozenset[int]) -> Pattern:
    return Pattern(
        PatternKind.NIGHTS, on, time.fromisoformat(start), time.fromisoformat(end), LONDON
    )


def now() -> datetime:
    return datetime.now(UTC)


# --- Working days and hours -------------------------------------------------------------------


@freeze_time("2026-06-01 05:00:00")  # Monday 06:00 in London (BST)
def test_before_the_working_day_it_waits_for_its_start() -> None:
    assert next_send_time(days("08:00", "16:00"), None, now(), FAR) == utc(2026, 6, 1, 7, 0)


@freeze_time("2026-06-01 09:30:00")  # Monday 10:30 in London
def test_during_working_hours_it_goes_now() -> None:
    assert next_send_time(days("08:00", "16:00"), None, now(), FAR) == now()


@freeze_time("2026-06-05 15:00:00")  # Friday 16:00 in London: the day has just ended
def test_after_friday_it_waits_for_monday_morning() -> None:
    assert next_send_time(days("08:00", "16:00"), None, now(), FAR) == utc(2026, 6, 8, 7, 0)


@freeze_time("2026-06-01 05:00:00")
def test_no_pattern_and_no_dnd_goes_now() -> None:
    assert next_send_time(None, None, now(), FAR) == now()


@freeze_time("2026-06-01 05:00:00")
def test_part_time_days_wait_for_the_next_one() -> None:
    tuesday_thursday = Pattern(PatternKind.PART_TIME, frozenset({1, 3}), time(8), time(18), LONDON)
    assert next_send_time(tuesday_thursday, None, now(), FAR) == utc(2026, 6, 2, 7, 0)


# --- The deadline ---------------------------------------------------------------------------


@freeze_time("2026-06-01 18:00:00")  # Monday 19:00; the meeting is Tuesday 10:00
def test_a_working_time_after_the_deadline_is_off_shift() -> None:
    meeting = utc(2026, 6, 2, 9, 0)
    wednesday_only = days("08:00", "16:00", frozenset({2}))

    decision = decide(wednesday_only, None, now=now(), deadline=meeting)

    assert decision.off_shift and decision.send_at is None and decision.reason == "pattern"
    assert next_send_time(wednesday_only, None, now(), meeting) is None


@freeze_time("2026-06-01 18:00:00")
def test_a_working_time_starting_at_the_deadline_is_too_late() -> None:
    meeting = utc(2026, 6, 2, 7, 0)  # 08:00 BST, when the working day starts
    assert next_send_time(days("08:00", "16:00"), None, now(), meeting) is None
    assert next_send_time(days("08:00", "16:00"), None, now(), meeting + timedelta(minutes=1)) == (
        meeting
    )


def test_a_pattern_with_no_days_never_works() -> None:
    nobody = Pattern(PatternKind.DAYS, frozenset(), time(8), time(16), LONDON)
    assert next_send_time(nobody, None, utc(2026, 6, 1, 9), FAR) is None


# --- Nights ---------------------------------------------------------------------------------


@freeze_time("2026-06-01 09:00:00")  # Monday 10:00, when a round opens
def test_a_night_nurse_is_asked_at_the_start_of_her_shift() -> None:
    night = nights("20:00", "08:00", EVERY_DAY)
    assert next_send_time(night, None, now(), FAR) == utc(2026, 6, 1, 19, 0)  # 20:00 BST


@freeze_time("2026-06-02 01:30:00")  # Tuesday 02:30: Monday night's shift is still on
def test_after_midnight_the_night_that_began_yesterday_still_counts() -> None:
    monday_nights = nights("20:00", "08:00", frozenset({0}))
    assert next_send_time(monday_nights, None, now(), FAR) == now()


@freeze_time("2026-06-02 07:30:00")  # Tuesday 08:30: Monday's night is over
def test_after_the_night_ends_it_waits_for_the_next_night() -> None:
    monday_nights = nights("20:00", "08:00", frozenset({0}))
    assert next_send_time(monday_nights, None, now(), FAR) == utc(2026, 6, 8, 19, 0)


# --- Spring forward: Sunday 29 March 2026, 01:00 GMT becomes 02:00 BST -----------------------


@freeze_time("2026-03-28 17:00:00")  # Saturday 17:00 GMT
def test_spring_forward_the_morning_after_starts_at_eight_on_the_new_clock() -> None:
    every_day = days("08:00", "16:00", EVERY_DAY)
    assert next_send_time(every_day, None, now(), FAR) == utc(2026, 3, 29, 7, 0)  # 08:00 BST


@freeze_time("2026-03-28 10:00:00")  # Saturday 10:00 GMT
def test_spring_forward_a_night_starts_at_twenty_hundred_gmt() -> None:
    saturday_nights = nights("20:00", "08:00", frozenset({5}))
    assert next_send_time(saturday_nights, None, now(), FAR) == utc(2026, 3, 28, 20, 0)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-03-28 23:59:00", True),  # 23:59 GMT
        ("2026-03-29 00:59:00", True),  # 00:59 GMT, just before the change
        ("2026-03-29 01:00:00", True),  # 02:00 BST, just after
        ("2026-03-29 06:59:00", True),  # 07:59 BST
        ("2026-03-29 07:00:00", False),  # 08:00 BST: the night (eleven hours) is over
        ("2026-03-29 07:30:00", False),  # 08:30 BST; 07:30 on the old clock, still not working
    ],
)
def test_spring_forward_the_night_across_the_change_is_an_hour_shorter(
    moment: str, working: bool
) -> None:
    saturday_nights = nights("20:00", "08:00", frozenset({5}))
    with freeze_time(moment):
        assert saturday_nights.working_at(now()) is working
        [(start, end)] = [
            shift
            for shift in saturday_nights.shifts_from(utc(2026, 3, 28, 12))
            if shift[0].date() == datetime(2026, 3, 28).date()
        ]
        assert end - start == timedelta(hours=11)


@freeze_time("2026-03-29 00:30:00")  # 00:30 GMT, before the gap
def test_a_shift_starting_in_the_skipped_hour_starts_when_the_clock_reads_it_an_hour_on() -> None:
    from_half_one = days("01:30", "09:00", EVERY_DAY)  # 01:30 does not exist on 29 March
    assert next_send_time(from_half_one, None, now(), FAR) == utc(2026, 3, 29, 1, 30)  # 02:30 BST


# --- Fall back: Sunday 25 October 2026, 02:00 BST becomes 01:00 GMT ---------------------------


@freeze_time("2026-10-24 12:00:00")  # Saturday 13:00 BST
def test_fall_back_a_night_starts_at_twenty_hundred_bst() -> None:
    saturday_nights = nights("20:00", "08:00", frozenset({5}))
    assert next_send_time(saturday_nights, None, now(), FAR) == utc(2026, 10, 24, 19, 0)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-10-24 19:00:00", True),  # 20:00 BST: the night starts
        ("2026-10-25 00:30:00", True),  # 01:30 BST, the first time
        ("2026-10-25 01:30:00", True),  # 01:30 GMT, the second time
        ("2026-10-25 07:30:00", True),  # 07:30 GMT: still night (08:30 on the old clock)
        ("2026-10-25 08:00:00", False),  # 08:00 GMT: over, after thirteen hours
    ],
)
def test_fall_back_the_night_across_the_change_is_an_hour_longer(
    moment: str, working: bool
) -> None:
    saturday_nights = nights("20:00", "08:00", frozenset({5}))
    with freeze_time(moment):
        assert saturday_nights.working_at(now()) is working


@freeze_time("2026-10-25 06:30:00")  # Sunday 06:30 GMT
def test_fall_back_the_working_day_starts_at_eight_gmt() -> None:
    every_day = days("08:00", "16:00", EVERY_DAY)
    assert next_send_time(every_day, None, now(), FAR) == utc(2026, 10, 25, 8, 0)


@freeze_time("2026-10-25 06:30:00")
def test_fall_back_the_day_before_used_bst() -> None:
    every_day = days("08:00", "16:00", EVERY_DAY)
    yesterday = [s for s in every_day.shifts_from(now()) if s[0].day == 24]
    assert yesterday == [(utc(2026, 10, 24, 7, 0), utc(2026, 10, 24, 15, 0))]


# --- Do-not-disturb ---------------------------------------------------------------------------


@freeze_time("2026-06-01 09:00:00")
def test_in_dnd_it_waits_for_the_dnd_to_end() -> None:
    dnd = Dnd(start=utc(2026, 6, 1, 8), end=utc(2026, 6, 1, 12))
    decision = decide(None, dnd, now=now(), deadline=FAR)
    assert (decision.send_at, decision.reason) == (utc(2026, 6, 1, 12), "dnd")


@freeze_time("2026-06-01 09:00:00")
def test_a_dnd_that_is_only_ahead_does_not_hold() -> None:
    dnd = Dnd(start=utc(2026, 6, 1, 21), end=utc(2026, 6, 2, 7))
    assert next_send_time(None, dnd, now(), FAR) == now()


@freeze_time("2026-06-01 09:00:00")
def test_a_snooze_holds_until_it_ends() -> None:
    assert next_send_time(None, Dnd(snoozed_until=utc(2026, 6, 1, 9, 45)), now(), FAR) == utc(
        2026, 6, 1, 9, 45
    )


@freeze_time("2026-06-01 09:00:00")  # Monday 10:00 BST, working until 16:00
def test_dnd_past_the_working_day_waits_for_the_next_day() -> None:
    dnd = Dnd(start=utc(2026, 6, 1, 8), end=utc(2026, 6, 1, 16))  # until 17:00 BST
    decision = decide(days("08:00", "16:00"), dnd, now=now(), deadline=FAR)
    assert (decision.send_at, decision.reason) == (utc(2026, 6, 2, 7, 0), "dnd+pattern")


@freeze_time("2026-06-01 09:00:00")
def test_dnd_until_after_the_deadline_is_off_shift() -> None:
    meeting = utc(2026, 6, 2, 9)
    dnd = Dnd(start=utc(2026, 6, 1, 8), end=utc(2026, 6, 3, 8))
    decision = decide(None, dnd, now=now(), deadline=meeting)
    assert decision.off_shift and decision.reason == "dnd"


def test_dnd_as_slack_reports_it() -> None:
    start, end = 1_780_300_000, 1_780_330_000
    assert Dnd.from_slack(
        {"dnd_enabled": True, "next_dnd_start_ts": start, "next_dnd_end_ts": end}
    ) == Dnd(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
    assert Dnd.from_slack({"dnd_enabled": False, "next_dnd_start_ts": 1, "next_dnd_end_ts": 1}) is (
        None
    )
    assert Dnd.from_slack({"snooze_enabled": True, "snooze_endtime": end}) == Dnd(
        snoozed_until=datetime.fromtimestamp(end, UTC)
    )
    for odd in (None, "x", {"dnd_enabled": True, "next_dnd_start_ts": "soon"}, {}):
        assert Dnd.from_slack(odd) is None


# --- The pattern as chosen in the modal -------------------------------------------------------


def test_a_good_pattern_is_checked_into_a_draft() -> None:
    draft = check_pattern(
        kind="nights", days=["4", "0", "0", "9", "x"], starts="20:00", ends="07:30"
    )
    assert not isinstance(draft, dict)
    assert (draft.kind, draft.days, draft.starts, draft.ends) == (
        PatternKind.NIGHTS,
        (0, 4),
        "20:00",
        "07:30",
    )


def test_part_time_without_hours_works_the_usual_day() -> None:
    draft = check_pattern(kind="part_time", days=["1", "3"], starts=None, ends=None)
    assert not isinstance(draft, dict)
    assert (draft.starts, draft.ends) == ("08:00", "18:00")


@pytest.mark.parametrize(
    ("choices", "problems"),
    [
        ({"kind": None, "days": ["0"], "starts": "08:00", "ends": "16:00"}, {"kind": "no_kind"}),
        ({"kind": "days", "days": [], "starts": "08:00", "ends": "16:00"}, {"days": "no_days"}),
        (
            {"kind": "days", "days": ["0"], "starts": None, "ends": None},
            {"starts": "no_start", "ends": "no_end"},
        ),
        (
            {"kind": "days", "days": ["0"], "starts": "16:00", "ends": "08:00"},
            {"ends": "ends_before_start"},
        ),
        (
            {"kind": "part_time", "days": ["0"], "starts": "16:00", "ends": "08:00"},
            {"ends": "ends_before_start"},
        ),
        (
            {"kind": "nights", "days": ["0"], "starts": "08:00", "ends": "20:00"},
            {"ends": "night_same_day"},
        ),
        (
            {"kind": "nights", "days": ["0"], "starts": "20:00", "ends": "20:00"},
            {"ends": "no_length"},
        ),
        (
            {"kind": "days", "days": ["0"], "starts": "25:00", "ends": "8"},
            {"starts": "no_start", "ends": "no_end"},
        ),
    ],
)
def test_bad_choices_are_named_by_field(
    choices: dict[str, object], problems: dict[str, str]
) -> None:
    assert check_pattern(**choices) == problems  # type: ignore[arg-type]
