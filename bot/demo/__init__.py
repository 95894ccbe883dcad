"""`retrobot demo`: the product played through its real handlers, with no Slack account.

It starts the local Slack stand-in and the real app over HTTP on 127.0.0.1, with a fresh
SQLite database and a demo app.yaml, then plays a team's week as its people would — every
step a signed request through Bolt's own verification — and prints what each person saw.
"""

from __future__ import annotations

import io
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import TextIO

from bot.app import create_app
from bot.core import charts, heap
from bot.core.config import AppConfig, load_config
from bot.core.settings import Settings
from bot.demo.cast import DEMO_APP_YAML, PEOPLE
from bot.demo.clock import DemoClock, demo_mondays
from bot.demo.listeners import ListenerPool
from bot.demo.script import DemoWeek
from bot.reports.model import Period
from bot.reports.usecases import Scope, make_report
from bot.server import LocalServer, make_wsgi_app
from bot.services import Services, open_services
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack

DEMO_SIGNING_SECRET = "demo-signing-secret"
DEMO_BOT_TOKEN = "xoxb-demo-token"
# The demo always plays the same dates, so a seed gives the same transcript on any day: its
# last week is the one after the clocks went forward in London (earlier weeks cross the change).
LAST_WEEK = date(2026, 3, 30)
MAX_WEEKS = 12
# Where the charts are drawn: what the chart helper imports as it starts.
CHART_MODULES = ("bot.digests.charts", "bot.retros.charts", "bot.reports.charts")


def _refusal(weeks: int, db_path: Path | None) -> str | None:
    """Why the demo cannot start as asked, or None."""
    if not 1 <= weeks <= MAX_WEEKS:
        return f"--weeks must be from 1 to {MAX_WEEKS}, not {weeks}."
    if db_path is not None and Path(db_path).exists():
        return (
            f"{db_path} already exists. The demo starts from a fresh database: "
            "give a new path, or remove that file first."
        )
    return None


@dataclass
class _Played:
    """What a played demo leaves: its files, and the database when it is kept."""

    transcript: Path
    summary: Path
    report: Path
    charts: list[Path]


def run_demo(
    *,
    db_path: Path | None = None,
    keep: bool = False,
    out_dir: Path | None = None,
    seed: int = 7,
    weeks: int = 3,
    stream: TextIO | None = None,
) -> int:
    """Play the demo; print the transcript; return the exit code.

    The transcript, the week's summary and its charts are written to ``out_dir`` (a new
    temporary folder by default), and kept; the database is kept with ``keep`` or ``db_path``.
    """
    out = stream or sys.stdout
    problem = _refusal(weeks, db_path)
    if problem:
        print(f"retrobot demo: {problem}", file=out)
        return 2
    started = time.monotonic()
    workdir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="retrobot-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = Path(db_path) if db_path else workdir / "retrobot-demo.db"
    if db_path is None and database.exists():
        database.unlink()  # the demo's own file, from an earlier run into the same folder
    config_path = workdir / "app.yaml"
    config_path.write_text(DEMO_APP_YAML, encoding="utf-8")
    config = load_config(config_path)
    mondays = demo_mondays(LAST_WEEK, weeks)
    _print_intro(out, mondays)
    # A chart helper loads matplotlib on the other core while the database is made and the
    # first week plays, and draws each chart while the words it follows go (bot.core.charts).
    with charts.helpers(warm=CHART_MODULES):
        played = _play(config, config_path, database, mondays, seed, out, workdir)
    kept = keep or db_path is not None
    if not kept:
        for leftover in database.parent.glob(database.name + "*"):  # with its -wal and -shm
            leftover.unlink()
    files = [
        ("transcript", played.transcript),
        ("summary", played.summary),
        ("report", played.report),
    ]
    files += [("chart", chart) for chart in played.charts]
    if kept:
        files += [("database", database), ("app.yaml", config_path)]
    _print_files(out, time.monotonic() - started, files, workdir)
    return 0


