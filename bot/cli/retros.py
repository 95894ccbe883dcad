"""`retrobot retro open --team ID` and `retrobot retro close --team ID`.

`open` opens the team's retrospective now (the channel message, then each member's DM), as the
schedule does every ``retro.every`` weeks; `close` closes reflection and opens voting, and, run
again, closes voting (the chosen reflections become tensions on the next tactical agenda), as
the schedule does two days after each. They call the same use cases as the scheduler, so each
step happens once whoever takes it first.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings
    from bot.services import Services

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `retro` command; ``load`` reads the settings and app.yaml."""
    retro = commands.add_parser("retro", help="the team's retrospective")
    actions = retro.add_subparsers(dest="retro_command", metavar="ACTION", required=True)
    opening = actions.add_parser(
        "open", help="open the team's retrospective now (the channel message and reflection DMs)"
    )
    opening.add_argument("--team", required=True, help="the team's id in app.yaml")
    opening.set_defaults(run=lambda args: _with_services(args, load, run_open))
    closing = actions.add_parser(
        "close",
        help="close reflection and open voting; run again to close voting (improvements to agenda)",
    )
    closing.add_argument("--team", required=True, help="the team's id in app.yaml")
    closing.set_defaults(run=lambda args: _with_services(args, load, run_close))


def _with_services(
    args: argparse.Namespace, load: Loader, run: Callable[[Services, str], int]
) -> int:
    from bot.core.errors import ConfigError
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    if problems := settings.problems(http=False):
        raise ConfigError([*problems, "The retrospective needs them to reach Slack."])
    services = open_services(settings, config)
    try:
        return run(services, team.id)
    finally:
        services.engine.dispose()


def run_open(services: Services, team_id: str) -> int:
    """Open the retrospective; 1 when one is open already or Slack refused its message."""
    from bot.retros import service, usecases

    renderer = services.renderer
    try:
        report = usecases.open_retrospective(services, team_id=team_id)
    except service.AlreadyOpenError as error:
        team = services.config.team(team_id)
        print(
            renderer.plain(
                "retros.already_open_plain", team_name=team.name, status=error.retro.status.value
            ),
            file=sys.stderr,
        )
        return 1
    print(renderer.plain("retros.opened_plain", report=report))
    if report.error:
        print(renderer.plain("retros.publish_failed_plain", error=report.error), file=sys.stderr)
        return 1
    return 0


def run_close(services: Services, team_id: str) -> int:
    """Close reflection (voting opens), or close voting; 1 when nothing is open."""
    from bot.retros import service, usecases
    from storage.models import RetroStatus

    renderer = services.renderer
    team = services.config.team(team_id)
    try:
        report = usecases.close_retrospective(services, team_id=team_id)
    except service.NoRetroError:
        print(renderer.plain("retros.nothing_open_plain", team_name=team.name), file=sys.stderr)
        return 1
    retro = report.retro
    if retro.status == RetroStatus.VOTING and retro.voting_closes_at is not None:
        print(
            renderer.plain(
                "retros.voting_opened_plain",
                team_name=team.name,
                closes_at=retro.voting_closes_at,
                zone=team.zone,
            )
        )
    else:
        print(renderer.plain("retros.closed_plain", team_name=team.name, chosen=report.chosen))
    return 0
