"""Check-in fan-out: a round to 12,000 members against the Slack stand-in's rate limit.

    python bench/checkin_fanout.py [--members 12000] [--teams 1] [--rate 100] [--burst 10]
                                   [--database-url URL] [--write-docs]

The Slack stand-in runs in a process of its own, holding chat.postMessage to ``--rate`` calls a
second (a token bucket, bursts of ``--burst``; over-rate calls get 429 with Retry-After). This
process is retrobot: it opens the round(s) with the same ``bot.checkins.usecases.send_round`` the
scheduler calls, paced at the same rate (Slack's published budget is what the app is told), and
measures:

- wall time against the bound the rate limit sets (members / rate); target within 10 %;
- the app's CPU time per DM (user + system, this process only); target under 2 ms;
- duplicates and misses, counted by the stand-in per DM channel; target none;
- peak resident memory of this process; target under 200 MB.

``--teams 1000`` sends 1,000 rounds of 12 at once instead of one of 12,000, as a whole
organisation meeting at the same hour would (ten at a time, as the scheduler's job pool runs).
``--write-docs`` puts the figures in docs/benchmarks.md under "Check-in fan-out".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Check-in fan-out"
BOT_TOKEN = "xoxb-bench-token"
JOB_POOL = 10  # the scheduler's executor runs this many rounds at once


# --- The stand-in, in its own process -------------------------------------------------------------


def serve_standin(rate: float, burst: int, report: Path) -> None:
    """Serve the stand-in with chat.postMessage rate-limited; on SIGTERM write what it saw."""
    from bot.standin.web_api import FakeSlack

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake = FakeSlack(strict_users=False, strict_channels=False, trigger_ttl=None)
    fake.rate_limit("chat.postMessage", per_second=rate, burst=burst)
    with fake:
        print(f"SLACK_API_URL={fake.url}", flush=True)
        stop.wait()
        delivered: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for call in fake.calls_to("chat.postMessage"):
            if call.ok:
                delivered[str(call.args.get("channel"))] += 1
            else:
                refused[call.error or "error"] += 1
    report.write_text(
        json.dumps(
            {
                "delivered": dict(delivered),
                "refused": dict(refused),
                "violations": fake.limit_violations[:5],
            }
        )
    )


class Standin:
    """The stand-in's process: started with a rate limit, stopped for its report."""

    def __init__(self, rate: float, burst: int, folder: Path) -> None:
        self.report = folder / "standin.json"
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve-standin",
                "--rate",
                str(rate),
                "--burst",
                str(burst),
                "--report",
                str(self.report),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("SLACK_API_URL="):
            self.process.kill()
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        self.url = line.split("=", 1)[1]

    def stop(self) -> dict[str, Any]:
        """Stop it (by its own pid) and read what it counted."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return json.loads(self.report.read_text())


# --- The organisation -----------------------------------------------------------------------------


def app_yaml(teams: int, per_team: int) -> tuple[str, list[str]]:
    """An app.yaml of ``teams`` teams of ``per_team`` members, and every member's id."""
    members = [f"U{n:09d}" for n in range(1, teams * per_team + 1)]
    lines = [
        "organisation: {name: Benchmark Community Care}",
        "defaults:",
        "  timezone: Europe/London",
        '  tactical: {day: tuesday, time: "10:00", checkin_lead: 24h}',
        "teams:",
    ]
    for number in range(teams):
        chunk = members[number * per_team : (number + 1) * per_team]
        lines += [
            f"  - id: team-{number:04d}",
            f"    name: Team {number}",
            f"    channel: C{number:08d}",
            f"    members: [{', '.join(chunk)}]",
            "    metrics: [{id: visits, label: Client visits, unit: visits}]",
        ]
    return "\n".join(lines) + "\n", members


