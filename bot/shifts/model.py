"""Shifts' vocabulary: a working pattern and the working time it gives, a person's
do-not-disturb as Slack reports it, and the pattern as typed in the modal, checked.

A pattern is local wall-clock times in the person's zone: each working time is computed from the
local calendar and only then turned into UTC (bot.core.meetings.local_moment), so a shift keeps
its wall-clock hours across daylight-saving changes, and a night shift that spans one is an hour
shorter or longer, as it is on the ward. Nothing here reads the database or talks to Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.meetings import local_moment
from storage.models import PatternKind, WorkingPattern

# Part-time days without hours given are these hours; the modal offers them first for days.
DAY_FROM = time(8, 0)
DAY_UNTIL = time(18, 0)
# The modal offers these first for nights.
NIGHT_FROM = time(20, 0)
NIGHT_UNTIL = time(8, 0)
DAYS = range(7)  # 0 is Monday … 6 Sunday, as date.weekday()
# The working times looked at from a moment on: the one that started the day before (a night)
# through a week ahead.
LOOK_BACK_DAYS = 1
LOOK_AHEAD_DAYS = 8
# dnd.teamInfo reads at most this many people a call.
DND_BATCH = 50
# Why a DM waits, as recorded (storage.models.ShiftHold.reason).
PATTERN = "pattern"
DND = "dnd"


def clock(text: str) -> time:
    """``"HH:MM"`` as a time (raises ValueError when it is not one)."""
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def clock_text(value: time) -> str:
    """A time as ``"HH:MM"``."""
    return f"{value:%H:%M}"


@dataclass(frozen=True)
class Pattern:
    """When a person works: on ``days`` (0 Monday … 6 Sunday), from ``starts`` to ``ends`` in
    ``zone``; a shift whose end is not after its start ends the next day (a night)."""

    kind: PatternKind
    days: frozenset[int]
    starts: time
    ends: time
    zone: ZoneInfo

    @classmethod
    def of(cls, row: WorkingPattern) -> Pattern:
        """The pattern a stored row describes."""
        return cls(
            kind=row.kind,
            days=frozenset(int(day) for day in row.days),
            starts=clock(row.starts),
            ends=clock(row.ends),
            zone=ZoneInfo(row.timezone),
        )

    @property
    def overnight(self) -> bool:
        """True when each shift ends on the day after it starts."""
        return self.ends <= self.starts

    def shifts_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working times (start, end) in UTC, in order, from the one that may still be
        running at ``moment`` through a week ahead."""
        first = moment.astimezone(self.zone).date() - timedelta(days=LOOK_BACK_DAYS)
        for offset in range(LOOK_BACK_DAYS + LOOK_AHEAD_DAYS):
            day = first + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            start = local_moment(day, self.starts, self.zone)
            end_day = day + timedelta(days=1) if self.overnight else day
            end = local_moment(end_day, self.ends, self.zone)
            if end > start:  # a shift the clocks changing swallowed whole is no shift
                yield start, end

    def next_working(self, moment: datetime) -> datetime | None:
        """``moment`` itself when the person is working then, else the start of their next
        working time; None when the pattern has none (no days)."""
        for start, end in self.shifts_from(moment):
            if end > moment:
                return max(start, moment)
        return None

    def working_at(self, moment: datetime) -> bool:
        """True when ``moment`` falls in one of the person's working times."""
        return self.next_working(moment) == moment


@dataclass(frozen=True)
class Dnd:
    """A person's do-not-disturb as Slack reports it: the next scheduled quiet time (``start``
    to ``end``), and a snooze until ``snoozed_until``; all UTC."""

    start: datetime | None = None
    end: datetime | None = None
    snoozed_until: datetime | None = None

    @classmethod
    def from_slack(cls, info: object) -> Dnd | None:
        """The DND in one person's entry of dnd.teamInfo (or a dnd.info answer); None when it
        is off, or the entry is not one Slack would send."""
        if not isinstance(info, dict):
            return None
        start = end = snoozed = None
        if info.get("dnd_enabled"):
            start = _moment(info.get("next_dnd_start_ts"))
            end = _moment(info.get("next_dnd_end_ts"))
        if info.get("snooze_enabled"):
            snoozed = _moment(info.get("snooze_endtime"))
        if (start is None or end is None) and snoozed is None:
            return None
        return cls(start, end, snoozed)

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When the quiet that holds ``moment`` ends, or None when ``moment`` is not quiet."""
        ends = []
        if self.start is not None and self.end is not None and self.start <= moment < self.end:
            ends.append(self.end)
        if self.snoozed_until is not None and moment < self.snoozed_until:
            ends.append(self.snoozed_until)
        return max(ends) if ends else None


def _moment(value: object) -> datetime | None:
    """A Unix timestamp from Slack as a UTC moment (None for anything else)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Decision:
    """When one scheduled DM goes: ``send_at`` (now or later), or None: off shift until its
    ``deadline``; ``reason`` says what held it ("" when nothing did)."""

    send_at: datetime | None
    deadline: datetime
    reason: str = ""

    def due(self, now: datetime) -> bool:
        """True when the DM may go now."""
        return self.send_at is not None and self.send_at <= now

    @property
    def off_shift(self) -> bool:
        """True when it will not go: no working time is left before its deadline."""
        return self.send_at is None


# --- The pattern as typed in the modal ------------------------------------------------------


@dataclass(frozen=True)
class PatternDraft:
    """A working pattern checked and ready to store (times as ``"HH:MM"``)."""

    kind: PatternKind
    days: tuple[int, ...]
    starts: str
    ends: str

    def pattern(self, zone: ZoneInfo) -> Pattern:
        """The pattern it makes in ``zone``."""
        return Pattern(self.kind, frozenset(self.days), clock(self.starts), clock(self.ends), zone)


def _days(picked: Iterable[str]) -> tuple[int, ...]:
    found = set()
    for value in picked:
        if value.isdigit() and int(value) in DAYS:
            found.add(int(value))
    return tuple(sorted(found))


def _time(text: str | None) -> time | None:
    try:
        return clock(text) if text else None
    except ValueError:
        return None


def _hours_problem(kind: PatternKind, start: time, end: time) -> str | None:
    """What is wrong with a shift's hours for its kind, if anything."""
    if start == end:
        return "no_length"
    if kind == PatternKind.NIGHTS and end > start:
        return "night_same_day"
    if kind != PatternKind.NIGHTS and end < start:
        return "ends_before_start"
    return None


def check_pattern(
    *, kind: str | None, days: Iterable[str], starts: str | None, ends: str | None
) -> PatternDraft | dict[str, str]:
    """The modal's choices checked: a draft, or the problem with each field, by field, as the
    key of its words (the macro ``shifts.error``): no kind, no days, no hours, hours that end before
    they start (or a night that does not cross midnight), a shift of no length."""
    problems: dict[str, str] = {}
    chosen = next((k for k in PatternKind if k.value == kind), None)
    picked = _days(days)
    start, end = _time(starts), _time(ends)
    if chosen == PatternKind.PART_TIME and start is None and end is None:
        start, end = DAY_FROM, DAY_UNTIL  # part-time days at the usual hours
    for field, missing, key in (
        ("kind", chosen is None, "no_kind"),
        ("days", not picked, "no_days"),
        ("starts", start is None, "no_start"),
        ("ends", end is None, "no_end"),
    ):
        if missing:
            problems[field] = key
    if chosen is None or start is None or end is None:
        return problems
    if hours := _hours_problem(chosen, start, end):
        problems["ends"] = hours
    if problems:
        return problems
    return PatternDraft(chosen, picked, clock_text(start), clock_text(end))
