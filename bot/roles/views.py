"""Block Kit for roles: /roles, the App Home's roles, a rotation's announcement, the
facilitator's brief, the note to a role's holders, and the tension modal's role choice.

A message's notification text is mrkdwn too, so it is rendered escaped (``say``) like its
blocks: a role's name, made by a decision, is words a person typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.roles.model import ROLES_SHOWN, RoleInfo, TurnPlan
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    context,
    divider,
    header,
    message,
    option,
    section,
    static_select,
)
from prompts import Renderer
from storage.models import Tension


@dataclass(frozen=True)
class TeamRoles:
    """One team's roles, for a person in it."""

    team_id: str
    team_name: str
    roles: Sequence[RoleInfo]


def build_roles_message(renderer: Renderer, *, teams: Sequence[TeamRoles]) -> dict[str, Any]:
    """`/roles`: each of the person's teams and its roles (within a message's 50 blocks)."""
    blocks: list[Block] = []
    room = MESSAGE_BLOCK_LIMIT - 2 * len(teams)
    for team in teams:
        if blocks:
            blocks.append(divider())
        if not team.roles:
            blocks.append(section(renderer.say("roles.no_roles", team_name=team.team_name)))
            continue
        count = len(team.roles)
        blocks.append(
            section(renderer.say("roles.team_heading", team_name=team.team_name, count=count))
        )
        shown = list(team.roles[: max(1, min(ROLES_SHOWN, room // max(1, len(teams))))])
        blocks += [section(renderer.say("roles.role", role=role)) for role in shown]
        if count > len(shown):
            blocks.append(context(renderer.say("roles.more", count=count - len(shown))))
    return message(renderer.say("roles.command_fallback"), blocks[:MESSAGE_BLOCK_LIMIT])


def build_person_roles_message(
    renderer: Renderer, *, user_id: str, held: Sequence[tuple[RoleInfo, str]]
) -> dict[str, Any]:
    """`/roles @person`: the roles that person holds in the asker's teams (role, team name)."""
    lines = [renderer.say("roles.person_heading", user_id=user_id, count=len(held))]
    lines += [
        renderer.say("roles.person_role", role=role, team_name=team_name)
        for role, team_name in held[:ROLES_SHOWN]
    ]
    return message(renderer.say("roles.command_fallback"), [section("\n".join(lines))])


def build_roles_home_section(
    renderer: Renderer, *, yours: Sequence[RoleInfo], teams: Sequence[TeamRoles]
) -> list[Block]:
    """The App Home's "Your roles", then each of the person's teams' roles (a few blocks)."""
    blocks: list[Block] = [
        header(renderer.plain("roles.home_heading")),
        section(renderer.say("roles.home_yours", roles=list(yours[:ROLES_SHOWN]))),
    ]
    for team in teams:
        shown = list(team.roles[:ROLES_SHOWN])
        blocks.append(
            section(
                renderer.say(
                    "roles.home_team",
                    team_name=team.team_name,
                    roles=shown,
                    more=len(team.roles) - len(shown),
                )
            )
        )
    return blocks


def build_turns_announcement(
    renderer: Renderer, *, team_name: str, turns: Sequence[TurnPlan], zone: ZoneInfo
) -> dict[str, Any]:
    """The channel message that says who holds the rotating roles at the coming meeting."""
    lines = [renderer.say("roles.turn_line", turn=turn, zone=zone) for turn in turns]
    blocks = [section(line) for line in lines[: MESSAGE_BLOCK_LIMIT - 1]]
    blocks.append(context(renderer.say("roles.turns_footer")))
    return message(renderer.say("roles.turns_fallback", team_name=team_name), blocks)


def build_facilitator_brief(
    renderer: Renderer,
    *,
    team_name: str,
    meeting_at: datetime,
    zone: ZoneInfo,
    agenda_url: str | None,
) -> dict[str, Any]:
    """The DM to the meeting's facilitator: when, the agenda's link, and the meeting's steps."""
    return message(
        renderer.say("roles.brief_fallback", team_name=team_name),
        [
            section(
                renderer.say(
                    "roles.brief",
                    team_name=team_name,
                    meeting_at=meeting_at,
                    zone=zone,
                    agenda_url=agenda_url,
                )
            ),
            section(renderer.say("roles.brief_steps")),
        ],
    )


def build_holder_note(
    renderer: Renderer, *, tension: Tension, role_name: str, team_name: str
) -> dict[str, Any]:
    """The DM to a role's holders about a tension raised about their role."""
    return message(
        renderer.say("roles.holder_note_fallback", role_name=role_name),
        [
            section(
                renderer.say(
                    "roles.holder_note", tension=tension, role_name=role_name, team_name=team_name
                )
            )
        ],
    )


def role_choice_value(team_id: str, role_key: str) -> str:
    """The tension modal's option value for one team's role."""
    return f"{team_id}:{role_key}"


def parse_role_choice(value: str | None) -> tuple[str, str] | None:
    """(team id, role id) from the tension modal's role choice, or None when none was made."""
    if not value or ":" not in value:
        return None
    team_id, _, key = value.partition(":")
    return team_id, key


def build_tension_role_choice(
    renderer: Renderer,
    *,
    roles: Mapping[str, Sequence[RoleInfo]],
    team_names: Mapping[str, str],
    chosen: str | None = None,
) -> Block | None:
    """The tension modal's optional choice of a role (each of the person's teams' roles; the
    team's name shown beside a role when they are in several), or None when no team has one."""
    several = sum(1 for team_roles in roles.values() if team_roles) > 1
    options = [
        option(
            renderer.plain(
                "roles.tension_role_option",
                role_name=role.name,
                team_name=team_names.get(team_id, team_id) if several else "",
            ),
            role_choice_value(team_id, role.key),
        )
        for team_id, team_roles in roles.items()
        for role in team_roles
    ]
    if not options:
        return None
    block = static_select(
        block_id=ids.TENSION_ROLE_BLOCK,
        action_id=ids.TENSION_ROLE_ACTION,
        label=renderer.plain("roles.tension_role_label"),
        options=options,
        initial_value=chosen,
        optional=True,
    )
    block["hint"] = {"type": "plain_text", "text": renderer.plain("roles.tension_role_hint")}
    return block
