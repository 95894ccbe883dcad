"""Block Kit for the App Home tab."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks import actions, button, divider, header, home, section
from bot.tensions import TeamTensions
from prompts import Renderer

TEAM_TENSIONS_SHOWN = 20


def build_home(renderer: Renderer, *, overview: list[TeamTensions]) -> dict[str, Any]:
    """The App Home: for each of the person's teams, their open tensions and the team's."""
    blocks = [header(renderer.plain("home.title"))]
    if not overview:
        blocks.append(section(renderer.say("home.not_in_team")))
        return home(blocks)
    blocks.append(section(renderer.say("home.intro")))
    blocks.append(
        actions(
            button(renderer.plain("home.raise_button"), ids.HOME_RAISE_TENSION, style="primary")
        )
    )
    for team in overview:
        shown = team.others[:TEAM_TENSIONS_SHOWN]
        blocks += [
            divider(),
            header(renderer.plain("home.team_heading", team_name=team.team.name)),
            section(renderer.say("home.my_tensions", tensions=team.mine[:TEAM_TENSIONS_SHOWN])),
            section(
                renderer.say(
                    "home.team_tensions", tensions=shown, more=len(team.others) - len(shown)
                )
            ),
        ]
    return home(blocks)
