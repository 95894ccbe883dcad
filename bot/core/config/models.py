"""What app.yaml may say: the pydantic models of the organisation and its teams.

Each model refuses unknown keys and explains a bad value in the admin's terms (``'Europe/Londn'
is not an IANA time zone``); ``bot.core.config.loader`` places those messages at the file, line
and key they came from. ``parse_duration`` and ``format_duration`` read and write app.yaml's
durations (``1h30m``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bot.core.config.key_questions import KeyQuestion
from bot.core.errors import NotFoundError

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


class MemberConfig(_ConfigModel):
    """A person in a team (or coaching it): a Slack user id, optionally a name and own zone."""

    id: UserId
    name: Text | None = None
    timezone: ZoneName | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_id(cls, data: Any) -> Any:
        """Let ``U0A1B2C3D`` stand for ``{id: U0A1B2C3D}``; refuse any other shape."""
        if isinstance(data, str):
            return {"id": data}
        if isinstance(data, dict | MemberConfig):
            return data
        raise ValueError(
            f"a member listed in no valid form (got {_describe(data)}): {_MEMBER_FORMS}"
        )


class MetricConfig(_ConfigModel):
    """One of the team's numbers, asked in the check-in and shown in the metrics review."""

    id: str
    label: Text
    unit: str = ""
    min: float = 0
    max: float = 100000

    @field_validator("id")
    @classmethod
    def _metric_id(cls, value: str) -> str:
        """Metric ids are stored with every answer, so they are plain lower-case words."""
        if not _TEAM_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid metric id (lower-case letters, digits, - and _)"
            )
        return value

    @model_validator(mode="after")
    def _range(self) -> MetricConfig:
        """An empty range would refuse every answer."""
        if self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        return self


class TacticalSchedule(_ConfigModel):
    """When the team's tactical meeting is, and how long before it the check-in goes out."""

    day: Weekday
    time: TimeOfDay
    checkin_lead: Duration = dt.timedelta(hours=24)
    reminder_after: Duration = dt.timedelta(hours=4)
    agenda_lead: Duration = dt.timedelta(minutes=30)
    every: int = 1
    start_week: str | None = None

    @field_validator("every", mode="before")
    @classmethod
    def _weeks(cls, value: Any) -> Any:
        """Accept ``2``, ``"2 weeks"``, ``"1 week"``, ``weekly`` or ``fortnightly``."""
        named = {"weekly": 1, "fortnightly": 2}
        weeks = None
        if isinstance(value, int) and not isinstance(value, bool):
            weeks = value
        elif isinstance(value, str):
            word = value.strip().lower()
            if match := re.fullmatch(r"(\d+)\s*(?:weeks?|w)?", word):
                weeks = int(match[1])
            weeks = named.get(word, weeks)
        if weeks is None:
            raise ValueError(
                f"{_describe(value)} is not a number of weeks (for example 1, or '2 weeks')"
            )
        if not 1 <= weeks <= 52:
            raise ValueError(f"must be between 1 and 52 weeks, got {weeks}")
        return weeks

    @field_validator("start_week")
    @classmethod
    def _iso_week(cls, value: str | None) -> str | None:
        """A fortnightly meeting counts its weeks from this ISO week."""
        if value is None:
            return None
        match = _ISO_WEEK.match(value.strip().upper())
        try:
            if not match:
                raise ValueError
            dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO week (for example 2026-W48)") from None
        return f"{match[1]}-W{match[2]}"

    @model_validator(mode="after")
    def _reminder_before_meeting(self) -> TacticalSchedule:
        """A reminder due after the meeting would remind nobody of anything useful."""
        if self.reminder_after >= self.checkin_lead:
            raise ValueError(
                f"reminder_after ({format_duration(self.reminder_after)}) must be shorter than "
                f"checkin_lead ({format_duration(self.checkin_lead)}), "
                "or the reminder would come after the meeting"
            )
        return self


class DigestSchedule(_ConfigModel):
    """When each coach receives the weekly digest, in the coach's own time zone."""

    day: Weekday = "monday"
    time: TimeOfDay = dt.time(8, 30)


# --- Retrospective and team health (issue 18): `retro:` and `health:`, read by bot/retros ------

DEFAULT_HEALTH_QUESTIONS = ("We help each other", "Workload is fair", "Safe to speak up")
DEFAULT_HEALTH_QUESTIONS += ("We learn", "Our clients get what they need")
HEALTH_QUESTIONS_MAX = 10  # each is a field of the Reflect modal
HEALTH_QUESTION_MAX_LENGTH = 150  # a field label people read at a glance


