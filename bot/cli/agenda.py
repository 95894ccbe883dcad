"""`retrobot agenda post --team ID`: post the team's tactical-meeting agenda now, or update it.

It calls the same function as ``/tactical`` and the scheduler, so the meeting keeps ONE agenda
message: a second run updates it. It prints where the agenda is, or what Slack said.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `agenda` command; ``load`` reads the settings and app.yaml."""
    agenda = commands.add_parser("agenda", help="the tactical-meeting agenda")
    actions = agenda.add_subparsers(dest="agenda_command", metavar="ACTION", required=True)
    post = actions.add_parser(
        "post", help="post the team's agenda to its channel now (a second run updates it)"
    )
    post.add_argument("--team", required=True, help="the team's id in app.yaml")
    post.set_defaults(run=lambda args: run_agenda_post(args, load))


def run_agenda_post(args: argparse.Namespace, load: Loader) -> int:
    """Post (or update) the agenda for the team's next meeting; 1 when Slack refused it."""
    from bot.agenda.service import post_agenda
    from bot.core.errors import ConfigError
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    if problems := settings.problems(http=False):
        raise ConfigError([*problems, "Posting the agenda needs them to reach Slack."])
    services = open_services(settings, config)
    try:
        post = post_agenda(services, team_id=team.id, now=services.now())
    finally:
        services.engine.dispose()
    if post.ok:
        print(services.renderer.plain("agenda.posted_plain", post=post, zone=team.zone))
        return 0
    print(services.renderer.plain("agenda.failed_plain", post=post), file=sys.stderr)
    return 1
