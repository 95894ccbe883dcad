"""Block Kit for the App Home tab: the frame, and the tensions section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks import Block, actions, button, divider, header, home, section
from bot.tensions import TeamTensions
from prompts import Renderer

TEAM_TENSIONS_SHOWN = 15


def build_home(
    renderer: Renderer, *, sections: Sequence[list[Block]], in_team: bool
) -> dict[str, Any]:
    """The App Home: a title, then each feature's section in turn (within Slack's 100 blocks)."""
    blocks = [header(renderer.plain("home.title"))]
    if not in_team:
        blocks.append(section(renderer.say("home.not_in_team")))
        return home(blocks)
    blocks.append(section(renderer.say("home.intro")))
    blocks.append(
        actions(
            button(renderer.plain("home.raise_button"), ids.HOME_RAISE_TENSION, style="primary")
        )
    )
    for part in sections:
        if part:
            blocks += [divider(), *part]
    return home(blocks)


def build_tensions_section(renderer: Renderer, *, overview: list[TeamTensions]) -> list[Block]:
    """For each of the person's teams: the open tensions they raised, and the team's others."""
    blocks: list[Block] = []
    for team in overview:
        shown = team.others[:TEAM_TENSIONS_SHOWN]
        blocks += [
            header(renderer.plain("home.team_heading", team_name=team.team.name)),
            section(renderer.say("home.my_tensions", tensions=team.mine[:TEAM_TENSIONS_SHOWN])),
            section(
                renderer.say(
                    "home.team_tensions", tensions=shown, more=len(team.others) - len(shown)
                )
            ),
        ]
    return blocks
