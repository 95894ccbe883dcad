"""Roles' messages and views stay within Block Kit's limits however long the roles, and never
let a role's words or a tension's text mention the channel."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.roles.model import KeptReason, RoleInfo, TurnPlan
from bot.roles.views import (
    TeamRoles,
    build_facilitator_brief,
    build_holder_note,
    build_person_roles_message,
    build_roles_home_section,
    build_roles_message,
    build_tension_role_choice,
    build_turns_announcement,
    parse_role_choice,
)
from bot.slack.blockkit import message_problems, view_problems
from bot.slack.blocks import home
from prompts import Renderer
from storage.models import Tension

RENDERER = Renderer()
LONDON = ZoneInfo("Europe/London")


def role(number: int, **fields: object) -> RoleInfo:
    values: dict = {
        "id": number,
        "team_id": "north",
        "key": f"r{number}",
        "name": f"Role {number} <!channel>",
        "purpose": "p" * 500,
        "accountabilities": tuple("a" * 300 for _ in range(6)),
        "expertise": tuple(f"word{n}" for n in range(10)),
        "holders": ("U0ANA", "U0BEN"),
        "rotation": "every 4 weeks",
    } | fields
    return RoleInfo(**values)


MANY = [role(n) for n in range(80)]


def test_roles_message_of_many_long_roles_fits_and_says_there_are_more() -> None:
    teams = [TeamRoles("north", "North", MANY), TeamRoles("south", "South", [])]
    payload = build_roles_message(RENDERER, teams=teams)
    assert message_problems(payload) == []
    text = json.dumps(payload)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "more roles" in text


def test_person_home_announcement_brief_and_note_fit() -> None:
    held = [(r, "North") for r in MANY]
    assert message_problems(build_person_roles_message(RENDERER, user_id="U0ANA", held=held)) == []
    section = build_roles_home_section(
        RENDERER, yours=MANY, teams=[TeamRoles("north", "North", MANY)]
    )
    assert view_problems(home(section)) == []
    turns = [
        TurnPlan(
            "north",
            n,
            f"r{n}",
            f"Role {n}",
            date(2026, 6, 2),
            datetime(2026, 6, 2, 9, tzinfo=UTC),
            "U0ANA",
            ("U0BEN",),
            True,
        )
        for n in range(60)
    ] + [
        TurnPlan(
            "north",
            99,
            "f",
            "Facilitator",
            date(2026, 6, 2),
            datetime(2026, 6, 2, 9, tzinfo=UTC),
            "U0ANA",
            ("U0ANA",),
            False,
            KeptReason.ALL_AWAY,
        )
    ]
    assert (
        message_problems(
            build_turns_announcement(RENDERER, team_name="North", turns=turns, zone=LONDON)
        )
        == []
    )
    brief = build_facilitator_brief(
        RENDERER,
        team_name="North <!here>",
        meeting_at=datetime(2026, 6, 2, 9, tzinfo=UTC),
        zone=LONDON,
        agenda_url="https://example.slack.com/archives/C1/p1",
    )
    assert message_problems(brief) == [] and "<!here>" not in json.dumps(brief)
    tension = Tension(team_id="north", raised_by="U0ANA", text="x <!everyone> " * 400)
    note = build_holder_note(RENDERER, tension=tension, role_name="Rota", team_name="North")
    assert message_problems(note) == [] and "<!everyone>" not in json.dumps(note)


def test_the_tension_modals_role_choice_holds_at_most_100_options() -> None:
    block = build_tension_role_choice(
        RENDERER,
        roles={"north": MANY, "south": [role(n, team_id="south") for n in range(80)]},
        team_names={"north": "North", "south": "South"},
        chosen="north:r3",
    )
    assert block is not None
    assert (
        view_problems(
            {
                "type": "modal",
                "title": {"type": "plain_text", "text": "T"},
                "submit": {"type": "plain_text", "text": "S"},
                "callback_id": "x",
                "blocks": [block],
            }
        )
        == []
    )
    assert block["element"]["initial_option"]["value"] == "north:r3"
    assert block["element"]["options"][0]["text"]["text"].endswith("· North")
    assert build_tension_role_choice(RENDERER, roles={"south": []}, team_names={}) is None
    assert parse_role_choice("north:rota") == ("north", "rota")
    assert parse_role_choice(None) is None and parse_role_choice("junk") is None
