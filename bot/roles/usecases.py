"""Roles' use cases: one function per thing a person, a decision or a job does; each owns its
transaction. Handlers, the scheduler, the command line and (at the merge) bot.decisions call
these."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.core.config import TeamConfig
from bot.core.errors import InvalidInputError
from bot.roles import delivery, rotation
from bot.roles import service as roles
from bot.roles.cache import roles_cache
from bot.roles.model import (
    NAME_LIMIT,
    RoleChangeRequest,
    RoleChangeResult,
    RoleDecision,
    RoleInfo,
    TurnPlan,
)
from bot.roles.views import (
    TeamRoles,
    build_person_roles_message,
    build_roles_home_section,
    build_roles_message,
    build_tension_role_choice,
    parse_role_choice,
)
from bot.services import Services, sync_circle_members
from bot.slack.blocks import Block
from prompts import Renderer
from storage.models import Tension, TensionRole

logger = logging.getLogger(__name__)

# Teams rotated per transaction: each batch costs the same few statements whatever its size.
ROTATION_BATCH = 250


# --- Seeding ------------------------------------------------------------------------------------


def ensure_seeded(services: Services) -> None:
    """Seed from app.yaml the roles of any team never seeded (once per configuration loaded in
    this process: afterwards a query per request would find nothing to do)."""
    config = services.listed_config
    if getattr(services, "_roles_seeded_for", None) is config:
        return
    seeded: list[str] = []
    with services.session() as session:
        try:
            seeded = roles.seed_roles(session, config=config, now=services.now())
            if seeded and config.circles:
                sync_circle_members(session, config)  # the circles' representatives, seeded too
            session.commit()
        except IntegrityError:
            session.rollback()  # another process seeded the same team a moment ago
    services._roles_seeded_for = config  # type: ignore[attr-defined]
    if seeded and config.circles:
        services.refresh_rosters()


# --- Decisions ----------------------------------------------------------------------------------


def apply_role_change(
    session: Session,
    *,
    team_id: str,
    change: RoleChangeRequest,
    decision_id: int,
    now: datetime,
    team: TeamConfig | None = None,
) -> RoleChangeResult:
    """Create, change, assign or remove one of the team's roles as an adopted decision says,
    keeping the decision with the change; committed. The same decision applied again changes
    nothing. With ``team`` (app.yaml's), holders must be its members and not its coaches.
    InvalidInputError or NotFoundError say what cannot be done."""
    checked = roles.check_change(change, team=team)
    result = roles.change_role(
        session, team_id=team_id, change=checked, decision_id=decision_id, now=now
    )
    session.commit()
    return result


# --- /roles, the App Home, the command line ----------------------------------------------------


def teams_roles(services: Services, *, teams: Sequence[TeamConfig]) -> list[TeamRoles]:
    """These teams' roles as they stand now. The tension modal asks on every `/tension`: they
    are kept between requests while the database announces no change (bot.roles.cache), and
    read otherwise in one SELECT on a connection of its own (no session, and no transaction
    around it on PostgreSQL)."""
    ensure_seeded(services)

    def read(team_ids: Collection[str]) -> dict[str, list[RoleInfo]]:
        with services.autocommit() as connection:
            return roles.roles_of_teams(connection, team_ids)

    found = roles_cache(services.engine).roles_of_teams([team.id for team in teams], read)
    return [TeamRoles(team.id, team.name, found.get(team.id, [])) for team in teams]


def roles_message(services: Services, *, user_id: str, about: str | None) -> dict[str, Any]:
    """What `/roles [@person]` shows: the person's teams' roles, or the roles ``about`` holds
    in the person's teams (never in teams the asker is not in)."""
    teams = services.config.teams_with(user_id)
    listed = teams_roles(services, teams=teams)
    if about is None:
        return build_roles_message(services.renderer, teams=listed)
    held = [
        (role, team.team_name) for team in listed for role in team.roles if about in role.holders
    ]
    return build_person_roles_message(services.renderer, user_id=about, held=held)


def home_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """The App Home's "Your roles" and the roles of each team the person is in."""
    ensure_seeded(services)
    teams = services.config.teams_of(user_id)
    if not teams:
        return []
    found = roles.roles_of_teams(session, [team.id for team in teams])
    yours = [role for team in teams for role in found.get(team.id, []) if user_id in role.holders]
    listed = [TeamRoles(team.id, team.name, found.get(team.id, [])) for team in teams]
    return build_roles_home_section(services.renderer, yours=yours, teams=listed)


def team_roles(services: Services, *, team_id: str) -> list[RoleInfo]:
    """One team's roles (``retrobot roles --team ID``)."""
    team = services.config.team(team_id)
    return teams_roles(services, teams=[team])[0].roles  # type: ignore[return-value]


def role_decisions(services: Services, *, team_id: str) -> dict[str, RoleDecision]:
    """The decision that last changed each of the team's roles, by role id (the seed and the
    rotations are no decision: a role only they changed is not listed)."""
    with services.session() as session:
        return roles.last_decisions(session, team_id=team_id)


# --- The tension modal -------------------------------------------------------------------------


def tension_role_choice(
    services: Services, *, teams: Sequence[TeamConfig], chosen: str | None = None
) -> Block | None:
    """The tension modal's choice of a role of the person's teams, or None when none has one."""
    listed = teams_roles(services, teams=teams)
    return build_tension_role_choice(
        services.renderer,
        roles={team.team_id: team.roles for team in listed},
        team_names={team.team_id: team.team_name for team in listed},
        chosen=chosen,
    )


def check_role_choice(value: str | None, *, team_id: str, renderer: Renderer) -> str | None:
    """The role id chosen in the tension modal for the tension's team, or None when none was;
    InvalidInputError (field ``role``) when the role chosen is another team's."""
    choice = parse_role_choice(value)
    if choice is None:
        return None
    if choice[0] != team_id:
        raise InvalidInputError({"role": renderer.plain("roles.tension_role_other_team")})
    return choice[1]


@dataclass(frozen=True)
class RoutedTension:
    """A tension raised about a role: the role, and the holders told."""

    role: RoleInfo
    told: tuple[str, ...]


def route_tension(
    services: Services, client: WebClient, *, tension: Tension, role_key: str
) -> RoutedTension | None:
    """Record the role a tension was raised about and DM its holders (not the raiser); a
    private tension is for the coaches only, so its role's holders are not told. None when the
    team no longer has that role."""
    now = services.now()
    with services.session() as session:
        role = roles.find_role(session, team_id=tension.team_id, key=role_key)
        if role is None or not role.active or role.id is None or tension.id is None:
            return None
        holders = roles.holders_of(session, [role.id]).get(role.id, [])
        notify = not tension.private
        session.add(
            TensionRole(
                tension_id=tension.id,
                team_id=tension.team_id,
                role_id=role.id,
                notified_at=now if notify else None,
            )
        )
        # The agenda and the Home show the role where no words were given (a role's name, at
        # most NAME_LIMIT characters, fits a tension's area).
        if not tension.area:
            session.execute(
                update(Tension)
                .where(col(Tension.id) == tension.id, col(Tension.area) == "")
                .values(area=role.name[:NAME_LIMIT])
            )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None  # routed already (the same tension twice): nobody is told again
        info = roles.team_roles(session, team_id=tension.team_id)
    tension.area = tension.area or role.name[:NAME_LIMIT]
    found = next((r for r in info if r.key == role_key), None)
    if found is None:
        return None
    if not notify:
        return RoutedTension(role=found, told=())
    deliveries = delivery.tell_holders(
        client,
        services.renderer,
        config=services.config,
        tension=tension,
        role_name=found.name,
        holders=holders,
    )
    return RoutedTension(role=found, told=tuple(d.recipient for d in deliveries if d.ok))


# --- Rotation (the scheduler's roles job) ------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    """What one run of the roles job did."""

    turns: int
    rotated: int
    announced: int
    briefed: int


def rotate_roles(
    services: Services, *, now: datetime, batch: int = ROTATION_BATCH, send: bool = True
) -> RotationReport:
    """Record each team's rotating roles' turn at its coming meeting once its check-in has
    opened (a fixed number of queries per batch of teams), then announce the turns in the
    channels and brief the facilitators whose agenda is out."""
    ensure_seeded(services)
    teams = list(services.config.teams)
    recorded = rotated = 0
    for start in range(0, len(teams), batch):
        plans = rotate_batch(services, teams=teams[start : start + batch], now=now)
        recorded += len(plans)
        rotated += sum(1 for plan in plans if plan.rotated)
    if not send:
        return RotationReport(recorded, rotated, 0, 0)
    announced = delivery.announce_turns(services, now=now)
    briefed = delivery.send_briefs(services, now=now)
    return RotationReport(recorded, rotated, announced, briefed)


def rotate_batch(
    services: Services, *, teams: Sequence[TeamConfig], now: datetime
) -> list[TurnPlan]:
    """One batch's turns, planned and recorded in one transaction."""
    with services.session() as session:
        plans = rotation.plan_turns(session, teams=teams, now=now)
        try:
            rotation.record_turns(session, plans=plans, now=now)
            session.commit()
        except IntegrityError:
            session.rollback()  # another scheduler recorded them first: theirs stand
            logger.warning("Role turns were recorded by another process; kept theirs")
            return []
    return plans
