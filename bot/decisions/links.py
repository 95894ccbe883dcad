"""Where deciding meets roles and circles: the proposal modal's roles to ask and the advisors
it suggests (the holders of the roles whose expertise or purpose the proposal touches), the
holders asked for a role chosen, the role a proposal changes (checked against the team's roles
as they stand), and a circle's adopted decision posted to its member teams."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.circles import usecases as circles
from bot.core.config import TeamConfig
from bot.core.errors import InvalidInputError
from bot.decisions.proposal_modal import RoleOption
from bot.decisions.role_change import RoleChangeForm, check_role_change
from bot.roles import usecases as roles
from bot.roles.service import suggest_advisors
from bot.services import Services
from storage.models import Decision

logger = logging.getLogger(__name__)

# Slack's static select holds 100 options, and an option's text 75 characters.
ROLE_OPTIONS = 100
OPTION_TEXT = 75


def role_value(team_id: str, role_key: str) -> str:
    """The proposal modal's value for one team's role."""
    return f"{team_id}:{role_key}"


def advisors_for_modal(
    services: Services, *, user_id: str, teams: Sequence[TeamConfig], team_id: str, text: str
) -> tuple[list[RoleOption], list[str]]:
    """The roles of the proposer's teams to ask (named with their team when there are several),
    and the people to suggest: holders of the team's roles that ``text`` touches, not the
    proposer."""
    listed = roles.teams_roles(services, teams=teams)
    own = next((team.roles for team in listed if team.team_id == team_id), [])
    return role_options(services, teams=teams), suggest_advisors(own, text, exclude={user_id})


def role_options(services: Services, *, teams: Sequence[TeamConfig]) -> list[RoleOption]:
    """The roles of these teams, as the proposal modal offers them (with their team's name
    when there are several teams)."""
    listed = roles.teams_roles(services, teams=teams)
    return [
        RoleOption(
            id=role_value(team.team_id, role.key),
            name=(f"{role.name} ({team.team_name})" if len(listed) > 1 else role.name)[
                :OPTION_TEXT
            ],
        )
        for team in listed
        for role in team.roles
    ][:ROLE_OPTIONS]


def checked_role_change(
    services: Services, *, team_id: str | None, form: RoleChangeForm | None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The role change a proposal carries, checked against its team's roles and people as they
    stand: (the change to keep, or None; the field errors, empty when none)."""
    team = services.config.find_team(team_id) if team_id else None
    if form is None or team is None:
        return None, {}
    listed = roles.teams_roles(services, teams=[team])[0].roles
    try:
        return check_role_change(form, config=services.config, team=team, team_roles=listed), {}
    except InvalidInputError as error:
        return None, error.field_errors


def with_role_holders(
    services: Services, *, user_id: str, people: Sequence[str], chosen: Sequence[str]
) -> list[str]:
    """The people asked, and the holders of each role chosen (each once, not the proposer)."""
    wanted: dict[str, set[str]] = {}
    for value in chosen:
        team_id, _, key = value.partition(":")
        wanted.setdefault(team_id, set()).add(key)
    teams = [team for team_id in wanted if (team := services.config.find_team(team_id))]
    asked = dict.fromkeys(people)
    for team in roles.teams_roles(services, teams=teams):
        for role in team.roles:
            if role.key in wanted.get(team.team_id, ()):
                asked.update(dict.fromkeys(h for h in role.holders if h != user_id))
    return list(asked)


def post_to_member_teams(services: Services, *, decision: Decision) -> None:
    """A circle's adopted decision, posted in every member team's channel (once per team: the
    circle is accountable to them). Nothing for a team's own decision."""
    if decision.id is None or services.config.find_circle(decision.team_id) is None:
        return
    try:
        circles.post_circle_decision(
            services, circle_id=decision.team_id, decision_id=decision.id, text=decision.text
        )
    except Exception:
        logger.exception("Circle %s's decision %s was not posted", decision.team_id, decision.id)