# --- The run --------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(options: argparse.Namespace) -> dict[str, Any]:
    """Send the round(s) and return the figures."""
    from bot.checkins import usecases as checkins
    from bot.core.config import parse_config
    from bot.core.settings import Settings
    from bot.services import open_services
    from bot.slack import pacing

    per_team = options.members // options.teams
    text, members = app_yaml(options.teams, per_team)
    folder = Path(tempfile.mkdtemp(prefix="retrobot-fanout-"))
    database_url = options.database_url or f"sqlite:///{folder / 'fanout.db'}"
    if options.database_url and options.database_url.startswith("postgresql"):
        _reset_postgres(options.database_url)
    elif options.database_url and options.database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):  # a fresh file, as for PostgreSQL a fresh schema
            Path(options.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    standin = Standin(options.rate, options.burst, folder)
    stats: dict[str, Any] = {}
    try:
        config = parse_config(text, source=str(folder / "app.yaml"))
        settings = Settings(
            bot_token=BOT_TOKEN, slack_api_url=standin.url, database_url=database_url
        )
        services = open_services(settings, config)  # migrated, members mirrored (as at start-up)
        # The app is told Slack's rate, not its burst: it spends no burst, so Slack's bucket stays
        # full and absorbs the jitter of requests in flight.
        pacing.PACE = pacing.Pace(options.pace or options.rate, pacing.DM_BURST)
        team_ids = [team.id for team in config.teams]
        cpu_before, wall_before = cpu_seconds(), time.monotonic()
        if len(team_ids) == 1:
            reports = [checkins.send_round(services, team_id=team_ids[0])]
        else:
            with ThreadPoolExecutor(JOB_POOL) as pool:
                reports = list(
                    pool.map(
                        lambda team_id: checkins.send_round(services, team_id=team_id), team_ids
                    )
                )
        wall = time.monotonic() - wall_before
        cpu = cpu_seconds() - cpu_before
        services.engine.dispose()
    finally:
        stats = standin.stop()
    delivered: dict[str, int] = stats["delivered"]
    asked = sum(len(r.asked) for r in reports)
    return {
        "members": len(members),
        "teams": options.teams,
        "rate": options.rate,
        "burst": options.burst,
        "pace": options.pace or options.rate,
        "senders": pacing.SEND_WORKERS,
        "database_url": database_url,
        "wall": wall,
        "bound": len(members) / options.rate,
        "cpu": cpu,
        "asked": asked,
        "failed": sum(len(r.failed) for r in reports),
        "delivered": sum(delivered.values()),
        "duplicates": sum(count - 1 for count in delivered.values() if count > 1),
        "missing": len(set(members) - set(delivered)),
        "refused": stats["refused"],
        "violations": stats["violations"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def describe(figures: dict[str, Any]) -> list[str]:
    """The figures against the targets, one line each (Markdown-friendly)."""
    from bench.harness import machine_lines

    over = (figures["wall"] / figures["bound"] - 1) * 100
    per_dm = figures["cpu"] / max(figures["delivered"], 1) * 1000
    refused = ", ".join(f"{n} × {error}" for error, n in figures["refused"].items()) or "none"
    shape = (
        f"{figures['members']:,} members in one team"
        if figures["teams"] == 1
        else f"{figures['members']:,} members in {figures['teams']:,} teams, rounds sent "
        f"{JOB_POOL} at a time"
    )
    ok = figures["duplicates"] == 0 and figures["missing"] == 0 and figures["failed"] == 0
    return [
        f"- Round: {shape}; chat.postMessage limited to {figures['rate']:g}/s "
        f"(bursts of {figures['burst']}); the app paced at {figures['pace']:g}/s, posting from "
        f"{figures['senders']} threads shared by all rounds.",
        f"- Wall time: {figures['wall']:.1f} s against the bound N / rate = "
        f"{figures['bound']:.1f} s ({over:+.1f} %; target within 10 %: "
        f"{'met' if abs(over) <= 10 else 'NOT met'}).",
        f"- App CPU: {figures['cpu']:.1f} s = {per_dm:.2f} ms per DM (target under 2 ms: "
        f"{'met' if per_dm < 2 else 'NOT met'}).",
        f"- DMs: {figures['delivered']:,} delivered for {figures['members']:,} members; "
        f"duplicates {figures['duplicates']}, missing {figures['missing']}, failed "
        f"{figures['failed']} (target none: {'met' if ok else 'NOT met'}); refused by the "
        f"rate limit and waited out: {refused}.",
        f"- Peak memory (RSS) of the app's process: {figures['peak_rss_mb']:.0f} MB (target "
        f"under 200 MB: {'met' if figures['peak_rss_mb'] < 200 else 'NOT met'}).",
        *[f"- {line}" for line in machine_lines(figures["database_url"])],
    ]


def write_docs(runs: list[list[str]], command: str) -> None:
    """Replace (or add) this benchmark's section of docs/benchmarks.md; others' stay as they are."""
    body = [
        SECTION,
        "",
        "A check-in round DMs every member through `bot.checkins.usecases.send_round` (what the "
        "scheduler and `retrobot checkin send` run) against the Slack stand-in, in its own "
        "process, whose chat.postMessage is rate-limited (a token bucket; over-rate calls get "
        "429 with Retry-After). CPU and memory are this process's alone (the stand-in's are "
        "not counted); a run's peak memory is the process's peak so far, earlier runs included. "
        "Rerun with:",
        "",
        f"    {command}",
        "",
    ]
    for lines in runs:
        body += [*lines, ""]
    section = "\n".join(body)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = "" if end == -1 else "\n" + text[end + 1 :]
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def rerun_command(argv: list[str]) -> str:
    """The command that reruns these figures (a temporary SQLite file is the default anyway)."""
    shown: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--write-docs":
            continue
        if arg == "--database-url":
            url = next(args, "")
            shown += [arg, "sqlite:///fanout.db" if url.startswith("sqlite") else url]
            continue
        shown.append(arg)
    return " ".join(["python bench/checkin_fanout.py", *shown])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, internally, serve the stand-in)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument(
        "--teams", type=int, action="append", help="teams sharing the members (repeatable; 1)"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="chat.postMessage calls/s")
    parser.add_argument("--burst", type=int, default=10, help="the stand-in's burst")
    parser.add_argument("--pace", type=float, help="the app's DMs/s (default: --rate)")
    parser.add_argument(
        "--database-url",
        action="append",
        help="repeatable; default: a new SQLite file. A database named here is emptied "
        "first: give one for the benchmark alone",
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--serve-standin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve_standin:
        serve_standin(options.rate, options.burst, options.report)
        return 0
    import logging

    logging.basicConfig(level=logging.WARNING)
    runs = []
    for teams in options.teams or [1]:
        for url in options.database_url or [None]:
            one = argparse.Namespace(**{**vars(options), "teams": teams, "database_url": url})
            figures = run(one)
            lines = describe(figures)
            print("Check-in fan-out", "\n".join(lines), sep="\n", flush=True)
            if figures["violations"]:
                print("Block Kit problems the stand-in saw:", *figures["violations"], sep="\n  ")
            runs.append(lines)
    if options.write_docs:
        write_docs(runs, rerun_command(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
