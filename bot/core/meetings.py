"""Meeting time: when a team's tactical meetings fall, and which ISO week a moment belongs to.

A meeting is at a local wall-clock time in the team's IANA zone; everything is computed from the
local calendar and only then turned into UTC, so daylight-saving changes never move a meeting
to another hour, skip a round, or double one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import TeamConfig
from bot.core.errors import RetrobotError

WEEKDAY_INDEX = {
    name: index
    for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
# Fortnightly (or longer) cadences count weeks from this Monday unless a team names its own
# start week, so every process agrees on which weeks are "on".
CADENCE_ANCHOR = date(2024, 1, 1)
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BadWeekError(RetrobotError):
    """An ISO week that is not written like 2026-W48 or does not exist."""


@dataclass(frozen=True)
class Meeting:
    """One tactical meeting: its local date and its moment in UTC."""

    team_id: str
    date: date
    at: datetime

    def checkin_opens(self, team: TeamConfig) -> datetime:
        """When the check-in DMs go out (``checkin_lead`` before the meeting)."""
        return self.at - team.tactical.checkin_lead

    def reminder_due(self, team: TeamConfig) -> datetime:
        """When non-responders are reminded (``reminder_after`` the check-in opened)."""
        return self.checkin_opens(team) + team.tactical.reminder_after

    def agenda_due(self, team: TeamConfig) -> datetime:
        """When the agenda is posted (``agenda_lead`` before the meeting)."""
        return self.at - team.tactical.agenda_lead


def local_today(team: TeamConfig, now: datetime) -> date:
    """Today's date where the team is (due dates are the team's calendar days)."""
    return now.astimezone(team.zone).date()


def local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on a local date, as a UTC moment.

    In the hour that a spring-forward skips, the time is read as if the clocks had not yet
    changed (zoneinfo's fold=0), landing an hour later on the wall clock — never on another day.
    """
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _cadence_anchor(team: TeamConfig) -> date:
    start = team.tactical.start_week
    if start:
        year, week = parse_iso_week(start)
        return date.fromisocalendar(year, week, 1)
    return CADENCE_ANCHOR


def is_meeting_day(team: TeamConfig, day: date) -> bool:
    """True when the team meets on this local date (right weekday, and an "on" week)."""
    if day.weekday() != WEEKDAY_INDEX[team.tactical.day]:
        return False
    anchor = _cadence_anchor(team)
    if day < anchor:
        return False
    weeks = (day - anchor).days // 7
    return weeks % team.tactical.every == 0


def meeting_on(team: TeamConfig, day: date) -> Meeting:
    """The team's meeting on a given local date (the caller checks it is a meeting day)."""
    return Meeting(team.id, day, local_moment(day, team.tactical.time, team.zone))


def meetings_from(team: TeamConfig, after: datetime, count: int = 1) -> list[Meeting]:
    """The next ``count`` meetings that start strictly after ``after``."""
    day = after.astimezone(team.zone).date()
    found: list[Meeting] = []
    # Look ahead at most every × 7 days per meeting (plus the start week) — enough to find each.
    for _ in range((team.tactical.every * 7 + 7) * count + 7):
        if is_meeting_day(team, day):
            meeting = meeting_on(team, day)
            if meeting.at > after:
                found.append(meeting)
                if len(found) == count:
                    break
        day += timedelta(days=1)
    return found


def next_meeting(team: TeamConfig, now: datetime) -> Meeting:
    """The team's next meeting after ``now``."""
    return meetings_from(team, now, 1)[0]


def current_meeting(team: TeamConfig, now: datetime) -> Meeting:
    """The meeting a check-in given now is for: the next one (its round may already be open)."""
    return next_meeting(team, now)


def previous_meeting(team: TeamConfig, now: datetime) -> Meeting | None:
    """The team's latest meeting at or before ``now``, if it has had one."""
    day = now.astimezone(team.zone).date()
    for _ in range(team.tactical.every * 7 + 7):
        if is_meeting_day(team, day):
            meeting = meeting_on(team, day)
            if meeting.at <= now:
                return meeting
        day -= timedelta(days=1)
    return None


def parse_iso_week(text: str) -> tuple[int, int]:
    """``"2026-W48"`` → ``(2026, 48)``; BadWeekError when it is malformed or does not exist."""
    match = _ISO_WEEK.match(text.strip())
    if not match:
        raise BadWeekError(f"'{text}' is not an ISO week; write it like 2026-W48.")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise BadWeekError(f"{year} has no week {week}.") from None
    return year, week


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    """The ISO week (``2026-W48``) that a UTC moment falls in, reckoned in ``zone``."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC moments at which an ISO week starts (Monday 00:00 local) and the next starts."""
    year, number = parse_iso_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return (
        local_moment(monday, time(0), zone),
        local_moment(monday + timedelta(days=7), time(0), zone),
    )


def shift_week(week: str, weeks: int) -> str:
    """The ISO week ``weeks`` after (or, negative, before) ``week``."""
    year, number = parse_iso_week(week)
    monday = date.fromisocalendar(year, number, 1) + timedelta(weeks=weeks)
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"
