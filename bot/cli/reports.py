"""`retrobot report`: the organisation report for leaders, boards and regulators.

Writes one self-contained HTML file (or JSON) for one team or every team over a period. The
figures come from bot.reports; this module only reads the arguments, shows a progress bar on a
terminal, and writes the document where it was asked to (``--out -`` is standard output).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

FORMATS = ("html", "json")  # bot.reports.views.FORMATS, spelt here so --help imports no more

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `report` command; ``load`` reads the settings and app.yaml."""
    report = commands.add_parser(
        "report",
        help="write the organisation report (HTML or JSON) for a team or all teams",
        description="The organisation report: aggregates only, organised by the five key "
        "questions (safe, effective, caring, responsive, well-led); nobody is named.",
    )
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--team", help="one team's id in app.yaml")
    which.add_argument("--all", action="store_true", help="every team of the organisation")
    report.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    report.add_argument(
        "--out", help="file to write, or - for standard output (default: named for the scope "
        "and period, in the current folder)",
    )  # fmt: skip
    report.add_argument("--format", choices=FORMATS, default="html", help="html (default) or json")
    report.set_defaults(run=lambda args: run_report(args, load))


class ProgressBar:
    """A one-line progress bar on a terminal; says nothing when ``stream`` is not a terminal."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.steps = 1
        self.done = 0

    def plan(self, steps: int) -> None:
        """There are ``steps`` steps in all."""
        self.steps = max(steps, self.done, 1)

    def advance(self, what: str) -> None:
        """One step ended: redraw the bar."""
        self.done += 1
        if not self.live:
            return
        share = min(1.0, self.done / self.steps)
        filled = round(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share * 100:3.0f}% {what[:40]:<40}")
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line."""
        if self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()


def run_report(args: argparse.Namespace, load: Loader) -> int:
    """`retrobot report (--team ID | --all) --from DATE --to DATE [--out FILE|-] [--format F]`."""
    from bot.core.errors import InvalidInputError, RetrobotError
    from bot.reports.usecases import Scope, default_file_name, make_report, parse_period
    from bot.services import Services
    from storage import db

    try:
        period = parse_period(args.start, args.end)
    except InvalidInputError as error:
        raise RetrobotError("; ".join(error.field_errors.values())) from None
    settings, config = load(args)
    scope = Scope(team_id=None if args.all else args.team)
    if scope.team_id is not None:
        config.team(scope.team_id)  # NotFoundError naming the teams, before anything opens
    out = args.out or default_file_name(scope, period, args.format)
    # The schema brought up to date, but no team mirrored from app.yaml: the report reads
    # app.yaml's teams as they are, and a thousand teams' upserts would only slow it down.
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    services = Services(config=config, settings=settings, engine=engine)
    bar = ProgressBar(sys.stderr)
    try:
        document = make_report(services, scope=scope, period=period, fmt=args.format, progress=bar)
    finally:
        bar.finish()
        services.engine.dispose()
    if out == "-":
        sys.stdout.write(document)
        return 0
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    print(f"Wrote {path} ({path.stat().st_size / 1024:,.0f} kB).", file=sys.stderr)
    return 0