def _retro_off(value: object) -> object:
    """``retro: off`` (YAML reads it as false) or ``none`` turns it off; ``on`` keeps defaults."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
        return None
    if value is True or (isinstance(value, str) and value.strip().lower() == "on"):
        return {}
    return value


class RetroSchedule(_ConfigModel):
    """When the team's retrospective opens (every few weeks, a local day and time), and whether
    reflections show without names."""

    every: int = 4
    day: Weekday = "thursday"
    time: TimeOfDay = dt.time(14, 0)
    anonymous: bool = True
    start_week: str | None = None

    @field_validator("every", mode="before")
    @classmethod
    def _weeks(cls, value: Any) -> Any:
        """``4``, ``4w`` or ``"4 weeks"``, read as the tactical meeting's ``every`` is."""
        return TacticalSchedule._weeks(value)

    @field_validator("start_week")
    @classmethod
    def _iso_week(cls, value: str | None) -> str | None:
        """The retrospective counts its weeks from this ISO week."""
        return None if value is None else TacticalSchedule._iso_week(value)


def _health_questions(value: list[str]) -> list[str]:
    """A few short, distinct questions, each answered 1 to 5 in the Reflect modal."""
    if len(value) > HEALTH_QUESTIONS_MAX:
        raise ValueError(
            f"give at most {HEALTH_QUESTIONS_MAX} health questions (got {len(value)}); "
            "a short check is answered more honestly"
        )
    seen: set[str] = set()
    for question in value:
        if len(question) > HEALTH_QUESTION_MAX_LENGTH:
            raise ValueError(
                f"{question[:40]!r}... is {len(question)} characters; keep each health question "
                f"under {HEALTH_QUESTION_MAX_LENGTH}"
            )
        if question.strip().lower() in seen:
            raise ValueError(f"{question!r} is listed twice")
        seen.add(question.strip().lower())
    return value


RetroSetting = Annotated[RetroSchedule | None, BeforeValidator(_retro_off)]
HealthQuestions = Annotated[list[Text], AfterValidator(_health_questions)]


class TeamConfig(_ConfigModel):
    """One self-organising team: its channel, people, meeting rhythm, numbers and duties."""

    id: str
    name: Text
    channel: str
    members: list[MemberConfig] = Field(default_factory=list)
    usergroup: str | None = None
    coaches: list[MemberConfig] = Field(default_factory=list)
    timezone: ZoneName = "Europe/London"
    tactical: TacticalSchedule
    digest: DigestSchedule = Field(default_factory=DigestSchedule)
    metrics: list[MetricConfig] = Field(default_factory=list)
    checklist: list[Text] = Field(default_factory=list)
    questions: list[Text] | None = None
    # Retrospective and team health (issue 18): see RetroSchedule above.
    retro: RetroSetting = Field(default_factory=RetroSchedule)
    health: HealthQuestions = Field(default_factory=lambda: list(DEFAULT_HEALTH_QUESTIONS))
    # The organisation report (issue 20): metric ids and checklist.<item> -> key question.
    key_questions: dict[str, KeyQuestion] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _team_id(cls, value: str) -> str:
        """The id is typed on the command line (``--team north``), so it is one plain word."""
        if not _TEAM_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid team id (lower-case letters, digits, - and _; "
                "it is typed on the command line)"
            )
        return value

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        """Slack calls take the channel's id; a #name changes when someone renames it."""
        if not _CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id (for example C0A1B2C3D; "
                "it is at the bottom of the channel's About tab)"
            )
        return value

    @field_validator("usergroup")
    @classmethod
    def _usergroup_id(cls, value: str | None) -> str | None:
        """Check a Slack user group id (S…)."""
        if value is not None and not _USERGROUP_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack user group id (for example S0A1B2C3D)")
        return value

    @field_validator("questions")
    @classmethod
    def _some_questions(cls, value: list[str] | None) -> list[str] | None:
        """An empty list would make a check-in with nothing to answer."""
        if value == []:
            raise ValueError("give at least one question, or leave questions: out")
        return value

    @model_validator(mode="after")
    def _has_people(self) -> TeamConfig:
        """A team with no way to know its members could never be asked anything."""
        if not self.members and self.usergroup is None:
            raise ValueError(_NEEDS_PEOPLE)
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone, in which its meetings and ISO weeks are reckoned."""
        return ZoneInfo(self.timezone)

    @property
    def member_ids(self) -> list[str]:
        """The Slack user ids listed under ``members:``, in file order."""
        return [member.id for member in self.members]

    @property
    def coach_ids(self) -> list[str]:
        """The Slack user ids listed under ``coaches:``, in file order."""
        return [coach.id for coach in self.coaches]

    def zone_of(self, user_id: str) -> ZoneInfo:
        """A member's or coach's own time zone when app.yaml gives one, else the team's."""
        for person in (*self.members, *self.coaches):
            if person.id == user_id and person.timezone:
                return ZoneInfo(person.timezone)
        return self.zone


class OrganisationConfig(_ConfigModel):
    """The organisation: its name, its values, and its feedback and retention rules."""

    name: Text
    values: list[Text] = Field(default_factory=list)
    anonymous_feedback: bool = False
    cross_team_feedback: bool = True
    feedback_per_hour: int = Field(default=20, ge=1)
    retention: Annotated[dt.timedelta | None, BeforeValidator(_retention)] = None


