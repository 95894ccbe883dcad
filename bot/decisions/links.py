"""Where deciding meets roles and circles: the proposal modal's roles to ask and the advisors
it suggests (the holders of the roles whose expertise or purpose the proposal touches), the
holders asked for a role chosen, and a circle's adopted decision posted to its member teams."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.circles import usecases as circles
from bot.core.config import TeamConfig
from bot.decisions.views import RoleOption
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
    options = [
        RoleOption(
            id=role_value(team.team_id, role.key),
            name=(f"{role.name} ({team.team_name})" if len(listed) > 1 else role.name)[
                :OPTION_TEXT
            ],
        )
        for team in listed
        for role in team.roles
    ][:ROLE_OPTIONS]
    own = next((team.roles for team in listed if team.team_id == team_id), [])
    return options, suggest_advisors(own, text, exclude={user_id})


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
