"""Load and validate app.yaml, reporting every problem as ``file:line: key: what is wrong``.

The file is composed into YAML nodes (so each key and value keeps its line), turned into plain
values, ``defaults:`` is merged into each team, and the result is validated by pydantic models.
Each pydantic error's location is mapped back to the node it came from, so an admin reads
``app.yaml:14: teams[0].timezone: 'Europe/Londn' is not an IANA time zone (...)``, never a
traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.errors import ConfigError, NotFoundError

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
_TOP_KEYS = ("organisation", "defaults", "teams")


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


# --- The organisation report (issue 20) -------------------------------------------------------
# `key_questions:`, per team or under `defaults:`: which of the regulator's five key questions
# each of the team's metrics and checklist items answers. Kept together so that they can be
# moved as one block; bot/reports reads them, and _check_key_questions (below) cross-checks them.

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well-led")
CHECKLIST_PREFIX = "checklist."
_SLUG_GAP = re.compile(r"[^a-z0-9]+")


def checklist_slug(item: str) -> str:
    """A checklist item as one word for app.yaml: ``Audit done`` → ``audit_done``."""
    return _SLUG_GAP.sub("_", item.lower()).strip("_")


def _key_question(value: object) -> object:
    """Read one of the five key questions, in any case; ``well led`` and ``well_led`` too."""
    if isinstance(value, str):
        word = "-".join(value.strip().lower().replace("_", " ").split())
        if word in KEY_QUESTIONS:
            return word
        close = difflib.get_close_matches(word, KEY_QUESTIONS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(
            f"{_describe(value)} is not one of the five key questions: "
            f"{', '.join(KEY_QUESTIONS)}{hint}"
        )
    raise ValueError(f"expected one of {', '.join(KEY_QUESTIONS)}, got {_describe(value)}")


KeyQuestion = Annotated[str, BeforeValidator(_key_question)]


def key_question_target(key: str, metric_ids: list[str], checklist: list[str]) -> str | None:
    """What a ``key_questions:`` key names in a team: ``metric:<id>``, ``checklist:<item>``, or
    None. A checklist item is written ``checklist.<its text>`` or ``checklist.<its slug>``."""
    if key.startswith(CHECKLIST_PREFIX):
        wanted = key[len(CHECKLIST_PREFIX) :].strip()
        for item in checklist:
            if wanted in (item, checklist_slug(item)):
                return f"checklist:{item}"
        return None
    return f"metric:{key}" if key in metric_ids else None


def _key_question_problem(key: str, metric_ids: list[str], checklist: list[str]) -> str:
    """Why a ``key_questions:`` key names nothing in a team, with the nearest name it has."""
    names = metric_ids + [CHECKLIST_PREFIX + checklist_slug(item) for item in checklist]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{key!r} names none of the team's metrics or checklist items{hint}; "
        "write a metric id, or checklist.<item> with the item's words joined by _"
    )


def _check_key_questions(teams: list[Any], origin: _Origin, problems: _Problems) -> None:
    """Each team's ``key_questions:`` keys must name its metrics and checklist items. A key set
    under ``defaults:`` need only name something in one team (teams differ in what they count)."""
    defaults_unmatched: dict[str, tuple[int, str]] = {}
    defaults_matched: set[str] = set()
    for index, team in enumerate(teams):
        mapping = team.get("key_questions") if isinstance(team, dict) else None
        if not isinstance(mapping, dict):
            continue
        metrics = [m.get("id") for m in team.get("metrics") or [] if isinstance(m, dict)]
        metric_ids = [m for m in metrics if isinstance(m, str)]
        checklist = [i for i in team.get("checklist") or [] if isinstance(i, str)]
        here = origin.children[index].children["key_questions"]
        for key in mapping:
            where = here.children[key]
            found = key_question_target(str(key), metric_ids, checklist)
            if where.label.startswith("defaults."):
                if found:
                    defaults_matched.add(where.label)
                else:
                    problem = _key_question_problem(str(key), metric_ids, checklist)
                    defaults_unmatched.setdefault(where.label, (where.line, problem))
            elif not found:
                problems.add(
                    where.line, where.label, _key_question_problem(str(key), metric_ids, checklist)
                )
    for label, (line, problem) in defaults_unmatched.items():
        if label not in defaults_matched:
            problems.add(line, label, problem.replace("the team's", "any team's"))


# --- end of the organisation report's block ---------------------------------------------------


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


# --- From YAML text to located values ---------------------------------------------------------


@dataclass
class _Origin:
    """Where a value was written: its dotted key path as the admin sees it, and its line."""

    label: str
    line: int  # the line of the value's key (or of its "-" for a list item)
    scalar: bool
    children: dict[str | int, _Origin] = field(default_factory=dict)


class _Problems:
    """The problems found so far, each already formatted as one line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, label: str, message: str) -> None:
        """Record one problem at a line and key path."""
        where = f"{self.source}:{line}: " + (f"{label}: " if label else "")
        self.found.append((line, where + message))

    def lines(self) -> list[str]:
        """The distinct problems in file order (defaults shared by teams are reported once)."""
        seen: dict[str, int] = {}
        for line, text in self.found:
            seen.setdefault(text, line)
        return sorted(seen, key=seen.__getitem__)