@dataclass(frozen=True)
class _PeopleIndex:
    """Who is where in app.yaml, so that a lookup per request never scans every team."""

    teams: list[TeamConfig]  # the very list indexed: another list means a rebuilt index
    by_id: dict[str, TeamConfig] = field(compare=False)
    members: dict[str, list[TeamConfig]] = field(compare=False)
    coaches: dict[str, list[TeamConfig]] = field(compare=False)
    order: dict[int, int] = field(compare=False)  # id(team) → its place in app.yaml
    names: dict[str, str] = field(compare=False)  # the first name app.yaml gives a person

    @classmethod
    def of(cls, teams: list[TeamConfig]) -> _PeopleIndex:
        by_id: dict[str, TeamConfig] = {}
        members: dict[str, list[TeamConfig]] = {}
        coaches: dict[str, list[TeamConfig]] = {}
        names: dict[str, str] = {}
        for team in teams:
            by_id.setdefault(team.id, team)
            for person in (*team.members, *team.coaches):
                if person.name:
                    names.setdefault(person.id, person.name)
            for user_id in dict.fromkeys(team.member_ids):
                members.setdefault(user_id, []).append(team)
            for user_id in dict.fromkeys(team.coach_ids):
                coaches.setdefault(user_id, []).append(team)
        order = {id(team): place for place, team in enumerate(teams)}
        return cls(teams, by_id, members, coaches, order, names)


class AppConfig(_ConfigModel):
    """The whole of app.yaml, with defaults already merged into each team.

    It is read once and not changed while retrobot runs, so the lookups by person and by team
    id use an index made with it: an organisation of 1,000 teams is looked up on every request.
    """

    organisation: OrganisationConfig
    teams: list[TeamConfig]
    source: str = "app.yaml"
    _index: _PeopleIndex | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """Index the people once, as the configuration is made (equal configs, equal indexes)."""
        self._index = _PeopleIndex.of(self.teams)

    def _people(self) -> _PeopleIndex:
        index = self._index
        if index is None or index.teams is not self.teams:
            index = self._index = _PeopleIndex.of(self.teams)
        return index

    @field_validator("teams", mode="before")
    @classmethod
    def _some_teams(cls, value: Any) -> Any:
        """retrobot has nothing to do without a team."""
        if value is None or value == []:
            raise ValueError(_NO_TEAMS)
        return value

    def team(self, team_id: str) -> TeamConfig:
        """The team with this id; NotFoundError naming the known ids otherwise."""
        team = self.find_team(team_id)
        if team is not None:
            return team
        known = ", ".join(team.id for team in self.teams)
        raise NotFoundError(f"No team {team_id!r} in {Path(self.source).name}; teams are: {known}")

    def find_team(self, team_id: str) -> TeamConfig | None:
        """The team with this id, or None (say, a team since removed from app.yaml)."""
        return self._people().by_id.get(team_id)

    def teams_of(self, user_id: str) -> list[TeamConfig]:
        """The teams that list this person under ``members:``, in file order."""
        return list(self._people().members.get(user_id, ()))

    def coached_by(self, user_id: str) -> list[TeamConfig]:
        """The teams that list this person under ``coaches:``, in file order."""
        return list(self._people().coaches.get(user_id, ()))

    def teams_with(self, user_id: str) -> list[TeamConfig]:
        """The teams this person is a member of or coaches, in file order."""
        index = self._people()
        teams = (*index.members.get(user_id, ()), *index.coaches.get(user_id, ()))
        unique = {id(team): team for team in teams}
        return sorted(unique.values(), key=lambda team: index.order[id(team)])

    def is_coach(self, user_id: str) -> bool:
        """True when this person coaches at least one team."""
        return user_id in self._people().coaches

    @property
    def coach_ids(self) -> list[str]:
        """Everyone listed under some team's ``coaches:``, each once, in file order."""
        return list(self._people().coaches)

    def name_of(self, user_id: str | None) -> str | None:
        """The first name app.yaml gives this person (teams in file order, members before
        coaches), or None when it gives none."""
        return self._people().names.get(user_id) if user_id else None

    @property
    def usergroup_team_ids(self) -> list[str]:
        """The teams whose people come (also) from a Slack user group, in file order."""
        return [team.id for team in self.teams if team.usergroup is not None]

    def with_rosters(self, rosters: Mapping[str, Iterable[str]]) -> AppConfig:
        """This configuration with the people last found in each team's Slack user group
        (``rosters``: team id to user ids) added to its members, so that everything that asks
        who is in a team — tensions, triage, the agenda, feedback — knows them too."""
        teams = []
        for team in self.teams:
            listed = set(team.member_ids)
            found = [u for u in dict.fromkeys(rosters.get(team.id, ())) if u not in listed]
            if team.usergroup is None or not found:
                teams.append(team)
                continue
            added = [MemberConfig.model_construct(id=user_id) for user_id in found]
            teams.append(team.model_copy(update={"members": [*team.members, *added]}))
        return self.model_copy(update={"teams": teams})
