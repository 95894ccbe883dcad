"""When each of the scheduler's jobs fires, derived from app.yaml.

The times come from bot.core.meetings, so a team's meeting stays at its local hour across
daylight-saving changes and a fortnightly cadence keeps its weeks:

- ``checkin:<team>``  opens the round ``checkin_lead`` before each meeting;
- ``remind:<team>``   reminds the silent ``reminder_after`` later;
- ``agenda:<team>``   posts the agenda ``agenda_lead`` before the meeting;
- ``summary:<team>``  posts the team summary of the previous ISO week at the team's ``digest``
  day and time, in the team's zone;
- ``digest:<coach>``  DMs each coach their digest of the previous week at ``digest`` day and time
  in the coach's own zone (the first team they coach sets the day and time).

The jobs that run at fixed intervals (the sweep, the catch-up, feedback reminders, retention)
are added by bot.jobs.scheduler itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from bot.core.config import AppConfig, TeamConfig
from bot.core.meetings import WEEKDAY_INDEX, iso_week, local_moment, meetings_from, shift_week

# Asked for the next fire time "from now", a trigger looks from just before now, so a job due at
# this very instant is not skipped.
_TICK = timedelta(microseconds=1)


class MeetingTrigger(BaseTrigger):
    """Fires ``before`` each of a team's meetings (after it, when ``before`` is negative).

    Computed from the team's local meeting times (bot.core.meetings), never by adding weeks to a
    UTC moment, so a daylight-saving change neither moves the local hour nor skips or doubles a
    round; every ``N`` weeks from the team's start week is respected.
    """

    __slots__ = ("before", "team")

    def __init__(self, team: TeamConfig, before: timedelta) -> None:
        self.team = team
        self.before = before

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first moment after ``previous_fire_time`` (or from ``now``) this job is due."""
        after = previous_fire_time if previous_fire_time is not None else now - _TICK
        found = meetings_from(self.team, after + self.before, 1)
        return found[0].at - self.before if found else None

    def __str__(self) -> str:
        return f"meeting[{self.team.id}, {self.before} before]"


class WeeklyTrigger(BaseTrigger):
    """Fires every week on a local weekday and time in a zone (DST-proof, like meetings)."""

    __slots__ = ("at", "day", "zone")

    def __init__(self, day: str, at: clock_time, zone: ZoneInfo) -> None:
        self.day = WEEKDAY_INDEX[day]
        self.at = at
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first of these weekly moments after ``previous_fire_time`` (or from ``now``)."""
        after = previous_fire_time if previous_fire_time is not None else now - _TICK
        day = after.astimezone(self.zone).date()
        for offset in range(15):
            candidate = day + timedelta(days=offset)
            if candidate.weekday() == self.day:
                moment = local_moment(candidate, self.at, self.zone)
                if moment > after:
                    return moment
        return None

    def latest(self, now: datetime) -> datetime:
        """The latest of these moments at or before ``now``."""
        day = now.astimezone(self.zone).date()
        for offset in range(15):
            candidate = day - timedelta(days=offset)
            if candidate.weekday() == self.day:
                moment = local_moment(candidate, self.at, self.zone)
                if moment <= now:
                    return moment
        raise AssertionError("a weekday recurs within a fortnight")

    def __str__(self) -> str:
        return f"weekly[{self.day}, {self.at:%H:%M}, {self.zone.key}]"


# --- The jobs app.yaml asks for ---------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its id, when it fires, and what it does (a Scheduler method name)."""

    id: str
    trigger: BaseTrigger
    action: str
    key: str  # the team's or the coach's id the action takes


def coach_schedules(config: AppConfig) -> dict[str, tuple[TeamConfig, ZoneInfo]]:
    """Each coach's first team (whose digest day and time they follow) and their own zone."""
    schedules: dict[str, tuple[TeamConfig, ZoneInfo]] = {}
    zones: dict[str, ZoneInfo] = {}
    for team in config.teams:
        for coach in team.coaches:
            schedules.setdefault(coach.id, (team, team.zone))
            if coach.timezone and coach.id not in zones:
                zones[coach.id] = ZoneInfo(coach.timezone)
    return {coach: (team, zones.get(coach, zone)) for coach, (team, zone) in schedules.items()}


def derive_jobs(config: AppConfig) -> list[JobSpec]:
    """Every job this configuration asks for, in a stable order."""
    jobs = []
    for team in config.teams:
        tactical = team.tactical
        jobs += [
            JobSpec(
                f"checkin:{team.id}",
                MeetingTrigger(team, tactical.checkin_lead),
                "open_checkin",
                team.id,
            ),
            JobSpec(
                f"remind:{team.id}",
                MeetingTrigger(team, tactical.checkin_lead - tactical.reminder_after),
                "remind",
                team.id,
            ),
            JobSpec(
                f"agenda:{team.id}",
                MeetingTrigger(team, tactical.agenda_lead),
                "post_agenda",
                team.id,
            ),
            JobSpec(
                f"summary:{team.id}",
                WeeklyTrigger(team.digest.day, team.digest.time, team.zone),
                "team_summary",
                team.id,
            ),
        ]
    for coach_id, (team, zone) in coach_schedules(config).items():
        trigger = WeeklyTrigger(team.digest.day, team.digest.time, zone)
        jobs.append(JobSpec(f"digest:{coach_id}", trigger, "coach_digest", coach_id))
    return jobs


def previous_week(now: datetime, zone: ZoneInfo) -> str:
    """The ISO week before the one ``now`` falls in, reckoned in ``zone``."""
    return shift_week(iso_week(now, zone), -1)
