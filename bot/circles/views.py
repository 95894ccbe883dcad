"""Block Kit for circles: a circle's decision in a member team's channel, its issues in common
under its agenda, and the note that tells a raiser their tension went to a circle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.circles.model import ISSUES_SHOWN, CommonIssue
from bot.slack.blocks import message, section
from prompts import Renderer
from storage.models import Tension


def build_circle_decision(
    renderer: Renderer, *, circle_name: str, text: str, team_name: str
) -> dict[str, Any]:
    """A circle's adopted decision, as its member team's channel reads it."""
    return message(
        renderer.say("circles.decision_fallback", circle_name=circle_name),
        [
            section(
                renderer.say(
                    "circles.decision", circle_name=circle_name, text=text, team_name=team_name
                )
            )
        ],
    )


def build_issues_in_common(
    renderer: Renderer, *, circle_name: str, issues: Sequence[CommonIssue]
) -> dict[str, Any]:
    """The circle's issues in common: roles and areas, team and tension counts, no names."""
    shown = list(issues[:ISSUES_SHOWN])
    return message(
        renderer.say("circles.issues_fallback", circle_name=circle_name),
        [section(renderer.say("circles.issues", circle_name=circle_name, issues=shown))],
    )


def build_taken_to_circle(
    renderer: Renderer, *, tension: Tension, circle_name: str, team_name: str
) -> dict[str, Any]:
    """The DM that tells the raiser their tension went to a circle."""
    return message(
        renderer.say("circles.taken_fallback", circle_name=circle_name),
        [
            section(
                renderer.say(
                    "circles.taken_to_circle",
                    tension=tension,
                    circle_name=circle_name,
                    team_name=team_name,
                )
            )
        ],
    )
