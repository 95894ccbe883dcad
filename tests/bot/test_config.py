"""app.yaml loading: defaults merging, member forms, durations, one exact message per mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import (
    WEEKDAYS,
    AppConfig,
    TeamConfig,
    format_duration,
    load_config,
    parse_config,
    parse_duration,
)
from bot.core.errors import ConfigError, NotFoundError

EXAMPLE = Path(__file__).resolve().parents[2] / "app.yaml"

# Line numbers matter in these tests: BASE's lines are numbered in the comments.
BASE = """\
organisation:
  name: Riverside Community Care
defaults:
  timezone: Europe/London
  tactical: {day: tuesday, time: "10:00"}
teams:
  - id: north
    name: North
    channel: C0123ABCD
    members: [U0A1B2C3D, U0B2C3D4E]
    coaches: [U0Z9Y8X7W]
  - id: south
    name: South
    channel: C0456EFGH
    members:
      - U0C3D4E5F
      - {id: U0D4E5F6G, name: Ana, timezone: Europe/Madrid}
    coaches: [U0Z9Y8X7W, U0Y8X7W6V]
"""
# 1 organisation  2 name  3 defaults  4 timezone  5 tactical  6 teams
# 7 - id: north  8 name  9 channel  10 members  11 coaches
# 12 - id: south  13 name  14 channel  15 members:  16 - U0C3..  17 - {id: U0D4..}  18 coaches


def insert(after: int, *lines: str) -> str:
    """BASE with ``lines`` inserted after line ``after`` (so the first becomes line after+1)."""
    base = BASE.splitlines()
    return "\n".join([*base[:after], *lines, *base[after:]]) + "\n"


def replace(old: str, new: str) -> str:
    """BASE with one exact piece of text replaced (which must occur exactly once)."""
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def problems(text: str) -> list[str]:
    """The problems parse_config reports for ``text``."""
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    return raised.value.problems


# --- What a valid file gives ------------------------------------------------------------------


def test_base_loads_with_defaults_merged_into_each_team() -> None:
    config = parse_config(BASE)
    north, south = config.teams
    assert [north.id, south.id] == ["north", "south"]
    assert north.timezone == "Europe/London"
    assert north.zone == ZoneInfo("Europe/London")
    assert north.tactical.day == "tuesday"
    assert north.tactical.time == dt.time(10, 0)
    assert north.tactical.checkin_lead == dt.timedelta(hours=24)
    assert north.tactical.reminder_after == dt.timedelta(hours=4)
    assert north.tactical.agenda_lead == dt.timedelta(minutes=30)
    assert north.tactical.every == 1
    assert north.digest.day == "monday"
    assert north.digest.time == dt.time(8, 30)
    assert config.source == "app.yaml"
    assert config.organisation.anonymous_feedback is False
    assert config.organisation.cross_team_feedback is True
    assert config.organisation.feedback_per_hour == 20
    assert config.organisation.retention is None


def test_team_keys_win_over_defaults_key_by_key_inside_mappings() -> None:
    config = parse_config(
        insert(
            11,
            "    timezone: Europe/Dublin",
            "    tactical: {day: Thursday, checkin_lead: 2d}",
            "    digest: {time: '07:15'}",
        )
    )
    north, south = config.teams
    assert north.timezone == "Europe/Dublin"
    assert north.tactical.day == "thursday"
    assert north.tactical.time == dt.time(10, 0)  # from defaults
    assert north.tactical.checkin_lead == dt.timedelta(days=2)
    assert (north.digest.day, north.digest.time) == ("monday", dt.time(7, 15))
    assert (south.tactical.day, south.timezone) == ("tuesday", "Europe/London")


def test_lists_in_defaults_are_replaced_not_merged() -> None:
    config = parse_config(
        insert(5, "  checklist: [Rota published]") + "    checklist: [Audits done]\n"
    )
    assert config.teams[0].checklist == ["Rota published"]
    assert config.teams[1].checklist == ["Audits done"]


def test_members_as_bare_ids_and_as_mappings() -> None:
    north, south = parse_config(BASE).teams
    assert north.member_ids == ["U0A1B2C3D", "U0B2C3D4E"]
    assert north.members[0].name is None
    assert south.member_ids == ["U0C3D4E5F", "U0D4E5F6G"]
    assert south.members[1].name == "Ana"
    assert south.members[1].timezone == "Europe/Madrid"
    assert south.coach_ids == ["U0Z9Y8X7W", "U0Y8X7W6V"]
    assert south.zone_of("U0D4E5F6G") == ZoneInfo("Europe/Madrid")
    assert south.zone_of("U0C3D4E5F") == ZoneInfo("Europe/London")


def test_a_usergroup_can_stand_in_for_members() -> None:
    config = parse_config(
        replace("    members: [U0A1B2C3D, U0B2C3D4E]\n", "    usergroup: S0AB12CD\n")
    )
    assert config.teams[0].members == []
    assert config.teams[0].usergroup == "S0AB12CD"


def test_unquoted_times_are_read_as_written_not_as_base_60_numbers() -> None:
    config = parse_config(replace('time: "10:00"', "time: 10:00") + "    digest: {time: 08:30}\n")
    assert config.teams[0].tactical.time == dt.time(10, 0)
    assert config.teams[1].digest.time == dt.time(8, 30)


@pytest.mark.parametrize(
    ("written", "weeks"),
    [("2", 2), ("'2 weeks'", 2), ("1 week", 1), ("fortnightly", 2), ("3w", 3)],
)
def test_every_accepts_a_number_of_weeks(written: str, weeks: int) -> None:
    config = parse_config(replace('time: "10:00"', f'time: "10:00", every: {written}'))
    assert config.teams[0].tactical.every == weeks


def test_start_week_is_normalised() -> None:
    config = parse_config(replace('time: "10:00"', 'time: "10:00", start_week: 2026-w48'))
    assert config.teams[0].tactical.start_week == "2026-W48"


def test_organisation_settings() -> None:
    config = parse_config(
        insert(
            2,
            "  values: [Compassion, Trust]",
            "  anonymous_feedback: true",
            "  cross_team_feedback: false",
            "  feedback_per_hour: 5",
            "  retention: 18 months",
        )
    )
    organisation = config.organisation
    assert organisation.values == ["Compassion", "Trust"]
    assert organisation.anonymous_feedback is True
    assert organisation.cross_team_feedback is False
    assert organisation.feedback_per_hour == 5
    assert organisation.retention == dt.timedelta(days=540)


def test_metrics_checklist_and_questions() -> None:
    config = parse_config(
        BASE
        + "    metrics:\n"
        + "      - {id: visits, label: Client visits, unit: visits}\n"
        + "      - {id: travel, label: Hours travelling, min: 0, max: 80}\n"
        + "    checklist: [Medication audits up to date]\n"
        + "    questions: ['How are you arriving?']\n"
    )
    south = config.teams[1]
    assert [(m.id, m.label, m.unit, m.min, m.max) for m in south.metrics] == [
        ("visits", "Client visits", "visits", 0, 100000),
        ("travel", "Hours travelling", "", 0, 80),
    ]
    assert south.checklist == ["Medication audits up to date"]
    assert south.questions == ["How are you arriving?"]
    assert config.teams[0].questions is None


def test_the_example_app_yaml_loads() -> None:
    config = load_config(EXAMPLE)
    assert config.source == str(EXAMPLE)
    assert config.organisation.name == "Riverside Community Care"
    assert config.organisation.values == ["Compassion", "Trust", "Accountability", "Courage"]
    north, south, training = config.teams  # the example's circle is a team of its own too
    assert (north.id, south.id, training.id) == ("north", "south", "training")
    assert config.circles[0].teams == ["north", "south"]
    assert [role.id for role in north.roles] == ["rota", "facilitator", "rep-training"]
    assert 3 <= len(north.members) <= 4
    assert [metric.id for metric in north.metrics] == ["visits", "travel"]
    assert "Medication audits up to date" in north.checklist
    assert (north.tactical.day, north.tactical.time) == ("tuesday", dt.time(10, 0))
    assert all(member.name and member.timezone is not None for member in south.members[:1])
    assert south.tactical.checkin_lead == dt.timedelta(hours=24)  # merged from defaults
    assert north.coach_ids and south.coach_ids


# --- Looking teams up -------------------------------------------------------------------------


def test_team_lookups() -> None:
    config = parse_config(BASE.replace("U0C3D4E5F", "U0A1B2C3D"))
    assert config.team("south").name == "South"
    assert [team.id for team in config.teams_of("U0A1B2C3D")] == ["north", "south"]
    assert [team.id for team in config.teams_of("U0D4E5F6G")] == ["south"]
    assert config.teams_of("U0NOBODY") == []
    assert [team.id for team in config.coached_by("U0Z9Y8X7W")] == ["north", "south"]
    assert [team.id for team in config.coached_by("U0Y8X7W6V")] == ["south"]
    assert config.is_coach("U0Y8X7W6V")
    assert not config.is_coach("U0A1B2C3D")


def test_lookups_by_person_and_team_id_use_the_index_made_with_the_config() -> None:
    config = parse_config(BASE.replace("U0C3D4E5F", "U0A1B2C3D"))
    # Member of one team and coach of another, in app.yaml's order, each team once.
    assert [t.id for t in config.teams_with("U0Z9Y8X7W")] == ["north", "south"]
    assert [t.id for t in config.teams_with("U0A1B2C3D")] == ["north", "south"]
    assert [t.id for t in config.teams_with("U0Y8X7W6V")] == ["south"]
    assert config.teams_with("U0NOBODY") == []
    assert config.find_team("south") is config.team("south")
    assert config.find_team("east") is None
    # The lists handed out are the caller's own: changing one changes nothing for the next.
    config.teams_of("U0A1B2C3D").clear()
    assert len(config.teams_of("U0A1B2C3D")) == 2
    # The index never makes two equal configurations unequal.
    assert config == parse_config(BASE.replace("U0C3D4E5F", "U0A1B2C3D"))


def test_names_and_coaches_come_from_the_index_in_file_order() -> None:
    # U0D4E5F6G is named in south only; U0A1B2C3D is named nowhere; the first name given wins.
    config = parse_config(
        replace("members: [U0A1B2C3D, U0B2C3D4E]", "members: [U0A1B2C3D, {id: U0D4E5F6G}]")
        .replace("coaches: [U0Z9Y8X7W]", "coaches: [{id: U0Z9Y8X7W, name: Zoe}]")
        .replace("coaches: [U0Z9Y8X7W, U0Y8X7W6V]", "coaches: [{id: U0Z9Y8X7W, name: Z}]")
    )
    assert config.name_of("U0D4E5F6G") == "Ana"
    assert config.name_of("U0Z9Y8X7W") == "Zoe"
    assert config.name_of("U0A1B2C3D") is None
    assert config.name_of(None) is None
    assert parse_config(BASE).coach_ids == ["U0Z9Y8X7W", "U0Y8X7W6V"]
    only_south = config.model_copy(update={"teams": [config.team("south")]})
    assert only_south.name_of("U0Z9Y8X7W") == "Z"


def test_a_configuration_given_other_teams_is_indexed_anew() -> None:
    config = parse_config(BASE)
    only_south = config.model_copy(update={"teams": [config.team("south")]})
    assert only_south.find_team("north") is None
    assert [t.id for t in only_south.teams_of("U0A1B2C3D")] == []
    assert [t.id for t in config.teams_of("U0A1B2C3D")] == ["north"]


def test_an_unknown_team_names_the_known_ones() -> None:
    with pytest.raises(
        NotFoundError, match=r"^No team 'east' in app.yaml; teams are: north, south$"
    ):
        parse_config(BASE).team("east")


def test_models_can_be_built_directly() -> None:
    team = TeamConfig(
        id="west",
        name="West",
        channel="C0WEST",
        members=["U0A1B2C3D"],  # type: ignore[list-item]
        tactical={"day": "Fri", "time": "9:05"},  # type: ignore[arg-type]
    )
    config = AppConfig(organisation={"name": "X"}, teams=[team])  # type: ignore[arg-type]
    assert config.team("west").tactical.day == "friday"
    assert config.team("west").tactical.time == dt.time(9, 5)


# --- Durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", dt.timedelta(hours=24)),
        ("30m", dt.timedelta(minutes=30)),
        ("90s", dt.timedelta(seconds=90)),
        ("2d", dt.timedelta(days=2)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("2w", dt.timedelta(weeks=2)),
        ("1 hour 30 minutes", dt.timedelta(hours=1, minutes=30)),
        (" 4H ", dt.timedelta(hours=4)),
    ],
)
def test_parse_duration(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "1.5h", "-1h", "soon", "2 fortnights"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_months_and_years_are_only_for_retention() -> None:
    assert problems(replace('time: "10:00"', 'time: "10:00", checkin_lead: 1y')) == [
        "app.yaml:5: defaults.tactical.checkin_lead: '1y' is not a duration: unknown unit 'y' "
        "(for example 24h, 30m, 1h30m or 2d)"
    ]
    config = parse_config(insert(2, "  retention: 2y"))
    assert config.organisation.retention == dt.timedelta(days=730)


def test_format_duration_writes_what_parse_duration_reads() -> None:
    for text in ("1h30m", "2d", "2w", "1m30s", "1w2d3h4m5s"):
        assert format_duration(parse_duration(text)) == text
    assert format_duration(dt.timedelta(0)) == "0m"


def test_weekdays() -> None:
    assert WEEKDAYS[0] == "monday" and WEEKDAYS[-1] == "sunday" and len(WEEKDAYS) == 7


# --- One exact message per mistake ------------------------------------------------------------


def test_bad_time_zone() -> None:
    assert problems(insert(8, "    timezone: Europe/Londn")) == [
        "app.yaml:9: teams[0].timezone: 'Europe/Londn' is not an IANA time zone "
        "(for example Europe/London)"
    ]


def test_bad_member_time_zone() -> None:
    assert problems(replace("Europe/Madrid", "Spain/Madrid")) == [
        "app.yaml:17: teams[1].members[1].timezone: 'Spain/Madrid' is not an IANA time zone "
        "(for example Europe/London)"
    ]


def test_unknown_key_suggests_the_close_one() -> None:
    assert problems(insert(11, "    tactcal: {day: monday}")) == [
        "app.yaml:12: teams[0].tactcal: unknown key 'tactcal' (did you mean 'tactical'?)"
    ]


def test_unknown_key_without_a_close_match() -> None:
    assert problems(insert(2, "  colour: blue")) == [
        "app.yaml:3: organisation.colour: unknown key 'colour'"
    ]


def test_unknown_top_level_key() -> None:
    assert problems(insert(5, "team:", "  - id: east")) == [
        "app.yaml:6: team: unknown key 'team' (did you mean 'teams'?)"
    ]


def test_unknown_key_in_a_member_mapping() -> None:
    assert problems(replace("name: Ana", "nmae: Ana")) == [
        "app.yaml:17: teams[1].members[1].nmae: unknown key 'nmae' (did you mean 'name'?)"
    ]


def test_bad_time() -> None:
    assert problems(insert(11, "    tactical: {time: '25:00'}")) == [
        "app.yaml:12: teams[0].tactical.time: '25:00' is not a time of day "
        "(24-hour HH:MM, for example 10:00)"
    ]


def test_time_in_twelve_hour_form_is_refused() -> None:
    assert problems(insert(11, "    digest: {time: 9am}")) == [
        "app.yaml:12: teams[0].digest.time: '9am' is not a time of day "
        "(24-hour HH:MM, for example 10:00)"
    ]


def test_bad_duration() -> None:
    assert problems(insert(11, "    tactical:", "      reminder_after: 4 hrz")) == [
        "app.yaml:13: teams[0].tactical.reminder_after: '4 hrz' is not a duration: "
        "unknown unit 'hrz' (for example 24h, 30m, 1h30m or 2d)"
    ]


def test_duration_without_a_unit() -> None:
    assert problems(insert(11, "    tactical:", "      agenda_lead: 30")) == [
        "app.yaml:13: teams[0].tactical.agenda_lead: 30 is not a duration: give a unit "
        "(for example 30m or 24h)"
    ]


def test_reminder_must_come_before_the_meeting() -> None:
    assert problems(insert(11, "    tactical:", "      checkin_lead: 3h")) == [
        "app.yaml:12: teams[0].tactical: reminder_after (4h) must be shorter than "
        "checkin_lead (3h), or the reminder would come after the meeting"
    ]


def test_bad_weekday() -> None:
    assert problems(insert(11, "    tactical: {day: tuesdy}")) == [
        "app.yaml:12: teams[0].tactical.day: 'tuesdy' is not a day of the week "
        "(did you mean tuesday?)"
    ]


def test_weekday_that_is_nothing_like_one() -> None:
    assert problems(insert(11, "    digest: {day: 3}")) == [
        "app.yaml:12: teams[0].digest.day: 3 is not a day of the week (monday to sunday)"
    ]


def test_bad_every_and_start_week() -> None:
    assert problems(
        insert(11, "    tactical:", "      every: 0", "      start_week: 2026-W60")
    ) == [
        "app.yaml:13: teams[0].tactical.every: must be between 1 and 52 weeks, got 0",
        "app.yaml:14: teams[0].tactical.start_week: '2026-W60' is not an ISO week "
        "(for example 2026-W48)",
    ]


def test_duplicate_team_id_points_at_the_second() -> None:
    assert problems(replace("  - id: south", "  - id: north")) == [
        "app.yaml:12: teams[1].id: duplicate team id 'north' (first used on line 7)"
    ]


def test_duplicate_key_in_a_mapping() -> None:
    assert problems(insert(11, "    name: Northern")) == [
        "app.yaml:12: teams[0].name: duplicate key 'name' (first set on line 8)"
    ]


def test_bad_team_id() -> None:
    assert problems(replace("id: north", "id: North Team")) == [
        "app.yaml:7: teams[0].id: 'North Team' is not a valid team id (lower-case letters, "
        "digits, - and _; it is typed on the command line)"
    ]


def test_bad_user_id() -> None:
    assert problems(replace("[U0A1B2C3D, U0B2C3D4E]", "[U0A1B2C3D, ana]")) == [
        "app.yaml:10: teams[0].members[1]: 'ana' is not a Slack user id (for example U0A1B2C3D)"
    ]


def test_bad_user_id_in_mapping_form() -> None:
    assert problems(replace("{id: U0D4E5F6G,", "{id: '@ana',")) == [
        "app.yaml:17: teams[1].members[1].id: '@ana' is not a Slack user id (for example U0A1B2C3D)"
    ]


def test_bad_channel_id() -> None:
    assert problems(replace("channel: C0123ABCD", "channel: '#north'")) == [
        "app.yaml:9: teams[0].channel: '#north' is not a Slack channel id (for example "
        "C0A1B2C3D; it is at the bottom of the channel's About tab)"
    ]


def test_bad_usergroup_id() -> None:
    assert problems(insert(11, "    usergroup: north-team")) == [
        "app.yaml:12: teams[0].usergroup: 'north-team' is not a Slack user group id "
        "(for example S0A1B2C3D)"
    ]


def test_missing_required_key_points_at_the_parent_mapping() -> None:
    assert problems(replace("    channel: C0456EFGH\n", "")) == [
        "app.yaml:12: teams[1].channel: required key is missing "
        "(set it on the team or under defaults:)"
    ]


def test_missing_organisation_name() -> None:
    assert problems(replace("  name: Riverside Community Care\n", "  values: [Trust]\n")) == [
        "app.yaml:1: organisation.name: required key is missing"
    ]


def test_missing_tactical_time_when_there_are_no_defaults() -> None:
    text = replace('  tactical: {day: tuesday, time: "10:00"}\n', "  tactical: {day: tuesday}\n")
    assert problems(text) == ["app.yaml:5: defaults.tactical.time: required key is missing"]


def test_members_written_as_text_instead_of_a_list() -> None:
    assert problems(replace("[U0A1B2C3D, U0B2C3D4E]", "U0A1B2C3D")) == [
        "app.yaml:10: teams[0].members: expected a list, got 'U0A1B2C3D' (for example [U0A1B2C3D])"
    ]


def test_member_listed_in_no_valid_form() -> None:
    assert problems(replace("      - U0C3D4E5F\n", "      - [U0C3D4E5F]\n")) == [
        "app.yaml:16: teams[1].members[0]: a member listed in no valid form (got a list): "
        "write a Slack user id such as U0A1B2C3D, or a mapping "
        "{id: U0A1B2C3D, name: Ana, timezone: Europe/Madrid}"
    ]


def test_member_listed_twice() -> None:
    assert problems(replace("{id: U0D4E5F6G,", "{id: U0C3D4E5F,")) == [
        "app.yaml:17: teams[1].members[1]: member 'U0C3D4E5F' is listed twice (first on line 16)"
    ]


def test_a_team_without_members_or_usergroup() -> None:
    assert problems(replace("    members: [U0A1B2C3D, U0B2C3D4E]\n", "    members: []\n")) == [
        "app.yaml:7: teams[0]: a team needs members: (Slack user ids) or usergroup: "
        "(a Slack user group), or both"
    ]


def test_text_where_a_number_was_written() -> None:
    assert problems(replace("name: North", "name: 1234")) == [
        "app.yaml:8: teams[0].name: expected text, got 1234 (put it in quotes)"
    ]


def test_wrong_type_for_a_mapping_and_a_flag() -> None:
    assert problems(insert(2, "  anonymous_feedback: sometimes") + "    digest: weekly\n") == [
        "app.yaml:3: organisation.anonymous_feedback: expected true or false, got 'sometimes'",
        "app.yaml:20: teams[1].digest: expected a mapping of keys, got 'weekly'",
    ]


def test_feedback_rate_must_be_positive() -> None:
    assert problems(insert(2, "  feedback_per_hour: 0")) == [
        "app.yaml:3: organisation.feedback_per_hour: must be at least 1, got 0"
    ]


def test_metric_mistakes() -> None:
    text = (
        BASE
        + "    metrics:\n"
        + "      - {id: visits, label: Visits, min: 10, max: 5}\n"
        + "      - {id: visits, label: ''}\n"
    )
    assert problems(text) == [
        "app.yaml:20: teams[1].metrics[0]: min (10) must be below max (5)",
        "app.yaml:21: teams[1].metrics[1]: metric 'visits' is listed twice (first on line 20)",
        "app.yaml:21: teams[1].metrics[1].label: must not be empty",
    ]


def test_a_mistake_in_defaults_is_reported_once_at_its_own_line() -> None:
    assert problems(replace("day: tuesday", "day: soon")) == [
        "app.yaml:5: defaults.tactical.day: 'soon' is not a day of the week (monday to sunday)"
    ]


def test_defaults_must_be_a_mapping() -> None:
    text = replace("  timezone: Europe/London\n", "").replace(
        '  tactical: {day: tuesday, time: "10:00"}\n', "  - tuesday\n"
    )
    found = problems(text)
    assert found[0] == "app.yaml:3: defaults: expected a mapping of team keys, got a list"


def test_no_teams() -> None:
    assert problems(BASE.split("teams:")[0] + "teams: []\n") == [
        "app.yaml:6: teams: there are no teams; add at least one "
        "(id, name, channel, members, tactical)"
    ]
    assert problems(BASE.split("teams:")[0]) == [
        "app.yaml:1: teams: there are no teams; add at least one "
        "(id, name, channel, members, tactical)"
    ]


def test_empty_file() -> None:
    expected = [
        "app.yaml:1: the file is empty; it needs organisation: and teams: "
        "(see the example app.yaml)"
    ]
    assert problems("") == expected
    assert problems("# nothing yet\n\n") == expected


def test_file_that_is_not_a_mapping() -> None:
    assert problems("- north\n- south\n") == [
        "app.yaml:1: the file must be a mapping with organisation: and teams:, not a list"
    ]


def test_not_yaml_names_the_line() -> None:
    (problem,) = problems(insert(8, "    timezone: [Europe/London"))
    assert problem.startswith("app.yaml:")
    assert ": not valid YAML: " in problem
    line = int(problem.split(":")[1])
    assert 9 <= line <= 10


def test_tabs_are_named() -> None:
    (problem,) = problems(BASE.replace("    name: North\n", "\tname: North\n"))
    assert problem.startswith("app.yaml:8: not valid YAML: ")
    assert problem.endswith("indent with spaces, not tabs")


def test_two_documents() -> None:
    assert problems(BASE + "---\nteams: []\n") == [
        "app.yaml:19: not valid YAML: a second document starts here; use one only"
    ]


def test_control_characters() -> None:
    (problem,) = problems(replace("name: North", "name: No\x07rth"))
    assert problem.startswith("app.yaml:8: not valid YAML: ")


def test_yaml_features_app_yaml_does_not_use() -> None:
    found = problems(insert(11, "    <<: {timezone: UTC}", "    checklist: !secret x"))
    assert found == [
        "app.yaml:12: teams[0]: YAML merge keys (<<) are not supported; use defaults: instead",
        "app.yaml:13: teams[0].checklist: YAML tag !secret is not used in app.yaml",
        "app.yaml:13: teams[0].checklist: expected a list, got 'x' (for example [x])",
    ]


def test_an_alias_that_contains_itself() -> None:
    found = problems(BASE.replace("teams:", "teams: &teams", 1) + "  - *teams\n")
    # An alias has no line of its own: the anchored value's line is named.
    assert "app.yaml:6: teams[2]: a YAML alias here refers to itself" in found


def test_every_problem_is_collected_in_file_order_one_line_each() -> None:
    text = insert(2, "  retention: soon").replace("channel: C0456EFGH", "channel: south")
    text = text.replace("    name: North\n", "    name: North\n    timezone: Mars/Olympus\n")
    found = problems(text)
    assert found == [
        "app.yaml:3: organisation.retention: 'soon' is not a duration "
        "(for example 2y, 18 months or 90d)",
        "app.yaml:10: teams[0].timezone: 'Mars/Olympus' is not an IANA time zone "
        "(for example Europe/London)",
        "app.yaml:16: teams[1].channel: 'south' is not a Slack channel id (for example "
        "C0A1B2C3D; it is at the bottom of the channel's About tab)",
    ]
    assert all("\n" not in problem for problem in found)


def test_config_error_message_is_every_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(replace("id: north", "id: North") + "  - 7\n", source="conf/app.yaml")
    assert str(raised.value) == "\n".join(raised.value.problems)
    assert raised.value.problems == [
        "conf/app.yaml:7: teams[0].id: 'North' is not a valid team id (lower-case letters, "
        "digits, - and _; it is typed on the command line)",
        "conf/app.yaml:19: teams[2]: expected a mapping of keys, got 7",
    ]


# --- Reading the file -------------------------------------------------------------------------


def test_load_config_names_the_file_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(insert(8, "    timezone: Europe/Londn"), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:9: teams[0].timezone: 'Europe/Londn' is not an IANA time zone "
        "(for example Europe/London)"
    ]


def test_load_config_reads_a_valid_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_config(str(path)).team("north").channel == "C0123ABCD"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}: no such file (RETROBOT_CONFIG names app.yaml; the default is ./app.yaml)"
    ]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(b"organisation:\n  name: Caf\xe9\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [f"{path}:2: not UTF-8 text; save the file as UTF-8"]


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{tmp_path}: cannot be read: ")
