"""app.yaml's roles: read into the team, and every mistake named by file, line and key."""

from __future__ import annotations

import pytest

from bot.core.config import AppConfig, format_rotation, parse_config, parse_rotation
from bot.core.errors import ConfigError
from tests.bot.roles.organisation import ROLES_APP_YAML
from tests.conftest import BEN, CARA


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="app.yaml")
    return raised.value.problems


def with_roles(roles: str) -> str:
    """North with these lines in place of its roles (indented as list items under roles:)."""
    head, _, rest = ROLES_APP_YAML.partition("    roles:\n")
    tail = rest[rest.index("  - id: south") :]
    return f"{head}    roles:\n{roles}{tail}"


def test_roles_are_read_with_their_rotation(config: AppConfig) -> None:
    roles = {role.id: role for role in config.team("north").roles}
    assert list(roles) == ["rota", "facilitator", "tissue", "rep-training"]
    assert roles["rota"].holders == [BEN] and roles["rota"].rotation_weeks is None
    assert roles["rota"].expertise == ["rota", "annual leave"]
    assert roles["facilitator"].rotates == "every meeting"
    assert roles["facilitator"].rotation_weeks == 0
    assert roles["rep-training"].rotation_weeks == 4
    assert roles["tissue"].holders == [CARA]
    assert config.team("south").roles == []


@pytest.mark.parametrize(
    ("words", "weeks", "canonical"),
    [
        ("every meeting", 0, "every meeting"),
        ("Every  Meeting", 0, "every meeting"),
        ("every week", 1, "every week"),
        ("every 1 week", 1, "every week"),
        ("every 12 weeks", 12, "every 12 weeks"),
        ("every 4w", 4, "every 4 weeks"),
    ],
)
def test_rotation_words(words: str, weeks: int, canonical: str) -> None:
    assert parse_rotation(words) == weeks
    assert format_rotation(weeks) == canonical


@pytest.mark.parametrize("words", ["sometimes", "every 0 weeks", "every 53 weeks", "weekly"])
def test_a_rotation_in_other_words_is_refused(words: str) -> None:
    with pytest.raises(ValueError, match="is not a rotation"):
        parse_rotation(words)


def test_a_role_with_no_holder_and_no_rotation_is_named_at_its_line() -> None:
    found = problems(with_roles("      - {id: lead, name: Clinical lead}\n"))
    line = (
        with_roles("      - {id: lead, name: Clinical lead}\n")
        .splitlines()
        .index("      - {id: lead, name: Clinical lead}")
        + 1
    )
    assert found == [
        f"app.yaml:{line}: teams[0].roles[0]: a role needs holders: (Slack user ids of the "
        "team's members), or rotates: every meeting (or every N weeks) to pass it around"
    ]


def test_a_holder_outside_the_team_and_a_coach_holding_a_role_are_errors() -> None:
    text = with_roles("      - {id: lead, name: Lead, holders: [U0COACH, U0OUTSIDE]}\n")
    line = (
        text.splitlines().index("      - {id: lead, name: Lead, holders: [U0COACH, U0OUTSIDE]}") + 1
    )
    assert problems(text) == [
        f"app.yaml:{line}: teams[0].roles[0].holders[0]: 'U0COACH' coaches this team; "
        "coaches hold no role in a team",
        f"app.yaml:{line}: teams[0].roles[0].holders[1]: 'U0OUTSIDE' is not one of the team's "
        "members; only members hold its roles",
    ]


def test_a_bad_rotation_an_unknown_key_and_a_repeated_id_are_named() -> None:
    text = with_roles(
        "      - {id: a, name: A, rotates: fortnightly}\n"
        "      - {id: a, name: B, holders: [U0ANA], colour: red}\n"
    )
    lines = text.splitlines()
    first = lines.index("      - {id: a, name: A, rotates: fortnightly}") + 1
    found = problems(text)
    assert (
        f"app.yaml:{first + 1}: teams[0].roles[1]: role 'a' is listed twice (first on line {first})"
        in found
    )
    assert any(
        p.startswith(
            f"app.yaml:{first}: teams[0].roles[0].rotates: 'fortnightly' is not a rotation"
        )
        for p in found
    )
    assert any(
        p.startswith(f"app.yaml:{first + 1}: teams[0].roles[1].colour: unknown key 'colour'")
        for p in found
    )


def test_a_bad_role_id_is_refused() -> None:
    text = with_roles("      - {id: Rota Lead, name: Rota, holders: [U0ANA]}\n")
    assert any("'Rota Lead' is not a valid role id" in p for p in problems(text))
