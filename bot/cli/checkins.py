"""`retrobot checkin send --team ID`: open the team's check-in round now and DM its members.

It calls the same function as the scheduler, so it is idempotent: a member already asked for the
round is not asked again. It prints who was asked now, who already had been, who is away, who
waits for a sensible hour in their own time zone, and who could not be reached and why.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `checkin` command; ``load`` reads the settings and app.yaml."""
    checkin = commands.add_parser("checkin", help="check-in rounds")
    actions = checkin.add_subparsers(dest="checkin_command", metavar="ACTION", required=True)
    send = actions.add_parser(
        "send", help="open the team's check-in round now and DM every member not yet asked"
    )
    send.add_argument("--team", required=True, help="the team's id in app.yaml")
    send.add_argument(
        "--retry-failed",
        action="store_true",
        help="also ask again the members Slack refused before (a deactivated account...)",
    )
    send.set_defaults(run=lambda args: run_checkin_send(args, load))


def run_checkin_send(args: argparse.Namespace, load: Loader) -> int:
    """Send the round and print its delivery report; 0 even when some members failed."""
    from bot.checkins.report import format_report
    from bot.checkins.usecases import send_round
    from bot.core.errors import ConfigError
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    if problems := settings.problems(http=False):
        raise ConfigError([*problems, "Sending the check-in needs them to reach Slack."])
    services = open_services(settings, config)
    try:
        report = send_round(services, team_id=team.id, retry_failed=args.retry_failed)
    finally:
        services.engine.dispose()
    print(format_report(report))
    return 0
