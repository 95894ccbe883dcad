"""Roles in the database: seeded once from app.yaml, changed only by decision (each change kept
with the decision that made it), read per team and per person, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.core.config import AppConfig, parse_config
from bot.core.errors import InvalidInputError, NotFoundError
from bot.roles import service as roles
from bot.roles import usecases
from bot.roles.model import ChangeKind, RoleChangeRequest
from bot.services import Services
from prompts import Renderer
from storage.models import Role, RoleChange, RoleChangeKind
from tests.bot.roles.organisation import ROLES_APP_YAML
from tests.conftest import ANA, BEN, CARA, COACH, DEV, OUTSIDER, SHARED

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RENDERER = Renderer()


def north_roles(services: Services) -> dict[str, roles.RoleInfo]:
    with services.session() as session:
        return {role.key: role for role in roles.team_roles(session, team_id="north")}


def test_roles_are_seeded_once_from_app_yaml(services: Services) -> None:
    usecases.ensure_seeded(services)
    found = north_roles(services)
    assert list(found) == ["rota", "facilitator", "tissue", "rep-training"]
    assert found["rota"].holders == (BEN,)
    assert found["rota"].purpose == "A fair rota everyone can live with"
    assert found["rota"].accountabilities == ("Publishing the rota 2 weeks ahead",)
    assert found["facilitator"].holders == () and found["facilitator"].rotation == "every meeting"
    with services.session() as session:
        history = roles.role_history(session, team_id="north")
        assert [(key, change.kind) for key, change in history] == [
            ("rota", RoleChangeKind.SEED),
            ("facilitator", RoleChangeKind.SEED),
            ("tissue", RoleChangeKind.SEED),
            ("rep-training", RoleChangeKind.SEED),
        ]
        seeded = session.exec(
            select(RoleChange.team_id).where(RoleChange.kind == RoleChangeKind.SEED).distinct()
        ).all()
        assert seeded == ["north"]  # South has no roles


def test_a_later_app_yaml_seeds_nothing_again(services: Services) -> None:
    usecases.ensure_seeded(services)
    edited = ROLES_APP_YAML.replace("name: Rota organiser", "name: Rota wizard")
    services.config = services._listed = parse_config(edited)  # as a SIGHUP reload would
    usecases.ensure_seeded(services)
    with services.session() as session:
        assert roles.seed_roles(session, config=services.config, now=NOW) == []
        assert len(session.exec(select(Role)).all()) == 4
    assert north_roles(services)["rota"].name == "Rota organiser"


def decide(
    services: Services, change: RoleChangeRequest, decision_id: int, *, check: bool = True
) -> roles.RoleChangeResult:
    usecases.ensure_seeded(services)
    with services.session() as session:
        return usecases.apply_role_change(
            session,
            team_id="north",
            change=change,
            decision_id=decision_id,
            now=NOW,
            team=services.config.team("north") if check else None,
        )


def test_a_decision_creates_changes_assigns_and_removes_a_role_keeping_each_change(
    services: Services,
) -> None:
    created = decide(
        services,
        RoleChangeRequest(
            ChangeKind.CREATE,
            "falls",
            name="Falls lead",
            purpose="Fewer falls at home",
            expertise=("falls", "mobility"),
            holders=(ANA,),
        ),
        decision_id=11,
    )
    assert created.applied and created.role.holders == (ANA,)
    decide(services, RoleChangeRequest(ChangeKind.CHANGE, "falls", purpose="No falls"), 12)
    decide(services, RoleChangeRequest(ChangeKind.ASSIGN, "falls", holders=(ANA, DEV)), 13)
    assert north_roles(services)["falls"].holders == (ANA, DEV)
    assert north_roles(services)["falls"].purpose == "No falls"
    decide(services, RoleChangeRequest(ChangeKind.REMOVE, "falls"), 14)
    assert "falls" not in north_roles(services)

    with services.session() as session:
        history = [c for key, c in roles.role_history(session, team_id="north") if key == "falls"]
    assert [(c.kind, c.decision_id) for c in history] == [
        (RoleChangeKind.CREATE, 11),
        (RoleChangeKind.CHANGE, 12),
        (RoleChangeKind.ASSIGN, 13),
        (RoleChangeKind.REMOVE, 14),
    ]
    assert history[1].before["purpose"] == "Fewer falls at home"
    assert history[1].after["purpose"] == "No falls"
    assert history[2].before["holders"] == [ANA] and history[2].after["holders"] == [ANA, DEV]
    assert history[3].before["holders"] == [ANA, DEV] and history[3].after == {}


def test_the_same_decision_applied_twice_changes_the_role_once(services: Services) -> None:
    change = RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=(ANA,))
    assert decide(services, change, 21).applied
    again = decide(services, RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=(DEV,)), 21)
    assert not again.applied and again.role.holders == (ANA,)
    with services.session() as session:
        changes = session.exec(select(RoleChange).where(RoleChange.decision_id == 21)).all()
    assert len(changes) == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=(COACH,)), "holders", "Coaches"),
        (RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=(OUTSIDER,)), "holders", "members"),
        (RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=()), "holders", "who is to hold"),
        (RoleChangeRequest(ChangeKind.CREATE, "x", name="X"), "holders", "needs holders"),
        (
            RoleChangeRequest(ChangeKind.CREATE, "rota", name="Rota", holders=(ANA,)),
            "role",
            "already",
        ),
        (
            RoleChangeRequest(ChangeKind.CHANGE, "rota", rotation="often"),
            "rotation",
            "not a rotation",
        ),
    ],
)
def test_a_change_that_cannot_be_made_says_why_and_changes_nothing(
    services: Services, change: RoleChangeRequest, field: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        decide(services, change, 31)
    assert words in refused.value.field_errors[field]
    assert north_roles(services)["rota"].holders == (BEN,)


def test_changing_a_role_the_team_does_not_have_is_not_found(services: Services) -> None:
    with pytest.raises(NotFoundError):
        decide(services, RoleChangeRequest(ChangeKind.CHANGE, "nope", name="Nope"), 41)


def test_a_removed_role_can_be_created_again_by_a_later_decision(services: Services) -> None:
    decide(services, RoleChangeRequest(ChangeKind.REMOVE, "tissue"), 51)
    again = decide(
        services,
        RoleChangeRequest(ChangeKind.CREATE, "tissue", name="Skin lead", holders=(SHARED,)),
        52,
    )
    assert again.role.name == "Skin lead" and again.role.holders == (SHARED,)


def test_roles_held_by_a_person_and_the_concentration_count(services: Services) -> None:
    usecases.ensure_seeded(services)
    with services.session() as session:
        assert [r.key for r in roles.roles_held_by(session, user_id=CARA, team_ids=["north"])] == [
            "tissue"
        ]
        assert roles.role_concentration(session, team_ids=["north", "south"]) == {}
    for number, key in enumerate(("tissue", "rep-training"), start=61):
        decide(services, RoleChangeRequest(ChangeKind.ASSIGN, key, holders=(BEN,)), number)
    with services.session() as session:
        # Ben holds 3 of North's 4 roles: the digest may say "one person holds 3 of 4 roles".
        assert roles.role_concentration(session, team_ids=["north", "south"]) == {"north": (3, 4)}
        assert RENDERER.say("roles.digest_concentration", held=3, total=4) == (
            "One person holds 3 of the team's 4 roles."
        )


def test_the_seed_holders_of_a_config_are_checked_even_without_app_yaml(config: AppConfig) -> None:
    team = config.team("north")
    checked = roles.check_change(
        RoleChangeRequest(ChangeKind.ASSIGN, "rota", holders=(ANA, ANA), name=" Rota "),
        team=team,
    )
    assert checked.holders == (ANA,) and checked.name == "Rota"
