"""app.yaml's key_questions: which key question each metric and checklist item answers; every
mistake named by `retrobot check` with its file, line and key."""

from __future__ import annotations

import pytest

from bot.core.config import checklist_slug, key_question_target, parse_config
from bot.core.errors import ConfigError

TEAM = """organisation: {{name: Org}}
defaults:
  tactical: {{day: tuesday, time: "10:00"}}
{defaults}teams:
  - id: north
    name: North
    channel: C0NORTH01
    members: [U0AAA1]
    metrics:
      - {{id: visits, label: Client visits}}
    checklist: [Medication audits up to date]
{mapping}  - id: south
    name: South
    channel: C0SOUTH01
    members: [U0BBB2]
"""


def config_text(mapping: str = "", defaults: str = "") -> str:
    return TEAM.format(mapping=mapping, defaults=defaults)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="app.yaml")
    return raised.value.problems


def test_metrics_and_checklist_items_map_to_the_five_questions() -> None:
    config = parse_config(
        config_text(
            "    key_questions:\n"
            "      visits: Responsive\n"
            "      checklist.medication_audits_up_to_date: well led\n"
        )
    )
    north = config.team("north")
    assert north.key_questions == {
        "visits": "responsive",
        "checklist.medication_audits_up_to_date": "well-led",
    }
    assert config.team("south").key_questions == {}
    assert checklist_slug("Medication audits up to date") == "medication_audits_up_to_date"
    items = north.checklist
    target = key_question_target("checklist.Medication audits up to date", ["visits"], items)
    assert target == "checklist:Medication audits up to date"  # its words work as well
    assert key_question_target("visits", ["visits"], items) == "metric:visits"


def test_a_key_naming_nothing_of_the_team_is_reported_with_its_line() -> None:
    found = problems(
        config_text("    key_questions: {vists: safe, checklist.medication_audit: caring}\n")
    )
    assert found == [
        "app.yaml:12: teams[0].key_questions.vists: 'vists' names none of the team's metrics or "
        "checklist items (did you mean 'visits'?); write a metric id, or checklist.<item> with "
        "the item's words joined by _",
        "app.yaml:12: teams[0].key_questions.checklist.medication_audit: "
        "'checklist.medication_audit' names none of the team's metrics or checklist items (did "
        "you mean 'checklist.medication_audits_up_to_date'?); write a metric id, or "
        "checklist.<item> with the item's words joined by _",
    ]


def test_a_question_that_is_not_one_of_the_five_is_reported() -> None:
    found = problems(config_text("    key_questions:\n      visits: saef\n"))
    assert found == [
        "app.yaml:13: teams[0].key_questions.visits: 'saef' is not one of the five key "
        "questions: safe, effective, caring, responsive, well-led (did you mean safe?)"
    ]


def test_defaults_may_name_what_only_some_teams_count_but_not_what_none_does() -> None:
    fine = parse_config(config_text(defaults="  key_questions: {visits: effective}\n"))
    assert fine.team("north").key_questions == {"visits": "effective"}
    found = problems(config_text(defaults="  key_questions: {visits: effective, beds: safe}\n"))
    assert found == [
        "app.yaml:4: defaults.key_questions.beds: 'beds' names none of any team's metrics or "
        "checklist items; write a metric id, or checklist.<item> with the item's words joined by _"
    ]


def test_the_example_app_yaml_maps_its_teams() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "app.yaml"
    config = parse_config(example.read_text(encoding="utf-8"), source="app.yaml")
    assert config.team("north").key_questions["checklist.medication_audits_up_to_date"] == "safe"
