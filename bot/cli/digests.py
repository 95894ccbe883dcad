"""`retrobot summary` and `retrobot digest`: print a week's summary or digest, or send it once.

Without ``--send`` nothing reaches Slack: the summary (or each coach's digest) is printed as
text, JSON or Markdown, and ``--chart PATH`` saves its chart. With ``--send`` it is posted
through the same functions the scheduler calls, so a week already sent is never sent twice —
the command says so instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import AppConfig, TeamConfig
    from bot.core.settings import Settings
    from bot.services import Services

# The formats of bot.digests.views.FORMATS, spelt here so `retrobot --help` imports nothing more.
FORMATS = ("text", "json", "markdown")

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `summary` and `digest` commands; ``load`` reads the settings and app.yaml."""
    summary = commands.add_parser(
        "summary", help="print a team's weekly summary, or --send it to the team channel"
    )
    digest = commands.add_parser(
        "digest", help="print the coach digest of a team, or --send it to the team's coaches"
    )
    for parser, what in ((summary, "post it in the team channel"), (digest, "DM it to each coach")):
        parser.add_argument("--team", required=True, help="the team's id in app.yaml")
        parser.add_argument(
            "--week",
            help="ISO week such as 2026-W48 (default: the last complete week in the team's zone)",
        )
        parser.add_argument(
            "--send", action="store_true", help=f"{what} (once per week: never twice)"
        )
        parser.add_argument(
            "--format", choices=FORMATS, default="text", help="how to print it (default: text)"
        )
        parser.add_argument("--chart", type=Path, help="also save the chart (PNG) to this file")
    summary.set_defaults(run=lambda args: run_summary(args, load))
    digest.set_defaults(run=lambda args: run_digest(args, load))


def _open(args: argparse.Namespace, load: Loader) -> tuple[Services, TeamConfig, str]:
    """The services, the team, and the week asked for (checked before anything is opened)."""
    from bot.core.errors import ConfigError
    from bot.core.meetings import parse_iso_week
    from bot.digests.service import last_complete_week
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    if args.week:
        year, number = parse_iso_week(args.week.strip().upper())
        args.week = f"{year}-W{number:02d}"
    if args.send and (problems := settings.problems(http=False)):
        raise ConfigError([*problems, "--send needs them to reach Slack."])
    services = open_services(settings, config)
    week = args.week or last_complete_week(team.zone, services.now())
    return services, team, week


def _save_chart(path: Path, png: bytes, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    print(line, file=sys.stderr)


def run_summary(args: argparse.Namespace, load: Loader) -> int:
    """`retrobot summary --team ID [--week W] [--send] [--format F] [--chart PATH]`."""
    from bot.digests import charts
    from bot.digests.usecases import send_team_summary, week_summary
    from bot.digests.views import summary_document

    services, team, week = _open(args, load)
    renderer = services.renderer
    try:
        now = services.now()
        report = None
        if args.send:
            report = send_team_summary(services, team_id=team.id, week=week, now=now)
            print(renderer.plain("summary.report", r=report, team_name=team.name))
        if not args.send or args.chart:
            summary = week_summary(services, team_id=team.id, week=week, now=now)
            if not args.send:
                sys.stdout.write(summary_document(renderer, summary, args.format))
            if args.chart:
                _save_chart(
                    args.chart,
                    charts.summary_chart(renderer, summary.figures),
                    renderer.plain("summary.chart_saved", path=args.chart),
                )
    finally:
        services.engine.dispose()
    return 0 if report is None or report.ok else 1


def run_digest(args: argparse.Namespace, load: Loader) -> int:
    """`retrobot digest --team ID [--week W] [--send] [--format F] [--chart PATH]`."""
    from bot.digests import charts
    from bot.digests.model import as_data
    from bot.digests.usecases import send_coach_digest, team_digests, week_figures
    from bot.digests.views import digest_document

    services, team, week = _open(args, load)
    renderer = services.renderer
    try:
        if not team.coach_ids:
            print(renderer.plain("digest.no_coaches", team_name=team.name), file=sys.stderr)
            return 1
        now = services.now()
        failed = False
        if args.send:
            for coach_id in team.coach_ids:
                report = send_coach_digest(
                    services, coach_id=coach_id, week=week, now=now, team_ids=[team.id]
                )
                failed |= not report.ok
                print(renderer.plain("digest.report", r=report, team_name=team.name))
        else:
            documents = team_digests(services, team_id=team.id, week=week, now=now)
            if documents and args.format == "json":
                sys.stdout.write(json.dumps(as_data(documents), indent=2, ensure_ascii=False))
                sys.stdout.write("\n")
            elif documents:
                sys.stdout.write(
                    "\n".join(digest_document(renderer, d, args.format) for d in documents)
                )
        if args.chart:
            figures = week_figures(services, team_id=team.id, week=week, now=now)
            _save_chart(
                args.chart,
                charts.digest_chart(renderer, [figures]),
                renderer.plain("summary.chart_saved", path=args.chart),
            )
    finally:
        services.engine.dispose()
    return 1 if failed else 0
