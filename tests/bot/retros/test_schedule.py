"""When a retrospective opens: every ``retro.every`` weeks on a local day and time, across
daylight-saving changes; a late opening within two days; never twice for one period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.config import AppConfig, TeamConfig, parse_config
from bot.core.errors import ConfigError
from bot.retros.model import latest_opening, next_opening, opening_due
from tests.conftest import TEST_APP_YAML

# 21 May 2026 is a Thursday in an "on" week of the default cadence (every 4 weeks from
# Monday 1 January 2024); 14:00 in London is 13:00 UTC in summer.
OPENING = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)


def team(config: AppConfig, **retro: object) -> TeamConfig:
    north = config.team("north")
    assert north.retro is not None
    return north.model_copy(update={"retro": north.retro.model_copy(update=retro)})


def test_the_default_is_every_four_weeks_on_thursday_at_two(config: AppConfig) -> None:
    north = config.team("north")
    assert north.retro is not None
    assert (north.retro.every, north.retro.day, north.retro.anonymous) == (4, "thursday", True)
    assert latest_opening(north, OPENING) == OPENING
    assert latest_opening(north, OPENING - timedelta(seconds=1)) == OPENING - timedelta(weeks=4)
    assert next_opening(north, OPENING) == OPENING + timedelta(weeks=4)
    assert next_opening(north, OPENING - timedelta(hours=1)) == OPENING


def test_the_local_hour_holds_across_daylight_saving(config: AppConfig) -> None:
    weekly = team(config, every=1)
    winter = next_opening(weekly, datetime(2026, 10, 26, tzinfo=UTC))  # after the clocks go back
    assert winter == datetime(2026, 10, 29, 14, 0, tzinfo=UTC)  # 14:00 GMT
    summer = next_opening(weekly, datetime(2026, 3, 23, tzinfo=UTC))
    assert summer == datetime(2026, 3, 26, 14, 0, tzinfo=UTC)  # 14:00 GMT, before the change
    after = next_opening(weekly, datetime(2026, 3, 30, tzinfo=UTC))
    assert after == datetime(2026, 4, 2, 13, 0, tzinfo=UTC)  # 14:00 BST


def test_a_start_week_sets_which_weeks_are_on(config: AppConfig) -> None:
    fortnightly = team(config, every=2, start_week="2026-W22", day="monday")
    assert next_opening(fortnightly, OPENING) == datetime(2026, 5, 25, 13, 0, tzinfo=UTC)
    assert next_opening(fortnightly, datetime(2026, 5, 26, tzinfo=UTC)) == datetime(
        2026, 6, 8, 13, 0, tzinfo=UTC
    )


def test_an_opening_is_due_from_its_time_for_two_days_and_once(config: AppConfig) -> None:
    north = config.team("north")
    assert not opening_due(north, OPENING - timedelta(minutes=1), None)
    assert opening_due(north, OPENING, None)
    assert opening_due(north, OPENING + timedelta(days=1, hours=23), None)  # late, still useful
    assert not opening_due(north, OPENING + timedelta(days=2), None)  # its turn has passed
    assert not opening_due(north, OPENING + timedelta(hours=1), OPENING)  # opened already
    # Opened by hand a few days early: the schedule does not open a second one.
    assert not opening_due(north, OPENING, OPENING - timedelta(days=3))
    assert opening_due(north, OPENING, OPENING - timedelta(weeks=4))


def test_retro_off_never_opens(config: AppConfig) -> None:
    north = config.team("north").model_copy(update={"retro": None})
    assert latest_opening(north, OPENING) is None and next_opening(north, OPENING) is None
    assert not opening_due(north, OPENING, None)


# --- app.yaml ---------------------------------------------------------------------------------

LINES = TEST_APP_YAML.splitlines()


def with_lines(after: str, *lines: str) -> str:
    """The test app.yaml with ``lines`` inserted after the first line starting with ``after``."""
    index = next(i for i, line in enumerate(LINES) if line.strip().startswith(after)) + 1
    return "\n".join([*LINES[:index], *lines, *LINES[index:]]) + "\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="app.yaml")
    return raised.value.problems


def test_retro_and_health_under_defaults_and_per_team() -> None:
    text = with_lines(
        "digest:",
        "  retro: {every: 6w, day: fri, time: '15:30', anonymous: false}",
        "  health: [We learn, Safe to speak up, Workload is fair]",
    )
    text = text.replace("    coaches: [U0SCOACH]", "    coaches: [U0SCOACH]\n    retro: off")
    config = parse_config(text)
    north, south = config.teams
    assert north.retro is not None
    assert (north.retro.every, north.retro.day, north.retro.anonymous) == (6, "friday", False)
    assert north.retro.time.isoformat() == "15:30:00"
    assert north.health == ["We learn", "Safe to speak up", "Workload is fair"]
    assert south.retro is None
    merged = parse_config(text.replace("retro: off", "retro: {day: monday}"))
    assert merged.teams[1].retro is not None
    assert (merged.teams[1].retro.day, merged.teams[1].retro.every) == ("monday", 6)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["  retro: {every: 0}"], "defaults.retro.every: must be between 1 and 52 weeks, got 0"),
        (["  retro: {every: soon}"], "defaults.retro.every: 'soon' is not a number of weeks"),
        (["  retro: {evry: 4}"], "defaults.retro.evry: unknown key 'evry' (did you mean 'every'?)"),
        (["  retro: {day: thrusday}"], "defaults.retro.day: 'thrusday' is not a day of the week"),
        (["  retro: {time: '25:00'}"], "defaults.retro.time: '25:00' is not a time of day"),
        (["  retro: {anonymous: perhaps}"], "defaults.retro.anonymous: expected true or false"),
        (["  retro: 4"], "defaults.retro: expected a mapping of keys, got 4"),
        (["  health: [We learn, we learn]"], "defaults.health: 'we learn' is listed twice"),
        (["  health: [We learn, '']"], "defaults.health[1]: must not be empty"),
        ([f"  health: [{', '.join(f'Q{n}' for n in range(11))}]"], "at most 10 health questions"),
    ],
)
def test_a_mistake_names_the_file_the_line_and_the_key(lines: list[str], expected: str) -> None:
    text = with_lines("digest:", *lines)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if row == lines[0])
    [problem] = problems(text)
    assert problem.startswith(f"app.yaml:{line}: ")
    assert expected in problem
