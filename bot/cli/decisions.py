"""`retrobot decisions --team ID [--since DATE] [--format text|json|csv]`: the decision log.

Every adopted decision of the team, oldest first: what, why, method, who decided, who was asked
and who answered, the advice, the objections and how each was integrated, values, dates. Read a
batch at a time and written as it is read, so years of decisions print in constant memory. It
needs only the database: nothing reaches Slack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

FORMATS = ("text", "json", "csv")

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD, for example 2026-01-31)"
        ) from None


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `decisions` command; ``load`` reads the settings and app.yaml."""
    parser = commands.add_parser("decisions", help="print a team's decision log")
    parser.add_argument("--team", required=True, help="the team's id in app.yaml")
    parser.add_argument("--since", type=_date, help="only decisions from this date (YYYY-MM-DD)")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="how to print it (default: text)"
    )
    parser.set_defaults(run=lambda args: run_decisions(args, load))


def run_decisions(args: argparse.Namespace, load: Loader) -> int:
    """Print the team's decision log."""
    from bot.decisions.usecases import decision_log
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    services = open_services(settings, config)
    try:
        for piece in decision_log(services, team_id=team.id, since=args.since, fmt=args.format):
            sys.stdout.write(piece)
    finally:
        services.engine.dispose()
    return 0
