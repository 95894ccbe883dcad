"""What app.yaml may say: the pydantic models of the organisation and its teams.

Each model refuses unknown keys and explains a bad value in the admin's terms (``'Europe/Londn'
is not an IANA time zone``); ``bot.core.config.loader`` places those messages at the file, line
and key they came from; the checks of single values live in ``bot.core.config.fields``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bot.core.config.fields import (  # noqa: F401 (re-exported: WEEKDAYS, durations, rotations)
    _CHANNEL_ID,
    _ISO_WEEK,
    _MEMBER_FORMS,
    _NEEDS_PEOPLE,
    _NO_TEAMS,
    _TEAM_ID,
    _USERGROUP_ID,
    WEEKDAYS,
    Duration,
    Text,
    TimeOfDay,
    UserId,
    Weekday,
    ZoneName,
    _ConfigModel,
    _describe,
    _retention,
    _rotation,
    format_duration,
    format_rotation,
    parse_duration,
    parse_rotation,
)
from bot.core.errors import NotFoundError


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


# --- Roles (bot/roles): a team's roles as app.yaml seeds them -------------------------------


class RoleConfig(_ConfigModel):
    """A role a team seeds from app.yaml (afterwards it changes only by decision)."""

    id: str
    name: Text
    purpose: str = ""
    accountabilities: list[Text] = Field(default_factory=list)
    expertise: list[Text] = Field(default_factory=list)
    holders: list[UserId] = Field(default_factory=list)
    rotates: Annotated[str | None, BeforeValidator(_rotation)] = None

    @field_validator("id")
    @classmethod
    def _role_id(cls, value: str) -> str:
        """A role id is typed in decisions and kept with every change, so it is one word."""
        if not _TEAM_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid role id (lower-case letters, digits, - and _)"
            )
        return value

    @property
    def rotation_weeks(self) -> int | None:
        """0 for ``every meeting``, N for ``every N weeks``, None when the role does not rotate."""
        return None if self.rotates is None else parse_rotation(self.rotates)


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
    roles: list[RoleConfig] = Field(default_factory=list)  # bot/roles: seeded once

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


# --- Circles (bot/circles): teams linking with teams ----------------------------------------


class CircleConfig(_ConfigModel):
    """A circle: teams that link to decide what they share, through representatives.

    Its id works wherever a team's does (``retrobot agenda post --team training``): the circle
    is also a team of ``AppConfig.teams`` (:meth:`as_team`), whose members are the holders of the
    ``representatives`` role in its member teams (read from the database, as roles change by
    decision and rotation).
    """

    id: str
    name: Text
    channel: str
    teams: list[str]
    purpose: str = ""
    domain: list[Text] = Field(default_factory=list)
    representatives: str
    timezone: ZoneName = "Europe/London"
    tactical: TacticalSchedule
    digest: DigestSchedule = Field(default_factory=DigestSchedule)

    @field_validator("id")
    @classmethod
    def _circle_id(cls, value: str) -> str:
        """Typed on the command line like a team's (``--team training``): one plain word."""
        if not _TEAM_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid circle id (lower-case letters, digits, - and _; "
                "it is typed on the command line)"
            )
        return value

    @field_validator("channel")
    @classmethod
    def _circle_channel(cls, value: str) -> str:
        """The circle's channel, by id, as a team's."""
        if not _CHANNEL_ID.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (for example C0A1B2C3D)")
        return value

    @field_validator("teams")
    @classmethod
    def _some_teams(cls, value: list[str]) -> list[str]:
        """A circle links teams: it needs at least two."""
        if len(set(value)) < 2:
            raise ValueError("a circle links at least two teams (their ids under teams:)")
        return value

    def as_team(self) -> TeamConfig:
        """The circle as a team: its channel, schedule and zone; members come from the roles."""
        return TeamConfig.model_construct(
            id=self.id,
            name=self.name,
            channel=self.channel,
            members=[],
            usergroup=None,
            coaches=[],
            timezone=self.timezone,
            tactical=self.tactical,
            digest=self.digest,
            metrics=[],
            checklist=[],
            questions=None,
            roles=[],
        )


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
    circles: list[CircleConfig] = Field(default_factory=list)  # bot/circles
    source: str = "app.yaml"
    _index: _PeopleIndex | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """Index the people once, as the configuration is made (equal configs, equal indexes).

        Each circle joins ``teams`` as a team of its own (bot/circles), so that everything a
        team does — check-ins, tensions, agenda, triage, the command line — a circle does too.
        """
        listed = {team.id for team in self.teams}
        circles = [circle.as_team() for circle in self.circles if circle.id not in listed]
        if circles:
            self.teams = [*self.teams, *circles]
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

    # --- Circles (bot/circles) ---------------------------------------------------------------

    def find_circle(self, team_id: str) -> CircleConfig | None:
        """The circle with this id, or None (a plain team, or nothing)."""
        return next((c for c in self.circles if c.id == team_id), None)

    def circles_of(self, team_id: str) -> list[CircleConfig]:
        """The circles this team is a member of, in file order."""
        return [c for c in self.circles if team_id in c.teams]

    @property
    def roster_team_ids(self) -> list[str]:
        """The teams whose people the database knows better than app.yaml: those of a Slack
        user group, and the circles (their representatives hold a role)."""
        return [*self.usergroup_team_ids, *(c.id for c in self.circles)]

    def with_rosters(self, rosters: Mapping[str, Iterable[str]]) -> AppConfig:
        """This configuration with the people last found in each team's Slack user group
        (``rosters``: team id to user ids) added to its members, so that everything that asks
        who is in a team — tensions, triage, the agenda, feedback — knows them too."""
        teams = []
        for team in self.teams:
            listed = set(team.member_ids)
            found = [u for u in dict.fromkeys(rosters.get(team.id, ())) if u not in listed]
            from_roster = team.usergroup is not None or self.find_circle(team.id) is not None
            if not from_roster or not found:
                teams.append(team)
                continue
            added = [MemberConfig.model_construct(id=user_id) for user_id in found]
            teams.append(team.model_copy(update={"members": [*team.members, *added]}))
        return self.model_copy(update={"teams": teams})