def _print_intro(out: TextIO, mondays: list[date]) -> None:
    """What the demo is about to play, and how."""
    weeks = len(mondays)
    span = "a week" if weeks == 1 else f"{weeks} weeks"
    last_day = mondays[-1] + timedelta(days=6)
    print(f"retrobot demo — {span} of North Neighbourhood Team, played locally\n", file=out)
    print(
        "  Everything below goes through the real app: signed requests to its HTTP endpoint,\n"
        "  Slack's side played by the built-in stand-in, a fresh SQLite database, and a clock\n"
        f"  that runs {mondays[0]:%-d %B} to {last_day:%-d %B %Y} in seconds.\n",
        file=out,
    )


def _play(
    config: AppConfig,
    config_path: Path,
    database: Path,
    mondays: list[date],
    seed: int,
    out: TextIO,
    workdir: Path,
) -> _Played:
    """Start the stand-in and the app over HTTP, play the weeks, write the files."""
    zone = config.team("north").zone
    clock = DemoClock(zone, datetime.combine(mondays[0], dt_time(7), zone).astimezone(UTC))
    with FakeSlack() as fake:
        for user_id, name in PEOPLE.items():
            fake.add_user(user_id, name=name)
        for team in config.teams:
            fake.add_channel(team.channel, members=team.member_ids)
        settings = Settings(
            bot_token=DEMO_BOT_TOKEN,
            signing_secret=DEMO_SIGNING_SECRET,
            slack_api_url=fake.url,
            database_url=f"sqlite:///{database}",
            config_path=config_path,
        )
        services = open_services(settings, config)
        services.clock = clock
        services.dm_pace = Pace(per_second=math.inf)  # the local Slack keeps no rate limit
        listeners = ListenerPool()
        app = create_app(services, listener_executor=listeners)
        heap.settle()
        try:
            with LocalServer(make_wsgi_app(app, services)) as server:
                sender = SlackSender(f"{server.url}/slack/events", DEMO_SIGNING_SECRET, fake)
                week = DemoWeek(fake, sender, services, random.Random(seed), out, clock, listeners)
                closed = _play_weeks(week, mondays, out)
                transcript = week.transcript()
            return _write_files(week, closed, transcript, out, workdir, mondays)
        finally:
            listeners.shutdown()
            services.engine.dispose()


def _play_weeks(week: DemoWeek, mondays: list[date], out: TextIO) -> str:
    """The earlier weeks one line each, then the last in full; returns the last week closed."""
    for index, monday in enumerate(mondays[:-1]):
        week.monday = monday
        week.play_earlier_week(index)
    week.monday = mondays[-1]
    if len(mondays) > 1:
        print(f"\n  The week from {mondays[-1]:%A %-d %B}, in full:", file=out, flush=True)
    week.play()
    return week.close_week(show=True)


def _write_files(
    week: DemoWeek, closed: str, transcript: str, out: TextIO, workdir: Path, mondays: list[date]
) -> _Played:
    """Print and save the transcript, the week's summary and digest, the charts, the report."""
    transcript_path = workdir / "transcript.txt"
    transcript_path.write_text(transcript, encoding="utf-8")
    print("\n" + transcript, file=out)
    print("THE WEEK'S TEAM SUMMARY AND COACH DIGEST\n" + "=" * 40, file=out)
    summary = io.StringIO()
    week.out = summary
    charts = week.print_summaries(workdir, closed)
    summary_path = workdir / "summary.txt"
    summary_path.write_text(summary.getvalue().lstrip("\n"), encoding="utf-8")
    print(summary.getvalue(), file=out, end="")
    last_day = mondays[-1] + timedelta(days=6)
    report = _write_report(week.services, workdir, mondays[0], last_day)
    return _Played(transcript_path, summary_path, report, charts)


def _write_report(services: Services, workdir: Path, first: date, last: date) -> Path:
    """The organisation report (issue 20) over the demo's weeks, as a board would read it."""
    path = workdir / f"report-organisation-{first}-to-{last}.html"
    document = make_report(services, scope=Scope(), period=Period(first, last))
    path.write_text(document, encoding="utf-8")
    return path


def _print_files(out: TextIO, elapsed: float, files: list[tuple[str, Path]], workdir: Path) -> None:
    """How long the demo took, and the files it wrote."""
    print(f"\nDone in {elapsed:.1f} s.", file=out)
    for label, path in files:
        print(f"  {label:<12}{path}", file=out)
    print(f"Files are in {workdir}", file=out)