# libyaml composes a thousand-team file about five times faster than pure Python.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_SCALARS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
}
_MAX_NODES = 1_000_000  # aliases can multiply a small file; stop long before memory runs out


class _Reader:
    """Turn composed YAML nodes into plain values plus an _Origin tree, noting problems."""

    def __init__(self, loader: Any, problems: _Problems) -> None:
        self.loader = loader
        self.problems = problems
        self.count = 0

    def read(
        self, node: yaml.Node, label: str, line: int, ancestors: frozenset[int] = frozenset()
    ) -> tuple[Any, _Origin]:
        """Read a node written at ``line`` under the key path ``label``."""
        self.count += 1
        if self.count > _MAX_NODES:
            raise ConfigError(
                [
                    f"{self.problems.source}:{line}: the file expands to too many values "
                    "(check its YAML aliases)"
                ]
            )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, label, line), _Origin(label, line, scalar=True)
        origin = _Origin(label, line, scalar=False)
        if id(node) in ancestors:
            self.problems.add(line, label, "a YAML alias here refers to itself")
            return None, origin
        ancestors = ancestors | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.problems.add(line, label, f"YAML tag {node.tag} is not used in app.yaml")
            items = []
            for index, item in enumerate(node.value):
                value, origin.children[index] = self.read(
                    item, f"{label}[{index}]", item.start_mark.line + 1, ancestors
                )
                items.append(value)
            return items, origin
        if node.tag != "tag:yaml.org,2002:map":
            self.problems.add(line, label, f"YAML tag {node.tag} is not used in app.yaml")
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.add(
                    key_line, label, "YAML merge keys (<<) are not supported; use defaults: instead"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.add(
                    key_line, label, "a key must be a plain word, not a list or mapping"
                )
                continue
            key = key_node.value
            key_label = f"{label}.{key}" if label else key
            if key in mapping:
                first = origin.children[key].line
                self.problems.add(
                    key_line, key_label, f"duplicate key {key!r} (first set on line {first})"
                )
                continue
            mapping[key], origin.children[key] = self.read(
                value_node, key_label, key_line, ancestors
            )
        return mapping, origin

    def _scalar(self, node: yaml.ScalarNode, label: str, line: int) -> Any:
        """A scalar's value; ``10:00`` stays text rather than YAML 1.1's base-60 number 600."""
        if node.tag not in _STANDARD_SCALARS and node.tag != "tag:yaml.org,2002:timestamp":
            self.problems.add(line, label, f"YAML tag {node.tag} is not used in app.yaml")
            return node.value
        plain = not node.style  # None from PyYAML's parser, "" from libyaml's
        if plain and ":" in node.value and node.tag.endswith(("int", "float")):
            return node.value
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError):
            return node.value  # an impossible date such as 2026-13-45 is just text here


