"""Block Kit for the App Home tab: the frame, and the tensions section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import ids
from bot.slack.blocks import Block, actions, button, context, divider, header, home, section
from bot.tensions.service import CoachedTensions, TeamTensions
from prompts import Renderer

TEAM_TENSIONS_SHOWN = 15
# Each open tension of one's own takes two blocks (its words, its Edit / Withdraw buttons);
# the Home holds 100 blocks for every feature's section, so a few are shown with buttons.
OWN_TENSIONS_EDITABLE = 5


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


def build_tensions_section(
    renderer: Renderer,
    *,
    overview: list[TeamTensions],
    coached: Sequence[CoachedTensions] = (),
) -> list[Block]:
    """For each of the person's teams: their open tensions (Edit / Withdraw), their triaged ones
    (read-only), and the team's others; then, for a coach, each coached team's private ones."""
    blocks: list[Block] = []
    for team in overview:
        shown = team.others[:TEAM_TENSIONS_SHOWN]
        mine = team.mine[:OWN_TENSIONS_EDITABLE]
        blocks += [
            header(renderer.plain("home.team_heading", team_name=team.team.name)),
            section(renderer.say("tension.home_mine_heading", count=len(team.mine))),
        ]
        for tension in mine:
            value = str(tension.id)
            blocks += [
                section(renderer.say("tension.home_mine", tension=tension)),
                actions(
                    button(
                        renderer.plain("tension.edit_button"), ids.HOME_EDIT_TENSION, value=value
                    ),
                    button(
                        renderer.plain("tension.withdraw_button"),
                        ids.HOME_WITHDRAW_TENSION,
                        value=value,
                        style="danger",
                    ),
                ),
            ]
        if len(team.mine) > len(mine):
            blocks.append(
                context(renderer.say("tension.home_mine_more", more=len(team.mine) - len(mine)))
            )
        if team.triaged:
            triaged = team.triaged[:TEAM_TENSIONS_SHOWN]
            blocks.append(section(renderer.say("tension.home_triaged", tensions=triaged)))
        blocks.append(
            section(
                renderer.say(
                    "home.team_tensions", tensions=shown, more=len(team.others) - len(shown)
                )
            )
        )
    for team in coached:
        blocks += [
            header(renderer.plain("tension.coach_heading", team_name=team.team.name)),
            section(
                renderer.say("tension.coach_private", tensions=team.private[:TEAM_TENSIONS_SHOWN])
            ),
        ]
    return blocks
