"""Meeting time across weeks, cadences and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.config import AppConfig, parse_config
from bot.core.meetings import (
    BadWeekError,
    is_meeting_day,
    iso_week,
    meetings_from,
    next_meeting,
    previous_meeting,
    shift_week,
    week_bounds,
)


def team_with(tactical: str, timezone: str = "Europe/London") -> AppConfig:
    return parse_config(
        f"""
organisation: {{name: Org}}
teams:
  - id: t
    name: T
    channel: C0T
    members: [U0A]
    timezone: {timezone}
    tactical: {tactical}
"""
    )


def test_weekly_meeting_is_at_local_time_in_winter_and_summer() -> None:
    team = team_with('{day: tuesday, time: "10:00"}').team("t")
    winter = next_meeting(team, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert (winter.date, winter.at) == (date(2026, 12, 1), datetime(2026, 12, 1, 10, tzinfo=UTC))
    summer = next_meeting(team, datetime(2026, 6, 1, tzinfo=UTC))
    assert (summer.date, summer.at) == (date(2026, 6, 2), datetime(2026, 6, 2, 9, tzinfo=UTC))


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
        (datetime(2026, 3, 20, tzinfo=UTC), [datetime(2026, 3, 24, 10), datetime(2026, 3, 31, 9)]),
        (
            datetime(2026, 10, 20, tzinfo=UTC),
            [datetime(2026, 10, 20, 9), datetime(2026, 10, 27, 10)],
        ),
    ],
)
def test_dst_changes_neither_skip_nor_double_a_meeting(
    after: datetime, expected: list[datetime]
) -> None:
    team = team_with('{day: tuesday, time: "10:00"}').team("t")
    got = [m.at.replace(tzinfo=None) for m in meetings_from(team, after, 2)]
    assert got == expected
    assert [m.at.astimezone(team.zone).hour for m in meetings_from(team, after, 2)] == [10, 10]


def test_a_meeting_on_the_night_of_the_change_stays_on_its_day() -> None:
    team = team_with('{day: sunday, time: "01:30"}').team("t")
    [meeting] = meetings_from(team, datetime(2026, 3, 28, tzinfo=UTC))
    assert meeting.date == date(2026, 3, 29)
    assert meeting.at.astimezone(team.zone).date() == date(2026, 3, 29)


def test_fortnightly_from_a_start_week() -> None:
    tactical = '{day: tuesday, time: "10:00", every: 2 weeks, start_week: 2026-W48}'
    team = team_with(tactical).team("t")
    assert [m.date for m in meetings_from(team, datetime(2026, 11, 1, tzinfo=UTC), 3)] == [
        date(2026, 11, 24),
        date(2026, 12, 8),
        date(2026, 12, 22),
    ]
    assert not is_meeting_day(team, date(2026, 12, 1))


def test_previous_meeting() -> None:
    team = team_with('{day: tuesday, time: "10:00"}').team("t")
    assert previous_meeting(team, datetime(2026, 12, 1, 10, tzinfo=UTC)).date == date(2026, 12, 1)
    assert previous_meeting(team, datetime(2026, 12, 1, 9, tzinfo=UTC)).date == date(2026, 11, 24)


def test_iso_weeks_are_reckoned_in_the_team_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert iso_week(late_sunday_utc, team_with("{day: monday, time: '09:00'}").team("t").zone) == (
        "2026-W48"
    )
    auckland = team_with("{day: monday, time: '09:00'}", "Pacific/Auckland").team("t").zone
    assert iso_week(late_sunday_utc, auckland) == "2026-W49"
    start, end = week_bounds("2026-W48", auckland)
    assert start == datetime(2026, 11, 22, 11, tzinfo=UTC)  # Monday 00:00 NZDT
    assert end == datetime(2026, 11, 29, 11, tzinfo=UTC)
    assert shift_week("2026-W01", -1) == "2025-W52"
    assert shift_week("2026-W53", 1) == "2027-W01"


@pytest.mark.parametrize("bad", ["2026-48", "W48", "2026-W54", "2025-W53"])
def test_bad_weeks_are_refused_kindly(bad: str) -> None:
    with pytest.raises(BadWeekError):
        week_bounds(bad, team_with("{day: monday, time: '09:00'}").team("t").zone)
