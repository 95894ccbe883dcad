"""The demo's simulated clock: the weeks it plays pass in seconds, always on the same dates.

``Services.clock`` reads it, so every handler, query and template of the real app sees the
demo's time; Slack's own request timestamps stay real, so signatures are checked as ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.meetings import iso_week


@dataclass
class DemoClock:
    """A clock the demo moves forward: to a local day and time, or by a few minutes."""

    zone: ZoneInfo
    current: datetime

    def __call__(self) -> datetime:
        """The demo's now, in UTC."""
        return self.current

    def set(self, day: date, at: str) -> datetime:
        """Move to ``at`` (HH:MM, local) on ``day``; time only ever goes forward."""
        moment = datetime.combine(day, time.fromisoformat(at), self.zone).astimezone(UTC)
        if moment < self.current:
            raise ValueError(f"the demo clock cannot go back from {self.current} to {moment}")
        self.current = moment
        return moment

    def tick(self, minutes: int = 1) -> datetime:
        """A few minutes later, so things done one after another are stored in that order."""
        self.current += timedelta(minutes=minutes)
        return self.current

    def week(self) -> str:
        """The ISO week it is now, in the clock's zone."""
        return iso_week(self.current, self.zone)


def demo_mondays(last: date, weeks: int) -> list[date]:
    """The Mondays of ``weeks`` consecutive weeks ending with the week of ``last``."""
    monday = last - timedelta(days=last.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