def _yaml_problem(source: str, error: yaml.YAMLError, text: str) -> str:
    """One line saying where and why the text is not YAML."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return (
            f"{source}:{line}: not valid YAML: {error.reason} (character #x{error.character:04x})"
        )
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"{source}: not valid YAML: {' '.join(str(error).split())}"
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    problem = error.problem or error.context or "unreadable"
    if "another document" in problem:
        return f"{source}:{line}: not valid YAML: a second document starts here; use one only"
    message = f"{source}:{line}: not valid YAML: {problem}"
    context_line = error.context_mark.line + 1 if error.context_mark else line
    if error.context and error.problem and context_line != line:
        message += f" ({error.context} from line {context_line})"
    lines = text.splitlines()
    if (
        lines
        and isinstance(error, yaml.scanner.ScannerError)
        and "\t" in lines[min(line, len(lines)) - 1]
    ):
        message += "; indent with spaces, not tabs"
    return message


# --- Defaults, cross-checks and pydantic errors -----------------------------------------------


def _merge(default: Any, d_origin: _Origin, team: Any, t_origin: _Origin) -> tuple[Any, _Origin]:
    """Merge a defaults value under a team's: mappings key by key, anything else the team's."""
    if not (isinstance(default, dict) and isinstance(team, dict)):
        return team, t_origin
    merged = dict(default)
    origin = _Origin(t_origin.label, t_origin.line, False, dict(d_origin.children))
    for key, value in team.items():
        if key in default:
            merged[key], origin.children[key] = _merge(
                default[key], d_origin.children[key], value, t_origin.children[key]
            )
        else:
            merged[key], origin.children[key] = value, t_origin.children[key]
    return merged, origin


def _suggest(word: str, choices: typing.Iterable[str]) -> str:
    """``unknown key 'x'``, with the close match when there is one."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"unknown key {word!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _check_teams(teams: list[Any], origin: _Origin, problems: _Problems) -> None:
    """The checks that span list items: unique ids, and a way to know each team's members."""
    first_team: dict[str, int] = {}
    for index, team in enumerate(teams):
        if not isinstance(team, dict):
            continue
        here = origin.children[index]
        team_id = team.get("id")
        if isinstance(team_id, str):
            id_origin = here.children["id"]
            if team_id in first_team:
                problems.add(
                    id_origin.line,
                    id_origin.label,
                    f"duplicate team id {team_id!r} (first used on line {first_team[team_id]})",
                )
            else:
                first_team[team_id] = id_origin.line
        if team.get("members") in (None, []) and team.get("usergroup") is None:
            problems.add(here.line, here.label, _NEEDS_PEOPLE)
        for key, what in (("members", "member"), ("coaches", "coach"), ("metrics", "metric")):
            entries = team.get(key)
            if isinstance(entries, list):
                _check_unique(entries, here.children[key], what, problems)


def _check_unique(entries: list[Any], origin: _Origin, what: str, problems: _Problems) -> None:
    """Report an id listed twice in one list (members, coaches or metrics of a team)."""
    first: dict[str, int] = {}
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(entry_id, str):
            continue
        here = origin.children[index]
        if entry_id in first:
            problems.add(
                here.line,
                here.label,
                f"{what} {entry_id!r} is listed twice (first on line {first[entry_id]})",
            )
        else:
            first[entry_id] = here.line


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``, so the walk below can see the model inside."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose mapping sits at this location in AppConfig, if any."""
    current: Any = AppConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if typing.get_origin(current) is not list:
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _message(error: Any, loc: tuple[str | int, ...]) -> str:
    """Say what one pydantic error means, in app.yaml's terms."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    got = _describe(value)
    if kind == "missing":
        if loc == ("teams",):
            return _NO_TEAMS
        if len(loc) == 3 and loc[0] == "teams":
            return "required key is missing (set it on the team or under defaults:)"
        return "required key is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        return _suggest(str(loc[-1]), model.model_fields if model else ())
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_type":
        quote = " (put it in quotes)" if isinstance(value, int | float | dt.date) else ""
        return f"expected text, got {got}{quote}"
    if kind == "list_type":
        example = f" (for example [{value}])" if isinstance(value, str) else ""
        return f"expected a list, got {got}{example}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {got}"
    if kind.startswith("bool_"):
        return f"expected true or false, got {got}"
    if kind.startswith("int_"):
        return f"expected a whole number, got {got}"
    if kind.startswith("float_"):
        return f"expected a number, got {got}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}, got {got}"
    text = str(error["msg"]).removeprefix("Input should be ")
    return f"should be {text}, got {got}" if text != error["msg"] else f"{text}, got {got}"


def _report(error: Any, root: _Origin, problems: _Problems) -> None:
    """Place one pydantic error at the line and key path it came from."""
    loc = tuple(error["loc"])
    here, rest = root, list(loc)
    while rest and rest[0] in here.children:
        here = here.children[rest.pop(0)]
    label = here.label
    if not here.scalar:  # the rest names keys that are missing, not values the admin wrote
        for part in rest:
            label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else part)
    problems.add(here.line, label, _message(error, loc))


def parse_config(text: str, source: str = "app.yaml") -> AppConfig:
    """Read app.yaml's text; ConfigError lists every problem as ``file:line: key: message``."""
    problems = _Problems(source)
    try:
        loader = _Loader(text)  # checks every character is printable already
    except yaml.YAMLError as error:
        raise ConfigError([_yaml_problem(source, error, text)]) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            raise ConfigError([_yaml_problem(source, error, text)]) from None
        if node is None:
            raise ConfigError(
                [
                    f"{source}:1: the file is empty; it needs organisation: and teams: "
                    "(see the example app.yaml)"
                ]
            )
        line = node.start_mark.line + 1
        data, root = _Reader(loader, problems).read(node, "", line)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.add(
            line,
            "",
            f"the file must be a mapping with organisation: and teams:, not {_describe(data)}",
        )
        raise ConfigError(problems.lines())

    for key in list(data):
        if key not in _TOP_KEYS:
            problems.add(root.children[key].line, key, _suggest(key, _TOP_KEYS))
            del data[key]
    defaults = data.pop("defaults", None)
    if defaults is not None and not isinstance(defaults, dict):
        here = root.children["defaults"]
        problems.add(
            here.line, here.label, f"expected a mapping of team keys, got {_describe(defaults)}"
        )
    teams = data.get("teams")
    if isinstance(teams, list):
        teams_origin = root.children["teams"]
        merged_origin = _Origin(teams_origin.label, teams_origin.line, False)
        merged_teams = []
        for index, team in enumerate(teams):
            if isinstance(defaults, dict):
                team, merged_origin.children[index] = _merge(
                    defaults, root.children["defaults"], team, teams_origin.children[index]
                )
            else:
                merged_origin.children[index] = teams_origin.children[index]
            merged_teams.append(team)
        data["teams"] = merged_teams
        root.children["teams"] = merged_origin
        _check_teams(merged_teams, merged_origin, problems)
        _check_key_questions(merged_teams, merged_origin, problems)  # the organisation report
    data["source"] = source

    try:
        config = AppConfig.model_validate(data)
    except ValidationError as invalid:
        for error in invalid.errors():
            _report(error, root, problems)
        raise ConfigError(problems.lines()) from None
    if problems.found:
        raise ConfigError(problems.lines())
    return config


def load_config(path: str | Path) -> AppConfig:
    """Read and validate the app.yaml at ``path``; ConfigError says what is wrong and where."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{source}: no such file (RETROBOT_CONFIG names app.yaml; the default is ./app.yaml)"]
        ) from None
    except OSError as error:
        raise ConfigError([f"{source}: cannot be read: {error.strerror or error}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError([f"{source}:{line}: not UTF-8 text; save the file as UTF-8"]) from None
    return parse_config(text, source=source)
