"""The pieces app.yaml's models are made of: the checks of ids, zones, times and durations that
explain a bad value in the admin's terms, the rotation words of a role, and the base model that
refuses unknown keys (bot.core.config.models builds the organisation and its teams from them).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DURATION = re.compile(r"^(?:\s*\d+\s*[a-z]+)+\s*$")
_DURATION_PART = re.compile(r"(\d+)\s*([a-z]+)")

_SECONDS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}
# Retention is counted in months and years; a month is 30 days and a year 365, which is
# precise enough for deciding when old rows may be deleted.
_LONG_SECONDS = {
    **_SECONDS,
    **dict.fromkeys(("mo", "month", "months"), 30 * 86400),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * 86400),
}

_NEEDS_PEOPLE = "a team needs members: (Slack user ids) or usergroup: (a Slack user group), or both"
_NO_TEAMS = "there are no teams; add at least one (id, name, channel, members, tactical)"
_MEMBER_FORMS = (
    "write a Slack user id such as U0A1B2C3D, "
    "or a mapping {id: U0A1B2C3D, name: Ana, timezone: Europe/Madrid}"
)


def _describe(value: object) -> str:
    """Say what a YAML value is, briefly, for an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _parse_span(text: str, units: dict[str, int], examples: str) -> dt.timedelta:
    """Add up ``<number><unit>`` parts such as ``1h30m`` using the given unit table."""
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    if not _DURATION.match(cleaned):
        raise ValueError(f"{_describe(text)} is not a duration (for example {examples})")
    seconds = 0
    for number, unit in _DURATION_PART.findall(cleaned):
        if unit not in units:
            raise ValueError(
                f"{_describe(text)} is not a duration: unknown unit {unit!r} "
                f"(for example {examples})"
            )
        seconds += int(number) * units[unit]
    return dt.timedelta(seconds=seconds)


def parse_duration(text: str) -> dt.timedelta:
    """Read a duration such as ``24h``, ``30m``, ``90s``, ``2d``, ``1h30m`` or ``2w``."""
    return _parse_span(text, _SECONDS, "24h, 30m, 1h30m or 2d")


def format_duration(span: dt.timedelta) -> str:
    """Write a duration the way app.yaml does (``1h30m``), for messages."""
    seconds = int(span.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _duration(value: object) -> object:
    """Turn app.yaml's duration text into a timedelta; a bare number has no unit to trust."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value} is not a duration: give a unit (for example {value}m or 24h)")
    return parse_duration(value)  # type: ignore[arg-type]


def _retention(value: object) -> object:
    """Turn a retention period such as ``2y`` or ``18 months`` into a timedelta."""
    if value is None or isinstance(value, dt.timedelta):
        return value
    span = _parse_span(value, _LONG_SECONDS, "2y, 18 months or 90d")  # type: ignore[arg-type]
    if span < dt.timedelta(days=1):
        raise ValueError(f"{_describe(value)} is too short: keep data at least 1 day (1d)")
    return span


def _time_of_day(value: object) -> object:
    """Read a 24-hour ``HH:MM`` time of day."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and (match := _TIME_OF_DAY.match(value.strip())):
        return dt.time(int(match[1]), int(match[2]))
    raise ValueError(f"{_describe(value)} is not a time of day (24-hour HH:MM, for example 10:00)")


def _weekday(value: object) -> object:
    """Read a day of the week, full or three-letter, in any case; return it in lower case."""
    hint = "monday to sunday"
    if isinstance(value, str):
        word = value.strip().lower()
        for day in WEEKDAYS:
            if word in (day, day[:3]):
                return day
        if close := difflib.get_close_matches(word, WEEKDAYS, n=1):
            hint = f"did you mean {close[0]}?"
    raise ValueError(f"{_describe(value)} is not a day of the week ({hint})")


def _zone_name(value: str) -> str:
    """Check that a time zone is an IANA name zoneinfo knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone (for example Europe/London)"
        ) from None
    return value


def _user_id(value: str) -> str:
    """Check a Slack user id (U… or W… on Enterprise Grid)."""
    if not _USER_ID.match(value):
        raise ValueError(f"{value!r} is not a Slack user id (for example U0A1B2C3D)")
    return value


def _text(value: str) -> str:
    """Refuse blank text: a blank label or question would show as nothing in Slack."""
    if not value.strip():
        raise ValueError("must not be empty")
    return value


ZoneName = Annotated[str, AfterValidator(_zone_name)]
UserId = Annotated[str, AfterValidator(_user_id)]
Text = Annotated[str, AfterValidator(_text)]
Weekday = Annotated[str, BeforeValidator(_weekday)]
TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]
Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]


class _ConfigModel(BaseModel):
    """Base of the app.yaml models: an unknown key is a mistake, not something to ignore."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- Roles (bot/roles): how a role rotates ---------------------------------------------------

_ROTATION = re.compile(r"^every\s+(?:(meeting)|(\d+)\s*(?:weeks?|w)|(week))$")


def parse_rotation(text: str) -> int:
    """Read ``every meeting`` (0) or ``every N weeks`` (N, 1 to 52); ValueError otherwise."""
    match = _ROTATION.match(" ".join(str(text).lower().split()))
    weeks = None if match is None else 0 if match[1] else 1 if match[3] else int(match[2])
    if weeks is None or weeks > 52 or (match is not None and match[2] and weeks < 1):
        raise ValueError(
            f"{_describe(text)} is not a rotation (write 'every meeting' or 'every 4 weeks', "
            "1 to 52 weeks)"
        )
    return weeks


def format_rotation(weeks: int | None) -> str:
    """Write a rotation the way app.yaml does: ``every meeting``, ``every 4 weeks`` or ``""``."""
    if weeks is None:
        return ""
    if weeks == 0:
        return "every meeting"
    return "every week" if weeks == 1 else f"every {weeks} weeks"


def _rotation(value: object) -> object:
    """Normalise a rotation to its canonical words (``every 4 weeks``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(
            f"{_describe(value)} is not a rotation (write 'every meeting' or 'every 4 weeks')"
        )
    return format_rotation(parse_rotation(value))
